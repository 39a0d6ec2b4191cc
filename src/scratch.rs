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

/// A fresh scratch directory in the environment's temp dir.
pub fn create(env: &Env) -> Result<tempfile::TempDir> {
    let temp = env.temp_dir();
    sweep_stale(&temp);
    tempfile::Builder::new()
        .prefix(&format!("{PREFIX}{}-", std::process::id()))
        .tempdir_in(&temp)
        .map_err(|e| Error::io("create a temporary directory", e))
}

/// Removes scratch directories whose process is gone.
fn sweep_stale(temp: &Path) {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !process_exists(pid) {
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

    #[cfg(unix)]
    #[test]
    fn sweeps_directories_of_dead_processes_only() {
        let temp = tempfile::tempdir().unwrap();
        let env: Env = [(
            "TMPDIR".to_string(),
            temp.path().to_string_lossy().into_owned(),
        )]
        .into_iter()
        .collect();
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
}
