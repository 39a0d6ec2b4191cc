//! `build()`: turns an entrypoint into a Lambda description — the handler
//! wrapped in the Lambda runtime loop, or a standalone server behind the
//! platform proxy. The JS layer turns the description into
//! `@vercel/build-utils` objects.

mod build_command;
mod handler;
pub mod kept;
pub mod one_pass;
mod remote;
mod sbom;
pub mod standalone;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::env::Env;
use crate::error::{Error, Result};
use crate::fs_lock::{self, FileLock};
use crate::log::Log;
use crate::options::BuildOptions;
use crate::routes::Route;
use crate::sealed::{self, Seals};
use crate::session::{Mode, Purpose, Session};
use crate::vulncheck;

/// A file of the Lambda, on disk.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputFile {
    pub fs_path: PathBuf,
    pub mode: u32,
    /// The SHA-256 the file was verified against on its way here (a
    /// program from a sealed record), so that nothing hashes it again.
    #[serde(skip)]
    pub sha256: Option<String>,
}

impl OutputFile {
    pub fn executable(fs_path: PathBuf) -> Self {
        OutputFile {
            fs_path,
            mode: 0o755,
            sha256: None,
        }
    }

    /// An executable whose bytes were verified to have `sha256`.
    pub fn verified(fs_path: PathBuf, sha256: String) -> Self {
        OutputFile {
            sha256: Some(sha256),
            ..OutputFile::executable(fs_path)
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
    /// Routes the build result carries (standalone servers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routes: Option<Vec<Route>>,
    /// The GOROOT of the Go the build used (what a pre-deploy command
    /// gets on PATH).
    pub goroot: PathBuf,
    /// What `diagnostics()` returns for this build besides the package
    /// manifest, by name: the function's SBOM.
    pub diagnostics: BTreeMap<String, String>,
}

/// Builds the options' entrypoint as its mode says, logging to `log`.
pub async fn build(options: &BuildOptions, log: Log) -> Result<BuildOutput> {
    let session = Session::open(options, Purpose::Lambda, log).await?;
    let scan = vulncheck::Mode::from_env(&session.env)?;
    let built = match session.mode {
        Mode::Handler => handler::build(&session).await,
        Mode::Server => standalone::build(&session).await,
    };
    if let Some(remote) = &session.remote {
        remote.report(&session.log);
    }
    let mut output = built?;
    output.goroot = session.go.goroot.clone();
    match sbom::diagnostics(&session, scan, &output).await {
        Ok(diagnostics) => output.diagnostics = diagnostics,
        Err(err) => {
            discard(&output);
            return Err(err);
        }
    }
    Ok(output)
}

/// Removes the Lambda's folder of a build that fails after assembling it.
fn discard(output: &BuildOutput) {
    let ours = |dir: &&Path| {
        dir.file_name().is_some_and(|n| {
            n.to_string_lossy()
                .starts_with(crate::scratch::OUTPUT_PREFIX)
        })
    };
    let dirs = output.files.values().filter_map(|f| f.fs_path.parent());
    for dir in dirs.filter(ours) {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// A fresh directory for the Lambda's files. Removed when dropped; a
/// successful build `keep()`s it, since the CLI reads the files afterwards
/// (like the reference builder's output).
fn output_dir(env: &Env) -> Result<tempfile::TempDir> {
    crate::scratch::create_output(env)
}

/// Where `go build` writes `name` in the session's slot, locked for this
/// build: a stable path, so an unchanged program is found up to date and
/// not linked again (the link is most of a warm build). Go's up-to-date
/// check trusts the file it finds there, so it finds only what a build
/// sealed there ([`sealed`]): anything else — a symlink, a foreign or
/// corrupt program, one whose record is missing or (with a signing key)
/// not signed — is removed first and Go links anew.
async fn stable_output(session: &Session<'_>, name: &str) -> Result<(PathBuf, FileLock)> {
    let slot = session.slot_dir()?;
    let lock = fs_lock::lock(&slot.join(format!("{name}.lock")), || {}).await?;
    let output = slot.join(name);
    if !Seals::new(&session.env).holds(&output, SLOT_KEY) {
        sealed::discard(&output);
    }
    Ok((output, lock))
}

/// The key a slot's program is sealed under: the slot's name already says
/// which program it is; the seal says the builder wrote it.
const SLOT_KEY: &str = "slot";

/// Seals the program a build just wrote at `stable` and copies it to
/// `dest` (checked on the way); returns its SHA-256.
fn seal_and_copy(session: &Session<'_>, stable: &Path, dest: &Path) -> Result<String> {
    let seals = Seals::new(&session.env);
    let record = seals.seal(stable, SLOT_KEY, Default::default())?;
    match seals.copy_verified(stable, &record, dest)? {
        true => Ok(record.sha256),
        false => Err(Error::Internal(format!(
            "{} changed while it was copied",
            stable.display()
        ))),
    }
}

/// The function's line in the build log: what, for which runtime, how big,
/// how long, and whether Go ran for it.
fn summary(
    entrypoint: &str,
    lambda: &LambdaOptions,
    program: &Path,
    started: std::time::Instant,
    reused: bool,
) -> String {
    let size = std::fs::metadata(program).map(|m| m.len()).unwrap_or(0);
    format!(
        "{entrypoint}: {} {}, {:.1} MB, {} in {:.2} s",
        lambda.runtime,
        lambda.architecture,
        size as f64 / 1e6,
        if reused {
            "reused (sources unchanged)"
        } else {
            "built"
        },
        started.elapsed().as_secs_f64()
    )
}
