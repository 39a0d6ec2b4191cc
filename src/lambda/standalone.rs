//! The Lambda of a standalone server (`framework: "go"` / `"services"`):
//! the user's whole server (`user-server`) plus `executable`, the proxy
//! that speaks the platform's IPC protocol, for the `executable` runtime.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::assets;
use crate::compile;
use crate::embedded_program::{self, Program};
use crate::error::{Error, Result};
use crate::go_build::RELEASE_FLAGS;
use crate::routes;
use crate::session::Session;

use super::{build_command, BuildOutput, LambdaOptions, OutputFile};

const EXECUTABLE: Program = Program {
    name: "executable",
    files: assets::EXECUTABLE_FILES,
};

pub async fn build(session: &Session<'_>) -> Result<BuildOutput> {
    let out_dir = super::output_dir(&session.env)?;
    let user_server = out_dir.path().join("user-server");
    let verified = match session.options.build_command() {
        Some(command) => {
            build_command::run(command, session, &user_server).await?;
            None
        }
        None => {
            let (stable, _slot) = super::stable_output(session, "user-server").await?;
            let flags = session.build_flags(RELEASE_FLAGS)?;
            compile::compile_server(session, flags, &stable).await?;
            Some(super::seal_and_copy(session, &stable, &user_server)?)
        }
    };
    let (lambda, mut files) =
        executable_lambda(session, out_dir.path(), user_server.clone()).await?;
    if let Some(sha256) = verified {
        files.insert(
            "user-server".to_string(),
            OutputFile::verified(user_server, sha256),
        );
    }
    let _ = out_dir.keep();
    Ok(BuildOutput {
        lambda,
        files,
        include_files_base: session.work_path().to_path_buf(),
        routes: routes::standalone_routes(session.options),
        goroot: Default::default(),
        diagnostics: Default::default(),
    })
}

/// An `executable` Lambda: `user-server` (already in `out_dir`) behind the
/// platform proxy, with response streaming.
pub async fn executable_lambda(
    session: &Session<'_>,
    out_dir: &Path,
    user_server: PathBuf,
) -> Result<(LambdaOptions, BTreeMap<String, OutputFile>)> {
    let proxy = embedded_program::ensure(&EXECUTABLE, &session.target, &session.helpers()).await?;
    let executable = out_dir.join("executable");
    std::fs::copy(&proxy, &executable).map_err(|e| Error::io_at("copy", &proxy, e))?;
    let lambda = LambdaOptions {
        handler: "executable".to_string(),
        runtime: "executable".to_string(),
        architecture: session.target.lambda_architecture().to_string(),
        runtime_language: "go".to_string(),
        supports_wrapper: None,
        supports_response_streaming: Some(true),
        environment: BTreeMap::new(),
    };
    let files = BTreeMap::from([
        ("executable".to_string(), OutputFile::executable(executable)),
        (
            "user-server".to_string(),
            OutputFile::executable(user_server),
        ),
    ]);
    Ok((lambda, files))
}
