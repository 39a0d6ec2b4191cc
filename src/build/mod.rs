//! `build()`: turns an entrypoint into a Lambda description. The JS layer
//! turns the description into `@vercel/build-utils` objects.

mod handler;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::error::Result;
use crate::options::BuildOptions;

pub use handler::build_handler;

/// A file of the Lambda, on disk.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputFile {
    pub fs_path: PathBuf,
    pub mode: u32,
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
    /// Things the user should know (printed by the JS layer).
    pub notes: Vec<String>,
}

/// Builds according to the options (handler mode for now).
pub async fn build(options: &BuildOptions) -> Result<BuildOutput> {
    build_handler(options).await
}
