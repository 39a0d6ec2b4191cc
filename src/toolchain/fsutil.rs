//! File-tree helpers for the SDK caches: removal that copes with Go's
//! read-only module cache, copying, listing, and unique sibling names.

use std::fs;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

/// A name for a temporary sibling of `path`: `.<name>.<tag>-<pid>-<nanos>`.
pub fn sibling(path: &Path, tag: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let unique = format!(".{name}.{tag}-{}-{nanos}", std::process::id());
    path.with_file_name(unique)
}

pub use crate::cache_fs::remove_tree;

/// Copies the tree at `src` to `dst` (which must not exist): files with
/// their permissions, symlinks as symlinks. Directory permissions are applied
/// after their contents, so read-only folders copy too.
pub fn copy_tree(src: &Path, dst: &Path) -> Result<()> {
    let meta = fs::symlink_metadata(src).map_err(|e| Error::io_at("inspect", src, e))?;
    if meta.file_type().is_symlink() {
        let target = fs::read_link(src).map_err(|e| Error::io_at("read link", src, e))?;
        return copy_symlink(&target, dst);
    }
    if !meta.is_dir() {
        fs::copy(src, dst).map_err(|e| Error::io_at("copy", src, e))?;
        return Ok(());
    }
    fs::create_dir(dst).map_err(|e| Error::io_at("create", dst, e))?;
    let entries = fs::read_dir(src).map_err(|e| Error::io_at("read", src, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io_at("read", src, e))?;
        copy_tree(&entry.path(), &dst.join(entry.file_name()))?;
    }
    fs::set_permissions(dst, meta.permissions())
        .map_err(|e| Error::io_at("set permissions of", dst, e))
}

#[cfg(unix)]
fn copy_symlink(target: &Path, dst: &Path) -> Result<()> {
    std::os::unix::fs::symlink(target, dst).map_err(|e| Error::io_at("create symlink", dst, e))
}

#[cfg(not(unix))]
fn copy_symlink(target: &Path, dst: &Path) -> Result<()> {
    let resolved = dst
        .parent()
        .map_or_else(|| target.to_path_buf(), |p| p.join(target));
    if resolved.is_dir() {
        std::os::windows::fs::symlink_dir(target, dst)
    } else {
        std::os::windows::fs::symlink_file(target, dst)
    }
    .map_err(|e| Error::io_at("create symlink", dst, e))
}

/// Every file and symlink below `dir` (not following symlinks), as paths
/// relative to `base`, sorted.
pub fn list_files(dir: &Path, base: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    collect(dir, base, &mut found)?;
    found.sort();
    Ok(found)
}

fn collect(dir: &Path, base: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|e| Error::io_at("read", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io_at("read", dir, e))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| Error::io_at("inspect", &path, e))?;
        if kind.is_dir() {
            collect(&path, base, found)?;
        } else {
            let rel = path.strip_prefix(base).unwrap_or(&path).to_path_buf();
            found.push(rel);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn removes_read_only_trees_and_copies_them() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        fs::create_dir_all(src.join("ro/sub")).unwrap();
        fs::write(src.join("ro/sub/f"), "x").unwrap();
        std::os::unix::fs::symlink("sub/f", src.join("ro/link")).unwrap();
        fs::set_permissions(src.join("ro/sub"), fs::Permissions::from_mode(0o555)).unwrap();
        fs::set_permissions(src.join("ro"), fs::Permissions::from_mode(0o555)).unwrap();

        let dst = tmp.path().join("dst");
        copy_tree(&src, &dst).unwrap();
        assert_eq!(fs::read_to_string(dst.join("ro/link")).unwrap(), "x");
        assert_eq!(
            list_files(&dst, tmp.path()).unwrap(),
            vec![PathBuf::from("dst/ro/link"), PathBuf::from("dst/ro/sub/f")]
        );
        remove_tree(&src).unwrap();
        remove_tree(&dst).unwrap();
        assert!(!src.exists() && !dst.exists());
        remove_tree(&dst).unwrap();
    }

    #[test]
    fn sibling_names() {
        let s = sibling(Path::new("/a/b/golang"), "tmp");
        assert_eq!(s.parent(), Some(Path::new("/a/b")));
        assert!(s
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".golang.tmp-"));
    }
}
