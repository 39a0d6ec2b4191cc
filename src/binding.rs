//! The napi binding: converts between JS and the Rust core, nothing else.
//!
//! Every async function takes its options as one JSON string and resolves to
//! a JSON string `{"ok": …}` or `{"error": {code, message, link}}`, so bad
//! input is a rejection-free, typed result the JS layer turns into a
//! `NowBuildError`.

use std::sync::Arc;

use napi::bindgen_prelude::Buffer;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::Status;
use napi_derive::napi;
use serde::Serialize;

use crate::env::Env;
use crate::error::Error;
use crate::log::Log;
use crate::options::{BuildOptions, CacheOptions, FromJson};
use crate::session::Mode;
use crate::{debugger, deploy_cache, dev_server, handler_name, lambda, manifest, server};

fn respond<T: Serialize>(result: Result<T, Error>) -> String {
    let value = match result {
        Ok(ok) => serde_json::json!({ "ok": ok }),
        Err(err) => serde_json::json!({ "error": err.to_data() }),
    };
    value.to_string()
}

/// A JS callback receiving one log line (Node writes it to its stdout).
/// Weak and non-blocking, like the output callbacks.
type LineCallback = ThreadsafeFunction<String, (), String, Status, false, true>;

fn log(callback: Option<LineCallback>) -> Log {
    match callback {
        Some(callback) => Log::new(move |line: &str| {
            callback.call(line.to_string(), ThreadsafeFunctionCallMode::NonBlocking);
        }),
        None => Log::silent(),
    }
}

/// `build(options)` of the builder API; every log line goes to `on_log`.
#[napi]
pub async fn build(
    options_json: String,
    on_log: Option<ThreadsafeFunction<String, (), String, Status, false, true>>,
) -> String {
    let result = match BuildOptions::from_json(&options_json) {
        Ok(options) => lambda::build(&options, log(on_log)).await,
        Err(err) => Err(err),
    };
    respond(result)
}

/// `getNewHandlerFunctionName(name, entrypoint)`.
#[napi]
pub fn new_handler_function_name(name: String, entrypoint: String) -> String {
    handler_name::new_handler_function_name(&name, &entrypoint)
}

/// A JS callback receiving a child's output (`onStdout` / `onStderr`). Weak:
/// it never keeps Node alive; calls never block the forwarding task.
type OutputCallback = ThreadsafeFunction<Buffer, (), Buffer, Status, false, true>;

fn sink(callback: Option<OutputCallback>) -> Option<dev_server::process::Sink> {
    let callback = Arc::new(callback?);
    Some(Arc::new(move |chunk: &[u8]| {
        callback.call(
            Buffer::from(chunk.to_vec()),
            ThreadsafeFunctionCallMode::NonBlocking,
        );
    }))
}

/// `startDevServer(options)` of the builder API.
#[napi]
pub async fn start_dev_server(
    options_json: String,
    on_stdout: Option<ThreadsafeFunction<Buffer, (), Buffer, Status, false, true>>,
    on_stderr: Option<ThreadsafeFunction<Buffer, (), Buffer, Status, false, true>>,
    on_log: Option<ThreadsafeFunction<String, (), String, Status, false, true>>,
) -> String {
    let sinks = dev_server::OutputSinks {
        stdout: sink(on_stdout),
        stderr: sink(on_stderr),
    };
    let result = match BuildOptions::from_json(&options_json) {
        Ok(options) => dev_server::start(&options, sinks, log(on_log)).await,
        Err(err) => Err(err),
    };
    respond(result)
}

/// Stops a standalone dev server's whole process group; `false` (and no
/// signal) for a pid this addon did not start.
#[napi]
pub async fn stop_dev_server(pid: u32) -> bool {
    dev_server::shutdown(pid).await
}

/// The Go parts of the package manifest `diagnostics()` reports: the Go
/// version asked for and used, and the modules the function is built from.
#[napi]
pub fn go_module_manifest(options_json: String) -> String {
    respond(BuildOptions::from_json(&options_json).and_then(|o| manifest::module_manifest(&o)))
}

/// `"handler"` or `"server"`: what the project's `framework` makes of an
/// entrypoint (the one place that decides it, for the JS layer too).
#[napi]
pub fn build_mode(framework: Option<String>) -> String {
    Mode::of(framework.as_deref()).name().to_string()
}

/// Whether the options' environment asks for the debugger
/// (`GO_BUILDER_DEBUG`): the dev server then lives across requests, for a
/// handler too (the one place that decides it, for the JS layer too).
#[napi]
pub fn debug_requested(options_json: String) -> bool {
    BuildOptions::from_json(&options_json).is_ok_and(|o| debugger::requested(&o.build_env()))
}

/// The standalone entrypoint: `configured` when it exists, else the first
/// of `main.go`, `cmd/api/main.go`, `cmd/server/main.go`.
#[napi]
pub fn detect_go_entrypoint(work_path: String, configured: Option<String>) -> Option<String> {
    server::detect_entrypoint(std::path::Path::new(&work_path), configured.as_deref())
}

/// `prepareCache({ workPath })`: prepares what the next deploy keeps and
/// lists those files, relative to the work path.
#[napi]
pub async fn prepare_cache(options_json: String) -> String {
    let result = match CacheOptions::from_json(&options_json) {
        Ok(options) => {
            let env = Env::new(options.env.clone());
            deploy_cache::prepare(&options.work_path, &env).await
        }
        Err(err) => Err(err),
    };
    respond(result)
}

/// Serves Go's cache protocol on this process's stdin/stdout for one `go`
/// command (the package's `cacheprog.js`, run as GOCACHEPROG when the
/// remote cache is on); resolves to an error message, or null.
#[napi]
pub async fn serve_go_cacheprog(env_json: String) -> Option<String> {
    let env = match serde_json::from_str(&env_json) {
        Ok(vars) => Env::new(vars),
        Err(e) => return Some(format!("bad environment: {e}")),
    };
    crate::remote_cache::serve_cacheprog(&env).await.err()
}

/// Resolves (finds or downloads) the Go toolchain the environment asks for,
/// e.g. `GOTOOLCHAIN=go1.26.8`: for the benchmark and tests of the
/// toolchain manager. Not part of the builder API.
#[napi]
pub async fn resolve_go_toolchain(
    options_json: String,
    on_log: Option<ThreadsafeFunction<String, (), String, Status, false, true>>,
) -> String {
    let log = log(on_log);
    let result = match BuildOptions::from_json(&options_json) {
        Ok(options) => {
            let env = options.build_env();
            crate::toolchain::for_build(None, None, &options.work_path, &env, &|line: &str| {
                log.line(line)
            })
            .await
            .map(|t| {
                serde_json::json!({
                    "goroot": t.go.goroot,
                    "version": t.go.version,
                    "notes": t.notes,
                })
            })
        }
        Err(err) => Err(err),
    };
    respond(result)
}
