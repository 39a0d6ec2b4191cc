//! A cross-process lock beside a cache folder, so parallel builds install
//! (or relink) an SDK once. Uses the OS's advisory file lock (`File::lock`);
//! the lock is released when the guard is dropped or the process dies.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

use super::download::Progress;
use crate::error::{Error, Result};

/// Holds the lock until dropped.
#[derive(Debug)]
pub struct DirLock {
    _file: Option<File>,
}

/// The lock file guarding `dir`: `.<name>.lock` beside it.
pub fn lock_path(dir: &Path) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.with_file_name(format!(".{name}.lock"))
}

/// Takes the exclusive lock guarding `dir`, waiting (without blocking the
/// async runtime) while another process or task holds it. On file systems
/// without locking support the work proceeds unlocked.
pub async fn lock_dir(dir: &Path, what: &str, progress: Progress<'_>) -> Result<DirLock> {
    let path = lock_path(dir);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| Error::io_at("create", parent, e))?;
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::io_at("open", &path, e))?;
    match file.try_lock() {
        Ok(()) => return Ok(DirLock { _file: Some(file) }),
        Err(TryLockError::WouldBlock) => {}
        Err(TryLockError::Error(e)) => return unlocked_or(e, &path),
    }
    progress(&format!(
        "Waiting for another build that is installing {what}"
    ));
    let waited = tokio::task::spawn_blocking(move || file.lock().map(|()| file))
        .await
        .map_err(|e| Error::Internal(format!("lock task failed: {e}")))?;
    match waited {
        Ok(file) => Ok(DirLock { _file: Some(file) }),
        Err(e) => unlocked_or(e, &path),
    }
}

fn unlocked_or(e: io::Error, path: &Path) -> Result<DirLock> {
    if e.kind() == io::ErrorKind::Unsupported {
        return Ok(DirLock { _file: None });
    }
    Err(Error::io_at("lock", path, e))
}
