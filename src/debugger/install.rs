//! Delve, from the Go module proxy at a pinned version with the checksums
//! of its whole module graph (`go/debugger/go.mod` and `go.sum`, embedded),
//! built once into the builder's own cache — never into the project or
//! `node_modules`. Go verifies every module against the pinned go.sum;
//! Go's module cache serves what it already holds, so a machine that has
//! the modules installs it offline.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::assets;
use crate::cache_dir;
use crate::compile::go_build::{Cgo, GoBuild};
use crate::embedded_program::program_env;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::fingerprint::Fingerprint;
use crate::fs_lock;
use crate::log::Log;
use crate::target::Target;
use crate::toolchain::GoToolchain;

/// The pinned Delve release (as go/debugger/go.mod requires it).
pub const DELVE_VERSION: &str = "v1.27.2";
/// Its command.
const DELVE_COMMAND: &str = "github.com/go-delve/delve/cmd/dlv";
/// The Go releases Delve builds with and debugs the programs of (its own
/// `goversion` bounds): older programs it refuses, newer ones it may
/// misread.
const SUPPORTED_GO: ((u32, u32), (u32, u32)) = ((1, 25), (1, 27));

/// Delve for this machine: the installed one, else built now (once; a
/// concurrent start waits for it). Progress goes to `log`. Every failure
/// is [`Error::DebuggerUnavailable`], saying how to get it.
pub async fn ensure(go: &GoToolchain, env: &Env, log: &Log) -> Result<PathBuf> {
    check_go(go)?;
    let target = Target::host();
    let dlv = installed_path(env, &target);
    if dlv.is_file() {
        return Ok(dlv);
    }
    let dir = dlv.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| unavailable(&format!("cannot create {}: {e}", dir.display()), env))?;
    let lock_file = dir.join(format!(
        "{}.lock",
        dlv.file_name().unwrap_or_default().to_string_lossy()
    ));
    let _lock = fs_lock::lock(&lock_file, || {
        log.line("Waiting for another install of the Go debugger (Delve) to finish…")
    })
    .await?;
    if dlv.is_file() {
        return Ok(dlv);
    }
    log.line(&format!(
        "Installing the Go debugger (Delve {DELVE_VERSION}) into {}: its modules come from the \
         Go module proxy (verified against pinned checksums), then it is compiled. Once: later \
         starts reuse it.",
        dir.display()
    ));
    let started = Instant::now();
    build(go, env, &target, dir, &dlv, log).await.map_err(|e| {
        let said = match e {
            Error::ModTidyFailed { output }
            | Error::GoModInvalid { output }
            | Error::BuildFailed { output } => output,
            other => other.to_string(),
        };
        unavailable(&format!("Go could not build it:\n{said}"), env)
    })?;
    log.line(&format!(
        "Installed the Go debugger (Delve {DELVE_VERSION}) in {:.1} s.",
        started.elapsed().as_secs_f64()
    ));
    Ok(dlv)
}

/// Builds Delve in a fresh copy of the pinned module beside `dlv` and
/// renames it into place.
async fn build(
    go: &GoToolchain,
    env: &Env,
    target: &Target,
    dir: &Path,
    dlv: &Path,
    log: &Log,
) -> Result<()> {
    let work = tempfile::Builder::new()
        .prefix(".install-")
        .tempdir_in(dir)
        .map_err(|e| Error::io_at("create a temporary directory in", dir, e))?;
    for (name, text) in [
        ("go.mod", assets::DELVE_GO_MOD),
        ("go.sum", assets::DELVE_GO_SUM),
    ] {
        let path = work.path().join(name);
        std::fs::write(&path, text).map_err(|e| Error::io_at("write", &path, e))?;
    }
    let built = work.path().join(format!("dlv{}", target.exe_suffix()));
    GoBuild {
        cwd: work.path().to_path_buf(),
        env: program_env(env),
        // The pinned go.sum, never rewritten: a module that does not match
        // it is an error, not an update.
        module_flags: vec!["-mod=readonly".to_string()],
        build_flags: Vec::new(),
        packages: vec![DELVE_COMMAND.to_string()],
        output: built.clone(),
        // Its cgo parts (eBPF tracing) are optional: a static build needs
        // no C compiler.
        cgo: Cgo::Off,
        parallelism: None,
        tags: Vec::new(),
        cache_use: None,
        cgo_free_sources: false,
    }
    .run(go, target, log)
    .await?;
    std::fs::rename(&built, dlv).map_err(|e| Error::io_at("install", dlv, e))
}

/// Where Delve is installed: `debugger/` in `GO_BUILDER_CACHE_DIR`, else in
/// the builder's cache in the user's cache directory (never a project's
/// deploy cache), named for its version and the pinned module's digest.
pub fn installed_path(env: &Env, target: &Target) -> PathBuf {
    let cache = env
        .non_empty(cache_dir::CACHE_DIR_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| cache_dir::global_builder_cache_dir(env));
    let mut key = Fingerprint::new();
    key.value("go.mod", assets::DELVE_GO_MOD)
        .value("go.sum", assets::DELVE_GO_SUM)
        .value("goos", &target.goos)
        .value("goarch", &target.goarch);
    let key = key.finish();
    cache.join("debugger").join(format!(
        "dlv-{DELVE_VERSION}-{}{}",
        &key[..12],
        target.exe_suffix()
    ))
}

/// Fails unless the project's Go is one Delve debugs the programs of.
fn check_go(go: &GoToolchain) -> Result<()> {
    let ((min_major, min_minor), (max_major, max_minor)) = SUPPORTED_GO;
    let supported = go.parsed_version().is_some_and(|v| {
        (v.major, v.minor) >= (min_major, min_minor) && (v.major, v.minor) <= (max_major, max_minor)
    });
    if supported {
        return Ok(());
    }
    Err(Error::DebuggerUnavailable {
        reason: format!(
            "Delve {DELVE_VERSION} debugs programs built with Go {min_major}.{min_minor} to \
             {max_major}.{max_minor}, and this project builds with {}. Pin a Go in that range \
             (the `go` or `toolchain` line of go.mod) to debug it.",
            go.version
        ),
    })
}

/// [`Error::DebuggerUnavailable`]: what went wrong, and how to install it.
fn unavailable(what: &str, env: &Env) -> Error {
    let proxy = env
        .non_empty("GOPROXY")
        .unwrap_or("https://proxy.golang.org");
    Error::DebuggerUnavailable {
        reason: format!(
            "Delve {DELVE_VERSION} is not installed, and {what}\n\
             It is downloaded once from the Go module proxy ({proxy}). Connect to the network \
             and start again, or fill Go's module cache while online with \
             `go install {DELVE_COMMAND}@{DELVE_VERSION}`: the builder then installs it from \
             there, offline."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::env;

    #[test]
    fn installed_in_the_builders_own_cache_never_a_projects() {
        let target = Target::host();
        let dir = env(&[("GO_BUILDER_CACHE_DIR", "/c")]);
        let path = installed_path(&dir, &target);
        assert!(path.starts_with("/c/debugger"), "{}", path.display());
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("dlv-v1.27.2-"), "{name}");
        let home = env(&[
            ("HOME", "/h"),
            ("XDG_CACHE_HOME", "/x"),
            ("LOCALAPPDATA", "/l"),
        ]);
        let global = installed_path(&home, &target);
        assert!(global.ends_with(Path::new("acme-go-builder").join("debugger").join(&name)));
    }

    #[test]
    fn the_pinned_module_requires_the_pinned_release_with_checksums() {
        assert!(
            assets::DELVE_GO_MOD.contains(&format!("github.com/go-delve/delve {DELVE_VERSION}"))
        );
        assert!(assets::DELVE_GO_SUM
            .contains(&format!("github.com/go-delve/delve {DELVE_VERSION} h1:")));
        assert!(assets::DELVE_GO_SUM.contains(&format!(
            "github.com/go-delve/delve {DELVE_VERSION}/go.mod h1:"
        )));
    }

    #[test]
    fn a_go_delve_cannot_debug_is_refused_with_the_reason() {
        let go = |version: &str| GoToolchain {
            go: PathBuf::from("/go/bin/go"),
            goroot: PathBuf::from("/go"),
            version: version.to_string(),
        };
        assert!(check_go(&go("go1.26.8")).is_ok());
        assert!(check_go(&go("go1.25.0")).is_ok());
        for old_or_new in ["go1.24.13", "go1.21.0", "go1.28.1"] {
            let err = check_go(&go(old_or_new)).unwrap_err();
            assert_eq!(err.code(), "GO_DEBUGGER_UNAVAILABLE");
            assert!(err.to_string().contains(old_or_new), "{err}");
        }
    }

    #[test]
    fn the_error_says_how_to_install_it() {
        let err = unavailable("Go could not download it", &env(&[("GOPROXY", "off")]));
        let text = err.to_string();
        assert!(
            text.contains("go install github.com/go-delve/delve/cmd/dlv@v1.27.2"),
            "{text}"
        );
        assert!(text.contains("(off)"), "{text}");
    }
}
