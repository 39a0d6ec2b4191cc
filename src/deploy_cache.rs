//! `prepareCache()`: what a deploy hands to the next one, so that a fresh
//! checkout in an empty container builds warm.
//!
//! Kept under `<workPath>/.vercel/cache/`:
//! - `golang/`: the Go SDK, when the builder downloaded one (the reference
//!   builder's place for it);
//! - `go/`: the project's deploy cache ([`crate::cache_dir`]): Go's build
//!   cache (`build/`), module downloads (`mod/`), the builder's compiled
//!   helpers (`bin/`) and kept programs (`lambda/`).
//!
//! When this deploy's builds used the machine's shared caches (nothing was
//! restored), the entries they used are copied in, most recently used
//! first, within the budget ([`crate::eviction`]); when the project cache
//! was restored, the builds wrote into it and it is trimmed to the budget.

use std::path::{Path, PathBuf};

use crate::cache_dir::{self, project_cache_dir, project_cache_in_use};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::eviction::{self, Unit};
use crate::exec;
use crate::housekeeping::program_of;
use crate::lambda::kept;
use crate::toolchain::{self, fsutil};

/// Prepares the deploy cache of `work_path` and lists every file to keep,
/// relative to it, sorted.
pub async fn prepare(work_path: &Path, env: &Env) -> Result<Vec<PathBuf>> {
    let caches = match project_cache_in_use(work_path) {
        true => None,
        false => Some(shared_go_caches(work_path, env).await),
    };
    let (work_path, env) = (work_path.to_path_buf(), env.clone());
    // Copying and trimming is blocking file work: off the async workers.
    tokio::task::spawn_blocking(move || prepare_files(&work_path, &env, caches))
        .await
        .map_err(|e| Error::Internal(format!("prepareCache task failed: {e}")))?
}

/// [`prepare`]'s file work; `caches` are the shared Go caches to copy from
/// when the project cache was not in use.
fn prepare_files(work_path: &Path, env: &Env, caches: Option<GoCaches>) -> Result<Vec<PathBuf>> {
    let mut files = toolchain::keep_sdk(work_path)?;
    let project = project_cache_dir(work_path);
    let budget = eviction::budget(env);
    if let Some(caches) = caches {
        let shared = cache_dir::builder_cache_dir(env, work_path);
        std::fs::create_dir_all(&project).map_err(|e| Error::io_at("create", &project, e))?;
        let mut left = budget;
        for (from, to, units) in [
            (
                shared.join("bin"),
                project.join("bin"),
                file_units(&shared.join("bin")),
            ),
            (
                shared.join("lambda"),
                project.join("lambda"),
                kept_units(&shared, work_path),
            ),
            (
                caches.modules.clone(),
                project.join("mod"),
                download_units(&caches.modules),
            ),
            (
                caches.build.clone(),
                project.join("build"),
                file_units(&caches.build),
            ),
        ] {
            left -= copy_within(&from, &to, units, left)?;
        }
    }
    eviction::trim(project_units(&project), budget);
    if project.is_dir() {
        files.extend(fsutil::list_files(&project, work_path)?);
    }
    files.sort();
    Ok(files)
}

/// Go's build and module caches as the machine's `go` resolves them.
struct GoCaches {
    build: PathBuf,
    modules: PathBuf,
}

/// The caches the builds used: `go env` of the project's SDK (or the `go`
/// on PATH), else Go's documented defaults.
async fn shared_go_caches(work_path: &Path, env: &Env) -> GoCaches {
    let local_sdk = toolchain::local_cache_dir(work_path)
        .join("bin")
        .join(toolchain::exe("go"));
    let go = if local_sdk.is_file() {
        Some(local_sdk)
    } else {
        toolchain::find_on_path(env).ok().map(|t| t.go)
    };
    if let Some(go) = go {
        let mut env = env.clone();
        env.set("GOTOOLCHAIN", "local");
        let args = exec::args(["env", "GOCACHE", "GOMODCACHE"]);
        let deadline = std::time::Duration::from_secs(60);
        if let Ok(out) = exec::run_within(&go, &args, work_path, &env, deadline).await {
            let mut lines = out.stdout.lines().map(str::trim);
            if let (true, Some(build), Some(modules)) = (out.success, lines.next(), lines.next()) {
                if !build.is_empty() && !modules.is_empty() {
                    return GoCaches {
                        build: PathBuf::from(build),
                        modules: PathBuf::from(modules),
                    };
                }
            }
        }
    }
    let home = env.home().unwrap_or_else(|| env.temp_dir());
    GoCaches {
        build: env
            .non_empty("GOCACHE")
            .map(PathBuf::from)
            .unwrap_or_else(|| cache_dir::user_cache_dir(env).join("go-build")),
        modules: env
            .non_empty("GOMODCACHE")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join("go").join("pkg").join("mod")),
    }
}

fn file_units(dir: &Path) -> Vec<Unit> {
    eviction::file_units(dir)
}

/// The kept programs of this project's builds, each with its key.
fn kept_units(shared: &Path, work_path: &Path) -> Vec<Unit> {
    kept::folders_of(shared, work_path)
        .iter()
        .flat_map(|folder| eviction::grouped_units(&shared.join("lambda").join(folder), program_of))
        .collect()
}

/// Module downloads (`cache/download`), a module version's files together.
fn download_units(modules: &Path) -> Vec<Unit> {
    eviction::grouped_units(&modules.join("cache").join("download"), |p| {
        Some(p.with_extension(""))
    })
}

/// Everything in the project cache, in units that stay or go together.
fn project_units(project: &Path) -> Vec<Unit> {
    let mut units = file_units(&project.join("bin"));
    units.extend(file_units(&project.join("build")));
    units.extend(eviction::grouped_units(&project.join("lambda"), program_of));
    units.extend(eviction::grouped_units(&project.join("dev"), |p| {
        p.parent().map(Path::to_path_buf)
    }));
    units.extend(eviction::grouped_units(&project.join("mod"), |p| {
        module_unit(&project.join("mod"), p)
    }));
    units
}

/// A module cache file's unit: a download's version files together, an
/// extracted module's directory as a whole.
fn module_unit(root: &Path, path: &Path) -> Option<PathBuf> {
    let rel = path.strip_prefix(root).ok()?;
    if rel.starts_with("cache") {
        return Some(path.with_extension(""));
    }
    let mut unit = root.to_path_buf();
    for part in rel.components() {
        unit.push(part);
        if part.as_os_str().to_string_lossy().contains('@') {
            return Some(unit);
        }
    }
    Some(path.to_path_buf())
}

/// Copies the most recently used `units` (files below `from`) to the same
/// places below `to`, within `budget` bytes; returns the bytes copied.
fn copy_within(from: &Path, to: &Path, units: Vec<Unit>, budget: u64) -> Result<u64> {
    let mut copied = 0;
    for unit in eviction::newest_within(units, budget) {
        for path in &unit.paths {
            let Ok(rel) = path.strip_prefix(from) else {
                continue;
            };
            let dest = to.join(rel);
            if let Some(dir) = dest.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::io_at("create", dir, e))?;
            }
            if dest.exists() {
                continue;
            }
            std::fs::copy(path, &dest).map_err(|e| Error::io_at("copy", path, e))?;
            // Keep the time it was last used: the next trim goes by it.
            if let Ok(meta) = std::fs::metadata(path) {
                if let (Ok(time), Ok(file)) = (
                    meta.modified(),
                    std::fs::File::options().write(true).open(&dest),
                ) {
                    let _ = file.set_modified(time);
                }
            }
        }
        copied += unit.size;
    }
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_units() {
        let root = Path::new("/p/mod");
        assert_eq!(
            module_unit(
                root,
                Path::new("/p/mod/cache/download/x.com/m/@v/v1.0.0.zip")
            ),
            Some(PathBuf::from("/p/mod/cache/download/x.com/m/@v/v1.0.0"))
        );
        assert_eq!(
            module_unit(root, Path::new("/p/mod/x.com/m@v1.0.0/sub/a.go")),
            Some(PathBuf::from("/p/mod/x.com/m@v1.0.0"))
        );
        assert_eq!(
            program_of(Path::new("/l/g/api_x_go_1234.key")),
            Some(PathBuf::from("/l/g/api_x_go_1234"))
        );
    }
}
