//! The files a build can read from the user's tree, and their digest.
//!
//! Go reads, for a program: its packages' Go, assembly, C, C++,
//! Objective-C, Fortran, SWIG and `.syso` files (the extensions go/build
//! sorts a package's files into), the files their `//go:embed` patterns
//! match, and the module files (go.mod, go.sum, go.work, go.work.sum,
//! vendor/modules.txt). The set here is a superset, cheap to find and with
//! no guess about which packages the program imports:
//!
//! - every directory under a source root (the module, its local `replace`
//!   targets, the workspace's modules) that holds a non-test `.go` file is
//!   a package: its files with those extensions count (test files do not:
//!   `go build` never compiles them), whatever their build constraints;
//! - every `go.mod` anywhere under a root (it moves module boundaries), and
//!   each root's go.mod, go.sum and vendor/modules.txt (or that it has none);
//! - whatever the `//go:embed` lines of a package's Go files can match
//!   ([`embed`]), a matched directory with everything below it.
//!
//! Directories named `.git`, `.hg`, `.svn`, `node_modules`, `.vercel` and
//! `.next`, and those whose names start with a dot (no import path can
//! name them), are not searched for packages. Nothing else is read: a
//! project's `public/` or `static/` costs a directory listing, never a
//! read. Symlinks are followed (loops end), as Go follows them; a FIFO or
//! device counts by its name and is never opened.
//!
//! Each file counts by its path relative to its root and the SHA-256 of
//! its bytes, so the same sources checked out anywhere give the same
//! digest. A file read once in this process is not read again while its
//! stamp is unchanged ([`memo`]).

mod embed;
pub mod go_header;
mod memo;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use crate::fingerprint::{file_sha256, hex, Fingerprint};
use go_header::GoHeader;
use memo::{Read, Stamp};

/// Extensions of the files go/build sorts into a package.
const PACKAGE_EXTENSIONS: &[&str] = &[
    "go", "c", "cc", "cpp", "cxx", "m", "h", "hh", "hpp", "hxx", "f", "F", "for", "f90", "s", "S",
    "sx", "swig", "swigcxx", "syso",
];

/// Directories never searched for packages.
const SKIPPED_DIRS: &[&str] = &["node_modules"];

/// Names of the module files Go reads.
const MODULE_FILES: &[&str] = &["go.mod", "go.sum", "go.work", "go.work.sum", "modules.txt"];

/// The files of a build, found from its source roots.
#[derive(Debug)]
pub struct SourceSet {
    /// (root index, path relative to the root) → what it is.
    entries: BTreeMap<(usize, String), Entry>,
    /// Go files of the set that may use cgo ([`GoHeader::cgo_sensitive`]).
    pub cgo_sensitive: Vec<PathBuf>,
    /// What a change must touch to matter.
    pub scope: Scope,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    File {
        digest: String,
        executable: bool,
    },
    Unreadable(String),
    /// Neither a regular file nor a directory: never opened.
    Special,
    Missing,
    /// A directory reached again through a symlink.
    Seen,
}

/// The paths whose changes can change a build (for rebuild on save).
#[derive(Debug, Default, Clone)]
pub struct Scope {
    /// Embedded directories: anything below them counts.
    trees: Vec<PathBuf>,
    /// Embedded files, and directories whose listing a pattern depends on.
    paths: HashSet<PathBuf>,
    /// Package directories (a rename or removal of them, or of a parent,
    /// counts).
    packages: Vec<PathBuf>,
}

impl Scope {
    /// Whether a change at `path` can change the build.
    pub fn covers(&self, path: &Path) -> bool {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        if MODULE_FILES.contains(&name.as_ref()) || is_package_file(&name) {
            return true;
        }
        self.paths.contains(path)
            || path.parent().is_some_and(|p| self.paths.contains(p))
            || self.trees.iter().any(|t| path.starts_with(t))
            || self.packages.iter().any(|p| p.starts_with(path))
    }
}

impl SourceSet {
    /// The set of a build whose source roots are `roots` (files or
    /// directories, in a stable order: see `Layout::source_roots`).
    pub fn find(roots: &[PathBuf]) -> SourceSet {
        let mut finder = Finder::default();
        for (index, root) in roots.iter().enumerate() {
            finder.root(index, root);
        }
        SourceSet {
            entries: finder.entries,
            cgo_sensitive: finder.cgo_sensitive,
            scope: finder.scope,
        }
    }

    /// The digest of every file of the set by content and relative path.
    pub fn digest(&self) -> String {
        let mut fp = Fingerprint::new();
        for ((root, rel), entry) in &self.entries {
            let what = match entry {
                Entry::File { digest, executable } => format!("file {digest} {executable}"),
                Entry::Unreadable(why) => format!("unreadable {why}"),
                Entry::Special => "special".to_string(),
                Entry::Missing => "missing".to_string(),
                Entry::Seen => "seen".to_string(),
            };
            fp.value(&format!("{root}/{rel}"), &what);
        }
        fp.finish()
    }

    /// Whether no Go file of the set may use cgo and each of `dirs` is one
    /// of its packages (a handler in a folder the search skips, such as
    /// `node_modules`, was not looked at).
    pub fn cgo_free(&self, dirs: &[&Path]) -> bool {
        self.cgo_sensitive.is_empty()
            && dirs
                .iter()
                .all(|d| self.scope.packages.iter().any(|p| p == d))
    }

    /// The relative paths of the set's files, by root (for tests and notes).
    pub fn files(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter(|(_, e)| matches!(e, Entry::File { .. }))
            .map(|((root, rel), _)| format!("{root}:{rel}"))
            .collect()
    }
}

fn extension(name: &str) -> Option<&str> {
    name.rsplit_once('.').map(|(_, ext)| ext)
}

/// A file go/build sorts into a package (not a test file).
fn is_package_file(name: &str) -> bool {
    !name.ends_with("_test.go") && extension(name).is_some_and(|e| PACKAGE_EXTENSIONS.contains(&e))
}

fn is_go_file(name: &str) -> bool {
    name.ends_with(".go") && !name.ends_with("_test.go")
}

#[derive(Default)]
struct Finder {
    entries: BTreeMap<(usize, String), Entry>,
    cgo_sensitive: Vec<PathBuf>,
    scope: Scope,
    /// Directories walked (device and inode), so symlink loops end.
    visited: HashSet<(u64, u64)>,
}

/// One entry of a directory, symlinks followed.
struct Child {
    name: String,
    path: PathBuf,
    is_dir: bool,
}

impl Finder {
    fn root(&mut self, index: usize, root: &Path) {
        if !root.is_dir() {
            // A file of its own (a handler built without a module, go.work).
            if let Some(header) = self.file(index, "", root, true) {
                if header.cgo_sensitive {
                    self.cgo_sensitive.push(root.to_path_buf());
                }
            }
            return;
        }
        for name in ["go.mod", "go.sum", "vendor/modules.txt"] {
            self.file(index, name, &root.join(name), false);
        }
        self.dir(index, root, "");
    }

    fn dir(&mut self, index: usize, dir: &Path, rel: &str) {
        if identity(dir).is_some_and(|id| !self.visited.insert(id)) {
            self.entries.insert((index, rel.to_string()), Entry::Seen);
            return;
        }
        let children = children(dir, false);
        let package = children.iter().any(|c| !c.is_dir && is_go_file(&c.name));
        if package {
            self.scope.packages.push(dir.to_path_buf());
        }
        let join = |name: &str| match rel {
            "" => name.to_string(),
            _ => format!("{rel}/{name}"),
        };
        let mut embeds = Vec::new();
        for child in &children {
            if child.is_dir {
                let skipped =
                    child.name.starts_with('.') || SKIPPED_DIRS.contains(&child.name.as_str());
                if !skipped {
                    self.dir(index, &child.path, &join(&child.name));
                }
            } else if child.name == "go.mod" || (package && is_package_file(&child.name)) {
                if let Some(header) = self.file(index, &join(&child.name), &child.path, true) {
                    if header.cgo_sensitive {
                        self.cgo_sensitive.push(child.path.clone());
                    }
                    if header.embeds_unreadable {
                        embeds.push("all:.".to_string());
                    }
                    embeds.extend(header.embeds);
                }
            }
        }
        embeds.sort();
        embeds.dedup();
        for pattern in embeds {
            let found = match pattern.as_str() {
                "all:." => embed::Matches {
                    paths: vec![dir.to_path_buf()],
                    listed: Vec::new(),
                },
                _ => embed::resolve(dir, &pattern),
            };
            self.scope.paths.extend(found.listed);
            for path in found.paths {
                let below = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy();
                let rel = match below.as_ref() {
                    "" => rel.to_string(),
                    b => join(b),
                };
                self.embedded(index, &path, &rel);
            }
        }
    }

    /// An embedded file, or everything below an embedded directory.
    fn embedded(&mut self, index: usize, path: &Path, rel: &str) {
        if !path.is_dir() {
            self.scope.paths.insert(path.to_path_buf());
            self.file(index, rel, path, false);
            return;
        }
        self.scope.trees.push(path.to_path_buf());
        let mut seen = HashSet::new();
        let mut stack = vec![(path.to_path_buf(), rel.to_string())];
        while let Some((dir, rel)) = stack.pop() {
            if identity(&dir).is_some_and(|id| !seen.insert(id)) {
                continue;
            }
            for child in children(&dir, true) {
                let child_rel = format!("{rel}/{}", child.name);
                if child.is_dir {
                    stack.push((child.path, child_rel));
                } else {
                    self.file(index, &child_rel, &child.path, false);
                }
            }
        }
    }

    /// Adds a file (read at most once per stamp); returns its Go header when
    /// `parse` asks for it and it is a readable `.go` file.
    fn file(&mut self, index: usize, rel: &str, path: &Path, parse: bool) -> Option<GoHeader> {
        let key = (index, rel.to_string());
        if self.entries.contains_key(&key) {
            return None;
        }
        let Ok(meta) = std::fs::metadata(path) else {
            self.entries.insert(key, Entry::Missing);
            return None;
        };
        if !meta.is_file() {
            self.entries.insert(key, Entry::Special);
            return None;
        }
        let go = parse && path.extension().is_some_and(|e| e == "go");
        let read = memo::read_file(path, &Stamp::of(&meta), || read(path, go));
        match read {
            Ok(Read { digest, header }) => {
                self.entries.insert(
                    key,
                    Entry::File {
                        digest,
                        executable: executable(&meta),
                    },
                );
                header
            }
            Err(e) => {
                self.entries
                    .insert(key, Entry::Unreadable(e.kind().to_string()));
                None
            }
        }
    }
}

fn read(path: &Path, go: bool) -> std::io::Result<Read> {
    if !go {
        return Ok(Read {
            digest: file_sha256(path)?,
            header: None,
        });
    }
    let bytes = std::fs::read(path)?;
    use sha2::{Digest, Sha256};
    let digest = hex(&Sha256::digest(&bytes));
    Ok(Read {
        digest,
        header: Some(go_header::read(&bytes)),
    })
}

/// The entries of `dir`, sorted by name, symlinks followed (a dangling one
/// counts as a file: it is recorded as missing). With `all` false, only
/// directories and the files a package search looks at ([`is_package_file`],
/// go.mod): an asset costs its directory entry, nothing more.
fn children(dir: &Path, all: bool) -> Vec<Child> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut children: Vec<Child> = read
        .filter_map(|e| {
            let e = e.ok()?;
            let kind = e.file_type().ok();
            let name = e.file_name();
            let name = name.to_string_lossy();
            let maybe_dir = kind.is_none_or(|t| t.is_dir() || t.is_symlink());
            if !all && !maybe_dir && name != "go.mod" && !is_package_file(&name) {
                return None;
            }
            let path = e.path();
            let is_dir = match kind {
                Some(t) if !t.is_symlink() => t.is_dir(),
                _ => path.is_dir(),
            };
            if !all && !is_dir && name != "go.mod" && !is_package_file(&name) {
                return None;
            }
            Some(Child {
                name: name.into_owned(),
                path,
                is_dir,
            })
        })
        .collect();
    children.sort_by(|a, b| a.name.cmp(&b.name));
    children
}

/// What identifies a directory however it is reached (symlinks followed).
fn identity(dir: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(dir).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let canonical = std::fs::canonicalize(dir).ok()?;
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        canonical.hash(&mut h);
        Some((0, h.finish()))
    }
}

#[cfg(unix)]
fn executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn executable(_meta: &std::fs::Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests;
