//! The builder's own Go programs (the analyzer, the standalone proxy).
//!
//! Released packages ship them prebuilt (`helpers/` beside the addon, see
//! `scripts/build-helpers.js`); one is used only when its SHA-256 matches
//! the digest recorded when the addon was built. Otherwise — a source
//! checkout, an unknown platform, a file that does not match — the program
//! is compiled from the embedded sources on first use with the selected Go
//! and cached under the builder's cache, keyed by source hash, Go version
//! and target. Nothing is ever written into the package's install directory.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::cache_fs;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::fingerprint::hex;
use crate::go_build::GoBuild;
use crate::log::Log;
use crate::sealed::{self, Seals};
use crate::target::Target;
use crate::toolchain::GoToolchain;

/// An embedded Go program: its files (name, source), a `main` package.
pub struct Program {
    pub name: &'static str,
    pub files: &'static [(&'static str, &'static str)],
}

/// Where `program` lives once compiled for `target` with `go`.
pub fn cached_path(program: &Program, go: &GoToolchain, target: &Target, cache: &Path) -> PathBuf {
    let mut hasher = Sha256::new();
    for (name, source) in program.files {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(source.as_bytes());
        hasher.update([0]);
    }
    for part in [
        go.version.as_str(),
        target.goos.as_str(),
        target.goarch.as_str(),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let key = hex(&hasher.finalize()[..8]);
    cache
        .join("bin")
        .join(format!("{}-{key}{}", program.name, target.exe_suffix()))
}

/// The digests of the prebuilt helpers, recorded when the addon was built.
const PREBUILT_DIGESTS: &str = env!("GO_BUILDER_HELPER_DIGESTS");

/// Where a build finds or makes its helper programs.
pub struct Helpers<'a> {
    /// The directory of prebuilt helpers, if the package has one.
    pub prebuilt: Option<&'a Path>,
    /// The builder's cache (compiled helpers go to `bin/`).
    pub cache: &'a Path,
    pub go: &'a GoToolchain,
    pub env: &'a Env,
    pub log: &'a Log,
}

/// The program for `target`: the prebuilt one when it matches its digest,
/// else compiled (once, then cached).
pub async fn ensure(program: &Program, target: &Target, helpers: &Helpers<'_>) -> Result<PathBuf> {
    if let Some(path) = verified_prebuilt(program, target, helpers).await {
        return Ok(path);
    }
    ensure_compiled(program, helpers.go, target, helpers.cache, helpers.env).await
}

/// The prebuilt `program` for `target`, if there is one whose bytes match
/// the recorded digest. A mismatch is logged and never run.
async fn verified_prebuilt(
    program: &Program,
    target: &Target,
    helpers: &Helpers<'_>,
) -> Option<PathBuf> {
    let name = prebuilt_name(program, target);
    let expected = serde_json::from_str::<serde_json::Value>(PREBUILT_DIGESTS)
        .ok()?
        .get(&name)?
        .as_str()?
        .to_string();
    let path = helpers.prebuilt?.join(&name);
    let file = path.clone();
    let actual = tokio::task::spawn_blocking(move || crate::fingerprint::file_sha256(&file))
        .await
        .ok()?
        .ok()?;
    if actual == expected {
        return Some(path);
    }
    helpers.log.line(&format!(
        "The prebuilt {name} does not match the digest recorded when the builder was built; \
         compiling it from source instead."
    ));
    None
}

/// `analyze-linux-amd64`, `executable-linux-arm64`, `analyze-windows-amd64.exe`.
fn prebuilt_name(program: &Program, target: &Target) -> String {
    format!(
        "{}-{}-{}{}",
        program.name,
        target.goos,
        target.goarch,
        target.exe_suffix()
    )
}

/// Returns the compiled program, compiling it first when it is not cached.
async fn ensure_compiled(
    program: &Program,
    go: &GoToolchain,
    target: &Target,
    cache: &Path,
    env: &Env,
) -> Result<PathBuf> {
    let dest = cached_path(program, go, target, cache);
    // Only a program this builder compiled and sealed there is run.
    let seals = Seals::new(env);
    if seals.holds(&dest, HELPER_KEY) {
        return Ok(dest);
    }
    let bin_dir = cache_fs::real_dir(cache, &["bin"])?;
    let work = tempfile::Builder::new()
        .prefix(".compile-")
        .tempdir_in(&bin_dir)
        .map_err(|e| Error::io_at("create a temporary directory in", &bin_dir, e))?;
    for (name, source) in program.files {
        write(&work.path().join(name), source)?;
    }
    write(
        &work.path().join("go.mod"),
        &format!("module {}\n\ngo 1.21\n", program.name),
    )?;
    let built = work.path().join(format!("out{}", target.exe_suffix()));
    let build = GoBuild::own_program(
        work.path().to_path_buf(),
        env,
        vec![".".to_string()],
        built.clone(),
    );
    build.run(go, target, &Log::silent()).await.map_err(|e| {
        Error::Internal(format!(
            "compiling the builder's {} program with {} failed:\n{e}",
            program.name, go.version
        ))
    })?;
    // Atomic: a concurrent compile of the same program renames an identical
    // file. Where renaming over a running program fails (Windows), the one
    // in place is just as good.
    sealed::discard(&dest);
    match std::fs::rename(&built, &dest) {
        Err(_) if dest.is_file() => Ok(dest),
        Err(e) => Err(Error::io_at("install", &dest, e)),
        Ok(()) => {
            seals.seal(&dest, HELPER_KEY, Default::default())?;
            Ok(dest)
        }
    }
}

/// The key a compiled helper is sealed under (its name says which program,
/// Go and target it is).
const HELPER_KEY: &str = "helper";

fn write(path: &Path, contents: &str) -> Result<()> {
    std::fs::write(path, contents).map_err(|e| Error::io_at("write", path, e))
}
