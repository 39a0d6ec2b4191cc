//! The Lambda of a handler. A handler that does not stream its response is
//! `bootstrap`, the handler wrapped in the AWS Lambda runtime loop
//! (go-bridge), for the `provided` runtime. One that streams (its package,
//! or a package of its module it imports, uses `http.Flusher`,
//! `http.ResponseController` or writes `text/event-stream`, as the analyzer
//! finds; or its function config says `supportsResponseStreaming`) is a
//! net/http server of the handler behind the platform proxy, for the
//! `executable` runtime with response streaming.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::blocking::blocking;
use crate::compile::{self, go_build::RELEASE_FLAGS, template::FUNCTION_ENV, Template};
use crate::error::Result;
use crate::session::Session;

use super::kept::Kept;
use super::{one_pass, standalone, BuildOutput, LambdaOptions, OutputFile};

pub async fn build(session: &Session<'_>) -> Result<BuildOutput> {
    let started = Instant::now();
    // Removed on every error path; kept only once the build succeeded.
    let out_dir = super::output_dir(&session.env)?;
    let flags = session.build_flags(RELEASE_FLAGS)?;
    // Hashing the module's sources is file work: off the async workers.
    let kept = blocking(|| Kept::new(session, &flags));
    let entrypoint = &session.entry.rel;
    let streaming = session.options.supports_response_streaming;
    let lock = kept.lock(entrypoint).await?;
    // The sources decide the template; unchanged sources, the same one.
    let kept_as = [Template::Lambda, Template::Http]
        .into_iter()
        .find(|t| kept.matches(entrypoint, &kept.key(entrypoint, *t, streaming)));
    let template = match kept_as {
        Some(template) => template,
        None => {
            kept.forget(entrypoint);
            let handler =
                compile::analyze_handler(session, Template::Lambda, &flags, session.entry.clone())
                    .await?;
            let streams = streaming.unwrap_or(handler.analysis.streaming.is_some());
            if streams {
                session.log.line(&streaming_note(session, &handler));
                one_pass::build_alone(session, &kept, flags, Template::Http).await?;
                Template::Http
            } else {
                one_pass::build(session, &kept, handler, flags).await?;
                Template::Lambda
            }
        }
    };
    let program = kept.program(entrypoint);
    let (lambda, files) = match template {
        Template::Http => {
            let user_server = out_dir.path().join("user-server");
            super::copy_output(&program, &user_server)?;
            standalone::executable_lambda(session, out_dir.path(), user_server).await?
        }
        Template::Lambda => {
            let bootstrap = out_dir.path().join("bootstrap");
            super::copy_output(&program, &bootstrap)?;
            (
                bootstrap_lambda(session, kept.shared(entrypoint)),
                BTreeMap::from([("bootstrap".to_string(), OutputFile::executable(bootstrap))]),
            )
        }
    };
    drop(lock);
    let _ = out_dir.keep();
    session.log.line(&super::summary(
        entrypoint,
        &lambda,
        &program,
        started,
        kept_as.is_some(),
    ));
    Ok(BuildOutput {
        lambda,
        files,
        include_files_base: session.entry.dir.clone(),
        routes: None,
        goroot: Default::default(),
    })
}

/// The Lambda of `bootstrap`; `shared`: its program serves several
/// functions, and the function's environment names the one it is.
fn bootstrap_lambda(session: &Session<'_>, shared: bool) -> LambdaOptions {
    let mut environment = BTreeMap::new();
    if shared {
        environment.insert(FUNCTION_ENV.to_string(), session.entry.rel.clone());
    }
    LambdaOptions {
        handler: "bootstrap".to_string(),
        runtime: "provided.al2023".to_string(),
        architecture: session.target.lambda_architecture().to_string(),
        runtime_language: "go".to_string(),
        supports_wrapper: Some(true),
        supports_response_streaming: None,
        environment,
    }
}

/// Why a handler is built for the executable runtime, for the build log.
fn streaming_note(session: &Session<'_>, handler: &compile::Handler) -> String {
    let why = match (
        &handler.analysis.streaming,
        session.options.supports_response_streaming,
    ) {
        (_, Some(true)) => "its function config sets supportsResponseStreaming".to_string(),
        (Some(found), _) => {
            let file = found
                .file
                .strip_prefix(&*session.work_path().to_string_lossy())
                .unwrap_or(&found.file)
                .trim_start_matches(['/', '\\']);
            format!("{file}:{} uses {}", found.line, found.what)
        }
        (None, _) => "it streams".to_string(),
    };
    format!(
        "{} streams its response ({why}): built for the executable runtime with response streaming",
        session.entry.rel
    )
}
