//! The Lambda of a handler: `bootstrap`, the handler wrapped in the AWS
//! Lambda runtime loop (go-bridge), for the `provided` runtime.

use std::collections::BTreeMap;

use crate::compile::{self, go_build::RELEASE_FLAGS, Template};
use crate::error::Result;
use crate::session::Session;

use super::{BuildOutput, LambdaOptions, OutputFile};

pub async fn build(session: &Session<'_>) -> Result<BuildOutput> {
    // Removed on every error path; kept only once the build succeeded.
    let out_dir = super::output_dir(&session.env)?;
    let bootstrap = out_dir.path().join("bootstrap");
    let (stable, _slot) = super::stable_output(session, "bootstrap").await?;
    let flags = session.build_flags(RELEASE_FLAGS)?;
    compile::compile_handler(session, Template::Lambda, flags, &stable).await?;
    super::copy_output(&stable, &bootstrap)?;
    let _ = out_dir.keep();
    Ok(BuildOutput {
        lambda: LambdaOptions {
            handler: "bootstrap".to_string(),
            runtime: "provided.al2023".to_string(),
            architecture: session.target.lambda_architecture().to_string(),
            runtime_language: "go".to_string(),
            supports_wrapper: Some(true),
            supports_response_streaming: None,
            environment: BTreeMap::new(),
        },
        files: BTreeMap::from([("bootstrap".to_string(), OutputFile::executable(bootstrap))]),
        include_files_base: session.entry.dir.clone(),
        notes: session.notes.clone(),
        routes: None,
    })
}
