//! `build()`: turns an entrypoint into a Lambda description. The JS layer
//! turns the description into `@vercel/build-utils` objects.

mod handler;
mod standalone;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::env::Env;
use crate::error::{Error, Result};
use crate::options::BuildOptions;

pub use handler::build_handler;
pub use standalone::build_standalone;

/// Flags used when `GO_BUILD_FLAGS` is not set: strip symbols and DWARF.
const DEFAULT_BUILD_FLAGS: &[&str] = &["-ldflags", "-s -w"];

/// A file of the Lambda, on disk.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputFile {
    pub fs_path: PathBuf,
    pub mode: u32,
}

impl OutputFile {
    pub fn executable(fs_path: PathBuf) -> Self {
        OutputFile {
            fs_path,
            mode: 0o755,
        }
    }
}

/// The Lambda's own options (the `Lambda` constructor's arguments besides files).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LambdaOptions {
    pub handler: String,
    pub runtime: String,
    pub architecture: String,
    pub runtime_language: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_wrapper: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_response_streaming: Option<bool>,
    pub environment: BTreeMap<String, String>,
}

/// What `build()` produced.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildOutput {
    pub lambda: LambdaOptions,
    pub files: BTreeMap<String, OutputFile>,
    /// Directory `config.includeFiles` globs are relative to.
    pub include_files_base: PathBuf,
    /// The entrypoint that was built (standalone mode may detect it).
    pub entrypoint: String,
    /// Things the user should know (printed by the JS layer).
    pub notes: Vec<String>,
}

/// Builds according to the options: a standalone server for `framework`
/// `go`/`services`, else a handler.
pub async fn build(options: &BuildOptions) -> Result<BuildOutput> {
    match options.config().framework.as_deref() {
        Some("go") | Some("services") => build_standalone(options).await,
        _ => build_handler(options).await,
    }
}

/// A fresh directory for the Lambda's files. Removed when dropped; a
/// successful build `keep()`s it, since the CLI reads the files afterwards
/// (like the reference builder's output).
fn output_dir(env: &Env) -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("go-builder-out-")
        .tempdir_in(env.temp_dir())
        .map_err(|e| Error::io("create the output directory", e))
}

/// Progress of long steps (toolchain downloads), printed to the build log.
fn print_progress(line: &str) {
    println!("{line}");
}

/// `GO_BUILD_FLAGS`, split like a shell would, replaces the default flags.
fn build_flags(value: Option<&str>) -> Result<Vec<String>> {
    match value.filter(|v| !v.trim().is_empty()) {
        Some(flags) => shell_words::split(flags)
            .map_err(|e| Error::InvalidOptions(format!("GO_BUILD_FLAGS: {e}"))),
        None => Ok(DEFAULT_BUILD_FLAGS.iter().map(|s| s.to_string()).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_flags_default_and_override() {
        assert_eq!(build_flags(None).unwrap(), vec!["-ldflags", "-s -w"]);
        assert_eq!(
            build_flags(Some("-tags 'a b' -ldflags=\"-X main.v=1\"")).unwrap(),
            vec!["-tags", "a b", "-ldflags=-X main.v=1"]
        );
        assert!(build_flags(Some("-tags 'open")).is_err());
    }
}
