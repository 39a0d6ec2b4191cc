//! The Lambda of a handler. A handler that does not stream its response is
//! `bootstrap`, the handler wrapped in the AWS Lambda runtime loop
//! (go-bridge), for the `provided` runtime. One that streams (its package,
//! or a package of its module it imports, uses `http.Flusher`,
//! `http.ResponseController` or writes `text/event-stream`, as the analyzer
//! finds; or its function config says `supportsResponseStreaming`) is a
//! net/http server of the handler behind the platform proxy, for the
//! `executable` runtime with response streaming.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use crate::blocking::blocking;
use crate::compile::{self, Template};
use crate::error::{Error, Result};
use crate::go_build::RELEASE_FLAGS;
use crate::session::Session;

use super::kept::{Kept, KeptProgram};
use super::{one_pass, standalone, BuildOutput, LambdaOptions, OutputFile};

pub async fn build(session: &Session<'_>) -> Result<BuildOutput> {
    let started = Instant::now();
    // Removed on every error path; kept only once the build succeeded.
    let out_dir = super::output_dir(&session.env)?;
    let flags = session.build_flags(RELEASE_FLAGS)?;
    // Hashing the module's sources is file work: off the async workers.
    let kept = blocking(|| Kept::new(session, &flags))?;
    let entrypoint = &session.entry.rel;
    let lock = kept.lock(entrypoint).await?;
    let mut found = blocking(|| reuse(session, &kept, out_dir.path()))?;
    let from_remote = found.is_none() && super::remote::fetch(session, &kept).await;
    if from_remote {
        found = blocking(|| reuse(session, &kept, out_dir.path()))?;
    }
    let (program, reused) = match found {
        Some(program) => (program, true),
        None => (
            build_new(session, &kept, flags, out_dir.path()).await?,
            false,
        ),
    };
    if !from_remote {
        super::remote::share(session, &kept, !reused).await;
    }
    drop(lock);
    let file = out_dir.path().join(file_name(program.template));
    let verified = OutputFile::verified(file.clone(), program.sha256);
    let (lambda, files) = match program.template {
        Template::Http => {
            let (lambda, mut files) =
                standalone::executable_lambda(session, out_dir.path(), file.clone()).await?;
            files.insert("user-server".to_string(), verified);
            (lambda, files)
        }
        Template::Lambda => (
            bootstrap_lambda(session, program.environment),
            BTreeMap::from([("bootstrap".to_string(), verified)]),
        ),
    };
    let _ = out_dir.keep();
    session
        .log
        .line(&super::summary(entrypoint, &lambda, &file, started, reused));
    Ok(BuildOutput {
        lambda,
        files,
        include_files_base: session.entry.dir.clone(),
        routes: None,
        goroot: Default::default(),
        diagnostics: Default::default(),
    })
}

/// The name of the program's file in the Lambda.
fn file_name(template: Template) -> &'static str {
    match template {
        Template::Lambda => "bootstrap",
        Template::Http => "user-server",
    }
}

/// The kept program of the session's entrypoint, copied into `out_dir`,
/// when one was built from the same key (the sources decide the template:
/// unchanged sources, the same one) and it passes verification. One that
/// fails is discarded and said so; the function is then built.
fn reuse(session: &Session<'_>, kept: &Kept, out_dir: &Path) -> Result<Option<KeptProgram>> {
    let entrypoint = &session.entry.rel;
    for template in [Template::Lambda, Template::Http] {
        let key = one_pass::key(session, kept, entrypoint, template);
        let Some(record) = kept.find(entrypoint, &key) else {
            continue;
        };
        let dest = out_dir.join(file_name(template));
        match kept.take(entrypoint, &record, &dest)? {
            Some(program) if program.template == template => return Ok(Some(program)),
            Some(_) => kept.forget(entrypoint),
            None => {}
        }
        session.log.line(&format!(
            "{entrypoint}: cached program failed verification; rebuilding"
        ));
        return Ok(None);
    }
    Ok(None)
}

/// Builds the session's handler (its sources decide the template), keeps
/// it and copies it into `out_dir`.
async fn build_new(
    session: &Session<'_>,
    kept: &Kept,
    flags: Vec<String>,
    out_dir: &Path,
) -> Result<KeptProgram> {
    let entrypoint = &session.entry.rel;
    kept.forget(entrypoint);
    let handler =
        compile::analyze_handler(session, Template::Lambda, &flags, session.entry.clone()).await?;
    let streams = session
        .options
        .supports_response_streaming
        .unwrap_or(handler.analysis.streaming.is_some());
    let record = if streams {
        session.log.line(&streaming_note(session, &handler));
        one_pass::build_alone(session, kept, flags, Template::Http, None).await?
    } else {
        one_pass::build(session, kept, handler, flags).await?
    };
    let template = if streams {
        Template::Http
    } else {
        Template::Lambda
    };
    let dest = out_dir.join(file_name(template));
    blocking(|| kept.take(entrypoint, &record, &dest))?.ok_or_else(|| {
        Error::Internal(format!(
            "the program just built for {entrypoint} failed verification"
        ))
    })
}

/// The Lambda of `bootstrap`, with the environment its program needs (a
/// shared program is told which function it is).
fn bootstrap_lambda(session: &Session<'_>, environment: BTreeMap<String, String>) -> LambdaOptions {
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
