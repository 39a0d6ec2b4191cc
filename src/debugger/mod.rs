//! Debugging Go functions in `vercel dev`: with `GO_BUILDER_DEBUG=1` a dev
//! server's program is built for the debugger and runs under Delve's
//! headless server, which speaks DAP (VS Code's Go "attach"/"remote") and
//! JSON-RPC (GoLand, `dlv connect`) on `127.0.0.1:<port>` and lets clients
//! come and go. This module says whether that is asked for, on which port,
//! and how a debug build differs; [`install`] gets Delve, and the dev
//! server's proxy (`go/executable`) runs it.

pub mod install;

use crate::env::Env;
use crate::error::{Error, Result};

/// Turns debugging on (`1` or `true`).
pub const DEBUG_ENV: &str = "GO_BUILDER_DEBUG";
/// The port of the first debugged function (default [`DEFAULT_PORT`]).
pub const PORT_ENV: &str = "GO_BUILDER_DEBUG_PORT";
/// Delve's customary port.
pub const DEFAULT_PORT: u16 = 2345;

/// The flags a debug build adds after the user's: no optimisation and no
/// inlining, anywhere, and no `-trimpath`, so the debug information names
/// each file by its absolute path in the user's tree (a breakpoint set by
/// that path binds with no path mapping).
pub const BUILD_FLAGS: &[&str] = &["-trimpath=false", "-gcflags=all=-N -l"];

/// Whether the environment asks for the debugger.
pub fn requested(env: &Env) -> bool {
    env.get(DEBUG_ENV)
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| v == "1" || v == "true")
}

/// The port of the `ordinal`-th debugged function of this dev session
/// (`0`: the first): [`PORT_ENV`], then the ports after it, one per
/// function, in the order they first start.
pub fn port(env: &Env, ordinal: u16) -> Result<u16> {
    let base = match env.non_empty(PORT_ENV).map(str::trim) {
        None => DEFAULT_PORT,
        Some(text) => text.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
            Error::InvalidOptions(format!("{PORT_ENV} must be a TCP port, not {text:?}"))
        })?,
    };
    base.checked_add(ordinal).ok_or_else(|| {
        Error::InvalidOptions(format!(
            "{PORT_ENV}={base} leaves no port for function number {}",
            u32::from(ordinal) + 1
        ))
    })
}

/// The address Delve listens on: the loopback interface only.
pub fn listen_address(port: u16) -> String {
    format!("127.0.0.1:{port}")
}

/// Fails unless nothing listens on `address` yet (a second server could
/// not take it, and a client would attach to the wrong program).
pub fn ensure_free(address: &str) -> Result<()> {
    std::net::TcpListener::bind(address)
        .map(drop)
        .map_err(|e| Error::DebuggerUnavailable {
            reason: format!(
                "{address} is not available for the debugger ({e}). Stop what listens there, \
                 or set {PORT_ENV} to another port."
            ),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::env;

    #[test]
    fn asked_for_by_one_or_true_only() {
        for (value, on) in [
            ("1", true),
            ("true", true),
            (" TRUE ", true),
            ("0", false),
            ("", false),
            ("yes", false),
        ] {
            assert_eq!(requested(&env(&[(DEBUG_ENV, value)])), on, "{value:?}");
        }
        assert!(!requested(&env(&[])));
    }

    #[test]
    fn ports_follow_the_base_in_start_order() {
        assert_eq!(port(&env(&[]), 0).unwrap(), 2345);
        assert_eq!(port(&env(&[]), 2).unwrap(), 2347);
        assert_eq!(port(&env(&[(PORT_ENV, "40000")]), 1).unwrap(), 40001);
        for bad in ["0", "x", "70000", "-1"] {
            assert_eq!(
                port(&env(&[(PORT_ENV, bad)]), 0).unwrap_err().code(),
                "GO_INVALID_OPTIONS",
                "{bad}"
            );
        }
        assert!(port(&env(&[(PORT_ENV, "65535")]), 1).is_err());
    }

    #[test]
    fn a_taken_port_is_a_coded_error() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = taken.local_addr().unwrap().to_string();
        let err = ensure_free(&address).unwrap_err();
        assert_eq!(err.code(), "GO_DEBUGGER_UNAVAILABLE");
        assert!(err.to_string().contains(PORT_ENV));
    }
}
