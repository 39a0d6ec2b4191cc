//! The Lambda of a handler: `bootstrap`, the handler wrapped in the AWS
//! Lambda runtime loop (go-bridge), for the `provided` runtime.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::blocking::blocking;
use crate::compile::{go_build::RELEASE_FLAGS, Template};
use crate::error::Result;
use crate::session::Session;

use super::kept::Kept;
use super::{one_pass, BuildOutput, LambdaOptions, OutputFile};

pub async fn build(session: &Session<'_>) -> Result<BuildOutput> {
    let started = Instant::now();
    // Removed on every error path; kept only once the build succeeded.
    let out_dir = super::output_dir(&session.env)?;
    let bootstrap = out_dir.path().join("bootstrap");
    let flags = session.build_flags(RELEASE_FLAGS)?;
    // Hashing the module's sources is file work: off the async workers.
    let kept = blocking(|| Kept::new(session, Template::Lambda.source(), &flags));
    let entrypoint = &session.entry.rel;
    let lock = kept.lock(entrypoint).await?;
    let reused = kept.matches(entrypoint, &kept.key(entrypoint));
    if !reused {
        kept.forget(entrypoint);
        one_pass::build(session, &kept, flags).await?;
    }
    super::copy_output(&kept.program(entrypoint), &bootstrap)?;
    drop(lock);
    let _ = out_dir.keep();
    let lambda = LambdaOptions {
        handler: "bootstrap".to_string(),
        runtime: "provided.al2023".to_string(),
        architecture: session.target.lambda_architecture().to_string(),
        runtime_language: "go".to_string(),
        supports_wrapper: Some(true),
        supports_response_streaming: None,
        environment: BTreeMap::new(),
    };
    session.log.line(&super::summary(
        entrypoint, &lambda, &bootstrap, started, reused,
    ));
    Ok(BuildOutput {
        lambda,
        files: BTreeMap::from([("bootstrap".to_string(), OutputFile::executable(bootstrap))]),
        include_files_base: session.entry.dir.clone(),
        routes: None,
    })
}
