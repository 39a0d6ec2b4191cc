//! Programs kept between `build()` calls, each under a content key: the
//! sources of its module (by content, wherever they are checked out),
//! go.mod/go.sum, the template, flags, build environment, Go version and
//! target. A later build of an entrypoint whose key matches returns the
//! kept program without running Go.

use std::path::{Path, PathBuf};

use crate::cache_dir::project_cache_dir;
use crate::compile::template::{main_name, Template};
use crate::error::{Error, Result};
use crate::fingerprint::{self, Fingerprint};
use crate::fs_lock::{self, FileLock};
use crate::session::Session;

/// The folder of kept handler programs for the session's module and
/// target: `<cache>/lambda/<module + target>/<main name>` (plus `.key` and
/// `.lock` beside each). One folder per module, so one `go build -o
/// <folder>/` writes all of a pass's programs where lone builds write them,
/// and Go finds an unchanged one up to date.
pub struct Kept {
    pub dir: PathBuf,
    /// What every key of this session shares (everything but the entrypoint).
    common: String,
}

impl Kept {
    pub fn new(session: &Session<'_>, flags: &[String]) -> Kept {
        let mut folder = Fingerprint::new();
        folder
            .value("module", session.module.as_deref().unwrap_or("\u{0}none"))
            .value("goos", &session.target.goos)
            .value("goarch", &session.target.goarch);
        let mut common = Fingerprint::new();
        common
            .value("builder", env!("CARGO_PKG_VERSION"))
            .value("flags", &flags.join("\u{0}"))
            .value("go", &session.go.version)
            .value("goos", &session.target.goos)
            .value("goarch", &session.target.goarch);
        for key in fingerprint::BUILD_ENV_KEYS {
            common.value(key, session.env.get(key).unwrap_or("\u{0}unset"));
        }
        for (i, root) in session.source_roots().iter().enumerate() {
            common.contents(&i.to_string(), root);
        }
        let folder = folder.finish();
        if session.cache != project_cache_dir(session.work_path()) {
            remember_folder(&session.cache, session.work_path(), &folder);
        }
        Kept {
            dir: session.cache.join("lambda").join(folder),
            common: common.finish(),
        }
    }

    /// The key of `entrypoint`'s program wrapped in `template`, given the
    /// function's own response-streaming setting (`None`: decided from the
    /// code).
    pub fn key(&self, entrypoint: &str, template: Template, streaming: Option<bool>) -> String {
        let mut key = Fingerprint::new();
        key.value("common", &self.common)
            .value("entrypoint", entrypoint)
            .value("template", template.source())
            .value("streaming", &format!("{streaming:?}"));
        key.finish()
    }

    /// Where `entrypoint`'s program is built and kept.
    pub fn program(&self, entrypoint: &str) -> PathBuf {
        self.dir.join(main_name(entrypoint))
    }

    /// Waits for, and takes, the lock on `entrypoint`'s program.
    pub async fn lock(&self, entrypoint: &str) -> Result<FileLock> {
        fs_lock::lock(&self.sidecar(entrypoint, "lock"), || {}).await
    }

    /// The lock on `entrypoint`'s program, unless someone holds it.
    pub fn try_lock(&self, entrypoint: &str) -> Result<Option<FileLock>> {
        fs_lock::try_lock(&self.sidecar(entrypoint, "lock"))
    }

    /// Whether the kept program of `entrypoint` was built from `key`.
    /// A match counts as a use: the key's time is refreshed, so eviction
    /// keeps the programs builds reuse.
    pub fn matches(&self, entrypoint: &str, key: &str) -> bool {
        let key_file = self.sidecar(entrypoint, "key");
        let found = self.program(entrypoint).is_file()
            && std::fs::read_to_string(&key_file).is_ok_and(|k| k == key);
        if found {
            let _ = std::fs::File::options()
                .write(true)
                .open(&key_file)
                .and_then(|f| f.set_modified(std::time::SystemTime::now()));
        }
        found
    }

    /// Records that the program of `entrypoint` was built from `key`;
    /// `shared`: it serves several functions, each picking its handler by
    /// [`FUNCTION_ENV`](crate::compile::template::FUNCTION_ENV).
    pub fn record(&self, entrypoint: &str, key: &str, shared: bool) -> Result<()> {
        let marker = self.sidecar(entrypoint, "shared");
        if shared {
            std::fs::write(&marker, "").map_err(|e| Error::io_at("write", &marker, e))?;
        } else {
            remove_if_present(&marker)?;
        }
        let file = self.sidecar(entrypoint, "key");
        let partial = self.sidecar(entrypoint, "key.partial");
        std::fs::write(&partial, key)
            .and_then(|()| std::fs::rename(&partial, &file))
            .map_err(|e| Error::io_at("write", &file, e))
    }

    /// Whether the kept program of `entrypoint` serves several functions.
    pub fn shared(&self, entrypoint: &str) -> bool {
        self.sidecar(entrypoint, "shared").is_file()
    }

    /// Makes `program` (built by a pass into this folder) the kept program
    /// of `entrypoint`: a hard link where the file system allows one, else
    /// a copy, put in place by a rename.
    pub fn adopt(&self, entrypoint: &str, program: &Path) -> Result<()> {
        let target = self.program(entrypoint);
        if program == target {
            return Ok(());
        }
        let partial = self.sidecar(entrypoint, "partial");
        remove_if_present(&partial)?;
        std::fs::hard_link(program, &partial)
            .or_else(|_| std::fs::copy(program, &partial).map(|_| ()))
            .and_then(|()| std::fs::rename(&partial, &target))
            .map_err(|e| Error::io_at("write", &target, e))
    }

    /// Forgets the key of `entrypoint` (before its program is rebuilt). A
    /// shared program is unlinked, so the rebuild never writes through a
    /// link into the other functions' program.
    pub fn forget(&self, entrypoint: &str) {
        let _ = std::fs::remove_file(self.sidecar(entrypoint, "key"));
        if self.shared(entrypoint) {
            let _ = std::fs::remove_file(self.program(entrypoint));
        }
    }

    /// Records that a pass could not build `entrypoint` from `key`, so later
    /// passes leave it to its own build.
    pub fn record_failure(&self, entrypoint: &str, key: &str) {
        let _ = std::fs::write(self.sidecar(entrypoint, "failed"), key);
    }

    /// Whether a pass already failed to build `entrypoint` from `key`.
    pub fn failed(&self, entrypoint: &str, key: &str) -> bool {
        std::fs::read_to_string(self.sidecar(entrypoint, "failed")).is_ok_and(|k| k == key)
    }

    fn sidecar(&self, entrypoint: &str, ext: &str) -> PathBuf {
        self.dir.join(format!("{}.{ext}", main_name(entrypoint)))
    }
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io_at("remove", path, e)),
        _ => Ok(()),
    }
}

/// The file listing the kept-program folders a work path's builds used, in
/// the builder's shared cache: what `prepareCache()` hands to the next deploy.
fn index_file(cache: &Path, work_path: &Path) -> PathBuf {
    let canonical = std::fs::canonicalize(work_path).unwrap_or_else(|_| work_path.to_path_buf());
    let mut key = Fingerprint::new();
    key.value("workPath", &canonical.to_string_lossy());
    cache.join("projects").join(key.finish())
}

fn remember_folder(cache: &Path, work_path: &Path, folder: &str) {
    let index = index_file(cache, work_path);
    let known = std::fs::read_to_string(&index).unwrap_or_default();
    if known.lines().any(|l| l == folder) {
        return;
    }
    if let Some(dir) = index.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    use std::io::Write;
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&index)
    {
        let _ = writeln!(file, "{folder}");
    }
}

/// The kept-program folders (under `<cache>/lambda/`) the builds of
/// `work_path` used.
pub fn folders_of(cache: &Path, work_path: &Path) -> Vec<String> {
    std::fs::read_to_string(index_file(cache, work_path))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept_in(dir: &Path) -> Kept {
        Kept {
            dir: dir.to_path_buf(),
            common: String::new(),
        }
    }

    #[test]
    fn forgetting_one_function_of_a_shared_program_leaves_the_others_intact() {
        let tmp = tempfile::tempdir().unwrap();
        let kept = kept_in(tmp.path());
        let shared = tmp.path().join("_package_api");
        std::fs::write(&shared, b"one program").unwrap();
        for rel in ["api/a.go", "api/b.go"] {
            kept.adopt(rel, &shared).unwrap();
            kept.record(rel, "k", true).unwrap();
            assert!(kept.shared(rel) && kept.matches(rel, "k"));
        }
        kept.forget("api/a.go");
        assert!(
            !kept.program("api/a.go").exists(),
            "a rebuild writes a new file"
        );
        assert_eq!(
            std::fs::read(kept.program("api/b.go")).unwrap(),
            b"one program"
        );
        std::fs::write(kept.program("api/a.go"), b"rebuilt alone").unwrap();
        kept.record("api/a.go", "k2", false).unwrap();
        assert!(!kept.shared("api/a.go") && kept.matches("api/a.go", "k2"));
        assert_eq!(
            std::fs::read(kept.program("api/b.go")).unwrap(),
            b"one program"
        );
    }
}
