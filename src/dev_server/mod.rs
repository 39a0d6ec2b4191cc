//! `startDevServer()`: compiles the handler (or standalone server) for this
//! machine, reusing the binary while its inputs are unchanged, starts it
//! and learns its port.

pub mod process;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::blocking::blocking;
use crate::compile::{self, Template};
use crate::error::{Error, Result};
use crate::fingerprint::{self, Fingerprint};
use crate::fs_lock;
use crate::log::Log;
use crate::options::BuildOptions;
use crate::session::{Mode, Purpose, Session};

pub use process::OutputSinks;

/// How long a started handler may take to report its port.
const HANDLER_START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a standalone server may take to accept connections.
const SERVER_START_TIMEOUT: Duration = Duration::from_secs(300);

/// A running dev server.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DevServer {
    pub port: u16,
    pub pid: u32,
    /// Standalone servers live across requests; handlers are killed after each.
    pub persistent: bool,
    /// The compiled binary was reused: no `go build`, no analyzer run.
    pub reused_build: bool,
}

/// Starts a dev server for the options' entrypoint.
pub async fn start(options: &BuildOptions, sinks: OutputSinks, log: Log) -> Result<DevServer> {
    let session = Session::open(options, Purpose::Dev, log).await?;
    match session.mode {
        Mode::Handler => start_handler(&session, sinks).await,
        Mode::Server => start_server(&session, sinks).await,
    }
}

/// `<slot>/<fingerprint>/<name>`: the fingerprint covers everything that
/// can change a dev binary — the sources, Go, the target, the flags and the
/// build's environment.
fn binary_path(session: &Session<'_>, name: &str) -> PathBuf {
    let mut fp = Fingerprint::new();
    fp.value("builder", env!("CARGO_PKG_VERSION"))
        .value("kind", session.mode.name())
        .value("template", crate::assets::DEV_MAIN_TEMPLATE)
        .value("entrypoint", &session.entry.rel)
        .value("go", &session.go.version)
        .value("goroot", &session.go.goroot.to_string_lossy())
        .value("goos", &session.target.goos)
        .value("goarch", &session.target.goarch);
    for key in fingerprint::BUILD_ENV_KEYS {
        fp.value(key, session.env.get(key).unwrap_or("\u{0}unset"));
    }
    for root in session.source_roots() {
        fp.tree(&root);
    }
    session
        .slot
        .join(fp.finish())
        .join(format!("{name}{}", session.target.exe_suffix()))
}

async fn start_handler(session: &Session<'_>, sinks: OutputSinks) -> Result<DevServer> {
    let binary = blocking(|| binary_path(session, "handler"));
    let reused_build = ensure_binary(&binary, |output| async move {
        let flags = session.build_flags(&[])?;
        compile::compile_handler(session, Template::Dev, flags, &output).await
    })
    .await?;
    let port_dir = session.new_scratch()?;
    let port_file = port_dir.path().join("port");
    let mut env = session.env.clone();
    env.set("VERCEL_DEV_PORT_FILE", port_file.to_string_lossy());
    let started = process::spawn(process::SpawnSpec {
        program: &binary,
        cwd: session.work_path(),
        env: &env,
        sinks,
        port_pipe: true,
        own_process_group: false,
    })?;
    let (pid, port) =
        process::wait_for_reported_port(started, port_file, HANDLER_START_TIMEOUT, port_dir)
            .await?;
    Ok(DevServer {
        port,
        pid,
        persistent: false,
        reused_build,
    })
}

async fn start_server(session: &Session<'_>, sinks: OutputSinks) -> Result<DevServer> {
    let binary = blocking(|| binary_path(session, "server"));
    let reused_build = ensure_binary(&binary, |output| async move {
        let flags = session.build_flags(&[])?;
        compile::compile_server(session, flags, &output).await
    })
    .await?;
    let port = match session.options.meta.as_ref().and_then(|m| m.port) {
        Some(port) => process::ensure_port_free(port)?,
        None => process::free_port()?,
    };
    let mut env = session.env.clone();
    env.set("PORT", port.to_string());
    let started = process::spawn(process::SpawnSpec {
        program: &binary,
        cwd: session.work_path(),
        env: &env,
        sinks,
        port_pipe: false,
        own_process_group: true,
    })?;
    let (pid, port) = process::wait_for_listening(started, port, SERVER_START_TIMEOUT, ()).await?;
    Ok(DevServer {
        port,
        pid,
        persistent: true,
        reused_build,
    })
}

/// Makes sure `binary` exists, compiling it with `compile(temp_output)` if
/// not. Concurrent starts with the same inputs compile once: the others wait
/// on a lock and then find the binary. Older binaries of the same slot are
/// removed. Returns whether an existing binary was reused.
async fn ensure_binary<F, Fut>(binary: &Path, compile: F) -> Result<bool>
where
    F: FnOnce(PathBuf) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    if binary.is_file() {
        return Ok(true);
    }
    let dir = binary.parent().unwrap_or(Path::new("."));
    let slot = dir.parent().unwrap_or(dir);
    let _lock = fs_lock::lock(&slot.join(".lock"), || {}).await?;
    if binary.is_file() {
        return Ok(true);
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io_at("create", dir, e))?;
    let partial = dir.join(".partial");
    compile(partial.clone()).await?;
    std::fs::rename(&partial, binary).map_err(|e| Error::io_at("install", binary, e))?;
    remove_stale_builds(slot, dir);
    Ok(false)
}

/// Deletes other fingerprints' binaries of the same entrypoint.
fn remove_stale_builds(slot: &Path, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(slot) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path != keep && path.is_dir() {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// Stops a standalone dev server and everything it started. Only a group
/// this addon started is ever signalled; any other pid is ignored.
pub async fn shutdown(pid: u32) -> bool {
    if !process::started_groups::owns(pid) {
        return false;
    }
    process::stop_process_group(pid, Duration::from_secs(5)).await;
    process::started_groups::remove(pid);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shutdown_refuses_what_it_did_not_start() {
        for pid in [0, 1, u32::MAX, std::process::id()] {
            assert!(!shutdown(pid).await, "{pid}");
        }
    }
}
