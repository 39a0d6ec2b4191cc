//! Delve, from the Go module proxy at a pinned version with the checksums
//! of its whole module graph (`go/tools/delve`, embedded), built once into
//! the machine's builder cache — never a project's, never `node_modules` —
//! sealed and verified before every use, as every pinned tool is
//! ([`crate::pinned_tool`]). Go's module cache serves what it already holds,
//! so a machine that has the modules installs it offline.

use std::path::PathBuf;

use crate::assets;
use crate::cache_dir;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::log::Log;
use crate::pinned_tool::{self, PinnedTool};
use crate::toolchain::GoToolchain;

/// The pinned Delve release (as go/tools/delve/go.mod requires it).
pub const DELVE_VERSION: &str = "v1.27.2";
/// Its command.
const DELVE_COMMAND: &str = "github.com/go-delve/delve/cmd/dlv";
/// The Go releases Delve builds with and debugs the programs of (its own
/// `goversion` bounds): older programs it refuses, newer ones it may
/// misread.
const SUPPORTED_GO: ((u32, u32), (u32, u32)) = ((1, 25), (1, 27));

const DELVE: PinnedTool = PinnedTool {
    name: "dlv",
    title: "the Go debugger Delve",
    version: DELVE_VERSION,
    origin: "github.com/go-delve/delve",
    package: DELVE_COMMAND,
    go_mod: assets::DELVE_GO_MOD,
    go_sum: assets::DELVE_GO_SUM,
};

/// Delve for this machine: the installed one, else built now with the
/// project's Go (once; a concurrent start waits for it). Progress goes to
/// `log`. Every failure is [`Error::DebuggerUnavailable`], saying how to
/// get it.
pub async fn ensure(go: &GoToolchain, env: &Env, log: &Log) -> Result<PathBuf> {
    check_go(go)?;
    let cache = cache_dir::machine_cache_dir(env);
    let place = pinned_tool::Place {
        cache: &cache,
        env,
        log,
    };
    pinned_tool::ensure(&DELVE, go, &place).await.map_err(|e| {
        let said = match e {
            Error::ModTidyFailed { output }
            | Error::GoModInvalid { output }
            | Error::BuildFailed { output } => output,
            other => other.to_string(),
        };
        unavailable(&format!("Go could not build it:\n{said}"), env)
    })
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
