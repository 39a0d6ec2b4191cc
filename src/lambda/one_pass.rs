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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::compile::{self, template::FUNCTION_ENV, Handler, Template};
use crate::entry;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::fs_lock::FileLock;
use crate::gomod::Layout;
use crate::sealed::Record;
use crate::session::Session;
use crate::target::Target;

use super::kept::{Kept, ToKeep};

/// `GO_BUILDER_ONE_PASS=0` (or `false`, `off`, `no`) builds each function
/// on its own.
pub const ONE_PASS_ENV: &str = "GO_BUILDER_ONE_PASS";
/// `GO_BUILDER_PARALLELISM=N`: how many packages Go builds at once
/// (default: the machine's cores).
pub const PARALLELISM_ENV: &str = "GO_BUILDER_PARALLELISM";

/// The streaming setting a candidate's function config gives (`None`: the
/// code decides).
fn streaming_of(session: &Session<'_>, entrypoint: &str) -> Option<bool> {
    if entrypoint == session.entry.rel {
        return session.options.supports_response_streaming;
    }
    session
        .options
        .candidates
        .iter()
        .find(|c| c.entrypoint.replace('\\', "/") == entrypoint)
        .and_then(|c| c.supports_response_streaming)
}

/// The directory of an entrypoint (relative, `/`-separated).
fn dir_of(entrypoint: &str) -> &str {
    entrypoint.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// What, besides the sources, decides the program of `entrypoint` (a
/// handler wrapped in the Lambda loop): whether passes are on, and the
/// functions of its directory for the same target with their streaming
/// settings — the functions that may share its program. All of it comes
/// from the commit and the settings, never from what a cache holds, so a
/// function's program is the same whatever was built before.
pub fn shape(session: &Session<'_>, entrypoint: &str) -> String {
    if !enabled(&session.env) || session.layout.go_mod().is_none() {
        return "alone".to_string();
    }
    let dir = dir_of(entrypoint);
    let mut functions: Vec<String> = session
        .options
        .candidates
        .iter()
        .filter(|c| Target::lambda(c.architecture.as_deref()) == session.target)
        .map(|c| c.entrypoint.replace('\\', "/"))
        .chain([session.entry.rel.clone(), entrypoint.to_string()])
        .filter(|rel| dir_of(rel) == dir)
        .map(|rel| format!("{rel}\u{0}{:?}", streaming_of(session, &rel)))
        .collect();
    functions.sort();
    functions.dedup();
    functions.join("\n")
}

/// The key of a (non-streaming) handler's program.
pub fn lambda_key(session: &Session<'_>, kept: &Kept, entrypoint: &str) -> String {
    let streaming = streaming_of(session, entrypoint);
    kept.key(
        entrypoint,
        Template::Lambda,
        streaming,
        &shape(session, entrypoint),
    )
}

/// The key of a handler's program wrapped in `template`.
pub fn key(session: &Session<'_>, kept: &Kept, entrypoint: &str, template: Template) -> String {
    match template {
        Template::Lambda => lambda_key(session, kept, entrypoint),
        Template::Http => kept.key(entrypoint, template, streaming_of(session, entrypoint), ""),
    }
}

/// Builds the session's handler (already analyzed: `handler`) wrapped in
/// the Lambda runtime loop into `kept`, with the other handlers of its
/// package (they share one program) and, when the pass is on, the other
/// packages' handlers that can join; returns the record of the session's
/// program. The caller holds the lock of the session's entrypoint.
pub async fn build(
    session: &Session<'_>,
    kept: &Kept,
    handler: Handler,
    flags: Vec<String>,
) -> Result<Record> {
    let requested = session.entry.rel.clone();
    if !enabled(&session.env)
        || session.layout.go_mod().is_none()
        || kept.failed(&requested, &lambda_key(session, kept, &requested))
    {
        return build_alone(session, kept, flags, Template::Lambda, Some(handler)).await;
    }
    let (mut members, locks) = gather(session, kept, &flags, handler).await?;
    if members.len() == 1 {
        return build_alone(session, kept, flags, Template::Lambda, members.pop()).await;
    }
    let started = Instant::now();
    let out = output_dir(session, "pass")?;
    let programs = compile::compile_handlers(
        session,
        Template::Lambda,
        flags.clone(),
        &members,
        &out,
        parallelism(&session.env),
    )
    .await?;
    // This build keeps the requested function and every member whose lock
    // it holds (the others are built into their package's program too, but
    // another build keeps them).
    let mut to_keep = Vec::new();
    for ((member, program), lock) in members.iter().zip(&programs).zip(&locks) {
        let rel = member.entry.rel.as_str();
        if lock.is_none() && rel != requested {
            continue;
        }
        let key = lambda_key(session, kept, rel);
        match program {
            Some(built) => to_keep.push(ToKeep {
                entrypoint: rel,
                built,
                key,
                template: Template::Lambda,
                environment: environment_of(built, rel),
            }),
            None => kept.record_failure(rel, &key),
        }
    }
    let records = kept.keep_all(&to_keep)?;
    let requested_record = to_keep
        .iter()
        .zip(records)
        .find(|(program, _)| program.entrypoint == requested)
        .map(|(_, record)| record);
    drop(locks);
    let built = programs.iter().filter(|p| p.is_some()).count();
    let count = distinct(&programs);
    session.log.line(&format!(
        "Built {built} of {} functions in one pass in {:.1} s, as {count} program{} (the functions of one package share one)",
        members.len(),
        started.elapsed().as_secs_f64(),
        if count == 1 { "" } else { "s" },
    ));
    if programs[0].is_none() {
        // Exactly what a lone build gives: its program, or its own error.
        let requested = members.into_iter().next();
        return build_alone(session, kept, flags, Template::Lambda, requested).await;
    }
    requested_record
        .ok_or_else(|| Error::Internal(format!("the program kept for {requested} has no record")))
}

/// The Lambda environment of a function served by `program`: a program
/// the pass built for one package's functions is told which one it is.
fn environment_of(program: &Path, entrypoint: &str) -> BTreeMap<String, String> {
    let shared = program.file_name().is_some_and(|n| {
        n.to_string_lossy()
            .starts_with(compile::template::SHARED_PREFIX)
    });
    let mut environment = BTreeMap::new();
    if shared {
        environment.insert(FUNCTION_ENV.to_string(), entrypoint.to_string());
    }
    environment
}

/// How many distinct programs serve the built functions.
fn distinct(programs: &[Option<PathBuf>]) -> usize {
    let mut seen: Vec<&PathBuf> = programs.iter().flatten().collect();
    seen.sort();
    seen.dedup();
    seen.len()
}

/// Builds the session's handler alone, wrapped in `template`, and keeps it
/// in `kept`; returns its record. `analyzed`: the handler, when it was
/// analyzed for `template` already (it is not analyzed again).
pub async fn build_alone(
    session: &Session<'_>,
    kept: &Kept,
    flags: Vec<String>,
    template: Template,
    analyzed: Option<Handler>,
) -> Result<Record> {
    let rel = &session.entry.rel;
    let program = output_dir(session, "alone")?.join(compile::template::main_name(rel));
    match analyzed {
        Some(handler) => {
            compile::compile_analyzed(session, template, flags, handler, &program).await?
        }
        None => compile::compile_handler(session, template, flags, &program).await?,
    }
    let key = key(session, kept, rel, template);
    kept.keep(rel, &program, &key, template, &BTreeMap::new())
}

/// A folder of the session's scratch for programs a build writes before
/// they are kept: never in a cache, so nothing there can be taken for them.
fn output_dir(session: &Session<'_>, name: &str) -> Result<PathBuf> {
    let dir = session.scratch().join(name);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io_at("create", &dir, e))?;
    Ok(dir)
}

/// The handlers of one pass, the session's first, each with the lock on its
/// kept program where this build holds one (`None` for the session's own,
/// which the caller holds, and for a function of its package another build
/// holds). The session's package comes whole: every handler of its
/// directory among the candidates (same target, same package, not
/// streaming), so its program is the same whoever builds it. Another
/// package joins whole, when none of its programs is kept for its key yet,
/// none failed in a pass, and this build can lock all of them.
async fn gather(
    session: &Session<'_>,
    kept: &Kept,
    flags: &[String],
    handler: Handler,
) -> Result<(Vec<Handler>, Vec<Option<FileLock>>)> {
    let work_path = session.work_path();
    let own_dir = dir_of(&session.entry.rel).to_string();
    let mut entries = Vec::new();
    for candidate in &session.options.candidates {
        let rel = candidate.entrypoint.replace('\\', "/");
        if rel == session.entry.rel
            || entries.iter().any(|e: &entry::Entry| e.rel == rel)
            || Target::lambda(candidate.architecture.as_deref()) != session.target
            || candidate.supports_response_streaming == Some(true)
        {
            continue;
        }
        let Ok(entry) = entry::locate(work_path, &rel) else {
            continue;
        };
        let same_module = Layout::detect(
            work_path,
            &session.repo_root,
            &entry.dir,
            work_path,
            &session.env,
        )
        .is_ok_and(|layout| layout == session.layout);
        if same_module {
            entries.push(entry);
        }
    }
    let package = handler.analysis.package_name.clone();
    let mut members = vec![handler];
    let mut locks: Vec<Option<FileLock>> = vec![None];
    if entries.is_empty() {
        return Ok((members, locks));
    }
    let analyzed = compile::analyze_handlers(session, Template::Lambda, flags, entries).await?;
    let mut groups: BTreeMap<String, Vec<Handler>> = BTreeMap::new();
    for handler in analyzed.into_iter().flatten() {
        let streams = handler.analysis.streaming.is_some()
            && streaming_of(session, &handler.entry.rel) != Some(false);
        if !streams {
            let dir = dir_of(&handler.entry.rel).to_string();
            groups.entry(dir).or_default().push(handler);
        }
    }
    for (dir, group) in groups {
        if dir == own_dir {
            // The session's package, whole; never another package of its
            // directory (one program per directory).
            for handler in group {
                if handler.analysis.package_name == package {
                    locks.push(kept.try_lock(&handler.entry.rel)?);
                    members.push(handler);
                }
            }
        } else if let Some(group_locks) = joinable(session, kept, &group)? {
            members.extend(group);
            locks.extend(group_locks.into_iter().map(Some));
        }
    }
    Ok((members, locks))
}

/// The locks of another directory's handlers when they can join the pass
/// together: one package, not all kept already, none failed, all free.
fn joinable(
    session: &Session<'_>,
    kept: &Kept,
    group: &[Handler],
) -> Result<Option<Vec<FileLock>>> {
    let one_package = group
        .iter()
        .all(|h| h.analysis.package_name == group[0].analysis.package_name);
    let keys: Vec<String> = group
        .iter()
        .map(|h| lambda_key(session, kept, &h.entry.rel))
        .collect();
    let all_kept = group
        .iter()
        .zip(&keys)
        .all(|(h, key)| kept.matches(&h.entry.rel, key));
    let any_failed = group
        .iter()
        .zip(&keys)
        .any(|(h, key)| kept.failed(&h.entry.rel, key));
    if !one_package || all_kept || any_failed {
        return Ok(None);
    }
    let mut locks = Vec::with_capacity(group.len());
    for handler in group {
        match kept.try_lock(&handler.entry.rel)? {
            Some(lock) => locks.push(lock),
            None => return Ok(None),
        }
    }
    Ok(Some(locks))
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
