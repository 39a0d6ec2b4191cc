//! The `go build` step: one place assembles its command line and
//! environment, runs it, and says what kind of failure it was.

pub mod cgo;
mod cgo_choice;
pub mod cgo_scan;
mod failure;
mod flags;

pub use failure::{classify, failed_packages};
use flags::is_tags_flag;
pub use flags::{effective_tags, RELEASE_FLAGS};

use std::path::PathBuf;
use std::time::Duration;

use crate::env::Env;
use crate::error::Result;
use crate::exec;
use crate::log::Log;
use crate::project_index::{self, CacheUse};
use crate::target::Target;
use crate::toolchain::GoToolchain;

/// Whether cgo may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cgo {
    /// On for the programs whose import graph uses cgo, unless the user's
    /// `CGO_ENABLED=0` forbids it (see [`cgo`]).
    FromCode,
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
    /// The packages to build: one, written to `output`, or several `main`
    /// packages, written into the directory `output` under the last element
    /// of their import paths.
    pub packages: Vec<String>,
    pub output: PathBuf,
    pub cgo: Cgo,
    /// `-p`: how many packages Go builds at once (Go's default: the cores).
    pub parallelism: Option<usize>,
    /// Build tags the builder adds, unless the user's flags set `-tags`
    /// themselves (then theirs are the whole set).
    pub tags: Vec<&'static str>,
    /// Where to record what the build used of Go's build cache (`None`:
    /// nowhere).
    pub cache_use: Option<CacheUse>,
    /// No file of the user's sources (the build's
    /// [`SourceSet`](crate::source_set::SourceSet)) may use cgo: the
    /// programs are built static first and the modules they were built
    /// from checked afterwards ([`cgo_scan`]), instead of asking
    /// `go list` before.
    pub cgo_free_sources: bool,
}

impl GoBuild {
    /// A static build of the builder's own program (`packages` of the module
    /// in `cwd`) to `output`: no cgo, no parallelism setting, no tags, no
    /// record of cache use, and nothing of `env` that would change how it is
    /// built (the user's flags, experiments, module mode and workspace).
    pub fn own_program(cwd: PathBuf, env: &Env, packages: Vec<String>, output: PathBuf) -> GoBuild {
        let mut env = env.clone();
        for key in ["GOFLAGS", "GOEXPERIMENT", "GO111MODULE", "GO_BUILD_FLAGS"] {
            env.remove(key);
        }
        env.set("GOWORK", "off");
        GoBuild {
            cwd,
            env,
            module_flags: Vec::new(),
            build_flags: Vec::new(),
            packages,
            output,
            cgo: Cgo::Off,
            parallelism: None,
            tags: Vec::new(),
            cache_use: None,
            cgo_free_sources: false,
        }
    }

    /// `build <module flags> -trimpath [-buildvcs=false] [-p N] <build
    /// flags> -o <output> <packages>`. `-trimpath` and no VCS stamping make
    /// the program depend on its sources only, not on where they are
    /// checked out (so Go's cache hits at a new path, and two checkouts give
    /// the same bytes); the user's flags come after ours and win.
    pub fn args(&self) -> Vec<String> {
        self.args_for(&self.packages)
    }

    /// [`GoBuild::args`] for some of the packages (into the same output).
    fn args_for(&self, packages: &[String]) -> Vec<String> {
        let mut args = vec!["build".to_string()];
        args.extend(self.selection_flags());
        if let Some(n) = self.parallelism {
            args.push(format!("-p={n}"));
        }
        args.push("-o".to_string());
        let mut output = self.output.to_string_lossy().into_owned();
        if self.packages.len() > 1 {
            output.push(std::path::MAIN_SEPARATOR);
        }
        args.push(output);
        args.extend(packages.iter().cloned());
        args
    }

    /// The go.sum of the alternate go.mod (`-modfile`), if the build has one:
    /// Go reads it in place of the module's.
    fn modfile_sum(&self) -> Option<PathBuf> {
        self.module_flags
            .iter()
            .find_map(|f| f.strip_prefix("-modfile="))
            .map(|modfile| {
                PathBuf::from(format!(
                    "{}.sum",
                    modfile.strip_suffix(".mod").unwrap_or(modfile)
                ))
            })
    }

    /// The flags that decide which files and packages make the program: the
    /// module flags, `-trimpath`, `-buildvcs=false`, the tags and the user's
    /// build flags (after ours, so theirs win).
    fn selection_flags(&self) -> Vec<String> {
        let mut args = self.module_flags.clone();
        args.push("-trimpath".to_string());
        let user_chose_vcs = self
            .env
            .get("GOFLAGS")
            .is_some_and(|flags| flags.contains("-buildvcs"));
        if !user_chose_vcs {
            args.push("-buildvcs=false".to_string());
        }
        if !self.tags.is_empty() && !self.build_flags.iter().any(|f| is_tags_flag(f)) {
            args.push(format!("-tags={}", self.tags.join(",")));
        }
        args.extend(self.build_flags.iter().cloned());
        args
    }

    /// Runs it, writing what Go prints to `log` as it comes; a failure is
    /// classified by what Go printed. Programs that use cgo are built with
    /// it on, in a `go build` of their own.
    pub async fn run(&self, go: &GoToolchain, target: &Target, log: &Log) -> Result<()> {
        if self.static_first(go) {
            return self.run_static_first(go, target, log).await;
        }
        let groups = self.cgo_groups(go, target).await;
        self.run_groups(groups, go, target, log).await
    }

    /// Runs one `go build` per group, cgo on for a group that uses it.
    async fn run_groups(
        &self,
        groups: Vec<(Vec<String>, Vec<String>)>,
        go: &GoToolchain,
        target: &Target,
        log: &Log,
    ) -> Result<()> {
        for (i, (packages, cgo_users)) in groups.into_iter().enumerate() {
            let out = self
                .run_one(&i.to_string(), &packages, &cgo_users, go, target, log)
                .await?;
            if !out.success {
                return Err(classify(out.combined()));
            }
        }
        Ok(())
    }

    /// One `go build` of `packages`, cgo on when `cgo_users` (the cgo
    /// packages they use) is not empty; `label` names its action graph.
    async fn run_one(
        &self,
        label: &str,
        packages: &[String],
        cgo_users: &[String],
        go: &GoToolchain,
        target: &Target,
        log: &Log,
    ) -> Result<exec::Output> {
        let mut env = go_env(go, &self.env, target);
        if !cgo_users.is_empty() {
            log.line(&cgo::note(cgo_users));
            env.set("CGO_ENABLED", "1");
        }
        let _work = go_work_dir(&mut env)?;
        let mut args = self.args_for(packages);
        let graph = self
            .cache_use
            .as_ref()
            .map(|u| u.scratch.join(format!("actiongraph-{label}.json")));
        if let Some(graph) = &graph {
            // Which build-cache entries the build used, for prepareCache().
            args.insert(1, format!("-debug-actiongraph={}", graph.display()));
        }
        let deadline = build_deadline(&self.env);
        let out = exec::run_logged(&go.go, &args, &self.cwd, &env, log, deadline).await?;
        if let (Some(used), Some(graph)) = (&self.cache_use, &graph) {
            let mut sums = used.sums.clone();
            sums.extend(self.modfile_sum());
            project_index::remember_build(&used.index, graph, &sums);
        }
        Ok(out)
    }
}

/// `GO_BUILDER_BUILD_TIMEOUT` (seconds): how long one `go build` may run.
pub const BUILD_TIMEOUT_ENV: &str = "GO_BUILDER_BUILD_TIMEOUT";
const DEFAULT_BUILD_TIMEOUT: Duration = Duration::from_secs(30 * 60);

fn build_deadline(env: &Env) -> Duration {
    env.get(BUILD_TIMEOUT_ENV)
        .and_then(|v| v.trim().parse().ok())
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_BUILD_TIMEOUT)
}

/// A scratch directory for Go's own temporary work directory (`GOTMPDIR`,
/// unless the user chose one), removed when dropped: when the build is
/// killed with everything it started, Go cannot remove its `go-build…`
/// directory, and in a scratch directory the next build sweeps it.
fn go_work_dir(env: &mut Env) -> Result<Option<tempfile::TempDir>> {
    if env.non_empty("GOTMPDIR").is_some() {
        return Ok(None);
    }
    let dir = crate::scratch::create(env)?;
    env.set("GOTMPDIR", dir.path().to_string_lossy());
    Ok(Some(dir))
}

/// The environment a `go` command (or the project's build command) runs
/// with to build for `target`: `go`'s own settings, GOOS/GOARCH and cgo
/// off (a [`GoBuild`] turns it on for the programs that use it).
pub fn go_env(go: &GoToolchain, base: &Env, target: &Target) -> Env {
    let mut env = go.target_env(base, target);
    env.set("CGO_ENABLED", "0");
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assembles_the_command_line() {
        let mut build = GoBuild {
            cwd: PathBuf::from("/m"),
            env: Env::default(),
            module_flags: vec!["-mod=mod".into()],
            build_flags: vec!["-ldflags".into(), "-s -w".into()],
            packages: vec!["./cmd".into()],
            output: PathBuf::from("/o/bin"),
            cgo: Cgo::Off,
            parallelism: None,
            tags: Vec::new(),
            cache_use: None,
            cgo_free_sources: false,
        };
        assert_eq!(
            build.args(),
            vec![
                "build",
                "-mod=mod",
                "-trimpath",
                "-buildvcs=false",
                "-ldflags",
                "-s -w",
                "-o",
                "/o/bin",
                "./cmd"
            ]
        );
        build.env.set("GOFLAGS", "-buildvcs=true");
        build.packages.push("./other".into());
        build.parallelism = Some(3);
        let args = build.args();
        assert!(!args.contains(&"-buildvcs=false".to_string()));
        assert!(args.contains(&"-p=3".to_string()));
        assert!(args.ends_with(&["/o/bin/".into(), "./cmd".into(), "./other".into()]));
    }

    #[test]
    fn builder_tags_unless_the_user_sets_tags() {
        let mut build = GoBuild {
            cwd: PathBuf::from("/m"),
            env: Env::default(),
            module_flags: Vec::new(),
            build_flags: vec!["-ldflags".into(), "-s -w".into()],
            packages: vec![".".into()],
            output: PathBuf::from("/o/bin"),
            cgo: Cgo::FromCode,
            parallelism: None,
            tags: vec!["lambda.norpc"],
            cache_use: None,
            cgo_free_sources: false,
        };
        assert!(build.args().contains(&"-tags=lambda.norpc".to_string()));
        build.build_flags = vec!["-tags".into(), "prod".into()];
        let args = build.args();
        assert!(!args.iter().any(|a| a.contains("lambda.norpc")));
        assert!(args.contains(&"prod".to_string()));
        build.build_flags = vec!["--tags=prod".into()];
        assert!(!build.args().iter().any(|a| a.contains("lambda.norpc")));
    }
}
