//! The options the Vercel CLI passes to `build()` / `startDevServer()`, as the
//! JS layer serializes them. `config` and `meta` hold nulls and arbitrary
//! keys, so everything is optional and unknown keys are ignored (a missing
//! `Option` field is `None`: serde needs no `default` for those).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::env::Env;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildOptions {
    pub work_path: PathBuf,
    pub repo_root_path: Option<PathBuf>,
    /// The file to build, relative to `work_path`.
    pub entrypoint: String,
    pub config: Option<Config>,
    pub meta: Option<Meta>,
    /// The function's `architecture` (`x86_64` / `arm64`), which the JS
    /// layer takes from the matching `config.functions` entry with
    /// build-utils' own matching (one source of truth for every option).
    pub architecture: Option<String>,
    /// The service this build belongs to, when the CLI builds a services
    /// project.
    pub service: Option<Service>,
    /// The project's other handler entrypoints the CLI would route (from
    /// `files`), with their functions' architectures: what one pass may
    /// build together with this one.
    #[serde(default)]
    pub candidates: Vec<Candidate>,
    /// The directory of the prebuilt helper programs shipped with the
    /// package (set by the JS layer when it has one).
    pub helpers_dir: Option<PathBuf>,
    /// The function config's `supportsResponseStreaming` (the JS layer
    /// reads it as the other builders do): `Some` overrides what the code
    /// says.
    pub supports_response_streaming: Option<bool>,
    /// The Node running the builder (git's credential helper runs with it).
    pub node_path: Option<PathBuf>,
    /// The package's `cacheprog.js`: Go's cache program when the remote
    /// cache is on (see [`crate::remote_cache`]).
    pub cacheprog_path: Option<PathBuf>,
    /// Snapshot of `process.env` taken by the JS layer.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    pub framework: Option<String>,
    pub build_command: Option<String>,
    /// Set by the CLI when it chose the builder itself (no `builds` entry):
    /// the function is then written under the entrypoint without extension.
    pub zero_config: Option<bool>,
    pub project_settings: Option<ProjectSettings>,
}

/// The project's settings, as the CLI passes them in `config`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectSettings {
    pub build_command: Option<String>,
}

/// The `service` build option: `type` is set for the CLI's first services
/// layout (whose routes the CLI writes itself), absent for the second.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub route_prefix: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    pub is_dev: Option<bool>,
    pub env: Option<BTreeMap<String, Option<String>>>,
    pub build_env: Option<BTreeMap<String, Option<String>>>,
    /// Port for a standalone dev server (`vercel dev` may choose one).
    pub port: Option<u16>,
    /// Rebuild on save: the JS layer asks for it once per dev server.
    pub watch: Option<bool>,
    /// Whether this start runs under the debugger: the JS layer's decision
    /// (it stops asking for a function whose debugger could not run);
    /// unset, `GO_BUILDER_DEBUG` decides.
    pub debug: Option<bool>,
    /// Under the debugger: which debugged function of this dev session this
    /// is (0 for the first), which picks its port.
    pub debug_ordinal: Option<u16>,
}

/// Another handler entrypoint of the project.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    pub entrypoint: String,
    pub architecture: Option<String>,
    /// Its function config's `supportsResponseStreaming`, if set.
    pub supports_response_streaming: Option<bool>,
}

/// The options of `prepareCache()`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheOptions {
    pub work_path: PathBuf,
    /// Snapshot of `process.env` taken by the JS layer.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// An options object the JS layer passes as JSON.
pub trait FromJson: DeserializeOwned {
    fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|e| Error::InvalidOptions(e.to_string()))
    }
}

impl FromJson for BuildOptions {}
impl FromJson for CacheOptions {}

impl BuildOptions {
    pub fn config(&self) -> &Config {
        static DEFAULT: Config = Config {
            framework: None,
            build_command: None,
            zero_config: None,
            project_settings: None,
        };
        self.config.as_ref().unwrap_or(&DEFAULT)
    }

    /// The project's build command for a server: `config.buildCommand`,
    /// else the project settings' (as the CLI passes either).
    pub fn build_command(&self) -> Option<&str> {
        let config = self.config();
        config
            .build_command
            .as_deref()
            .or_else(|| {
                config
                    .project_settings
                    .as_ref()
                    .and_then(|p| p.build_command.as_deref())
            })
            .filter(|c| !c.trim().is_empty())
    }

    /// The Node to run small helper scripts with: the one running the
    /// builder, else `node` from PATH.
    pub fn node(&self) -> PathBuf {
        self.node_path
            .clone()
            .unwrap_or_else(|| PathBuf::from("node"))
    }

    /// The repository root (upper bound for go.work), defaulting to the work path.
    pub fn repo_root(&self) -> PathBuf {
        self.repo_root_path
            .clone()
            .unwrap_or_else(|| self.work_path.clone())
    }

    /// process env + `meta.buildEnv` + `meta.env`.
    pub fn build_env(&self) -> Env {
        let mut env = Env::new(self.env.clone());
        if let Some(meta) = &self.meta {
            for extra in [&meta.build_env, &meta.env].into_iter().flatten() {
                env.extend(
                    extra
                        .iter()
                        .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v))),
                );
            }
        }
        env
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerates_nulls_and_unknown_keys() {
        let o = BuildOptions::from_json(
            r#"{"entrypoint":"api/x.go","workPath":"/w","repoRootPath":null,
                "config":{"framework":null,"includeFiles":["a"],"zeroConfig":true,
                          "functions":{"api/*.go":{"architecture":"arm64","memory":1024}}},
                "architecture":"arm64",
                "meta":{"isDev":null,"env":{"A":"1","B":null},"skipDownload":true},
                "env":{"A":"0","PATH":"/bin"}}"#,
        )
        .unwrap();
        assert_eq!(o.build_env().get("A"), Some("1"));
        assert_eq!(o.build_env().get("B"), None);
        assert_eq!(o.architecture.as_deref(), Some("arm64"));
        assert_eq!(o.repo_root(), PathBuf::from("/w"));
    }

    #[test]
    fn config_null_is_default() {
        let o = BuildOptions::from_json(
            r#"{"entrypoint":"a.go","workPath":"/w","config":null,"meta":null}"#,
        )
        .unwrap();
        assert!(o.config().framework.is_none());
        assert!(o.architecture.is_none());
    }

    #[test]
    fn bad_options_are_typed_errors() {
        let err = BuildOptions::from_json(r#"{"entrypoint":5}"#).unwrap_err();
        assert_eq!(err.code(), "GO_INVALID_OPTIONS");
    }
}
