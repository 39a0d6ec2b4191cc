//! What the builder leaves on disk, kept in bounds: at most once an hour, a
//! session's opening trims the builder's cache (kept programs, dev
//! binaries, compiled helpers) to the shared budget ([`eviction`]), least
//! recently used first, and sweeps debris a killed build leaves behind:
//! half-compiled helpers and lock files of SDK folders that never came to be.
//!
//! Nothing in use is touched: units used in the last minutes, or whose lock
//! someone holds, stay whatever the budget says.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::cache_fs;
use crate::eviction::{self, Unit};
use crate::fs_lock;

/// How often the work runs, per cache directory.
const EVERY: Duration = Duration::from_secs(60 * 60);
/// Units used more recently than this are in use: never evicted.
const IN_USE: Duration = Duration::from_secs(10 * 60);
/// Debris older than this belongs to no live build.
const STALE: Duration = Duration::from_secs(60 * 60);
/// The file whose modification time says when the work last ran.
const STAMP: &str = ".housekeeping";

/// What one run looks after.
pub struct Housekeeping {
    /// The builder's cache directory (`lambda/`, `dev/`, `bin/`).
    pub cache: PathBuf,
    /// The toolchain's global cache (SDK folders and their lock files).
    pub sdk_root: PathBuf,
    /// The size budget of the builder's cache, in bytes.
    pub budget: u64,
}

impl Housekeeping {
    /// Runs unless it ran in the last hour for this cache. Returns whether
    /// it ran.
    pub fn run_if_due(&self, now: SystemTime) -> bool {
        if !claim_turn(&self.cache.join(STAMP), now) {
            return false;
        }
        self.trim_cache(now);
        sweep_compile_dirs(&self.cache.join("bin"), now);
        sweep_partial_files(&self.cache, now);
        sweep_orphan_sdk_locks(&self.sdk_root, now);
        true
    }

    /// Trims `lambda/`, `dev/` and `bin/` to the budget; units in use stay
    /// and count against it.
    fn trim_cache(&self, now: SystemTime) {
        let mut units = eviction::grouped_units(&self.cache.join("lambda"), program_of);
        units.extend(eviction::grouped_units(&self.cache.join("dev"), slot_of));
        units.extend(eviction::grouped_units(&self.cache.join("bin"), |p| {
            (!in_compile_dir(p)).then(|| p.to_path_buf())
        }));
        let (in_use, idle): (Vec<Unit>, Vec<Unit>) =
            units.into_iter().partition(|u| is_in_use(u, now));
        let reserved: u64 = in_use.iter().map(|u| u.size).sum();
        eviction::trim(idle, self.budget.saturating_sub(reserved));
    }
}

/// Takes this hour's turn: true (and the stamp refreshed) when the stamp is
/// missing or older than [`EVERY`].
fn claim_turn(stamp: &Path, now: SystemTime) -> bool {
    let last = std::fs::metadata(stamp).and_then(|m| m.modified()).ok();
    if last.is_some_and(|t| now.duration_since(t).unwrap_or_default() < EVERY) {
        return false;
    }
    if let Some(dir) = stamp.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(stamp, b"").is_ok()
}

/// A kept program and its `.key`/`.failed`/`.lock` files form one unit.
pub fn program_of(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_string_lossy();
    let base = name.split('.').next()?;
    Some(path.with_file_name(base))
}

/// A dev slot's files form one unit.
fn slot_of(path: &Path) -> Option<PathBuf> {
    path.parent().map(Path::to_path_buf)
}

fn in_compile_dir(path: &Path) -> bool {
    path.components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with(".compile-"))
}

/// Used in the last [`IN_USE`], or locked by a build now.
fn is_in_use(unit: &Unit, now: SystemTime) -> bool {
    if now.duration_since(unit.used).unwrap_or_default() < IN_USE {
        return true;
    }
    unit.paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "lock"))
        .any(|p| matches!(fs_lock::try_lock(p), Ok(None)))
}

/// `bin/.compile-*`: a helper compile killed before it finished.
fn sweep_compile_dirs(bin: &Path, now: SystemTime) {
    for dir in old_entries(bin, now, |name| name.starts_with(".compile-")) {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Half-written files a killed build left in `lambda/`, `dev/` and `bin/`:
/// a program or record being put in place (`.partial-*`, `*.partial`).
fn sweep_partial_files(cache: &Path, now: SystemTime) {
    for dir in ["lambda", "dev", "bin"] {
        for (path, meta) in cache_fs::walk(&cache.join(dir)).files {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            let partial = name.starts_with(".partial") || name.ends_with(".partial");
            let stale = meta
                .modified()
                .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > STALE);
            if partial && stale {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

/// `.<sdk folder>.lock` beside an SDK folder that does not exist: a failed
/// or killed install (or a version that never existed).
fn sweep_orphan_sdk_locks(root: &Path, now: SystemTime) {
    let orphans = old_entries(root, now, |name| {
        name.starts_with('.') && name.ends_with(".lock")
    });
    for lock in orphans {
        let name = lock.file_name().unwrap_or_default().to_string_lossy();
        let folder = root.join(&name[1..name.len() - ".lock".len()]);
        if !folder.exists() {
            fs_lock::remove_if_unused(&lock, now - STALE);
        }
    }
}

/// Entries of `dir` whose name passes `wanted`, last modified more than
/// [`STALE`] before `now`.
fn old_entries(dir: &Path, now: SystemTime, wanted: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| wanted(&e.file_name().to_string_lossy()))
        .filter(|e| {
            e.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > STALE)
        })
        .map(|e| e.path())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::aged_file as file;

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn trims_idle_units_sweeps_debris_and_runs_hourly() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let sdks = dir.path().join("golang");
        let lambda = cache.join("lambda").join("slot");
        // An old program (with its key) and a newer one; a program in use.
        file(&lambda.join("a"), 3000, 5 * HOUR);
        file(&lambda.join("a.key"), 10, 5 * HOUR);
        file(&lambda.join("b"), 3000, 2 * HOUR);
        file(&lambda.join("c"), 3000, Duration::from_secs(60));
        file(
            &cache.join("dev").join("s1").join("bootstrap"),
            3000,
            3 * HOUR,
        );
        file(
            &cache.join("bin").join(".compile-x").join("out"),
            100,
            2 * HOUR,
        );
        let compile_dir = std::fs::File::open(cache.join("bin").join(".compile-x")).unwrap();
        compile_dir
            .set_modified(SystemTime::now() - 2 * HOUR)
            .unwrap();
        file(
            &cache.join("bin").join(".compile-y").join("out"),
            100,
            Duration::ZERO,
        );
        file(&lambda.join(".partial-x1y2"), 100, 2 * HOUR);
        file(&lambda.join("p.partial"), 100, 2 * HOUR);
        file(&lambda.join(".partial-new"), 100, Duration::ZERO);
        file(&sdks.join(".1.99.0_linux_amd64.lock"), 0, 2 * HOUR);
        file(&sdks.join(".1.26.8_linux_amd64.lock"), 0, 2 * HOUR);
        std::fs::create_dir_all(sdks.join("1.26.8_linux_amd64")).unwrap();

        let keeper = Housekeeping {
            cache: cache.clone(),
            sdk_root: sdks.clone(),
            budget: 6500,
        };
        assert!(keeper.run_if_due(SystemTime::now()));
        // 6500 bytes: c (in use) and b fit; a (with its key) and dev's slot go.
        assert!(lambda.join("c").exists() && lambda.join("b").exists());
        assert!(!lambda.join("a").exists() && !lambda.join("a.key").exists());
        assert!(!cache.join("dev").join("s1").join("bootstrap").exists());
        assert!(!cache.join("bin").join(".compile-x").exists());
        assert!(
            cache.join("bin").join(".compile-y").exists(),
            "a compile in progress"
        );
        assert!(!lambda.join(".partial-x1y2").exists() && !lambda.join("p.partial").exists());
        assert!(lambda.join(".partial-new").exists(), "a write in progress");
        assert!(!sdks.join(".1.99.0_linux_amd64.lock").exists());
        assert!(
            sdks.join(".1.26.8_linux_amd64.lock").exists(),
            "its SDK exists"
        );

        // Not again within the hour, whatever the budget says.
        let stricter = Housekeeping {
            budget: 0,
            ..keeper
        };
        assert!(!stricter.run_if_due(SystemTime::now()));
        assert!(lambda.join("b").exists());
        assert!(stricter.run_if_due(SystemTime::now() + 2 * HOUR));
        assert!(!lambda.join("b").exists());
    }

    #[test]
    fn a_locked_unit_stays() {
        let dir = tempfile::tempdir().unwrap();
        let lambda = dir.path().join("lambda").join("slot");
        file(&lambda.join("p"), 1000, 5 * HOUR);
        file(&lambda.join("p.lock"), 0, 5 * HOUR);
        let _held = fs_lock::try_lock(&lambda.join("p.lock")).unwrap().unwrap();
        let keeper = Housekeeping {
            cache: dir.path().to_path_buf(),
            sdk_root: dir.path().join("none"),
            budget: 0,
        };
        assert!(keeper.run_if_due(SystemTime::now()));
        assert!(lambda.join("p").exists());
    }
}
