//! Go programs the builder installs for itself from the module proxy
//! (govulncheck, Delve): built once with `go build` in a module whose
//! go.mod and go.sum the builder embeds (`go/tools/<name>`), so Go checks
//! every module it downloads against checksums fixed in this source, into
//! `<cache>/tools/<name>-<key>`. The installed program is sealed
//! ([`crate::sealed`]: its SHA-256 and size, signed under
//! `GO_BUILDER_CACHE_SIGNING_KEY` when one is set) and verified before every
//! use; anything else in its place is reinstalled.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::cache_fs;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::fingerprint::Fingerprint;
use crate::fs_lock;
use crate::go_build::GoBuild;
use crate::log::Log;
use crate::sealed::{self, Seals};
use crate::target::Target;
use crate::toolchain::{self, GoToolchain};

/// A tool: its pinned module and the command built from it.
pub struct PinnedTool {
    /// The program's name (`govulncheck`, `dlv`).
    pub name: &'static str,
    /// How the log names it, before its version (`govulncheck`).
    pub title: &'static str,
    /// The release installed (`v1.9.0`).
    pub version: &'static str,
    /// Where it comes from (`golang.org/x/vuln`).
    pub origin: &'static str,
    /// The command built (`golang.org/x/vuln/cmd/govulncheck`).
    pub package: &'static str,
    pub go_mod: &'static str,
    pub go_sum: &'static str,
}

/// Where an install happens and is reported.
pub struct Place<'a> {
    /// The builder's cache (the machine's own: never a project's).
    pub cache: &'a Path,
    pub env: &'a Env,
    pub log: &'a Log,
}

/// The verified program of `tool` built with `go`, installed first if
/// needed (a concurrent install is waited for). A failed build is the
/// error `go build` gave.
pub async fn ensure(tool: &PinnedTool, go: &GoToolchain, place: &Place<'_>) -> Result<PathBuf> {
    let key = content_key(tool, go);
    let dir = cache_fs::real_dir(place.cache, &["tools"])?;
    let program = dir.join(format!(
        "{}-{key}{}",
        tool.name,
        std::env::consts::EXE_SUFFIX
    ));
    let seals = Seals::new(place.env);
    if seals.holds(&program, &key) {
        return Ok(program);
    }
    let _lock = fs_lock::lock(&dir.join(format!("{}-{key}.lock", tool.name)), || {
        place.log.line(&format!(
            "Waiting for another build installing {}…",
            tool.name
        ))
    })
    .await?;
    if seals.holds(&program, &key) {
        return Ok(program);
    }
    build(tool, go, place, &dir, &program).await?;
    seals.seal(&program, &key, Default::default())?;
    Ok(program)
}

/// What the install is made from: the pinned module, the Go that builds
/// it and the platform.
fn content_key(tool: &PinnedTool, go: &GoToolchain) -> String {
    let host = Target::host();
    let mut key = Fingerprint::new();
    key.value("go.mod", tool.go_mod)
        .value("go.sum", tool.go_sum)
        .value("go", &go.version)
        .value("goos", &host.goos)
        .value("goarch", &host.goarch);
    format!("{}-{}", tool.version, key.finish())
}

/// Builds the tool with `go` into a scratch folder in `dir`, then moves
/// it to `program` (unsealed: the caller seals it). Go's own output (its
/// module downloads) streams to the log.
async fn build(
    tool: &PinnedTool,
    go: &GoToolchain,
    place: &Place<'_>,
    dir: &Path,
    program: &Path,
) -> Result<()> {
    let started = Instant::now();
    place.log.line(&format!(
        "Installing {} {} ({}, checksums pinned by the builder) with Go {} into the builder's cache",
        tool.title,
        tool.version,
        tool.origin,
        go.version.trim_start_matches("go")
    ));
    let work = tempfile::Builder::new()
        .prefix(".install-")
        .tempdir_in(dir)
        .map_err(|e| Error::io_at("create a temporary directory in", dir, e))?;
    for (name, text) in [("go.mod", tool.go_mod), ("go.sum", tool.go_sum)] {
        let path = work.path().join(name);
        std::fs::write(&path, text).map_err(|e| Error::io_at("write", &path, e))?;
    }
    let built = work.path().join(toolchain::exe(tool.name));
    GoBuild {
        // The pinned go.sum, never rewritten: a module that does not match
        // it is an error, not an update.
        module_flags: vec!["-mod=readonly".to_string()],
        build_flags: vec!["-ldflags=-s -w".to_string()],
        // Static: no C compiler needed (cgo parts of a tool are optional).
        ..GoBuild::own_program(
            work.path().to_path_buf(),
            place.env,
            vec![tool.package.to_string()],
            built.clone(),
        )
    }
    .run(go, &Target::host(), place.log)
    .await?;
    sealed::discard(program);
    std::fs::rename(&built, program).map_err(|e| Error::io_at("install", program, e))?;
    place.log.line(&format!(
        "Installed {} {} in {:.1} s",
        tool.title,
        tool.version,
        started.elapsed().as_secs_f64()
    ));
    Ok(())
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
        let program = tmp.path().join("tool-k");
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

    #[test]
    fn the_key_names_the_release_and_changes_with_the_module_and_go() {
        let tool = |go_sum| PinnedTool {
            name: "t",
            title: "t",
            version: "v1",
            origin: "example.com/t",
            package: "example.com/t/cmd/t",
            go_mod: "module m",
            go_sum,
        };
        let go = |version: &str| GoToolchain {
            go: PathBuf::from("/go/bin/go"),
            goroot: PathBuf::from("/go"),
            version: version.to_string(),
        };
        let key = content_key(&tool("a"), &go("go1.26.8"));
        assert!(key.starts_with("v1-"));
        assert_ne!(key, content_key(&tool("b"), &go("go1.26.8")));
        assert_ne!(key, content_key(&tool("a"), &go("go1.26.9")));
    }
}
