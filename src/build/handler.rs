//! Handler mode: one `func(http.ResponseWriter, *http.Request)` per file,
//! wrapped in the AWS Lambda runtime loop (`bootstrap`).

use std::collections::BTreeMap;

use crate::cache_dir;
use crate::error::Result;
use crate::git_credentials;
use crate::options::BuildOptions;
use crate::pipeline::{self, CompileSpec, Layout, Template};
use crate::scratch;
use crate::target::Target;
use crate::toolchain;

use super::{BuildOutput, LambdaOptions, OutputFile};

pub async fn build_handler(options: &BuildOptions) -> Result<BuildOutput> {
    let mut env = options.build_env();
    let target = Target::lambda(options.architecture.as_deref());
    let scratch = scratch::create(&env)?;
    git_credentials::scope_to_build(&mut env, scratch.path())?;
    let repo_root = options.repo_root();
    let (entry, layout) =
        Layout::locate(&options.work_path, &repo_root, &options.entrypoint, &env)?;
    let toolchain = toolchain::for_build(
        layout.go_mod(),
        layout.go_work(),
        &options.work_path,
        &env,
        &toolchain::print_progress,
    )
    .await?;
    // Removed on every error path; kept only once the build succeeded.
    let out_dir = super::output_dir(&env)?;
    let bootstrap = out_dir.path().join("bootstrap");
    let cache = cache_dir::builder_cache_dir(&env);
    let (stable, _slot) =
        super::stable_output(&cache, options, &entry.rel, &target, "bootstrap").await?;
    let spec = CompileSpec {
        work_path: &options.work_path,
        repo_root: &repo_root,
        entry: &entry,
        layout: &layout,
        template: Template::Lambda,
        target: target.clone(),
        build_flags: pipeline::go_build_flags(&env, super::DEFAULT_BUILD_FLAGS)?,
        env: &toolchain.env,
        go: &toolchain.go,
        cache_dir: &cache,
        scratch: scratch.path(),
        output: &stable,
    };
    pipeline::compile(&spec).await?;
    super::copy_output(&stable, &bootstrap)?;
    let _ = out_dir.keep();
    Ok(BuildOutput {
        lambda: LambdaOptions {
            handler: "bootstrap".to_string(),
            runtime: "provided.al2023".to_string(),
            architecture: target.lambda_architecture().to_string(),
            runtime_language: "go".to_string(),
            supports_wrapper: Some(true),
            supports_response_streaming: None,
            environment: BTreeMap::new(),
        },
        files: BTreeMap::from([("bootstrap".to_string(), OutputFile::executable(bootstrap))]),
        include_files_base: entry.dir,
        notes: toolchain.notes,
        routes: None,
    })
}
