//! Cross-process exclusive locks on a lock file (the OS's advisory lock,
//! released when the guard is dropped or the process dies), so parallel
//! builds do shared work once.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::Path;

use crate::error::{Error, Result};

/// Holds the lock until dropped.
#[derive(Debug)]
pub struct FileLock {
    _file: Option<File>,
}

/// Takes the exclusive lock on `path` (created if needed), calling `on_wait`
/// once if another process or task holds it, and waiting without blocking
/// the async runtime. On file systems without locking the work proceeds
/// unlocked.
pub async fn lock(path: &Path, on_wait: impl FnOnce()) -> Result<FileLock> {
    let file = open(path)?;
    match file.try_lock() {
        Ok(()) => return Ok(FileLock { _file: Some(file) }),
        Err(TryLockError::WouldBlock) => {}
        Err(TryLockError::Error(e)) => return unlocked_or(e, path),
    }
    on_wait();
    let waited = tokio::task::spawn_blocking(move || file.lock().map(|()| file))
        .await
        .map_err(|e| Error::Internal(format!("lock task failed: {e}")))?;
    match waited {
        Ok(file) => Ok(FileLock { _file: Some(file) }),
        Err(e) => unlocked_or(e, path),
    }
}

/// The lock on `path` if nobody holds it now; `None` if someone does.
pub fn try_lock(path: &Path) -> Result<Option<FileLock>> {
    let file = open(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(FileLock { _file: Some(file) })),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => unlocked_or(e, path).map(Some),
    }
}

fn open(path: &Path) -> Result<File> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io_at("create", parent, e))?;
    }
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| Error::io_at("open", path, e))
}

fn unlocked_or(e: io::Error, path: &Path) -> Result<FileLock> {
    if e.kind() == io::ErrorKind::Unsupported {
        return Ok(FileLock { _file: None });
    }
    Err(Error::io_at("lock", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn second_holder_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let first = lock(&path, || {}).await.unwrap();
        let waited = Arc::new(AtomicBool::new(false));
        let flag = waited.clone();
        let p = path.clone();
        let second = tokio::spawn(async move {
            lock(&p, move || flag.store(true, Ordering::SeqCst))
                .await
                .map(|_| ())
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(!second.is_finished());
        drop(first);
        second.await.unwrap().unwrap();
        assert!(waited.load(Ordering::SeqCst));
        let held = try_lock(&path).unwrap();
        assert!(held.is_some());
        assert!(try_lock(&path).unwrap().is_none(), "held by the first try");
    }
}
