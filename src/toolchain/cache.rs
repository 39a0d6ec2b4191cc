//! What a build keeps between deployments: `prepareCache()` and the
//! GOMODCACHE / GOCACHE locations.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::fsutil;
use super::resolve::local_cache_dir;
use crate::error::{Error, Result};

/// The environment that keeps Go's module cache (`<cache_root>/mod`) and
/// build cache (`<cache_root>/cache`) under a cache SDK folder, so they
/// persist with it. `cache_root` is [`super::Resolved::cache_root`].
pub fn cache_env(cache_root: &Path) -> Vec<(String, String)> {
    vec![
        (
            "GOMODCACHE".to_string(),
            cache_root.join("mod").to_string_lossy().into_owned(),
        ),
        (
            "GOCACHE".to_string(),
            cache_root.join("cache").to_string_lossy().into_owned(),
        ),
    ]
}

/// The files to persist for the next build: everything under
/// `<workPath>/.vercel/cache/golang/**`, as paths relative to `work_path`,
/// sorted. A missing cache is an empty list. When the local cache is a
/// symlink (to a global-cache SDK), it is first replaced by a copy of its
/// target — never moved, other projects may use that SDK.
pub fn prepare_cache(work_path: &Path) -> Result<Vec<PathBuf>> {
    let local = local_cache_dir(work_path);
    let meta = match fs::symlink_metadata(&local) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io_at("inspect", &local, e)),
    };
    if meta.file_type().is_symlink() && !replace_link_with_copy(&local)? {
        return Ok(Vec::new());
    }
    if !fs::metadata(&local).is_ok_and(|m| m.is_dir()) {
        return Ok(Vec::new());
    }
    fsutil::list_files(&local, work_path)
}

/// Copies the symlink's target beside it, then swaps the copy in. Returns
/// false (and removes the link) when the link is dangling.
fn replace_link_with_copy(link: &Path) -> Result<bool> {
    let target = match fs::canonicalize(link) {
        Ok(target) if target.is_dir() => target,
        _ => {
            fs::remove_file(link).map_err(|e| Error::io_at("remove", link, e))?;
            return Ok(false);
        }
    };
    let copy = fsutil::sibling(link, "copy");
    if let Err(e) = fsutil::copy_tree(&target, &copy) {
        let _ = fsutil::remove_tree(&copy);
        return Err(e);
    }
    // A directory cannot be renamed over a symlink: drop the link first.
    fs::remove_file(link).map_err(|e| Error::io_at("remove", link, e))?;
    fs::rename(&copy, link).map_err(|e| Error::io_at("move into place", link, e))?;
    Ok(true)
}
