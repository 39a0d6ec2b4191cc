//! The scratch go.work of a build inside a user's workspace: the user's
//! modules and the generated main's module, every path absolute.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{absolute_replace, quote, relocated_replace, ModFile};
use crate::error::{Error, Result};

/// The `go` line a workspace gets when its go.work has none.
const DEFAULT_GO: &str = "1.21";

/// A user's go.work.
pub struct Workspace {
    /// Its directory (`use` and `replace` paths are relative to it).
    pub dir: PathBuf,
    pub file: ModFile,
}

impl Workspace {
    pub fn read(go_work: &Path) -> Result<Workspace> {
        let text =
            std::fs::read_to_string(go_work).map_err(|e| Error::io_at("read", go_work, e))?;
        Ok(Workspace {
            dir: go_work.parent().unwrap_or(Path::new(".")).to_path_buf(),
            file: ModFile::parse(&text),
        })
    }

    /// The workspace's `go` version (what the generated main's module declares).
    pub fn go_version(&self) -> String {
        self.file
            .go
            .clone()
            .unwrap_or_else(|| DEFAULT_GO.to_string())
    }

    /// The scratch go.work: this workspace's modules (plus `module_dir` when
    /// it is not one of them) and `main_module`. Requirements between
    /// workspace modules get a versioned replace: the bridge's module graph
    /// is not pruned, so without one Go would try to download those versions
    /// of the user's own modules. `link`: a path, relative to the scratch
    /// go.work, that leads to this workspace's folder; the user's relative
    /// `replace` targets are written through it, so the program (Go records
    /// a replacement's path in it) is the same wherever the project is
    /// checked out. Without one they are made absolute.
    pub fn with_modules(
        &self,
        module_dir: &Path,
        main_module: &Path,
        link: Option<&str>,
    ) -> String {
        let mut uses: Vec<PathBuf> = self.file.uses.iter().map(|u| self.dir.join(u)).collect();
        if !uses.iter().any(|u| same_dir(u, module_dir)) {
            uses.push(module_dir.to_path_buf());
        }
        let mut text = format!("go {}\n\nuse (\n", self.go_version());
        for dir in uses.iter().map(PathBuf::as_path).chain([main_module]) {
            text.push_str(&format!("\t{}\n", quote(&dir.to_string_lossy())));
        }
        text.push_str(")\n\n");
        for directive in &self.file.replaces {
            let absolute = absolute_replace(directive, &self.dir);
            // A workspace module's folder must be named as its `use` line
            // names it (Go checks they agree); Go records no path for it.
            let target = absolute
                .split_once("=>")
                .map(|(_, t)| PathBuf::from(t.trim().trim_matches('"')));
            let is_used = target.is_some_and(|t| uses.iter().any(|u| same_dir(u, &t)));
            let directive = match link {
                Some(via) if !is_used => relocated_replace(directive, via),
                _ => absolute,
            };
            text.push_str(&format!("replace {directive}\n"));
        }
        text.push_str(&versioned_replaces(&uses));
        text
    }
}

/// `replace <path> <version> => <dir>` for every requirement of one
/// workspace module on another.
fn versioned_replaces(uses: &[PathBuf]) -> String {
    let modules: Vec<(&PathBuf, ModFile)> = uses
        .iter()
        .filter_map(|dir| {
            let text = std::fs::read_to_string(dir.join("go.mod")).ok()?;
            Some((dir, ModFile::parse(&text)))
        })
        .collect();
    let mut text = String::new();
    let mut seen = BTreeSet::new();
    for (_, module) in &modules {
        for require in &module.requires {
            let Some((dir, _)) = modules
                .iter()
                .find(|(_, m)| m.module.as_deref() == Some(require.path.as_str()))
            else {
                continue;
            };
            if seen.insert((require.path.clone(), require.version.clone())) {
                text.push_str(&format!(
                    "replace {} {} => {}\n",
                    require.path,
                    require.version,
                    quote(&dir.to_string_lossy())
                ));
            }
        }
    }
    text
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_work_file_uses_every_module_absolutely() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (sub, text) in [
            (
                "api",
                "module example.com/api\nrequire example.com/lib v0.1.0\n",
            ),
            ("lib", "module example.com/lib\n"),
        ] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
            std::fs::write(root.join(sub).join("go.mod"), text).unwrap();
        }
        std::fs::write(
            root.join("go.work"),
            "use (\n\t./api\n\t./lib\n)\n\nreplace example.com/x => ./x\nreplace example.com/lib => ./lib\n",
        )
        .unwrap();
        let workspace = Workspace::read(&root.join("go.work")).unwrap();
        assert_eq!(workspace.go_version(), "1.21");
        let text = workspace.with_modules(&root.join("api"), Path::new("/scratch/main"), None);
        let parsed = ModFile::parse(&text);
        assert_eq!(parsed.uses.len(), 3);
        assert!(parsed.uses.iter().all(|u| Path::new(u).is_absolute()));
        assert_eq!(parsed.replaces.len(), 3);
        assert!(parsed.replaces[0].contains(&root.display().to_string()));
        assert!(parsed.replaces[2].starts_with("example.com/lib v0.1.0 =>"));
        // Through a link to the workspace: the user's relative targets stay
        // relative, so the program does not depend on the checkout path.
        let linked = workspace.with_modules(&root.join("api"), Path::new("/s/main"), Some("./ws"));
        let replaces = ModFile::parse(&linked).replaces;
        assert_eq!(replaces[0], "example.com/x => \"./ws/x\"");
        // A workspace module stays named as its `use` line names it.
        assert!(
            replaces[1].contains(&root.display().to_string()),
            "{}",
            replaces[1]
        );
    }
}
