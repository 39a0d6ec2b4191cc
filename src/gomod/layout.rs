//! Where an entrypoint's module comes from: the go.mod above it, a go.work
//! above that, or neither — and every file whose contents can change what
//! a build of it produces.

use std::path::{Path, PathBuf};

use super::{absolute_replace, ModFile};
use crate::env::Env;
use crate::error::{Error, Result};

/// Where the entrypoint's module comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// The user's go.mod is the main module.
    Module { go_mod: PathBuf },
    /// A go.work applies to the user's module.
    Workspace { go_mod: PathBuf, go_work: PathBuf },
    /// No go.mod up to the search's stop: the entry is built on its own.
    Detached,
}

impl Layout {
    /// go.mod from `entry_dir` up to `go_mod_stop`; go.work from the module
    /// up to the repository root (the work path when the module is outside
    /// the repository), unless the environment's `GOWORK` is `off` or names
    /// the go.work file (an absolute path, as Go requires).
    pub fn detect(
        work_path: &Path,
        repo_root: &Path,
        entry_dir: &Path,
        go_mod_stop: &Path,
        env: &Env,
    ) -> Result<Layout> {
        let Some(go_mod) = find_upwards(entry_dir, go_mod_stop, "go.mod") else {
            return Ok(Layout::Detached);
        };
        let module_dir = go_mod.parent().unwrap_or(work_path);
        let go_work = match env.non_empty("GOWORK") {
            Some("off") => None,
            Some("auto") | None => {
                let stop = search_boundary(module_dir, repo_root, work_path);
                find_upwards(module_dir, stop, "go.work")
            }
            Some(named) => Some(named_go_work(named)?),
        };
        Ok(match go_work {
            Some(go_work) => Layout::Workspace { go_mod, go_work },
            None => Layout::Module { go_mod },
        })
    }

    pub fn go_mod(&self) -> Option<&Path> {
        match self {
            Layout::Module { go_mod } | Layout::Workspace { go_mod, .. } => Some(go_mod),
            Layout::Detached => None,
        }
    }

    pub fn go_work(&self) -> Option<&Path> {
        match self {
            Layout::Workspace { go_work, .. } => Some(go_work),
            _ => None,
        }
    }

    /// The directory of the module's go.mod.
    pub fn module_dir(&self) -> Option<&Path> {
        self.go_mod().and_then(Path::parent)
    }

    /// Every file or directory whose contents can change the compiled
    /// program: the module (and its local replacements), the workspace's
    /// modules and files, or `detached` (what a build without a module
    /// reads) alone.
    pub fn source_roots(&self, detached: &Path) -> Vec<PathBuf> {
        let Some(go_mod) = self.go_mod() else {
            return vec![detached.to_path_buf()];
        };
        let mut roots = module_roots(go_mod);
        if let Some(go_work) = self.go_work() {
            let work_dir = go_work.parent().unwrap_or(Path::new("."));
            roots.push(go_work.to_path_buf());
            roots.push(work_dir.join("go.work.sum"));
            let work = ModFile::parse(&std::fs::read_to_string(go_work).unwrap_or_default());
            for dir in &work.uses {
                roots.extend(module_roots(&work_dir.join(dir).join("go.mod")));
            }
            roots.extend(local_replace_targets(&work.replaces, work_dir));
        }
        roots
    }
}

/// The go.work file `GOWORK` names: an absolute path to an existing file.
fn named_go_work(named: &str) -> Result<PathBuf> {
    let path = PathBuf::from(named);
    if !path.is_absolute() {
        return Err(Error::InvalidOptions(format!(
            "GOWORK must be an absolute path to a go.work file, or `off`; got `{named}`"
        )));
    }
    if !path.is_file() {
        return Err(Error::InvalidOptions(format!(
            "GOWORK names {named}, which is not a file"
        )));
    }
    Ok(path)
}

/// A module's directory plus the local directories its `replace` lines point to.
fn module_roots(go_mod: &Path) -> Vec<PathBuf> {
    let dir = go_mod.parent().unwrap_or(Path::new(".")).to_path_buf();
    let text = std::fs::read_to_string(go_mod).unwrap_or_default();
    let mut roots = vec![dir.clone()];
    roots.extend(local_replace_targets(&ModFile::parse(&text).replaces, &dir));
    roots
}

/// The directories of `replace … => ./path` directives, made absolute.
fn local_replace_targets(replaces: &[String], base: &Path) -> Vec<PathBuf> {
    replaces
        .iter()
        .filter_map(|directive| {
            let absolute = absolute_replace(directive, base);
            if absolute == *directive {
                return None;
            }
            let (_, target) = absolute.split_once("=>")?;
            Some(PathBuf::from(target.trim().trim_matches('"')))
        })
        .collect()
}

/// Where an upward search from `dir` stops: the repository root when `dir`
/// is inside it, else the work path.
pub fn search_boundary<'a>(dir: &Path, repo_root: &'a Path, work_path: &'a Path) -> &'a Path {
    if dir.starts_with(repo_root) {
        repo_root
    } else {
        work_path
    }
}

/// Walks up from `start` to `stop` (inclusive, never above it) and returns the
/// first directory containing `name`.
pub fn find_upwards(start: &Path, stop: &Path, name: &str) -> Option<PathBuf> {
    let mut dir = start;
    loop {
        let candidate = dir.join(name);
        if candidate.is_file() {
            return Some(candidate);
        }
        if dir == stop {
            return None;
        }
        dir = dir.parent().filter(|p| p.starts_with(stop))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_upwards_stops_at_boundary() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("work");
        let api = root.join("api").join("v1");
        std::fs::create_dir_all(&api).unwrap();
        std::fs::write(dir.path().join("go.mod"), "module outside\n").unwrap();
        assert_eq!(find_upwards(&api, &root, "go.mod"), None);
        std::fs::write(root.join("go.mod"), "module inside\n").unwrap();
        assert_eq!(
            find_upwards(&api, &root, "go.mod"),
            Some(root.join("go.mod"))
        );
    }

    #[test]
    fn detects_module_and_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let api = root.join("app").join("api");
        std::fs::create_dir_all(&api).unwrap();
        std::fs::write(root.join("app/go.mod"), "module app\n").unwrap();
        let work_path = root.join("app");
        let detect = |env: &Env| Layout::detect(&work_path, root, &api, &work_path, env);
        let layout = detect(&Env::default()).unwrap();
        assert_eq!(
            layout,
            Layout::Module {
                go_mod: root.join("app/go.mod")
            }
        );
        std::fs::write(root.join("go.work"), "go 1.22\nuse ./app\n").unwrap();
        let layout = detect(&Env::default()).unwrap();
        assert_eq!(layout.go_work(), Some(root.join("go.work").as_path()));
        let gowork = |value: &str| crate::test_support::env(&[("GOWORK", value)]);
        let layout = detect(&gowork("off")).unwrap();
        assert_eq!(layout.go_work(), None);
        assert_eq!(layout.module_dir(), Some(work_path.as_path()));
        // GOWORK naming a file elsewhere is honoured; a relative one is refused.
        let elsewhere = root.join("elsewhere.work");
        std::fs::write(&elsewhere, "go 1.22\nuse ./app\n").unwrap();
        let named = detect(&gowork(&elsewhere.to_string_lossy())).unwrap();
        assert_eq!(named.go_work(), Some(elsewhere.as_path()));
        for bad in ["elsewhere.work", "/no/such/go.work"] {
            let err = detect(&gowork(bad)).unwrap_err();
            assert_eq!(err.code(), "GO_INVALID_OPTIONS", "{bad}");
        }
    }
}
