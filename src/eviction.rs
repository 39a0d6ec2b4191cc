//! One eviction policy for everything the builder keeps — the Go caches a
//! deploy hands to the next one, kept programs, dev binaries, compiled
//! helpers: a size budget (`GO_BUILDER_CACHE_MAX_MB`), filled with the most
//! recently used units first; the least recently used go. A unit is what
//! must stay or go together (a module version's files, a program and its
//! key, one build-cache entry).

use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::cache_fs;
use crate::env::Env;

/// The environment variable that sets the budget, in megabytes.
pub const MAX_MB_ENV: &str = "GO_BUILDER_CACHE_MAX_MB";
/// The budget when the environment sets none.
pub const DEFAULT_MAX_MB: u64 = 512;

/// The budget in bytes.
pub fn budget(env: &Env) -> u64 {
    env.get(MAX_MB_ENV)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(DEFAULT_MAX_MB)
        .saturating_mul(1024 * 1024)
}

/// Files that are kept or evicted together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub paths: Vec<PathBuf>,
    pub size: u64,
    /// The newest modification time among its files (Go refreshes the
    /// times of the build-cache entries it uses).
    pub used: SystemTime,
}

impl Unit {
    /// A unit of the given files (missing ones are left out).
    pub fn of(paths: Vec<PathBuf>) -> Option<Unit> {
        Unit::of_files(
            paths
                .into_iter()
                .filter_map(|path| {
                    let meta = std::fs::symlink_metadata(&path).ok()?;
                    Some((path, meta))
                })
                .collect(),
        )
    }

    /// A unit of files whose metadata is known.
    fn of_files(files: Vec<(PathBuf, Metadata)>) -> Option<Unit> {
        let mut size = 0;
        let mut used = UNIX_EPOCH;
        let mut present = Vec::new();
        for (path, meta) in files {
            size += meta.len();
            used = used.max(meta.modified().unwrap_or(UNIX_EPOCH));
            present.push(path);
        }
        (!present.is_empty()).then_some(Unit {
            paths: present,
            size,
            used,
        })
    }
}

/// Every regular file below `dir` as a unit of its own.
pub fn file_units(dir: &Path) -> Vec<Unit> {
    let mut units = Vec::new();
    walk_files(dir, &mut |file| units.extend(Unit::of_files(vec![file])));
    units
}

/// The files below `dir` grouped by `group` (files with the same key form
/// one unit; `None` leaves a file out).
pub fn grouped_units(dir: &Path, group: impl Fn(&Path) -> Option<PathBuf>) -> Vec<Unit> {
    let mut groups: std::collections::BTreeMap<PathBuf, Vec<(PathBuf, Metadata)>> =
        Default::default();
    walk_files(dir, &mut |(path, meta)| {
        if let Some(key) = group(&path) {
            groups.entry(key).or_default().push((path, meta));
        }
    });
    groups.into_values().filter_map(Unit::of_files).collect()
}

/// Every regular file below `dir` with its metadata, never following a
/// symlink, within the walk's bounds ([`cache_fs::walk`]).
fn walk_files(dir: &Path, visit: &mut dyn FnMut((PathBuf, Metadata))) {
    for file in cache_fs::walk(dir).files {
        visit(file);
    }
}

/// The units that fit the budget, most recently used first.
pub fn newest_within(mut units: Vec<Unit>, budget: u64) -> Vec<Unit> {
    units.sort_by(|a, b| b.used.cmp(&a.used).then_with(|| a.paths.cmp(&b.paths)));
    let mut total = 0u64;
    units
        .into_iter()
        .filter(|unit| {
            let fits = total + unit.size <= budget;
            if fits {
                total += unit.size;
            }
            fits
        })
        .collect()
}

/// Deletes the least recently used units until the rest fit the budget.
/// Returns the bytes left.
pub fn trim(units: Vec<Unit>, budget: u64) -> u64 {
    let keep = newest_within(units.clone(), budget);
    let mut left = 0;
    for unit in units {
        if keep.contains(&unit) {
            left += unit.size;
        } else {
            for path in &unit.paths {
                let _ = std::fs::remove_file(path);
            }
        }
    }
    left
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::aged_file;
    use std::time::Duration;

    /// A temporary tree of `(path, size in bytes, age in seconds)` files.
    fn tree(files: &[(&str, usize, u64)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for &(rel, bytes, age_secs) in files {
            aged_file(&dir.path().join(rel), bytes, Duration::from_secs(age_secs));
        }
        dir
    }

    #[test]
    fn trims_the_least_recently_used_first() {
        let dir = tree(&[("a/old", 10, 300), ("a/mid", 10, 200), ("b/new", 10, 100)]);
        let left = trim(file_units(dir.path()), 25);
        assert_eq!(left, 20);
        assert!(!dir.path().join("a/old").exists());
        assert!(dir.path().join("a/mid").exists());
        assert!(dir.path().join("b/new").exists());
    }

    #[test]
    fn groups_stay_together() {
        let dir = tree(&[
            ("m/@v/v1.zip", 100, 10),
            ("m/@v/v1.mod", 10, 500),
            ("m/@v/v2.zip", 100, 400),
        ]);
        let units = grouped_units(dir.path(), |p| Some(p.with_extension("")));
        assert_eq!(units.len(), 2);
        let kept = newest_within(units, 150);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].paths.len(), 2, "v1's zip and mod together");
    }

    #[test]
    fn budget_from_the_environment() {
        let env: Env = [(MAX_MB_ENV.to_string(), "3".to_string())]
            .into_iter()
            .collect();
        assert_eq!(budget(&env), 3 * 1024 * 1024);
        assert_eq!(budget(&Env::default()), DEFAULT_MAX_MB * 1024 * 1024);
    }
}
