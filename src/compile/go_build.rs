//! The `go build` step: one place assembles its command line and
//! environment, runs it, and says what kind of failure it was.

use std::path::PathBuf;
use std::time::Duration;

use super::cgo;
use super::cgo_scan::ModuleFiles;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::exec;
use crate::go_buildinfo::{self, Found};
use crate::log::Log;
use crate::project_index::{self, CacheUse};
use crate::target::Target;
use crate::toolchain::GoToolchain;

/// Whether cgo may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cgo {
    /// On for the programs whose import graph uses cgo, unless the user's
    /// `CGO_ENABLED=0` forbids it (see [`super::cgo`]).
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
    /// from checked afterwards ([`super::cgo_scan`]), instead of asking
    /// `go list` before.
    pub cgo_free_sources: bool,
}

impl GoBuild {
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

    /// Whether the build may go static first: cgo decided from the code,
    /// the user's sources free of it, and a Go (≥ 1.18) whose programs
    /// carry their module list inline.
    fn static_first(&self, go: &GoToolchain) -> bool {
        self.cgo == Cgo::FromCode
            && self.cgo_free_sources
            && !cgo::forbidden_by_user(&self.env)
            && go
                .parsed_version()
                .is_some_and(|v| (v.major, v.minor) >= (1, 18))
    }

    /// Builds every program static, then checks the modules each was built
    /// from. Only when one may use cgo (or the build failed) does Go decide
    /// with `go list`, and the programs that need cgo are built again with
    /// it: the outcome is exactly [`GoBuild::cgo_groups`]'s.
    async fn run_static_first(&self, go: &GoToolchain, target: &Target, log: &Log) -> Result<()> {
        let out = self
            .run_one("static", &self.packages, &[], go, target, log)
            .await?;
        if out.success && self.outputs().iter().all(|p| self.built_without_cgo(p, go)) {
            return Ok(());
        }
        let groups = self.cgo_groups(go, target).await;
        if groups.iter().all(|(_, users)| users.is_empty()) {
            return match out.success {
                true => Ok(()),
                false => Err(classify(out.combined())),
            };
        }
        let rebuild = match out.success {
            // The static programs are built already.
            true => groups.into_iter().filter(|(_, u)| !u.is_empty()).collect(),
            false => groups,
        };
        self.run_groups(rebuild, go, target, log).await
    }

    /// Where `go build` wrote each package's program.
    fn outputs(&self) -> Vec<PathBuf> {
        if self.packages.len() == 1 {
            return vec![self.output.clone()];
        }
        self.packages
            .iter()
            .map(|p| {
                let name = p.trim_end_matches('/').rsplit('/').next().unwrap_or(p);
                self.output.join(name)
            })
            .collect()
    }

    /// Whether every module `program` was built from is known to be free of
    /// cgo (its build info lists them; see [`super::cgo_scan`]).
    fn built_without_cgo(&self, program: &std::path::Path, go: &GoToolchain) -> bool {
        let vendored = self
            .module_flags
            .iter()
            .chain(self.build_flags.iter())
            .any(|f| f == "-mod=vendor")
            || self
                .env
                .get("GOFLAGS")
                .is_some_and(|f| f.contains("-mod=vendor"));
        let files = match vendored {
            true => Some(ModuleFiles::Vendor(self.cwd.join("vendor"))),
            false => ModuleFiles::cache_of(&go.command_env(&self.env)),
        };
        let Some(files) = files else {
            return false;
        };
        let Ok(bytes) = std::fs::read(program) else {
            return false;
        };
        match go_buildinfo::read(&bytes) {
            Found::Info(info) => info.deps.iter().all(|dep| files.clean(dep)),
            Found::OldLayout | Found::None => false,
        }
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

    /// The packages split into the static ones and those that use cgo (with
    /// the cgo packages they use), dropping an empty group. When Go cannot
    /// list the packages, all are static and `go build` says what is wrong.
    async fn cgo_groups(
        &self,
        go: &GoToolchain,
        target: &Target,
    ) -> Vec<(Vec<String>, Vec<String>)> {
        let all = || vec![(self.packages.clone(), Vec::new())];
        if self.cgo == Cgo::Off || cgo::forbidden_by_user(&self.env) {
            return all();
        }
        let mut args = vec![
            "list".to_string(),
            "-deps".to_string(),
            "-f".to_string(),
            cgo::LIST_FORMAT.to_string(),
        ];
        args.extend(self.selection_flags());
        args.extend(self.packages.iter().cloned());
        let mut env = go.target_env(&self.env, target);
        env.set("CGO_ENABLED", "1");
        let listed =
            match exec::run_within(&go.go, &args, &self.cwd, &env, build_deadline(&self.env)).await
            {
                Ok(out) if out.success => out.stdout,
                _ => return all(),
            };
        let users = cgo::users(&self.packages, &listed);
        let (mut static_packages, mut cgo_packages, mut cgo_users) =
            (Vec::new(), Vec::new(), Vec::new());
        for (package, used) in self.packages.iter().zip(users) {
            if used.is_empty() {
                static_packages.push(package.clone());
            } else {
                cgo_packages.push(package.clone());
                for user in used {
                    if !cgo_users.contains(&user) {
                        cgo_users.push(user);
                    }
                }
            }
        }
        [(static_packages, Vec::new()), (cgo_packages, cgo_users)]
            .into_iter()
            .filter(|(packages, _)| !packages.is_empty())
            .collect()
    }
}

/// The import paths of the packages a failed `go build` reports errors for
/// (the `# <import path>` lines it prints before each).
pub fn failed_packages(output: &str) -> Vec<String> {
    let mut failed: Vec<String> = output
        .lines()
        .filter_map(|line| line.strip_prefix("# "))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .collect();
    failed.dedup();
    failed
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

/// The build tags a build uses: those the user's flags set (`-tags a,b`,
/// `-tags=a,b`), else the builder's `defaults`.
pub fn effective_tags(build_flags: &[String], defaults: &[&str]) -> Vec<String> {
    let mut flags = build_flags.iter();
    while let Some(flag) = flags.next() {
        if !is_tags_flag(flag) {
            continue;
        }
        let value = match flag.split_once('=') {
            Some((_, value)) => value.to_string(),
            None => flags.next().cloned().unwrap_or_default(),
        };
        return value
            .split([',', ' '])
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
    }
    defaults.iter().map(|t| t.to_string()).collect()
}

/// `-tags`, `--tags`, `-tags=…`.
fn is_tags_flag(flag: &str) -> bool {
    let name = flag.trim_start_matches('-');
    flag.starts_with('-') && (name == "tags" || name.starts_with("tags="))
}

/// The environment a `go` command (or the project's build command) runs
/// with to build for `target`: `go`'s own settings, GOOS/GOARCH and cgo
/// off (a [`GoBuild`] turns it on for the programs that use it).
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

pub fn go_env(go: &GoToolchain, base: &Env, target: &Target) -> Env {
    let mut env = go.target_env(base, target);
    env.set("CGO_ENABLED", "0");
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
    if output.contains("go: errors parsing") {
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

    #[test]
    fn effective_tags_are_the_users_or_the_defaults() {
        let flags = |f: &[&str]| f.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            effective_tags(&flags(&["-x"]), &["lambda.norpc"]),
            vec!["lambda.norpc"]
        );
        assert_eq!(
            effective_tags(&flags(&["-tags", "a,b"]), &["lambda.norpc"]),
            vec!["a", "b"]
        );
        assert_eq!(effective_tags(&flags(&["--tags=prod"]), &[]), vec!["prod"]);
    }

    #[test]
    fn finds_the_failed_packages() {
        let out = "# example.com/app/api/users\napi/users/x.go:3:2: undefined: y\n# example.com/app/__vc_go_main__/m [example.com/app/__vc_go_main__/m.test]\nz";
        assert_eq!(
            failed_packages(out),
            vec![
                "example.com/app/api/users",
                "example.com/app/__vc_go_main__/m"
            ]
        );
        assert!(failed_packages("go: example.com/x: no matching versions").is_empty());
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
