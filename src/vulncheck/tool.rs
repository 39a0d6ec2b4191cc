//! govulncheck, installed once into the builder's cache: built from the
//! module proxy with `go build` in a module whose go.mod and go.sum the
//! builder embeds ([`crate::assets::GOVULNCHECK_GO_MOD`]), so Go checks
//! every module it downloads against checksums fixed in this source. The
//! installed program is sealed ([`crate::sealed`]: its SHA-256 and size,
//! signed under `GO_BUILDER_CACHE_SIGNING_KEY` when one is set) and
//! verified before every use; anything else in its place is reinstalled.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::assets::{GOVULNCHECK_GO_MOD, GOVULNCHECK_GO_SUM};
use crate::cache_fs;
use crate::compile::go_build::{Cgo, GoBuild};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::fingerprint::Fingerprint;
use crate::fs_lock;
use crate::log::Log;
use crate::sealed::{self, Seals};
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

/// The verified govulncheck, installed first if needed:
/// `<cache>/tools/govulncheck-<key>`, sealed under its key.
pub async fn ensure(install: &Install<'_>) -> Result<PathBuf> {
    let go = go_for_tool(install).await?;
    let key = content_key(&go);
    let dir = cache_fs::real_dir(install.cache, &["tools"])?;
    let program = dir.join(format!("govulncheck-{key}{}", std::env::consts::EXE_SUFFIX));
    let seals = Seals::new(install.env);
    if seals.holds(&program, &key) {
        return Ok(program);
    }
    let _lock = fs_lock::lock(&dir.join(format!("govulncheck-{key}.lock")), || {
        install
            .log
            .line("Waiting for another build installing govulncheck…")
    })
    .await?;
    if seals.holds(&program, &key) {
        return Ok(program);
    }
    build(install, &go, &dir, &program).await?;
    seals.seal(&program, &key, Default::default())?;
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

/// What the install is made from: the pinned module, the Go that builds
/// it and the platform.
fn content_key(go: &GoToolchain) -> String {
    let host = Target::host();
    let mut key = Fingerprint::new();
    key.value("go.mod", GOVULNCHECK_GO_MOD)
        .value("go.sum", GOVULNCHECK_GO_SUM)
        .value("go", &go.version)
        .value("goos", &host.goos)
        .value("goarch", &host.goarch);
    format!("{VERSION}-{}", key.finish())
}

/// Builds the tool with `go` into a scratch folder in `dir`, then moves
/// it to `program` (unsealed: the caller seals it).
async fn build(install: &Install<'_>, go: &GoToolchain, dir: &Path, program: &Path) -> Result<()> {
    let started = Instant::now();
    install.log.line(&format!(
        "Installing govulncheck {VERSION} (golang.org/x/vuln, checksums pinned by the builder) with Go {} into the builder's cache",
        go.version.trim_start_matches("go")
    ));
    let work = tempfile::Builder::new()
        .prefix(".install-")
        .tempdir_in(dir)
        .map_err(|e| Error::io_at("create a temporary directory in", dir, e))?;
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
        cache_use: None,
        cgo_free_sources: false,
    }
    .run(go, &Target::host(), install.log)
    .await
    .map_err(|e| {
        Error::Internal(format!(
            "installing govulncheck {VERSION} with Go {} failed: {e}",
            go.version
        ))
    })?;
    sealed::discard(program);
    std::fs::rename(&built, program).map_err(|e| Error::io_at("install", program, e))?;
    install.log.line(&format!(
        "Installed govulncheck {VERSION} in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    Ok(())
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

    #[test]
    fn only_the_sealed_program_for_this_key_is_held() {
        let tmp = tempfile::tempdir().unwrap();
        let env = crate::test_support::env(&[(
            crate::cache_dir::CACHE_DIR_ENV,
            &tmp.path().join("cache").to_string_lossy(),
        )]);
        let seals = Seals::new(&env);
        let program = tmp.path().join("govulncheck-k");
        std::fs::write(&program, b"program bytes").unwrap();
        assert!(!seals.holds(&program, "k"), "not sealed");
        seals.seal(&program, "k", Default::default()).unwrap();
        assert!(seals.holds(&program, "k"));
        assert!(
            !seals.holds(&program, "other key"),
            "built from something else"
        );
        std::fs::write(&program, b"program bytez").unwrap();
        assert!(!seals.holds(&program, "k"), "same size, other bytes");
    }
}
