//! `startDevServer()`: compiles the handler (or standalone server) for this
//! machine, reusing the binary while its inputs are unchanged, starts it
//! and learns its port.
//!
//! A standalone server runs behind the same proxy as in production
//! (`go/executable`, in its dev mode), so every request passes the same
//! rules (internal headers dropped, route prefix stripped, ping answered,
//! forwarded host). With rebuild on save, a change to the sources rebuilds
//! at once: a server is swapped by the proxy only once the new one listens
//! (the old one serves until then, and keeps serving when the build fails);
//! a handler's next start finds the new binary ready. A handler whose
//! sources do not compile answers 500 with the compiler's message. Under
//! the debugger ([`debug`]) a handler too runs behind the proxy, for as
//! long as the dev session.

pub mod debug;
pub mod process;
pub mod watch;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use tokio::io::AsyncWriteExt;

use crate::assets;
use crate::blocking::blocking;
use crate::cache_fs;
use crate::compile::{self, Template};
use crate::debugger;
use crate::embedded_program::{self, Program};
use crate::error::{Error, ErrorData, Result};
use crate::fingerprint::{self, Fingerprint};
use crate::fs_lock;
use crate::log::Log;
use crate::options::BuildOptions;
use crate::sealed::{self, Seals};
use crate::session::{Mode, Purpose, Session};
use crate::source_set::Scope;

pub use process::OutputSinks;

/// How long a started handler may take to report its port.
const HANDLER_START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a standalone server may take to accept connections.
const SERVER_START_TIMEOUT: Duration = Duration::from_secs(300);

/// The proxy in front of a standalone dev server (and the error page).
const PROXY: Program = Program {
    name: "executable",
    files: assets::EXECUTABLE_FILES,
};

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
    /// The debugger's port, when the program runs under it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug_port: Option<u16>,
    /// Why the debugger that was asked for does not run (the server runs
    /// without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug_error: Option<ErrorData>,
}

/// Starts a dev server for the options' entrypoint.
pub async fn start(options: &BuildOptions, sinks: OutputSinks, log: Log) -> Result<DevServer> {
    let meta = options.meta.as_ref();
    let debug = meta
        .and_then(|m| m.debug)
        .unwrap_or_else(|| debugger::requested(&options.build_env()));
    if debug {
        return debug::start(options, sinks, log).await;
    }
    let session = Session::open(options, Purpose::Dev, log).await?;
    start_session(&session, sinks).await
}

/// Starts the session's handler or server, as the session's purpose builds it.
async fn start_session(session: &Session<'_>, sinks: OutputSinks) -> Result<DevServer> {
    match session.mode {
        Mode::Handler => start_handler(session, sinks).await,
        Mode::Server => start_server(session, sinks).await,
    }
}

/// Whether the JS layer asked this start to rebuild on save.
fn watching(options: &BuildOptions) -> bool {
    options.meta.as_ref().and_then(|m| m.watch).unwrap_or(false)
}

/// `<slot>/<fingerprint>/<name>`: the fingerprint covers everything that
/// can change a dev binary — the sources, Go, the target, the flags and the
/// build's environment (and, for the debugger, where the sources are).
fn binary_path(session: &Session<'_>, name: &str) -> PathBuf {
    let mut fp = Fingerprint::new();
    fp.value("builder", env!("CARGO_PKG_VERSION"))
        .value("builder sources", env!("GO_BUILDER_SOURCE_DIGEST"))
        .value("kind", session.mode.name())
        .value("template", assets::HTTP_MAIN_TEMPLATE)
        .value("entrypoint", &session.entry.rel)
        .value("go", &session.go.version)
        .value("goroot", &session.go.goroot.to_string_lossy())
        .value("goos", &session.target.goos)
        .value("goarch", &session.target.goarch);
    if session.purpose == Purpose::Debug {
        // Without -trimpath the program names its files by their absolute
        // paths: another checkout of the same sources needs its own.
        fp.value("debug", &debugger::BUILD_FLAGS.join("\u{0}"));
        for root in session.source_roots() {
            fp.value("path", &root.to_string_lossy());
        }
    }
    for key in fingerprint::BUILD_ENV_KEYS {
        fp.value(key, session.env.get(key).unwrap_or("\u{0}unset"));
    }
    fp.value("sources", &session.source_set().digest());
    session
        .slot
        .join(fp.finish())
        .join(format!("{name}{}", session.target.exe_suffix()))
}

/// The session's program, compiled when its sources changed: its path and
/// whether an existing binary was reused.
async fn program(session: &Session<'_>) -> Result<(PathBuf, bool)> {
    let (name, mut flags) = (session.mode.name(), session.build_flags(&[])?);
    if session.purpose == Purpose::Debug {
        flags.extend(debugger::BUILD_FLAGS.iter().map(|f| f.to_string()));
    }
    session.slot_dir()?;
    let binary = blocking(|| binary_path(session, name));
    let seals = Seals::new(&session.env);
    let reused = ensure_binary(&binary, &seals, |output| async move {
        match session.mode {
            Mode::Handler => {
                compile::compile_handler(session, Template::Http, flags, &output).await
            }
            Mode::Server => compile::compile_server(session, flags, &output).await,
        }
    })
    .await?;
    Ok((binary, reused))
}

/// Whether `err` is the user's code not building (shown as the dev error
/// page), rather than a problem of the builder or the machine.
fn is_source_error(err: &Error) -> bool {
    matches!(
        err.code(),
        "GO_BUILD_FAILED"
            | "GO_PARSE_ERROR"
            | "GO_HANDLER_NOT_FOUND"
            | "GO_PACKAGE_MAIN_WITH_GO_MOD"
            | "GO_MOD_TIDY_FAILED"
            | "GO_MOD_INVALID"
            | "GO_ENTRYPOINT_IGNORED"
    )
}

async fn start_handler(session: &Session<'_>, sinks: OutputSinks) -> Result<DevServer> {
    if watching(session.options) {
        spawn_rebuilds(session, None);
    }
    let (binary, reused_build) = match program(session).await {
        Ok(found) => found,
        Err(err) if is_source_error(&err) => return error_page(session, sinks, &err).await,
        Err(err) => return Err(err),
    };
    let port_dir = session.new_scratch()?;
    let port_file = port_dir.path().join("port");
    let mut env = session.env.clone();
    env.set("VERCEL_DEV_PORT_FILE", port_file.to_string_lossy());
    // The generated main serves on $PORT when it is set: a PORT from the
    // user's shell must not stop it from choosing and reporting its own.
    env.remove("PORT");
    let started = process::spawn(process::SpawnSpec {
        program: &binary,
        cwd: session.work_path(),
        env: &env,
        sinks,
        port_pipe: true,
        own_process_group: false,
        control_stdin: false,
    })?;
    let (pid, port) =
        process::wait_for_reported_port(started, port_file, HANDLER_START_TIMEOUT, port_dir)
            .await?;
    Ok(DevServer {
        port,
        pid,
        persistent: false,
        reused_build,
        debug_port: None,
        debug_error: None,
    })
}

/// `text` in a scratch folder of its own, for the proxy's error mode
/// (`VERCEL_EXECUTABLE_ERROR_FILE`): the folder, which removes it when
/// dropped, and the file.
fn write_error_page(session: &Session<'_>, text: &str) -> Result<(tempfile::TempDir, PathBuf)> {
    let dir = session.new_scratch()?;
    let page = dir.path().join("error.txt");
    std::fs::write(&page, text).map_err(|e| Error::io_at("write", &page, e))?;
    Ok((dir, page))
}

/// Serves `err` (the compiler's message) as a 500 page for this request,
/// from the proxy's error mode, and prints it.
async fn error_page(session: &Session<'_>, sinks: OutputSinks, err: &Error) -> Result<DevServer> {
    session.log.line(&err.to_string());
    let proxy = embedded_program::ensure(&PROXY, &session.target, &session.helpers()).await?;
    let (page_dir, page) = write_error_page(session, &err.to_string())?;
    let port = process::free_port()?;
    let mut env = session.env.clone();
    env.remove("VERCEL_IPC_PATH");
    env.set("VERCEL_EXECUTABLE_ERROR_FILE", page.to_string_lossy());
    env.set("VERCEL_EXECUTABLE_PORT", port.to_string());
    let started = process::spawn(process::SpawnSpec {
        program: &proxy,
        cwd: session.work_path(),
        env: &env,
        sinks,
        port_pipe: false,
        own_process_group: false,
        control_stdin: false,
    })?;
    let (pid, port) =
        process::wait_for_listening(started, port, HANDLER_START_TIMEOUT, page_dir).await?;
    Ok(DevServer {
        port,
        pid,
        persistent: false,
        reused_build: true,
        debug_port: None,
        debug_error: None,
    })
}

async fn start_server(session: &Session<'_>, sinks: OutputSinks) -> Result<DevServer> {
    let (binary, reused_build) = program(session).await?;
    behind_proxy(
        session,
        sinks,
        Upstream::Program(&binary),
        None,
        reused_build,
    )
    .await
}

/// What the proxy of a persistent dev server starts with.
enum Upstream<'p> {
    /// This program.
    Program(&'p Path),
    /// None yet: every request is answered 500 with this text (the
    /// compiler's message) until a rebuild swaps a program in.
    ErrorPage(String),
}

/// Delve (its path) and the address it listens on.
type Debugged<'d> = (&'d Path, &'d str);

/// Starts the proxy in front of `upstream` (run under the debugger when
/// `debugged`), on `meta.port` or a free port; it lives until stopped or
/// this process ends, and rebuilds on save swap new programs in.
async fn behind_proxy(
    session: &Session<'_>,
    sinks: OutputSinks,
    upstream: Upstream<'_>,
    debugged: Option<Debugged<'_>>,
    reused_build: bool,
) -> Result<DevServer> {
    let proxy = embedded_program::ensure(&PROXY, &session.target, &session.helpers()).await?;
    let port = match session.options.meta.as_ref().and_then(|m| m.port) {
        Some(port) => process::ensure_port_free(port)?,
        None => process::free_port()?,
    };
    let mut env = session.env.clone();
    env.remove("VERCEL_IPC_PATH");
    env.set("VERCEL_EXECUTABLE_PORT", port.to_string());
    let page_dir = match upstream {
        Upstream::Program(binary) => {
            env.set("VERCEL_EXECUTABLE_USER_SERVER", binary.to_string_lossy());
            None
        }
        Upstream::ErrorPage(text) => {
            let (dir, page) = write_error_page(session, &text)?;
            env.set("VERCEL_EXECUTABLE_ERROR_FILE", page.to_string_lossy());
            Some(dir)
        }
    };
    if let Some((dlv, address)) = debugged {
        env.set("VERCEL_EXECUTABLE_DEBUGGER", dlv.to_string_lossy());
        env.set("VERCEL_EXECUTABLE_DEBUGGER_LISTEN", address);
    }
    env.set(
        "VERCEL_EXECUTABLE_READY_TIMEOUT",
        format!("{}s", SERVER_START_TIMEOUT.as_secs()),
    );
    env.set("VERCEL_EXECUTABLE_CONTROL", "stdin");
    let mut started = process::spawn(process::SpawnSpec {
        program: &proxy,
        cwd: session.work_path(),
        env: &env,
        sinks,
        port_pipe: false,
        own_process_group: true,
        control_stdin: true,
    })?;
    // The proxy's control pipe: swaps go down it, and its end (this
    // process gone) stops the proxy and its servers.
    let control = started.stdin.take();
    let (exited_tx, exited_rx) = tokio::sync::oneshot::channel::<()>();
    // Dropped when the proxy has exited: that ends what serves it.
    let (pid, port) =
        process::wait_for_listening(started, port, SERVER_START_TIMEOUT, (exited_tx, page_dir))
            .await?;
    if let Some(control) = control {
        if watching(session.options) {
            spawn_rebuilds(session, Some((control, exited_rx)));
        } else {
            // Held until the proxy exits, so it does not see the end of its
            // control channel while it serves.
            tokio::spawn(async move {
                let _ = exited_rx.await;
                drop(control);
            });
        }
    }
    Ok(DevServer {
        port,
        pid,
        persistent: true,
        reused_build,
        debug_port: None,
        debug_error: None,
    })
}

/// Rebuilds on save for the session's entrypoint: a handler's binary is
/// made ready for its next start; a server's new binary is handed to its
/// proxy (`control`), which swaps once it listens. Runs until the server
/// exits (a handler's watcher lives as long as this process).
fn spawn_rebuilds(
    session: &Session<'_>,
    control: Option<(
        tokio::process::ChildStdin,
        tokio::sync::oneshot::Receiver<()>,
    )>,
) {
    let (options, purpose) = (session.options.clone(), session.purpose);
    let log = session.log.clone();
    let roots = session.source_roots();
    // The session's own source set (found once per session) gives the first
    // scope; each rebuild's session gives the next.
    let scope = watch::SharedScope::default();
    scope.set(blocking(|| session.source_set().scope.clone()));
    let (mut control, exited) = match control {
        Some((stdin, exited)) => (Some(stdin), Some(exited)),
        None => (None, None),
    };
    tokio::spawn(async move {
        let Some(mut changes) = watch::Changes::start(&roots, scope.clone(), &log) else {
            return;
        };
        // Until the server exits; a handler's watcher, for good.
        let mut stop = Box::pin(async move {
            match exited {
                Some(exited) => {
                    let _ = exited.await;
                }
                None => std::future::pending().await,
            }
        });
        let mut last_error: Option<String> = None;
        loop {
            tokio::select! {
                _ = &mut stop => break,
                burst = changes.next() => if burst.is_none() { break },
            }
            let (rebuilt, sources) = rebuild(&options, purpose, &log).await;
            // The sources may name other files now (a new embed pattern).
            match sources {
                Some(sources) => scope.set(sources),
                None => blocking(|| scope.refresh(&roots)),
            }
            match rebuilt {
                Ok((binary, false)) => {
                    last_error = None;
                    if let Some(stdin) = control.as_mut() {
                        let line = format!("swap {}\n", binary.display());
                        let _ = stdin.write_all(line.as_bytes()).await;
                    }
                }
                Ok((_, true)) => {}
                Err(err) => {
                    // Printed once per distinct error, not on every save.
                    let text = err.to_string();
                    if last_error.as_deref() != Some(text.as_str()) {
                        log.line(&text);
                        last_error = Some(text);
                    }
                }
            }
        }
    });
}

/// One rebuild of the program the options describe (a fresh session: the
/// sources, go.mod or toolchain may have changed), and the scope of that
/// session's sources (none when no session opened).
async fn rebuild(
    options: &BuildOptions,
    purpose: Purpose,
    log: &Log,
) -> (Result<(PathBuf, bool)>, Option<Scope>) {
    let session = match Session::open(options, purpose, log.clone()).await {
        Ok(session) => session,
        Err(err) => return (Err(err), None),
    };
    let built = program(&session).await;
    let scope = blocking(|| session.source_set().scope.clone());
    (built, Some(scope))
}

/// Makes sure `binary` exists, compiling it with `compile(temp_output)` if
/// not. Concurrent starts with the same inputs compile once: the others wait
/// on a lock and then find the binary. Older binaries of the same slot are
/// removed. Returns whether an existing binary was reused. A binary is
/// reused only when it is the one a build sealed there (size and digest,
/// and the signature when a signing key is set); anything else is replaced.
async fn ensure_binary<F, Fut>(binary: &Path, seals: &Seals, compile: F) -> Result<bool>
where
    F: FnOnce(PathBuf) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let sealed_here = || seals.holds(binary, DEV_KEY);
    if blocking(sealed_here) {
        return Ok(true);
    }
    let dir = binary.parent().unwrap_or(Path::new("."));
    let slot = dir.parent().unwrap_or(dir);
    let _lock = fs_lock::lock(&slot.join(".lock"), || {}).await?;
    if blocking(sealed_here) {
        return Ok(true);
    }
    let name = dir.file_name().unwrap_or_default().to_string_lossy();
    let dir = cache_fs::real_dir(slot, &[&name])?;
    sealed::discard(binary);
    let partial = dir.join(".partial");
    compile(partial.clone()).await?;
    std::fs::rename(&partial, binary).map_err(|e| Error::io_at("install", binary, e))?;
    seals.seal(binary, DEV_KEY, Default::default())?;
    remove_stale_builds(slot, &dir);
    Ok(false)
}

/// The key a dev binary is sealed under (its folder is its fingerprint).
const DEV_KEY: &str = "dev";

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
