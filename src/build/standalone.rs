//! Standalone mode (`framework: "go"` / `"services"`): the user's whole
//! server (`user-server`) plus `executable`, the proxy that speaks the
//! platform's IPC protocol, as an `executable` Lambda.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::assets;
use crate::cache_dir;
use crate::embedded_program::{self, Program};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::exec;
use crate::git_credentials;
use crate::options::BuildOptions;
use crate::pipeline;
use crate::scratch;
use crate::standalone::{self, ServerSpec};
use crate::target::Target;
use crate::toolchain::{self, GoToolchain};

use super::{BuildOutput, LambdaOptions, OutputFile};

const EXECUTABLE: Program = Program {
    name: "executable",
    main_go: assets::EXECUTABLE_MAIN,
};

pub async fn build_standalone(options: &BuildOptions) -> Result<BuildOutput> {
    let entrypoint = standalone::require_entrypoint(&options.work_path, Some(&options.entrypoint))?;
    let target = Target::lambda(options.architecture.as_deref());
    let repo_root = options.repo_root();
    let module = standalone::module_files(&options.work_path, &repo_root, &entrypoint);
    let mut env = options.build_env();
    let scratch = scratch::create(&env)?;
    git_credentials::scope_to_build(&mut env, scratch.path())?;
    let toolchain = toolchain::for_build(
        module.go_mod.as_deref(),
        module.go_work.as_deref(),
        &options.work_path,
        &env,
        &toolchain::print_progress,
    )
    .await?;
    let (go, env) = (&toolchain.go, &toolchain.env);
    let out_dir = super::output_dir(env)?;
    let user_server = out_dir.path().join("user-server");
    let built = match options.config().build_command.as_deref() {
        Some(command) if !command.trim().is_empty() => {
            run_build_command(command, options, go, &target, env, &user_server).await
        }
        _ => {
            let cache = cache_dir::builder_cache_dir(env);
            let (stable, _slot) =
                super::stable_output(&cache, options, &entrypoint, &target, "user-server").await?;
            standalone::compile_server(&ServerSpec {
                work_path: &options.work_path,
                repo_root: &repo_root,
                entrypoint: &entrypoint,
                target: target.clone(),
                build_flags: pipeline::go_build_flags(env, super::DEFAULT_BUILD_FLAGS)?,
                env,
                go,
                output: &stable,
            })
            .await
            .and_then(|()| super::copy_output(&stable, &user_server))
        }
    };
    built?;
    let cache = cache_dir::builder_cache_dir(env);
    let proxy = embedded_program::ensure_compiled(&EXECUTABLE, go, &target, &cache, env).await?;
    let executable = out_dir.path().join("executable");
    std::fs::copy(&proxy, &executable).map_err(|e| Error::io_at("copy", &proxy, e))?;
    let _ = out_dir.keep();
    Ok(BuildOutput {
        lambda: LambdaOptions {
            handler: "executable".to_string(),
            runtime: "executable".to_string(),
            architecture: target.lambda_architecture().to_string(),
            runtime_language: "go".to_string(),
            supports_wrapper: None,
            supports_response_streaming: Some(true),
            environment: BTreeMap::new(),
        },
        files: BTreeMap::from([
            ("executable".to_string(), OutputFile::executable(executable)),
            (
                "user-server".to_string(),
                OutputFile::executable(user_server),
            ),
        ]),
        include_files_base: options.work_path.clone(),
        notes: toolchain.notes,
        routes: crate::routes::standalone_routes(options),
    })
}

/// Runs the project's `buildCommand` (through the shell, in the work path)
/// with `VERCEL_OUTPUT_FILE` set, then finds the Linux binary it produced.
async fn run_build_command(
    command: &str,
    options: &BuildOptions,
    go: &GoToolchain,
    target: &Target,
    env: &Env,
    user_server: &Path,
) -> Result<()> {
    let mut env = standalone::server_env(go, env, target);
    env.set("VERCEL_OUTPUT_FILE", user_server.to_string_lossy());
    let started = SystemTime::now();
    let out = exec::run_shell(command, &options.work_path, &env).await?;
    if !out.success {
        return Err(Error::BuildFailed {
            output: format!("`{command}` failed:\n{}", out.combined()),
        });
    }
    if user_server.is_file() {
        return Ok(());
    }
    let module_name = std::fs::read_to_string(options.work_path.join("go.mod"))
        .ok()
        .and_then(|t| crate::gomod::ModFile::parse(&t).module)
        .and_then(|m| m.rsplit('/').next().map(str::to_string));
    let found = find_new_binaries(&options.work_path, module_name.as_deref(), started);
    match found.as_slice() {
        [one] => std::fs::copy(one, user_server)
            .map(|_| ())
            .map_err(|e| Error::io_at("copy", one, e)),
        [] => Err(Error::BuildFailed {
            output: "No compiled Go binary found after buildCommand. Ensure your command \
                     produces a Linux binary (GOOS=linux is set), or use \
                     `go build -o $VERCEL_OUTPUT_FILE`."
                .to_string(),
        }),
        many => Err(Error::BuildFailed {
            output: format!(
                "Found multiple ELF binaries after buildCommand: {}. Use \
                 `go build -o $VERCEL_OUTPUT_FILE` to specify which binary to deploy.",
                many.iter()
                    .map(|p| p
                        .strip_prefix(&options.work_path)
                        .unwrap_or(p)
                        .display()
                        .to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

/// ELF files written since `since`: the usual names first (module name,
/// `server`, `app`, `main`, `api`), else every such file in the work path
/// and its `bin/`.
fn find_new_binaries(
    work_path: &Path,
    module_name: Option<&str>,
    since: SystemTime,
) -> Vec<PathBuf> {
    let is_new_elf = |path: &Path| {
        std::fs::metadata(path)
            .ok()
            .filter(|m| m.is_file())
            .and_then(|m| m.modified().ok())
            .is_some_and(|t| t >= since)
            && is_elf(path)
    };
    let preferred = module_name
        .into_iter()
        .chain(["server", "app", "main", "api"])
        .map(|name| work_path.join(name))
        .find(|p| is_new_elf(p));
    if let Some(path) = preferred {
        return vec![path];
    }
    [work_path.to_path_buf(), work_path.join("bin")]
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flat_map(|entries| entries.flatten().map(|e| e.path()))
        .filter(|p| is_new_elf(p))
        .collect()
}

fn is_elf(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"\x7fELF"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_one_new_elf_or_reports_many() {
        let dir = tempfile::tempdir().unwrap();
        let since = SystemTime::now() - std::time::Duration::from_secs(1);
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        assert!(find_new_binaries(dir.path(), None, since).is_empty());
        std::fs::create_dir(dir.path().join("bin")).unwrap();
        std::fs::write(dir.path().join("bin/one"), b"\x7fELFxx").unwrap();
        assert_eq!(find_new_binaries(dir.path(), None, since).len(), 1);
        std::fs::write(dir.path().join("two"), b"\x7fELFxx").unwrap();
        assert_eq!(find_new_binaries(dir.path(), None, since).len(), 2);
        std::fs::write(dir.path().join("server"), b"\x7fELFxx").unwrap();
        assert_eq!(
            find_new_binaries(dir.path(), None, since),
            vec![dir.path().join("server")]
        );
    }
}
