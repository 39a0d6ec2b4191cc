//! Whether the modules a program was built from can bring cgo into it,
//! read from their files: a module is clean when none of its non-test Go
//! files imports "C" or has a build constraint naming `cgo` (the only
//! things that differ between a build with cgo off and one with it on).
//!
//! This lets a build skip `go list` when a static build already tells
//! which modules a program uses (its build info, [`crate::go_buildinfo`]):
//! with the module's own sources clean ([`crate::source_set`]) and every
//! module in the program clean, the program's import graph with cgo on is
//! the one it was built from, and no package in it has cgo files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::env::Env;
use crate::go_buildinfo::Module;
use crate::gomod::module_cache::{escape, module_cache_dir};
use crate::source_set::go_header;

/// Where a build reads its modules' files from.
#[derive(Debug, Clone)]
pub enum ModuleFiles {
    /// Go's module cache (extracted modules never change in place).
    Cache(PathBuf),
    /// The module's vendor directory.
    Vendor(PathBuf),
}

impl ModuleFiles {
    /// The module cache `env` names ([`module_cache_dir`]).
    pub fn cache_of(env: &Env) -> Option<ModuleFiles> {
        module_cache_dir(env).map(ModuleFiles::Cache)
    }

    /// Whether the files of `dep` (a module of a program's build
    /// information) are known and clean. A module the build read from the
    /// user's tree (a directory replacement, a workspace module) is the
    /// source set's to judge, unless vendored.
    pub fn clean(&self, dep: &Module) -> bool {
        match self {
            ModuleFiles::Vendor(vendor) => !may_use_cgo(&vendor.join(&dep.path)),
            ModuleFiles::Cache(_) if is_local(dep) => true,
            ModuleFiles::Cache(cache) => {
                let source = dep.replace.as_deref().unwrap_or(dep);
                if source.version.is_empty() {
                    return false;
                }
                let dir = cache.join(format!(
                    "{}@{}",
                    escape(&source.path),
                    escape(&source.version)
                ));
                cached_scan(&dir)
            }
        }
    }
}

/// A module Go read from a directory: a workspace module, or a directory
/// replacement (its path is a file path, and it has no version).
fn is_local(dep: &Module) -> bool {
    let devel = |m: &Module| m.version.is_empty() || m.version == "(devel)";
    match dep.replace.as_deref() {
        Some(r) => devel(r) || r.is_directory(),
        None => devel(dep),
    }
}

/// [`may_use_cgo`]'s answer for an extracted module (immutable), once per
/// process.
fn cached_scan(dir: &Path) -> bool {
    static SCANNED: OnceLock<Mutex<HashMap<PathBuf, bool>>> = OnceLock::new();
    let scanned = SCANNED.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(clean) = scanned.lock().ok().and_then(|m| m.get(dir).copied()) {
        return clean;
    }
    let clean = !may_use_cgo(dir);
    if let Ok(mut m) = scanned.lock() {
        m.insert(dir.to_path_buf(), clean);
    }
    clean
}

/// Whether any non-test Go file below `dir` may use cgo; a directory that
/// cannot be read may.
pub fn may_use_cgo(dir: &Path) -> bool {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(read) = std::fs::read_dir(&dir) else {
            return true;
        };
        for entry in read.filter_map(|e| e.ok()) {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = match entry.file_type() {
                Ok(t) if t.is_symlink() => return true,
                Ok(t) => t.is_dir(),
                Err(_) => return true,
            };
            if is_dir {
                stack.push(path);
            } else if name.ends_with(".go") && !name.ends_with("_test.go") {
                match std::fs::read(&path) {
                    Ok(src) if !go_header::cgo_sensitive(&src) => {}
                    _ => return true,
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_a_module() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::write(d.join("a.go"), "package a\nimport \"fmt\"\n").unwrap();
        std::fs::write(d.join("sub/b_test.go"), "package sub\nimport \"C\"\n").unwrap();
        assert!(!may_use_cgo(d));
        std::fs::write(d.join("sub/c.go"), "//go:build !cgo\n\npackage sub\n").unwrap();
        assert!(may_use_cgo(d));
        assert!(may_use_cgo(&d.join("missing")));
    }

    #[test]
    fn judges_deps_by_where_their_files_are() {
        let cache = tempfile::tempdir().unwrap();
        let module = cache.path().join("example.com/!x@v1.0.0");
        std::fs::create_dir_all(&module).unwrap();
        std::fs::write(module.join("x.go"), "package x\n").unwrap();
        let files = ModuleFiles::Cache(cache.path().to_path_buf());
        let dep = |path: &str, version: &str| Module {
            path: path.to_string(),
            version: version.to_string(),
            sum: None,
            replace: None,
        };
        assert!(files.clean(&dep("example.com/X", "v1.0.0")));
        assert!(
            !files.clean(&dep("example.com/X", "v1.0.1")),
            "not extracted"
        );
        assert!(
            files.clean(&dep("example.com/ws", "(devel)")),
            "the source set's"
        );
        let replaced = |by: Module| Module {
            replace: Some(Box::new(by)),
            ..dep("example.com/fork", "v1.0.0")
        };
        assert!(files.clean(&replaced(dep("../fork", ""))), "a directory");
        assert!(files.clean(&replaced(dep("example.com/X", "v1.0.0"))));
        assert!(!files.clean(&replaced(dep("example.com/X", "v2.0.0"))));
    }
}
