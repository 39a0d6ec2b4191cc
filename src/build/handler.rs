//! Handler mode: one `func(http.ResponseWriter, *http.Request)` per file,
//! wrapped in the AWS Lambda runtime loop (`bootstrap`).

use std::collections::BTreeMap;

use crate::cache_dir;
use crate::error::{Error, Result};
use crate::git_credentials;
use crate::options::BuildOptions;
use crate::pipeline::{self, CompileSpec, Template};
use crate::target::Target;
use crate::toolchain;

use super::{BuildOutput, LambdaOptions, OutputFile};

/// Flags used when `GO_BUILD_FLAGS` is not set: strip symbols and DWARF.
const DEFAULT_BUILD_FLAGS: &[&str] = &["-ldflags", "-s -w"];

pub async fn build_handler(options: &BuildOptions) -> Result<BuildOutput> {
    let mut env = options.build_env();
    let architecture = options
        .function_config()
        .and_then(|f| f.architecture.clone());
    let target = Target::lambda(architecture.as_deref());
    let scratch = tempfile::Builder::new()
        .prefix("go-builder-")
        .tempdir_in(env.temp_dir())
        .map_err(|e| Error::io("create a temporary directory", e))?;
    git_credentials::scope_to_build(&mut env, scratch.path())?;
    let out_dir = tempfile::Builder::new()
        .prefix("go-builder-out-")
        .tempdir_in(env.temp_dir())
        .map_err(|e| Error::io("create the output directory", e))?
        .keep();
    let bootstrap = out_dir.join("bootstrap");
    let go = toolchain::find_on_path(&env)?;
    let cache = cache_dir::builder_cache_dir(&env);
    let repo_root = options.repo_root();
    let spec = CompileSpec {
        work_path: &options.work_path,
        repo_root: &repo_root,
        entrypoint: &options.entrypoint,
        template: Template::Lambda,
        target: target.clone(),
        build_flags: build_flags(env.get("GO_BUILD_FLAGS"))?,
        env: &env,
        go: &go,
        cache_dir: &cache,
        scratch: scratch.path(),
        output: &bootstrap,
    };
    let compiled = pipeline::compile(&spec).await;
    let compiled = match compiled {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&out_dir);
            return Err(e);
        }
    };
    Ok(BuildOutput {
        lambda: LambdaOptions {
            handler: "bootstrap".to_string(),
            runtime: "provided.al2023".to_string(),
            architecture: target.lambda_architecture().to_string(),
            runtime_language: "go".to_string(),
            supports_wrapper: Some(true),
            environment: BTreeMap::new(),
        },
        files: BTreeMap::from([(
            "bootstrap".to_string(),
            OutputFile {
                fs_path: bootstrap,
                mode: 0o755,
            },
        )]),
        include_files_base: compiled.entry.dir,
        notes: Vec::new(),
    })
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
