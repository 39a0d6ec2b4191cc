//! Building a project's handlers in one pass: the first `build()` of a
//! module also builds, in the same `go build`, the project's other handler
//! entrypoints (those the CLI would route, from `files`) that share its
//! module and target. Go compiles every shared package once and links the
//! programs in parallel; each program is kept under its content key
//! ([`super::kept`]), so the CLI's later `build()` calls find them.
//!
//! The functions of one package (directory) share one program: a main
//! that serves each of their handlers, picked by the function's
//! environment ([`FUNCTION_ENV`](crate::compile::template::FUNCTION_ENV)).
//! Go links it once instead of once per function. Their package, and
//! everything it imports, is in every one of their programs anyway.
//!
//! A sibling never changes the requested function's outcome: when the pass
//! does not build the requested one, it is built again on its own, so its
//! error is exactly a lone build's. A sibling that fails is not kept; its
//! own `build()` reports its error.

use std::path::PathBuf;
use std::time::Instant;

use crate::compile::{self, Handler, Template};
use crate::entry;
use crate::env::Env;
use crate::error::Result;
use crate::fs_lock::FileLock;
use crate::gomod::Layout;
use crate::session::Session;
use crate::target::Target;

use super::kept::Kept;

/// `GO_BUILDER_ONE_PASS=0` (or `false`, `off`, `no`) builds each function
/// on its own.
pub const ONE_PASS_ENV: &str = "GO_BUILDER_ONE_PASS";
/// `GO_BUILDER_PARALLELISM=N`: how many packages Go builds at once
/// (default: the machine's cores).
pub const PARALLELISM_ENV: &str = "GO_BUILDER_PARALLELISM";

/// The streaming setting a candidate's function config gives (`None`: the
/// code decides).
fn streaming_of(session: &Session<'_>, entrypoint: &str) -> Option<bool> {
    session
        .options
        .candidates
        .iter()
        .find(|c| c.entrypoint == entrypoint)
        .and_then(|c| c.supports_response_streaming)
}

/// The key of a (non-streaming) handler's program in a pass.
fn lambda_key(session: &Session<'_>, kept: &Kept, entrypoint: &str) -> String {
    let streaming = if entrypoint == session.entry.rel {
        session.options.supports_response_streaming
    } else {
        streaming_of(session, entrypoint)
    };
    kept.key(entrypoint, Template::Lambda, streaming)
}

/// Builds the session's handler (already analyzed: `handler`) wrapped in
/// the Lambda runtime loop into `kept`, with its siblings when the pass is
/// on, recording the key of every program built.
pub async fn build(
    session: &Session<'_>,
    kept: &Kept,
    handler: Handler,
    flags: Vec<String>,
) -> Result<()> {
    let requested = &session.entry.rel;
    if !enabled(&session.env)
        || session.layout.go_mod().is_none()
        || kept.failed(requested, &lambda_key(session, kept, requested))
    {
        return build_alone(session, kept, flags, Template::Lambda).await;
    }
    let mut members = vec![handler];
    let locks = join_siblings(session, kept, &flags, &mut members).await?;
    if members.len() == 1 {
        return build_alone(session, kept, flags, Template::Lambda).await;
    }
    let started = Instant::now();
    let programs = compile::compile_handlers(
        session,
        Template::Lambda,
        flags.clone(),
        &members,
        &kept.dir,
        parallelism(&session.env),
    )
    .await?;
    let mut shared = Vec::new();
    for (member, program) in members.iter().zip(&programs) {
        let rel = &member.entry.rel;
        let key = lambda_key(session, kept, rel);
        match program {
            Some(program) => {
                let serves_several = *program != kept.program(rel);
                kept.adopt(rel, program)?;
                kept.record(rel, &key, serves_several)?;
                if serves_several {
                    shared.push(program);
                }
            }
            None => kept.record_failure(rel, &key),
        }
    }
    // Each function keeps its own link to a shared program.
    for program in shared {
        let _ = std::fs::remove_file(program);
    }
    drop(locks);
    let built = programs.iter().filter(|p| p.is_some()).count();
    let count = distinct(&programs);
    session.log.line(&format!(
        "Built {built} of {} functions in one pass in {:.1} s, as {count} program{} (the functions of one package share one)",
        members.len(),
        started.elapsed().as_secs_f64(),
        if count == 1 { "" } else { "s" },
    ));
    if programs[0].is_some() {
        return Ok(());
    }
    // Exactly what a lone build gives: its program, or its own error.
    build_alone(session, kept, flags, Template::Lambda).await
}

/// How many distinct programs serve the built functions.
fn distinct(programs: &[Option<PathBuf>]) -> usize {
    let mut seen: Vec<&PathBuf> = programs.iter().flatten().collect();
    seen.sort();
    seen.dedup();
    seen.len()
}

/// Builds the session's handler alone, wrapped in `template`, into `kept`.
pub async fn build_alone(
    session: &Session<'_>,
    kept: &Kept,
    flags: Vec<String>,
    template: Template,
) -> Result<()> {
    let program = kept.program(&session.entry.rel);
    compile::compile_handler(session, template, flags, &program).await?;
    let streaming = session.options.supports_response_streaming;
    let key = kept.key(&session.entry.rel, template, streaming);
    kept.record(&session.entry.rel, &key, false)
}

/// Adds to `members` (the requested handler first) the siblings that can
/// join this pass, each analyzed (all in one run of the analyzer) and
/// locked (the locks are returned): same module and target as the session,
/// not kept already, not being built by anyone else, holding a handler, and
/// never two packages in one directory.
async fn join_siblings(
    session: &Session<'_>,
    kept: &Kept,
    flags: &[String],
    members: &mut Vec<Handler>,
) -> Result<Vec<FileLock>> {
    let work_path = session.work_path();
    let mut entries = Vec::new();
    let mut locks = Vec::new();
    for candidate in &session.options.candidates {
        let rel = candidate.entrypoint.replace('\\', "/");
        if rel == session.entry.rel
            || Target::lambda(candidate.architecture.as_deref()) != session.target
        {
            continue;
        }
        let Ok(entry) = entry::locate(work_path, &rel) else {
            continue;
        };
        let Ok(layout) = Layout::detect(
            work_path,
            &session.repo_root,
            &entry.dir,
            work_path,
            &session.env,
        ) else {
            continue;
        };
        let key = lambda_key(session, kept, &rel);
        // A function that asks to stream is built on its own, for the
        // executable runtime.
        if candidate.supports_response_streaming == Some(true)
            || layout != session.layout
            || kept.matches(&rel, &key)
            || kept.failed(&rel, &key)
        {
            continue;
        }
        let Some(lock) = kept.try_lock(&rel)? else {
            continue;
        };
        entries.push(entry);
        locks.push(Some(lock));
    }
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let analyzed = compile::analyze_handlers(session, Template::Lambda, flags, entries).await?;
    for (handler, lock) in analyzed.into_iter().zip(locks.iter_mut()) {
        let Ok(handler) = handler else {
            *lock = None;
            continue;
        };
        let shares_a_directory_with_another_package = members.iter().any(|m| {
            m.entry.dir == handler.entry.dir
                && m.analysis.package_name != handler.analysis.package_name
        });
        let streams = handler.analysis.streaming.is_some()
            && streaming_of(session, &handler.entry.rel) != Some(false);
        if shares_a_directory_with_another_package || streams {
            *lock = None;
            continue;
        }
        kept.forget(&handler.entry.rel);
        members.push(handler);
    }
    Ok(locks.into_iter().flatten().collect())
}

fn enabled(env: &Env) -> bool {
    !matches!(
        env.get(ONE_PASS_ENV)
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref(),
        Some("0" | "false" | "off" | "no")
    )
}

fn parallelism(env: &Env) -> Option<usize> {
    env.get(PARALLELISM_ENV)
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n > 0)
}
