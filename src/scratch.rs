//! Scratch directories: where a build writes what Go must see (renamed
//! entry, generated main, alternate go.mod, overlay) — never the user's tree.
//!
//! Each is named after the process that made it and removed when dropped.
//! A process killed mid-build cannot drop its directory, so every new one
//! first sweeps the directories of processes that no longer exist.

use std::path::Path;

use crate::env::Env;
use crate::error::{Error, Result};

const PREFIX: &str = "go-builder-scratch-";
/// The prefix of the directories holding a Lambda's files.
pub const OUTPUT_PREFIX: &str = "go-builder-out-";
/// How long an output directory of a process that is gone is kept: the
/// CLI may read a worker's outputs after the worker exits.
const OUTPUT_GRACE: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// A fresh scratch directory in the environment's temp dir.
pub fn create(env: &Env) -> Result<tempfile::TempDir> {
    let temp = env.temp_dir();
    sweep(&temp, PREFIX, |_| true);
    owned_dir(&temp, PREFIX).map_err(|e| Error::io("create a temporary directory", e))
}

/// A fresh directory for a Lambda's files in the environment's temp dir,
/// named after this process. Those of processes that are gone are swept
/// when empty (a killed build's) or a day old.
pub fn create_output(env: &Env) -> Result<tempfile::TempDir> {
    let temp = env.temp_dir();
    sweep(&temp, OUTPUT_PREFIX, |dir| {
        is_empty(dir)
            || std::fs::metadata(dir)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().unwrap_or_default() > OUTPUT_GRACE)
    });
    owned_dir(&temp, OUTPUT_PREFIX).map_err(|e| Error::io("create the output directory", e))
}

fn owned_dir(temp: &Path, prefix: &str) -> std::io::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(&format!("{prefix}{}-", std::process::id()))
        .tempdir_in(temp)
}

fn is_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none())
}

/// Removes the `prefix<pid>-…` directories of processes that no longer
/// exist, when `removable` agrees.
fn sweep(temp: &Path, prefix: &str, removable: impl Fn(&Path) -> bool) {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !process_exists(pid) && removable(&entry.path()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(unix)]
fn process_exists(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return true;
    };
    // SAFETY: signal 0 only checks whether the process exists.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    alive || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
fn process_exists(_pid: u32) -> bool {
    // Without a cheap check, never remove another process's directory.
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A temp dir and an environment whose TMPDIR it is.
    fn temp_env() -> (tempfile::TempDir, Env) {
        let temp = tempfile::tempdir().unwrap();
        let env = crate::test_support::env(&[("TMPDIR", &temp.path().to_string_lossy())]);
        (temp, env)
    }

    #[cfg(unix)]
    #[test]
    fn sweeps_directories_of_dead_processes_only() {
        let (temp, env) = temp_env();
        // A pid that cannot exist (above the largest pid_max Linux allows).
        let dead = temp.path().join(format!("{PREFIX}4194305-abc"));
        std::fs::create_dir(&dead).unwrap();
        let unrelated = temp.path().join("something-else");
        std::fs::create_dir(&unrelated).unwrap();
        let mine = create(&env).unwrap();
        assert!(!dead.exists());
        assert!(unrelated.exists());
        let second = create(&env).unwrap();
        assert!(mine.path().exists(), "a live process keeps its directory");
        drop(second);
    }

    #[cfg(unix)]
    #[test]
    fn sweeps_empty_output_directories_of_dead_processes() {
        let (temp, env) = temp_env();
        let empty = temp.path().join(format!("{OUTPUT_PREFIX}4194305-a"));
        let full = temp.path().join(format!("{OUTPUT_PREFIX}4194305-b"));
        std::fs::create_dir(&empty).unwrap();
        std::fs::create_dir(&full).unwrap();
        std::fs::write(full.join("bootstrap"), "x").unwrap();
        let out = create_output(&env).unwrap();
        assert!(!empty.exists(), "a killed build's empty output directory");
        assert!(full.exists(), "recent outputs may still be read");
        let name = out
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(name.starts_with(&format!("{OUTPUT_PREFIX}{}-", std::process::id())));
    }
}
