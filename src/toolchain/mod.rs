//! The Go toolchain a build uses.
//!
//! Knows nothing of Lambdas: it decides which Go version a project wants
//! ([`select`]), finds or downloads that SDK ([`resolve`]), says how to run
//! its `go` command ([`GoToolchain::command_env`], [`go_cache_env`]) and
//! which SDK to keep between builds ([`keep_sdk`]).
//!
//! Downloads come from `https://dl.google.com/go/` unless the environment
//! sets [`DOWNLOAD_BASE_URL_ENV`] (`GO_BUILDER_DOWNLOAD_BASE_URL`).

mod archive;
mod cache;
pub mod download;
pub mod fsutil;
mod go_env;
pub mod install;
mod lock;
pub mod platform;
mod resolve;
pub mod vercel_go;
pub mod version;

use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::error::{Error, Result};

pub use cache::{go_cache_env, keep_sdk, project_go_build_cache, project_go_module_cache};
pub use download::{DownloadOptions, Progress, DEFAULT_DOWNLOAD_BASE_URL, DOWNLOAD_BASE_URL_ENV};
pub use go_env::go_env_values;
pub use install::MARKER_FILE;
pub use platform::{ArchiveKind, Platform};
pub use resolve::{
    find_installed, global_cache_root, global_sdk_dir, local_cache_dir, resolve, ResolveRequest,
    Resolved, Source,
};
pub use version::{select, GoVersion, VersionRequest, Want};

/// A Go SDK on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoToolchain {
    /// The `go` binary.
    pub go: PathBuf,
    /// Its GOROOT.
    pub goroot: PathBuf,
    /// As `go version` prints it, e.g. `go1.26.8`.
    pub version: String,
}

impl GoToolchain {
    /// Describes the SDK whose root is `goroot`, reading its `VERSION` file
    /// (no process is spawned).
    pub fn from_goroot(goroot: &Path) -> Result<Self> {
        let version_file = goroot.join("VERSION");
        let text = std::fs::read_to_string(&version_file)
            .map_err(|e| Error::GoNotFound(format!("{}: {e}", version_file.display())))?;
        let version = text
            .lines()
            .next()
            .map(str::trim)
            .filter(|v| v.starts_with("go"))
            .ok_or_else(|| {
                Error::GoNotFound(format!("{} has no Go version", version_file.display()))
            })?
            .to_string();
        Ok(GoToolchain {
            go: goroot.join("bin").join(exe("go")),
            goroot: goroot.to_path_buf(),
            version,
        })
    }

    /// [`version`](Self::version) parsed (`go1.26.8` → 1.26.8).
    pub fn parsed_version(&self) -> Option<GoVersion> {
        GoVersion::parse_release(&self.version)
    }

    /// The environment every `go` command of a build runs with: this SDK
    /// first on PATH, its GOROOT, and no automatic toolchain switching.
    pub fn command_env(&self, base: &Env) -> Env {
        let mut env = base.clone();
        env.set("GOTOOLCHAIN", "local");
        env.set("GOROOT", self.goroot.to_string_lossy());
        env.prepend_path(self.goroot.join("bin"));
        env
    }
}

impl GoToolchain {
    /// [`GoToolchain::command_env`] for compiling to `target` (GOOS/GOARCH).
    pub fn target_env(&self, base: &Env, target: &crate::target::Target) -> Env {
        let mut env = self.command_env(base);
        env.set("GOOS", target.goos.clone());
        env.set("GOARCH", target.goarch.clone());
        env
    }
}

/// `name` with the platform's executable suffix.
pub fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

/// The `go` found on `PATH`, resolved through symlinks to its GOROOT.
pub fn find_on_path(env: &Env) -> Result<GoToolchain> {
    let go = exe("go");
    let found = env
        .path_dirs()
        .into_iter()
        .map(|dir| dir.join(&go))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            Error::GoNotFound(
                "no `go` binary on PATH. Install Go from https://go.dev/dl/ or add it to PATH."
                    .to_string(),
            )
        })?;
    let real = std::fs::canonicalize(&found).map_err(|e| Error::io_at("resolve", &found, e))?;
    let goroot = real
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| Error::GoNotFound(format!("{} is not inside a GOROOT", real.display())))?;
    GoToolchain::from_goroot(goroot)
}

/// The toolchain one build uses, and the environment its `go` commands run with.
#[derive(Debug, Clone)]
pub struct BuildToolchain {
    pub go: GoToolchain,
    /// The build's environment plus, when the project's deploy cache is in
    /// use, Go's caches inside it (see [`go_cache_env`]).
    pub env: Env,
    /// What was selected and why, for the build log.
    pub notes: Vec<String>,
}

/// The Go version a build of this module would use, as the user knows it
/// (`1.26.8`): the installed SDK it would pick, else the release it would
/// download. Nothing is downloaded.
pub fn version_for(
    go_mod: Option<&Path>,
    go_work: Option<&Path>,
    work_path: &Path,
    env: &Env,
) -> Result<String> {
    let read = |path: Option<&Path>| path.and_then(|p| std::fs::read_to_string(p).ok());
    let (mod_text, work_text) = (read(go_mod), read(go_work));
    let version = select(mod_text.as_deref(), work_text.as_deref(), env)?;
    let request = ResolveRequest::new(version.clone(), env, work_path, &|_: &str| {});
    Ok(match find_installed(&request) {
        Some(go) => go.version.trim_start_matches("go").to_string(),
        None => version.download_version().name(),
    })
}

/// Selects the Go version the project pins (its go.work, else go.mod) and
/// finds or downloads that SDK.
pub async fn for_build(
    go_mod: Option<&Path>,
    go_work: Option<&Path>,
    work_path: &Path,
    env: &Env,
    progress: Progress<'_>,
) -> Result<BuildToolchain> {
    let read = |path: Option<&Path>| path.and_then(|p| std::fs::read_to_string(p).ok());
    let (mod_text, work_text) = (read(go_mod), read(go_work));
    let version = select(mod_text.as_deref(), work_text.as_deref(), env)?;
    let resolved = resolve(&ResolveRequest::new(version, env, work_path, progress)).await?;
    let mut env = env.clone();
    for (key, value) in go_cache_env(work_path, &env) {
        env.set(key, value);
    }
    Ok(BuildToolchain {
        go: resolved.toolchain,
        env,
        notes: resolved.notes,
    })
}
