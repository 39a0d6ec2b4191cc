//! `startDevServer()`: compiles the handler (or standalone server) for this
//! machine, reusing the binary while its inputs are unchanged, starts it
//! and learns its port.

pub mod process;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::cache_dir;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::fs_lock;
use crate::git_credentials;
use crate::options::BuildOptions;
use crate::pipeline::{self, CompileSpec, Layout, Template};
use crate::scratch;
use crate::standalone::{self, ServerSpec};
use crate::target::Target;
use crate::toolchain::{self, GoToolchain};

use crate::fingerprint::{self, Fingerprint};
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
pub async fn start(options: &BuildOptions, sinks: OutputSinks) -> Result<DevServer> {
    match options.config().framework.as_deref() {
        Some("go") | Some("services") => start_standalone(options, sinks).await,
        _ => start_handler(options, sinks).await,
    }
}

struct DevContext<'a> {
    options: &'a BuildOptions,
    env: Env,
    go: GoToolchain,
    cache: PathBuf,
    repo_root: PathBuf,
    target: Target,
    /// Holds the scoped git credentials while the start runs.
    _scratch: tempfile::TempDir,
}

impl<'a> DevContext<'a> {
    /// Picks the toolchain for the module at `go_mod` / `go_work`.
    async fn new(
        options: &'a BuildOptions,
        go_mod: Option<&Path>,
        go_work: Option<&Path>,
    ) -> Result<DevContext<'a>> {
        let mut env = options.build_env();
        let scratch = scratch::create(&env)?;
        git_credentials::scope_to_build(&mut env, scratch.path())?;
        let toolchain = toolchain::for_build(
            go_mod,
            go_work,
            &options.work_path,
            &env,
            &toolchain::print_progress,
        )
        .await?;
        Ok(DevContext {
            options,
            cache: cache_dir::builder_cache_dir(&toolchain.env),
            repo_root: options.repo_root(),
            target: Target::host(),
            env: toolchain.env,
            go: toolchain.go,
            _scratch: scratch,
        })
    }

    /// The fingerprint of everything that can change a dev binary besides
    /// the source files: Go, target, flags and the build's environment.
    fn fingerprint(&self, kind: &str, entrypoint: &str) -> Fingerprint {
        let mut fp = Fingerprint::new();
        fp.value("builder", env!("CARGO_PKG_VERSION"))
            .value("kind", kind)
            .value("template", crate::assets::DEV_MAIN_TEMPLATE)
            .value("entrypoint", entrypoint)
            .value("go", &self.go.version)
            .value("goroot", &self.go.goroot.to_string_lossy())
            .value("goos", &self.target.goos)
            .value("goarch", &self.target.goarch);
        for key in fingerprint::BUILD_ENV_KEYS {
            fp.value(key, self.env.get(key).unwrap_or("\u{0}unset"));
        }
        fp
    }

    /// `<cache>/dev/<work path + entrypoint>/<fingerprint>/<name>`.
    fn binary_path(&self, entrypoint: &str, fingerprint: String, name: &str) -> PathBuf {
        let mut slot = Fingerprint::new();
        slot.value("workPath", &self.options.work_path.to_string_lossy())
            .value("entrypoint", entrypoint);
        self.cache
            .join("dev")
            .join(slot.finish())
            .join(fingerprint)
            .join(format!("{name}{}", self.target.exe_suffix()))
    }
}

async fn start_handler(options: &BuildOptions, sinks: OutputSinks) -> Result<DevServer> {
    let (entry, layout) = Layout::locate(
        &options.work_path,
        &options.repo_root(),
        &options.entrypoint,
        &options.build_env(),
    )?;
    let ctx = &DevContext::new(options, layout.go_mod(), layout.go_work()).await?;
    let mut fp = ctx.fingerprint("handler", &entry.rel);
    for root in layout.source_roots(&entry) {
        fp.tree(&root);
    }
    let binary = ctx.binary_path(&entry.rel, fp.finish(), "handler");
    let reused_build = ensure_binary(&binary, |output| async move {
        let scratch = scratch::create(&ctx.env)?;
        let spec = CompileSpec {
            work_path: &options.work_path,
            repo_root: &ctx.repo_root,
            entry: &entry,
            layout: &layout,
            template: Template::Dev,
            target: ctx.target.clone(),
            build_flags: pipeline::go_build_flags(&ctx.env, &[])?,
            env: &ctx.env,
            go: &ctx.go,
            cache_dir: &ctx.cache,
            scratch: scratch.path(),
            output: &output,
        };
        pipeline::compile(&spec).await
    })
    .await?;
    let port_dir = scratch::create(&ctx.env)?;
    let port_file = port_dir.path().join("port");
    let mut env = ctx.env.clone();
    env.set("VERCEL_DEV_PORT_FILE", port_file.to_string_lossy());
    let started = process::spawn(process::SpawnSpec {
        program: &binary,
        cwd: &options.work_path,
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

async fn start_standalone(options: &BuildOptions, sinks: OutputSinks) -> Result<DevServer> {
    let entrypoint = standalone::require_entrypoint(&options.work_path, Some(&options.entrypoint))?;
    let module = standalone::module_files(&options.work_path, &options.repo_root(), &entrypoint);
    let ctx =
        &DevContext::new(options, module.go_mod.as_deref(), module.go_work.as_deref()).await?;
    let mut fp = ctx.fingerprint("standalone", &entrypoint);
    match &module.go_mod {
        Some(go_mod) => {
            for root in pipeline::module_source_roots(go_mod, module.go_work.as_deref()) {
                fp.tree(&root);
            }
        }
        None => {
            fp.tree(&options.work_path);
        }
    }
    let binary = ctx.binary_path(&entrypoint, fp.finish(), "server");
    let reused_build = ensure_binary(&binary, |output| {
        let entrypoint = entrypoint.clone();
        async move {
            let spec = ServerSpec {
                work_path: &options.work_path,
                repo_root: &ctx.repo_root,
                entrypoint: &entrypoint,
                target: ctx.target.clone(),
                build_flags: pipeline::go_build_flags(&ctx.env, &[])?,
                env: &ctx.env,
                go: &ctx.go,
                output: &output,
            };
            standalone::compile_server(&spec).await
        }
    })
    .await?;
    let port = match options.meta.as_ref().and_then(|m| m.port) {
        Some(port) => process::ensure_port_free(port)?,
        None => process::free_port()?,
    };
    let mut env = ctx.env.clone();
    env.set("PORT", port.to_string());
    let started = process::spawn(process::SpawnSpec {
        program: &binary,
        cwd: &options.work_path,
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

/// Stops a standalone dev server and everything it started.
pub async fn shutdown(pid: u32) {
    process::stop_process_group(pid, Duration::from_secs(5)).await;
}
