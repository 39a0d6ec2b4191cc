//! Standalone servers (`framework: "go"` / `"services"`): finding the
//! server's entrypoint and compiling it with `go build`. Used by `build()`
//! (the Lambda's `user-server`) and by the dev server.

use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::error::{Error, Result};
use crate::exec;
use crate::gomod;
use crate::target::Target;
use crate::toolchain::GoToolchain;

/// Where a standalone server is looked for, in order.
pub const CANDIDATE_ENTRYPOINTS: &[&str] = &["main.go", "cmd/api/main.go", "cmd/server/main.go"];

/// The configured entrypoint when it exists, else the first candidate found.
pub fn detect_entrypoint(work_path: &Path, configured: Option<&str>) -> Option<String> {
    configured
        .filter(|c| !c.is_empty() && work_path.join(c).is_file())
        .map(str::to_string)
        .or_else(|| {
            CANDIDATE_ENTRYPOINTS
                .iter()
                .find(|c| work_path.join(c).is_file())
                .map(|c| c.to_string())
        })
}

/// [`detect_entrypoint`], or the reference builder's error.
pub fn require_entrypoint(work_path: &Path, configured: Option<&str>) -> Result<String> {
    detect_entrypoint(work_path, configured).ok_or_else(|| Error::EntrypointNotFound {
        candidates: CANDIDATE_ENTRYPOINTS.join(", "),
    })
}

/// A `go build` of the user's own `main` package.
pub struct ServerSpec<'a> {
    pub work_path: &'a Path,
    pub repo_root: &'a Path,
    /// Relative to `work_path`.
    pub entrypoint: &'a str,
    pub target: Target,
    pub build_flags: Vec<String>,
    pub env: &'a Env,
    pub go: &'a GoToolchain,
    pub output: &'a Path,
}

/// The directory `go build` runs in (the module of the entry, searched up to
/// the repository root, else the work path) and the package to build.
pub fn build_location(work_path: &Path, repo_root: &Path, entrypoint: &str) -> (PathBuf, String) {
    let entry_dir = work_path
        .join(entrypoint)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| work_path.to_path_buf());
    let stop = gomod::search_boundary(&entry_dir, repo_root, work_path);
    let cwd = gomod::find_upwards(&entry_dir, stop, "go.mod")
        .and_then(|m| m.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| work_path.to_path_buf());
    let rel = entry_dir.strip_prefix(&cwd).unwrap_or(Path::new(""));
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let package = if parts.is_empty() {
        ".".to_string()
    } else {
        format!("./{}", parts.join("/"))
    };
    (cwd, package)
}

/// The go.mod and go.work that apply to a standalone entrypoint (they pick
/// the Go version).
pub struct ModuleFiles {
    pub go_mod: Option<PathBuf>,
    pub go_work: Option<PathBuf>,
}

pub fn module_files(work_path: &Path, repo_root: &Path, entrypoint: &str) -> ModuleFiles {
    let (cwd, _) = build_location(work_path, repo_root, entrypoint);
    let stop = gomod::search_boundary(&cwd, repo_root, work_path);
    ModuleFiles {
        go_mod: Some(cwd.join("go.mod")).filter(|p| p.is_file()),
        go_work: gomod::find_upwards(&cwd, stop, "go.work"),
    }
}

/// The environment a server (or the project's buildCommand) is built with:
/// the target's GOOS/GOARCH and, as the reference does, no cgo — a static
/// binary for the platform.
pub fn server_env(go: &GoToolchain, base: &Env, target: &Target) -> Env {
    let mut env = go.target_env(base, target);
    env.set("CGO_ENABLED", "0");
    env
}

/// Compiles the server.
pub async fn compile_server(spec: &ServerSpec<'_>) -> Result<()> {
    let (cwd, package) = build_location(spec.work_path, spec.repo_root, spec.entrypoint);
    let mut args = vec!["build".to_string()];
    args.extend(spec.build_flags.iter().cloned());
    args.push("-o".to_string());
    args.push(spec.output.to_string_lossy().into_owned());
    args.push(package);
    let env = server_env(spec.go, spec.env, &spec.target);
    let out = exec::run(&spec.go.go, &args, &cwd, &env).await?;
    if out.success {
        Ok(())
    } else {
        Err(Error::BuildFailed {
            output: out.combined(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_configured_then_candidates() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert_eq!(detect_entrypoint(root, None), None);
        assert_eq!(
            require_entrypoint(root, None).unwrap_err().to_string(),
            "No Go entrypoint found. Expected one of: main.go, cmd/api/main.go, cmd/server/main.go"
        );
        std::fs::create_dir_all(root.join("cmd/server")).unwrap();
        std::fs::write(root.join("cmd/server/main.go"), "package main").unwrap();
        assert_eq!(
            detect_entrypoint(root, None).as_deref(),
            Some("cmd/server/main.go")
        );
        assert_eq!(
            detect_entrypoint(root, Some("missing.go")).as_deref(),
            Some("cmd/server/main.go")
        );
        std::fs::write(root.join("srv.go"), "package main").unwrap();
        assert_eq!(
            detect_entrypoint(root, Some("srv.go")).as_deref(),
            Some("srv.go")
        );
    }

    #[test]
    fn build_location_uses_the_entry_module() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("cmd/api")).unwrap();
        std::fs::write(root.join("go.mod"), "module x").unwrap();
        assert_eq!(
            build_location(root, root, "cmd/api/main.go"),
            (root.to_path_buf(), "./cmd/api".to_string())
        );
        assert_eq!(
            build_location(root, root, "main.go"),
            (root.to_path_buf(), ".".to_string())
        );
    }
}
