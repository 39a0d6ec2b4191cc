//! govulncheck, installed once into the builder's cache: built from the
//! module proxy with `go build` in a module whose go.mod and go.sum the
//! builder embeds ([`crate::assets::GOVULNCHECK_GO_MOD`]), so Go checks
//! every module it downloads against checksums fixed in this source. The
//! installed program is recorded with its SHA-256 and size (and an
//! HMAC-SHA256 under `GO_BUILDER_CACHE_SIGNING_KEY` when one is set) and
//! verified before every use; anything else in its place is reinstalled.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::assets::{GOVULNCHECK_GO_MOD, GOVULNCHECK_GO_SUM};
use crate::compile::go_build::{Cgo, GoBuild};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::fingerprint::{file_sha256, Fingerprint};
use crate::fs_lock;
use crate::log::Log;
use crate::signing::SigningKey;
use crate::target::Target;
use crate::toolchain::{self, GoToolchain, GoVersion, ResolveRequest, VersionRequest, Want};

/// The golang.org/x/vuln release installed.
pub const VERSION: &str = "v1.9.0";
const PACKAGE: &str = "golang.org/x/vuln/cmd/govulncheck";
/// golang.org/x/vuln v1.9.0's go.mod asks for Go 1.26.0.
const MINIMUM_GO: (u32, u32, u32) = (1, 26, 0);

/// Where a build finds or makes the tool.
pub struct Install<'a> {
    /// The builder's cache.
    pub cache: &'a Path,
    /// The Go of the build (used when it is new enough).
    pub go: &'a GoToolchain,
    pub work_path: &'a Path,
    pub env: &'a Env,
    pub log: &'a Log,
}

/// What the cache records about an installed tool.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Record {
    sha256: String,
    size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<String>,
}

/// The verified govulncheck, installed first if needed.
pub async fn ensure(install: &Install<'_>) -> Result<PathBuf> {
    let go = go_for_tool(install).await?;
    let dir = install
        .cache
        .join("tools")
        .join("govulncheck")
        .join(folder_key(&go));
    let program = dir.join(toolchain::exe("govulncheck"));
    let key = SigningKey::from_env(install.env);
    if verified(&dir, &program, key.as_ref()) {
        return Ok(program);
    }
    let lock_path = dir.with_file_name(format!("{}.lock", folder_key(&go)));
    let _lock = fs_lock::lock(&lock_path, || {
        install
            .log
            .line("Waiting for another build installing govulncheck…")
    })
    .await?;
    if verified(&dir, &program, key.as_ref()) {
        return Ok(program);
    }
    build(install, &go, &dir, &program, key.as_ref()).await?;
    Ok(program)
}

/// The build's Go when it can build the tool, else the newest installed
/// Go that can (downloaded when there is none).
async fn go_for_tool(install: &Install<'_>) -> Result<GoToolchain> {
    let (major, minor, patch) = MINIMUM_GO;
    let minimum = GoVersion::release(major, minor, patch);
    if install.go.parsed_version().is_some_and(|v| v >= minimum) {
        return Ok(install.go.clone());
    }
    let request = VersionRequest::new(
        Want::AtLeast(minimum),
        format!("govulncheck {VERSION} needs Go {major}.{minor}.{patch} or newer"),
    );
    let progress = |line: &str| install.log.line(line);
    let mut resolve = ResolveRequest::new(request, install.env, install.work_path, &progress);
    resolve.link_local_cache = false;
    Ok(toolchain::resolve(&resolve).await?.toolchain)
}

/// The install's folder: the pinned module, the Go that builds it and the
/// platform.
fn folder_key(go: &GoToolchain) -> String {
    let host = Target::host();
    let mut key = Fingerprint::new();
    key.value("go.mod", GOVULNCHECK_GO_MOD)
        .value("go.sum", GOVULNCHECK_GO_SUM)
        .value("go", &go.version)
        .value("goos", &host.goos)
        .value("goarch", &host.goarch);
    format!("{VERSION}-{}", key.finish())
}

/// Whether `program` is a regular file (not a symlink) whose size and
/// digest are the ones recorded, with a good signature when a key is set.
fn verified(dir: &Path, program: &Path, key: Option<&SigningKey>) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(program) else {
        return false;
    };
    let Some(record) = std::fs::read_to_string(dir.join("record.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<Record>(&text).ok())
    else {
        return false;
    };
    if !meta.file_type().is_file() || meta.len() != record.size {
        return false;
    }
    let signed = match key {
        None => true,
        Some(key) => record
            .signature
            .as_deref()
            .is_some_and(|s| key.verify(&signed_parts(&record), s)),
    };
    signed && file_sha256(program).is_ok_and(|digest| digest == record.sha256)
}

impl Record {
    /// The record of the file at `program`, signed under `key` when one is set.
    fn of(program: &Path, key: Option<&SigningKey>) -> Result<Record> {
        let mut record = Record {
            sha256: file_sha256(program).map_err(|e| Error::io_at("read", program, e))?,
            size: std::fs::metadata(program)
                .map_err(|e| Error::io_at("read", program, e))?
                .len(),
            signature: None,
        };
        record.signature = key.map(|k| k.sign(&signed_parts(&record)));
        Ok(record)
    }
}

fn signed_parts(record: &Record) -> [&[u8]; 3] {
    [b"govulncheck", VERSION.as_bytes(), record.sha256.as_bytes()]
}

/// Builds the tool with `go` into a scratch folder beside `dir`, then puts
/// it in place with its record.
async fn build(
    install: &Install<'_>,
    go: &GoToolchain,
    dir: &Path,
    program: &Path,
    key: Option<&SigningKey>,
) -> Result<()> {
    let started = Instant::now();
    install.log.line(&format!(
        "Installing govulncheck {VERSION} (golang.org/x/vuln, checksums pinned by the builder) with Go {} into the builder's cache",
        go.version.trim_start_matches("go")
    ));
    let parent = dir.parent().unwrap_or(install.cache);
    std::fs::create_dir_all(parent).map_err(|e| Error::io_at("create", parent, e))?;
    let work = tempfile::Builder::new()
        .prefix(".install-")
        .tempdir_in(parent)
        .map_err(|e| Error::io_at("create a temporary directory in", parent, e))?;
    for (name, text) in [
        ("go.mod", GOVULNCHECK_GO_MOD),
        ("go.sum", GOVULNCHECK_GO_SUM),
    ] {
        let path = work.path().join(name);
        std::fs::write(&path, text).map_err(|e| Error::io_at("write", &path, e))?;
    }
    let built = work.path().join(toolchain::exe("govulncheck"));
    GoBuild {
        cwd: work.path().to_path_buf(),
        env: tool_env(install.env),
        module_flags: vec!["-mod=readonly".to_string()],
        build_flags: vec!["-ldflags=-s -w".to_string()],
        packages: vec![PACKAGE.to_string()],
        output: built.clone(),
        cgo: Cgo::Off,
        parallelism: None,
        tags: Vec::new(),
    }
    .run(go, &Target::host(), install.log)
    .await
    .map_err(|e| {
        Error::Internal(format!(
            "installing govulncheck {VERSION} with Go {} failed: {e}",
            go.version
        ))
    })?;
    let record = Record::of(&built, key)?;
    place(dir, &built, program, &record)?;
    install.log.line(&format!(
        "Installed govulncheck {VERSION} in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// Replaces whatever is at `dir` with the built program and its record
/// (the record last: a half-made folder never verifies).
fn place(dir: &Path, built: &Path, program: &Path, record: &Record) -> Result<()> {
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(dir),
        Ok(_) => std::fs::remove_file(dir),
        Err(_) => Ok(()),
    }
    .map_err(|e| Error::io_at("remove", dir, e))?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io_at("create", dir, e))?;
    std::fs::rename(built, program).map_err(|e| Error::io_at("install", program, e))?;
    let record_path = dir.join("record.json");
    let text = serde_json::to_string(record).unwrap_or_default();
    std::fs::write(&record_path, text).map_err(|e| Error::io_at("write", &record_path, e))
}

/// The build's environment without what would change how the tool is
/// built (its module and flags are the builder's own).
fn tool_env(env: &Env) -> Env {
    let mut env = env.clone();
    for key in ["GOFLAGS", "GOEXPERIMENT", "GO111MODULE", "GO_BUILD_FLAGS"] {
        env.remove(key);
    }
    env.set("GOWORK", "off");
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(secret: &str) -> SigningKey {
        let env = crate::test_support::env(&[(crate::signing::SIGNING_KEY_ENV, secret)]);
        SigningKey::from_env(&env).unwrap()
    }

    /// `bytes` installed as the tool in a temporary folder, recorded (and
    /// signed under `key`): the folder, the tool's folder and the tool.
    fn installed(bytes: &[u8], key: Option<&SigningKey>) -> (tempfile::TempDir, PathBuf, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let built = tmp.path().join("built");
        std::fs::write(&built, bytes).unwrap();
        let program = dir.join("govulncheck");
        let record = Record::of(&built, key).unwrap();
        place(&dir, &built, &program, &record).unwrap();
        (tmp, dir, program)
    }

    #[test]
    fn only_a_recorded_regular_file_verifies() {
        let (tmp, dir, program) = installed(b"program bytes", None);
        assert!(verified(&dir, &program, None));
        // A key set later: an unsigned record is not the builder's own.
        assert!(!verified(&dir, &program, Some(&key("k"))));
        std::fs::write(&program, b"program bytez").unwrap();
        assert!(!verified(&dir, &program, None), "same size, other bytes");
        #[cfg(unix)]
        {
            let elsewhere = tmp.path().join("elsewhere");
            std::fs::write(&elsewhere, b"program bytes").unwrap();
            std::fs::remove_file(&program).unwrap();
            std::os::unix::fs::symlink(&elsewhere, &program).unwrap();
            assert!(!verified(&dir, &program, None), "a symlink is never run");
        }
    }

    #[test]
    fn signed_records_verify_under_their_key() {
        let (_tmp, dir, program) = installed(b"x", Some(&key("k")));
        assert!(verified(&dir, &program, Some(&key("k"))));
        assert!(!verified(&dir, &program, Some(&key("other"))));
    }
}
