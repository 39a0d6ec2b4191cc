//! Where Go keeps its build and module caches for a build, and the SDK a
//! deploy keeps for the next one.
//!
//! Go's own defaults (the user's global caches) serve every build on a
//! developer's machine. When the project's deploy cache is in use
//! ([`crate::cache_dir::project_cache_in_use`]: restored from the last
//! deploy's `prepareCache()`), GOCACHE and GOMODCACHE point into it
//! (`build/`, `mod/`), so a fresh container compiles nothing it compiled
//! last time and downloads no module again. A user's own GOCACHE,
//! GOMODCACHE or GOCACHEPROG always wins.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::fsutil;
use super::resolve::local_cache_dir;
use crate::cache_dir::{project_cache_dir, project_cache_in_use};
use crate::env::Env;
use crate::error::{Error, Result};

/// The project deploy cache's Go build cache.
pub fn project_go_build_cache(work_path: &Path) -> PathBuf {
    project_cache_dir(work_path).join("build")
}

/// The project deploy cache's Go module cache.
pub fn project_go_module_cache(work_path: &Path) -> PathBuf {
    project_cache_dir(work_path).join("mod")
}

/// The variables that point Go's caches into the project's deploy cache,
/// when it is in use and the user has not chosen their own. Modules are
/// extracted writable there (`-modcacherw`), so the cache can be trimmed
/// and the checkout removed like any other folder.
pub fn go_cache_env(work_path: &Path, env: &Env) -> Vec<(String, String)> {
    if !project_cache_in_use(work_path) {
        return Vec::new();
    }
    let mut vars = Vec::new();
    if env.non_empty("GOCACHE").is_none() {
        vars.push((
            "GOCACHE".to_string(),
            project_go_build_cache(work_path)
                .to_string_lossy()
                .into_owned(),
        ));
    }
    if env.non_empty("GOMODCACHE").is_none() {
        vars.push((
            "GOMODCACHE".to_string(),
            project_go_module_cache(work_path)
                .to_string_lossy()
                .into_owned(),
        ));
        let flags = env.get("GOFLAGS").unwrap_or_default();
        if !flags.contains("-modcacherw") {
            vars.push((
                "GOFLAGS".to_string(),
                format!("{flags} -modcacherw").trim().to_string(),
            ));
        }
    }
    vars
}

/// The files of the SDK to persist for the next build: everything under
/// `<workPath>/.vercel/cache/golang/**`, as paths relative to `work_path`,
/// sorted. A missing cache is an empty list. When the local cache is a
/// symlink (to a global-cache SDK), it is first replaced by a copy of its
/// target — never moved, other projects may use that SDK.
pub fn keep_sdk(work_path: &Path) -> Result<Vec<PathBuf>> {
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
