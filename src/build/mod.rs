//! `build()`: turns an entrypoint into a Lambda description. The JS layer
//! turns the description into `@vercel/build-utils` objects.

mod handler;
mod standalone;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::env::Env;
use crate::error::{Error, Result};
use crate::fingerprint::Fingerprint;
use crate::fs_lock::{self, FileLock};
use crate::options::BuildOptions;
use crate::target::Target;

pub use handler::build_handler;
pub use standalone::build_standalone;

/// Flags used when `GO_BUILD_FLAGS` is not set: strip symbols and DWARF.
pub const DEFAULT_BUILD_FLAGS: &[&str] = &["-ldflags", "-s -w"];

/// A file of the Lambda, on disk.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputFile {
    pub fs_path: PathBuf,
    pub mode: u32,
}

impl OutputFile {
    pub fn executable(fs_path: PathBuf) -> Self {
        OutputFile {
            fs_path,
            mode: 0o755,
        }
    }
}

/// The Lambda's own options (the `Lambda` constructor's arguments besides files).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LambdaOptions {
    pub handler: String,
    pub runtime: String,
    pub architecture: String,
    pub runtime_language: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_wrapper: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_response_streaming: Option<bool>,
    pub environment: BTreeMap<String, String>,
}

/// What `build()` produced.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildOutput {
    pub lambda: LambdaOptions,
    pub files: BTreeMap<String, OutputFile>,
    /// Directory `config.includeFiles` globs are relative to.
    pub include_files_base: PathBuf,
    /// Things the user should know (printed by the JS layer).
    pub notes: Vec<String>,
    /// Routes the build result carries (standalone servers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routes: Option<Vec<crate::routes::Route>>,
}

/// Builds according to the options: a standalone server for `framework`
/// `go`/`services`, else a handler.
pub async fn build(options: &BuildOptions) -> Result<BuildOutput> {
    match options.config().framework.as_deref() {
        Some("go") | Some("services") => build_standalone(options).await,
        _ => build_handler(options).await,
    }
}

/// A fresh directory for the Lambda's files. Removed when dropped; a
/// successful build `keep()`s it, since the CLI reads the files afterwards
/// (like the reference builder's output).
fn output_dir(env: &Env) -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("go-builder-out-")
        .tempdir_in(env.temp_dir())
        .map_err(|e| Error::io("create the output directory", e))
}

/// Where `go build` writes `name` for this work path, entrypoint and target,
/// locked for this build: a stable path, so an unchanged program is found up
/// to date and not linked again (the link is most of a warm build). The
/// Lambda gets a copy; Go's own up-to-date check decides what is rebuilt.
async fn stable_output(
    cache: &Path,
    options: &BuildOptions,
    entrypoint: &str,
    target: &Target,
    name: &str,
) -> Result<(PathBuf, FileLock)> {
    let mut slot = Fingerprint::new();
    slot.value("workPath", &options.work_path.to_string_lossy())
        .value("entrypoint", entrypoint)
        .value("goos", &target.goos)
        .value("goarch", &target.goarch);
    let dir = cache.join("lambda").join(slot.finish());
    let lock = fs_lock::lock(&dir.join(format!("{name}.lock")), || {}).await?;
    Ok((dir.join(name), lock))
}

/// Copies the stable build output into the Lambda's directory.
fn copy_output(stable: &Path, dest: &Path) -> Result<()> {
    std::fs::copy(stable, dest)
        .map(|_| ())
        .map_err(|e| Error::io_at("copy", stable, e))
}
