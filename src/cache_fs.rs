//! File access inside the caches, where nothing is a path to follow.
//!
//! Every cache the builder reads or writes may have been restored from an
//! earlier deploy, so its contents are untrusted: a symlink in it is never
//! followed (when writing it is removed and replaced by a real directory;
//! when reading it is a miss), names read from its index files must be
//! plain names, and every walk over it is bounded in entries and time.

use std::fs::{self, File, Metadata};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The most entries one walk visits.
pub const WALK_MAX_ENTRIES: usize = 500_000;
/// The longest one walk runs.
pub const WALK_MAX_TIME: Duration = Duration::from_secs(60);

/// `root` joined with `parts`, each made a real directory: a symlink or a
/// file in the way is removed first, so nothing written below the result
/// lands outside `root`. `root` itself must be a real directory (it is
/// created when missing).
pub fn real_dir(root: &Path, parts: &[&str]) -> Result<PathBuf> {
    ensure_dir(root)?;
    let mut dir = root.to_path_buf();
    for part in parts {
        if !is_plain_name(part) {
            return Err(Error::Internal(format!(
                "refusing a cache folder name that is not a plain name: {part:?}"
            )));
        }
        dir.push(part);
        ensure_dir(&dir)?;
    }
    Ok(dir)
}

/// Makes `dir` a real directory: creates it (and missing parents), or
/// removes a symlink or other file standing in its place.
fn ensure_dir(dir: &Path) -> Result<()> {
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(_) => remove_tree(dir)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io_at("inspect", dir, e)),
    }
    match fs::create_dir_all(dir) {
        Ok(()) => Ok(()),
        // Created by a concurrent build: fine, if it is a directory.
        Err(_) if fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) => Ok(()),
        Err(e) => Err(Error::io_at("create", dir, e)),
    }
}

/// Whether `path` is a real directory (not a symlink to one).
pub fn is_real_dir(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// Removes a file, symlink or whole tree. Go's module cache is read-only,
/// so on a permission error the tree is made writable and removal retried.
/// A missing path is not an error.
pub fn remove_tree(path: &Path) -> Result<()> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io_at("inspect", path, e)),
    };
    if !meta.is_dir() {
        return fs::remove_file(path).map_err(|e| Error::io_at("remove", path, e));
    }
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(_) => {
            make_writable(path);
            fs::remove_dir_all(path).map_err(|e| Error::io_at("remove", path, e))
        }
    }
}

/// Gives the owner write access to every directory below `path` (best effort).
fn make_writable(path: &Path) {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return;
    };
    if !meta.is_dir() {
        return;
    }
    let mut perms = meta.permissions();
    set_owner_writable(&mut perms);
    let _ = fs::set_permissions(path, perms);
    if let Ok(entries) = fs::read_dir(path) {
        for entry in entries.flatten() {
            make_writable(&entry.path());
        }
    }
}

#[cfg(unix)]
fn set_owner_writable(perms: &mut fs::Permissions) {
    use std::os::unix::fs::PermissionsExt;
    perms.set_mode(perms.mode() | 0o700);
}

#[cfg(not(unix))]
#[allow(clippy::permissions_set_readonly_false)]
fn set_owner_writable(perms: &mut fs::Permissions) {
    perms.set_readonly(false);
}

/// Opens `path` for reading only if it is a regular file, without following
/// a symlink and without blocking on a FIFO; returns it with its metadata.
pub fn open_regular(path: &Path) -> io::Result<(File, Metadata)> {
    let file = open_no_follow(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", path.display()),
        ));
    }
    Ok((file, meta))
}

#[cfg(unix)]
fn open_no_follow(path: &Path) -> io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    no_follow(&mut options);
    options.open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> io::Result<File> {
    if fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is a symlink", path.display()),
        ));
    }
    File::open(path)
}

/// Reads a small regular file (at most `limit` bytes) without following a
/// symlink: `None` when it is missing, not a regular file, or too big.
pub fn read_small(path: &Path, limit: u64) -> Option<Vec<u8>> {
    use std::io::Read;
    let (file, meta) = open_regular(path).ok()?;
    if meta.len() > limit {
        return None;
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= limit).then_some(bytes)
}

/// Writes `bytes` to `path` through a temporary sibling and a rename, so a
/// reader never sees half a file and a symlink at `path` is replaced, not
/// written through.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut partial = tempfile::Builder::new()
        .prefix(".partial-")
        .tempfile_in(dir)
        .map_err(|e| Error::io_at("create a temporary file in", dir, e))?;
    use std::io::Write;
    partial
        .write_all(bytes)
        .map_err(|e| Error::io_at("write", partial.path(), e))?;
    partial
        .persist(path)
        .map(|_| ())
        .map_err(|e| Error::io_at("write", path, e.error))
}

/// Copies the regular file `src` (never through a symlink) to the new file
/// `dest`, keeping its modification time; a `dest` that exists already
/// (even as a symlink) is left as it is.
pub fn copy_new(src: &Path, dest: &Path) -> Result<()> {
    let Ok((mut from, meta)) = open_regular(src) else {
        return Ok(());
    };
    let mut to = match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dest)
    {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(Error::io_at("create", dest, e)),
    };
    if let Err(e) = io::copy(&mut from, &mut to) {
        drop(to);
        let _ = fs::remove_file(dest);
        return Err(Error::io_at("copy", src, e));
    }
    set_mode(&to, &meta);
    // Keep the time it was last used: the next trim goes by it.
    if let Ok(time) = meta.modified() {
        let _ = to.set_modified(time);
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(file: &File, meta: &Metadata) {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o755;
    let _ = file.set_permissions(fs::Permissions::from_mode(mode | 0o600));
}

#[cfg(not(unix))]
fn set_mode(_file: &File, _meta: &Metadata) {}

/// Appends `line` and a newline to the file at `path` (created if
/// missing), never through a symlink.
pub fn append_line(path: &Path, line: &str) -> io::Result<()> {
    use std::io::Write;
    let mut options = fs::OpenOptions::new();
    options.create(true).append(true);
    no_follow(&mut options);
    let mut file = options.open(path)?;
    writeln!(file, "{line}")
}

/// Marks the regular file at `path` as used now (its modification time),
/// never through a symlink.
pub fn touch(path: &Path) {
    let mut options = fs::OpenOptions::new();
    options.write(true);
    no_follow(&mut options);
    if let Ok(file) = options.open(path) {
        let _ = file.set_modified(std::time::SystemTime::now());
    }
}

#[cfg(unix)]
fn no_follow(options: &mut fs::OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt;
    options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
}

#[cfg(not(unix))]
fn no_follow(_options: &mut fs::OpenOptions) {}

/// A plain file or folder name: not empty, not `.` or `..`, no separator,
/// no NUL.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && !name.contains(':')
}

/// A relative path of plain names (no `..`, no root, no prefix).
pub fn is_plain_relative(path: &Path) -> bool {
    path.components().next().is_some()
        && path.components().all(|c| match c {
            Component::Normal(name) => name.to_str().is_some_and(is_plain_name),
            _ => false,
        })
}

/// What a bounded walk found below a directory, never following a symlink.
#[derive(Debug, Default)]
pub struct Walk {
    /// Regular files, with their metadata.
    pub files: Vec<(PathBuf, Metadata)>,
    /// Symlinks, FIFOs, sockets, devices: never anything a cache holds.
    pub odd: Vec<PathBuf>,
    /// False when the walk stopped at its entry or time bound.
    pub complete: bool,
}

/// Walks below `dir` (a missing one is empty), within [`WALK_MAX_ENTRIES`]
/// and [`WALK_MAX_TIME`].
pub fn walk(dir: &Path) -> Walk {
    walk_within(dir, WALK_MAX_ENTRIES, Instant::now() + WALK_MAX_TIME)
}

/// [`walk`] with explicit bounds.
pub fn walk_within(dir: &Path, max_entries: usize, deadline: Instant) -> Walk {
    let mut found = Walk {
        complete: true,
        ..Walk::default()
    };
    let mut pending = vec![dir.to_path_buf()];
    let mut seen = 0usize;
    while let Some(dir) = pending.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            seen += 1;
            if seen > max_entries || Instant::now() > deadline {
                found.complete = false;
                return found;
            }
            let path = entry.path();
            let Ok(meta) = fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                pending.push(path);
            } else if meta.is_file() {
                found.files.push((path, meta));
            } else {
                found.odd.push(path);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn real_dir_replaces_a_symlink_instead_of_following_it() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = tmp.path().join("cache");
        fs::create_dir_all(&root).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("lambda")).unwrap();
        let dir = real_dir(&root, &["lambda", "x"]).unwrap();
        fs::write(dir.join("f"), "x").unwrap();
        assert!(is_real_dir(&root.join("lambda")));
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
        assert!(real_dir(&root, &[".."]).is_err());
        assert!(real_dir(&root, &["a/b"]).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn open_regular_refuses_symlinks_and_fifos() {
        let dir = crate::test_support::dir_with_fifo("fifo");
        fs::write(dir.path().join("f"), "data").unwrap();
        std::os::unix::fs::symlink(dir.path().join("f"), dir.path().join("l")).unwrap();
        assert!(open_regular(&dir.path().join("f")).is_ok());
        assert!(open_regular(&dir.path().join("l")).is_err());
        assert!(open_regular(&dir.path().join("fifo")).is_err());
        assert_eq!(read_small(&dir.path().join("f"), 4).unwrap(), b"data");
        assert!(read_small(&dir.path().join("f"), 3).is_none());
    }

    #[cfg(unix)]
    #[test]
    fn write_atomic_replaces_a_symlink() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("target");
        fs::write(&target, "keep").unwrap();
        std::os::unix::fs::symlink(&target, tmp.path().join("rec")).unwrap();
        write_atomic(&tmp.path().join("rec"), b"new").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "keep");
        assert_eq!(fs::read_to_string(tmp.path().join("rec")).unwrap(), "new");
    }

    #[test]
    fn plain_names() {
        assert!(is_plain_name("0123abcd"));
        for bad in ["", ".", "..", "a/b", "a\\b", "a\0", "c:x"] {
            assert!(!is_plain_name(bad), "{bad:?}");
        }
        assert!(is_plain_relative(Path::new("build/ab/x-d")));
        for bad in ["../x", "/etc/passwd", "a/../b", ""] {
            assert!(!is_plain_relative(Path::new(bad)), "{bad:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn walk_reports_odd_entries_and_stops_at_its_bound() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("a/b")).unwrap();
        fs::write(tmp.path().join("a/b/f"), "x").unwrap();
        fs::write(tmp.path().join("g"), "x").unwrap();
        std::os::unix::fs::symlink("/etc", tmp.path().join("a/etc")).unwrap();
        let w = walk(tmp.path());
        assert!(w.complete);
        assert_eq!(w.files.len(), 2);
        assert_eq!(w.odd, vec![tmp.path().join("a/etc")]);
        let bounded = walk_within(tmp.path(), 1, Instant::now() + WALK_MAX_TIME);
        assert!(!bounded.complete);
    }
}
