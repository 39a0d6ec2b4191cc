//! The napi binding: converts between JS and the Rust core, nothing else.
//!
//! Every async function takes its options as one JSON string and resolves to
//! a JSON string `{"ok": …}` or `{"error": {code, message, link}}`, so bad
//! input is a rejection-free, typed result the JS layer turns into a
//! `NowBuildError`.

use napi_derive::napi;
use serde::Serialize;

use crate::error::Error;
use crate::options::BuildOptions;
use crate::{build, handler_name};

fn respond<T: Serialize>(result: Result<T, Error>) -> String {
    let value = match result {
        Ok(ok) => serde_json::json!({ "ok": ok }),
        Err(err) => serde_json::json!({ "error": err.to_data() }),
    };
    value.to_string()
}

/// `build(options)` of the builder API.
#[napi]
pub async fn build(options_json: String) -> String {
    let result = match BuildOptions::from_json(&options_json) {
        Ok(options) => build::build(&options).await,
        Err(err) => Err(err),
    };
    respond(result)
}

/// `getNewHandlerFunctionName(name, entrypoint)`.
#[napi]
pub fn new_handler_function_name(name: String, entrypoint: String) -> String {
    handler_name::new_handler_function_name(&name, &entrypoint)
}
