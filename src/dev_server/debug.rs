//! `startDevServer()` under the debugger (`GO_BUILDER_DEBUG=1`).
//!
//! The program is built for debugging (see [`crate::debugger`]) and runs
//! under Delve's headless server, behind the same proxy as a standalone
//! server: for a handler too, so that one debug process serves every
//! request of the dev session (the CLI starts a dev server per request; the
//! JS layer hands back this persistent one) and one attached editor sees
//! them all. A save rebuilds and the proxy restarts the program under a new
//! Delve on the same port: the editor's session ends, and it attaches again.
//!
//! When the debugger cannot run (Delve not installable, the project's Go
//! outside its range, its port taken), the coded error is logged and the
//! dev server starts without it.

use std::path::PathBuf;

use super::{
    behind_proxy, is_source_error, program, start_session, DevServer, OutputSinks, Upstream,
};
use crate::debugger;
use crate::error::Result;
use crate::log::Log;
use crate::options::BuildOptions;
use crate::session::{Mode, Purpose, Session};

/// Starts the options' dev server under the debugger, or, when that
/// cannot be, without it (saying why).
pub async fn start(options: &BuildOptions, sinks: OutputSinks, log: Log) -> Result<DevServer> {
    let ordinal = options
        .meta
        .as_ref()
        .and_then(|m| m.debug_ordinal)
        .unwrap_or(0);
    let port = debugger::port(&options.build_env(), ordinal)?;
    let address = debugger::listen_address(port);
    let mut session = Session::open(options, Purpose::Debug, log).await?;
    let dlv = match ready_debugger(&session, &address).await {
        Ok(dlv) => dlv,
        Err(err) => {
            session.log.line(&format!(
                "{err} [{}] This dev server runs without the debugger.",
                err.code()
            ));
            session.purpose = Purpose::Dev;
            let server = start_session(&session, sinks).await?;
            return Ok(DevServer {
                debug_error: Some(err.to_data()),
                ..server
            });
        }
    };
    let binary;
    let (upstream, reused_build) = match program(&session).await {
        Ok((path, reused)) => {
            binary = path;
            (Upstream::Program(&binary), reused)
        }
        // A handler that does not compile answers the compiler's message
        // until a save fixes it (a server's start fails, as without the
        // debugger).
        Err(err) if session.mode == Mode::Handler && is_source_error(&err) => {
            session.log.line(&err.to_string());
            (Upstream::ErrorPage(err.to_string()), true)
        }
        Err(err) => return Err(err),
    };
    let server = behind_proxy(
        &session,
        sinks,
        upstream,
        Some((&dlv, &address)),
        reused_build,
    )
    .await?;
    session.log.line(&format!(
        "Go debugger (Delve, DAP) listening on {address} for {} — attach your editor \
         (a save restarts the program on the same port: attach again)",
        session.entry.rel
    ));
    Ok(DevServer {
        debug_port: Some(port),
        ..server
    })
}

/// Delve, once its port is known to be free.
async fn ready_debugger(session: &Session<'_>, address: &str) -> Result<PathBuf> {
    debugger::ensure_free(address)?;
    debugger::install::ensure(&session.go, &session.env, &session.log).await
}
