//! The `go build` step: one place assembles its command line and
//! environment, runs it, and says what kind of failure it was.

use std::path::PathBuf;

use crate::env::Env;
use crate::error::{Error, Result};
use crate::exec;
use crate::target::Target;
use crate::toolchain::GoToolchain;

/// Whether cgo may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cgo {
    /// Off unless the user's environment turns it on.
    OffByDefault,
    /// Always off: a static binary.
    Off,
}

/// One `go build` invocation.
#[derive(Debug, Clone)]
pub struct GoBuild {
    /// Where it runs (the module, or the scratch module).
    pub cwd: PathBuf,
    /// The build's environment (GOOS/GOARCH and Go's own settings are
    /// added by [`GoBuild::run`]).
    pub env: Env,
    /// How the module is presented: `-modfile`, `-mod`, `-overlay`.
    pub module_flags: Vec<String>,
    /// `GO_BUILD_FLAGS`, or the builder's defaults.
    pub build_flags: Vec<String>,
    /// The package to build.
    pub package: String,
    pub output: PathBuf,
    pub cgo: Cgo,
}

impl GoBuild {
    /// `build <module flags> <build flags> -o <output> <package>`.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec!["build".to_string()];
        args.extend(self.module_flags.iter().cloned());
        args.extend(self.build_flags.iter().cloned());
        args.push("-o".to_string());
        args.push(self.output.to_string_lossy().into_owned());
        args.push(self.package.clone());
        args
    }

    /// Runs it; a failure is classified by what Go printed.
    pub async fn run(&self, go: &GoToolchain, target: &Target) -> Result<()> {
        let env = go_env(go, &self.env, target, self.cgo);
        let out = exec::run(&go.go, &self.args(), &self.cwd, &env).await?;
        if out.success {
            Ok(())
        } else {
            Err(classify(out.combined()))
        }
    }
}

/// The environment a `go` command (or the project's build command) runs
/// with to build for `target`: `go`'s own settings, GOOS/GOARCH and cgo.
pub fn go_env(go: &GoToolchain, base: &Env, target: &Target, cgo: Cgo) -> Env {
    let mut env = go.target_env(base, target);
    match cgo {
        Cgo::OffByDefault => env.set_default("CGO_ENABLED", "0"),
        Cgo::Off => env.set("CGO_ENABLED", "0"),
    }
    env
}

/// A `go build` failure: resolving the module graph (what `go mod tidy`
/// would do), a go.mod Go cannot read, or compiling.
pub fn classify(output: String) -> Error {
    const MODULE_MARKERS: &[&str] = &[
        "no required module provides package",
        "cannot find module providing package",
        "missing go.sum entry",
        "unknown revision",
        "invalid version",
        "verifying module",
        "reading https://",
        "malformed module path",
        "go: updates to go.mod needed",
        "module lookup disabled",
    ];
    if output.contains("errors parsing go.mod") {
        Error::GoModInvalid { output }
    } else if MODULE_MARKERS.iter().any(|m| output.contains(m)) {
        Error::ModTidyFailed { output }
    } else {
        Error::BuildFailed { output }
    }
}

/// The default flags of a deployed program: no symbols, no DWARF.
pub const RELEASE_FLAGS: &[&str] = &["-ldflags", "-s -w"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assembles_the_command_line() {
        let build = GoBuild {
            cwd: PathBuf::from("/m"),
            env: Env::default(),
            module_flags: vec!["-mod=mod".into()],
            build_flags: vec!["-ldflags".into(), "-s -w".into()],
            package: "./cmd".into(),
            output: PathBuf::from("/o/bin"),
            cgo: Cgo::Off,
        };
        assert_eq!(
            build.args(),
            vec!["build", "-mod=mod", "-ldflags", "-s -w", "-o", "/o/bin", "./cmd"]
        );
    }

    #[test]
    fn classifies_failures() {
        assert_eq!(
            classify("main.go:3:2: no required module provides package github.com/x/y".into())
                .code(),
            "GO_MOD_TIDY_FAILED"
        );
        assert_eq!(
            classify("# example.com/app/api\napi/index.go:5:2: undefined: foo".into()).code(),
            "GO_BUILD_FAILED"
        );
        assert_eq!(
            classify("go: errors parsing go.mod:\n/s/go.mod:3: invalid go version 'abc'".into())
                .code(),
            "GO_MOD_INVALID"
        );
    }
}
