//! Fingerprints: a hash of labelled values and of file trees, computed from
//! file metadata alone (no `go` process, no analyzer run). The dev server
//! keys its binaries by one, so an unchanged restart costs a directory walk;
//! `build()` keys its stable output paths by one.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use sha2::{Digest, Sha256};

/// Directories that never hold Go sources the build reads.
const SKIPPED_DIRS: &[&str] = &[".git", ".hg", ".svn", "node_modules", ".vercel", ".next"];

/// Environment variables that change what `go build` produces.
pub const BUILD_ENV_KEYS: &[&str] = &[
    "GOFLAGS",
    "GOEXPERIMENT",
    "GO_BUILD_FLAGS",
    "CGO_ENABLED",
    "CGO_CFLAGS",
    "CGO_LDFLAGS",
    "CC",
    "GOAMD64",
    "GOARM64",
    "GOWORK",
    "GOPROXY",
    "GOPRIVATE",
    "GONOSUMDB",
];

/// Accumulates inputs into one hash.
pub struct Fingerprint {
    hasher: Sha256,
    /// Directories already walked (canonical), so symlink loops end.
    visited: HashSet<PathBuf>,
}

impl Default for Fingerprint {
    fn default() -> Self {
        Self::new()
    }
}

impl Fingerprint {
    pub fn new() -> Self {
        Fingerprint {
            hasher: Sha256::new(),
            visited: HashSet::new(),
        }
    }

    /// Adds a labelled value.
    pub fn value(&mut self, label: &str, value: &str) -> &mut Self {
        self.hasher.update(label.as_bytes());
        self.hasher.update([0]);
        self.hasher.update(value.as_bytes());
        self.hasher.update([0xff]);
        self
    }

    /// Adds a file or every file below a directory: path, size, modification
    /// time and permissions. Symlinks are followed, as `go build` follows
    /// them. A path that does not exist counts as such.
    pub fn tree(&mut self, root: &Path) -> &mut Self {
        self.entry(root);
        self
    }

    fn entry(&mut self, path: &Path) {
        let label = path.to_string_lossy();
        let Ok(meta) = std::fs::metadata(path) else {
            self.value("missing", &label);
            return;
        };
        if meta.is_dir() {
            let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
            if !self.visited.insert(canonical) {
                self.value("seen", &label);
                return;
            }
            self.value("dir", &label);
            for (_, child) in sorted_children(path) {
                self.entry(&child);
            }
            return;
        }
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        self.value(
            "file",
            &format!("{label}|{}|{mtime}|{}", meta.len(), permissions(&meta)),
        );
    }

    /// Adds a file, or every file below a directory, by content: each
    /// file's path relative to `root` and the SHA-256 of its bytes (not its
    /// location or times, so the same sources checked out elsewhere give
    /// the same value). Symlinks are followed; anything but a regular file
    /// or directory (a FIFO, a socket) counts by its name and is never
    /// opened.
    pub fn contents(&mut self, label: &str, root: &Path) -> &mut Self {
        self.value("root", label);
        self.content_entry(root, "");
        self
    }

    fn content_entry(&mut self, path: &Path, rel: &str) {
        let Ok(meta) = std::fs::metadata(path) else {
            self.value("missing", rel);
            return;
        };
        if meta.is_dir() {
            let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
            if !self.visited.insert(canonical) {
                self.value("seen", rel);
                return;
            }
            self.value("dir", rel);
            for (name, child) in sorted_children(path) {
                let child_rel = if rel.is_empty() {
                    name
                } else {
                    format!("{rel}/{name}")
                };
                self.content_entry(&child, &child_rel);
            }
        } else if meta.is_file() {
            let digest = file_sha256(path).unwrap_or_else(|e| format!("unreadable: {e}"));
            self.value(
                "file",
                &format!("{rel}|{digest}|{}", permissions(&meta) & 0o111),
            );
        } else {
            self.value("special", rel);
        }
    }

    /// The hex digest (first 16 bytes).
    pub fn finish(self) -> String {
        self.hasher
            .finalize()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The entries of a directory, by name, without [`SKIPPED_DIRS`].
fn sorted_children(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut children: Vec<(String, PathBuf)> = read
        .filter_map(|e| e.ok())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .filter(|(name, _)| !SKIPPED_DIRS.contains(&name.as_str()))
        .collect();
    children.sort();
    children
}

/// The SHA-256 of a file's contents, in hex.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(unix)]
fn permissions(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::MetadataExt;
    meta.mode()
}

#[cfg(not(unix))]
fn permissions(meta: &std::fs::Metadata) -> u32 {
    u32::from(meta.permissions().readonly())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(root: &Path) -> String {
        let mut f = Fingerprint::new();
        f.tree(root);
        f.finish()
    }

    #[test]
    fn changes_with_any_file_but_not_skipped_dirs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("api")).unwrap();
        std::fs::create_dir_all(dir.path().join("node_modules/x")).unwrap();
        std::fs::write(dir.path().join("api/a.go"), "package a").unwrap();
        let first = of(dir.path());
        assert_eq!(first, of(dir.path()), "stable");
        std::fs::write(dir.path().join("node_modules/x/y.go"), "x").unwrap();
        assert_eq!(first, of(dir.path()), "node_modules ignored");
        std::fs::write(dir.path().join("api/a.go"), "package a // changed").unwrap();
        assert_ne!(first, of(dir.path()), "edit detected");
        let second = of(dir.path());
        std::fs::write(dir.path().join("api/b.go"), "package a").unwrap();
        assert_ne!(second, of(dir.path()), "new file detected");
    }

    #[cfg(unix)]
    #[test]
    fn follows_symlinks_and_survives_loops() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("t.go"), "v1").unwrap();
        std::os::unix::fs::symlink(outside.path().join("t.go"), dir.path().join("s.go")).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
        let first = of(dir.path());
        std::fs::write(outside.path().join("t.go"), "v2 longer").unwrap();
        assert_ne!(first, of(dir.path()));
    }

    #[test]
    fn contents_ignore_location_and_times() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        for dir in [a.path(), b.path()] {
            std::fs::create_dir_all(dir.join("api")).unwrap();
            std::fs::write(dir.join("api/x.go"), "package x").unwrap();
        }
        let digest = |dir: &Path| {
            let mut f = Fingerprint::new();
            f.contents("module", dir);
            f.finish()
        };
        assert_eq!(digest(a.path()), digest(b.path()));
        std::fs::write(b.path().join("api/x.go"), "package y").unwrap();
        assert_ne!(digest(a.path()), digest(b.path()));
    }

    #[cfg(unix)]
    #[test]
    fn contents_never_open_a_fifo() {
        let dir = crate::test_support::dir_with_fifo("f.go");
        let mut f = Fingerprint::new();
        f.contents("module", dir.path());
        assert_eq!(f.finish().len(), 32);
    }

    #[test]
    fn values_are_labelled() {
        let mut a = Fingerprint::new();
        a.value("x", "1");
        let mut b = Fingerprint::new();
        b.value("x1", "");
        assert_ne!(a.finish(), b.finish());
    }
}
