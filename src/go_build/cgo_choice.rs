//! How one `go build` decides cgo: static first when the user's sources
//! are free of it (the linked modules checked afterwards from the
//! programs' build information), else Go's own `go list`; the programs
//! that need cgo are built with it, in a `go build` of their own.

use std::path::PathBuf;

use super::cgo_scan::ModuleFiles;
use super::{build_deadline, cgo, classify, Cgo, GoBuild};
use crate::error::Result;
use crate::exec;
use crate::go_buildinfo::{self, Found};
use crate::log::Log;
use crate::target::Target;
use crate::toolchain::GoToolchain;

impl GoBuild {
    /// Whether the build may go static first: cgo decided from the code,
    /// the user's sources free of it, and a Go (≥ 1.18) whose programs
    /// carry their module list inline.
    pub(super) fn static_first(&self, go: &GoToolchain) -> bool {
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
    pub(super) async fn run_static_first(
        &self,
        go: &GoToolchain,
        target: &Target,
        log: &Log,
    ) -> Result<()> {
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
    /// cgo (its build info lists them; see [`cgo_scan`]).
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
        let Ok(inspected) = go_buildinfo::inspect_file(program) else {
            return false;
        };
        match inspected.found {
            Found::Info(info) => info.deps.iter().all(|dep| files.clean(dep)),
            Found::OldLayout | Found::None => false,
        }
    }

    /// The packages split into the static ones and those that use cgo (with
    /// the cgo packages they use), dropping an empty group. When Go cannot
    /// list the packages, all are static and `go build` says what is wrong.
    pub(super) async fn cgo_groups(
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
