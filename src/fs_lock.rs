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
/// unlocked. A lock file removed (by [`remove_if_unused`]) while this waited
/// is opened again: the lock is always on the file the path names.
pub async fn lock(path: &Path, on_wait: impl FnOnce()) -> Result<FileLock> {
    let mut on_wait = Some(on_wait);
    loop {
        let file = open(path)?;
        let file = match file.try_lock() {
            Ok(()) => file,
            Err(TryLockError::WouldBlock) => {
                if let Some(say) = on_wait.take() {
                    say();
                }
                let waited = tokio::task::spawn_blocking(move || file.lock().map(|()| file))
                    .await
                    .map_err(|e| Error::Internal(format!("lock task failed: {e}")))?;
                match waited {
                    Ok(file) => file,
                    Err(e) => return unlocked_or(e, path),
                }
            }
            Err(TryLockError::Error(e)) => return unlocked_or(e, path),
        };
        if still_named_by(&file, path) {
            return Ok(FileLock { _file: Some(file) });
        }
    }
}

/// The lock on `path` if nobody holds it now; `None` if someone does.
pub fn try_lock(path: &Path) -> Result<Option<FileLock>> {
    let file = open(path)?;
    match file.try_lock() {
        Ok(()) if still_named_by(&file, path) => Ok(Some(FileLock { _file: Some(file) })),
        Ok(()) | Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => unlocked_or(e, path).map(Some),
    }
}

/// Removes the lock file `path` when nobody holds it and it was last
/// touched before `older_than`. Safe against a process that opened it just
/// before: that one finds the file gone once it holds the lock and opens a
/// new one (see [`lock`]). Returns whether it was removed.
pub fn remove_if_unused(path: &Path, older_than: std::time::SystemTime) -> bool {
    let old = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t < older_than);
    if !old {
        return false;
    }
    match try_lock(path) {
        Ok(Some(_held)) => std::fs::remove_file(path).is_ok(),
        _ => false,
    }
}

/// Whether `path` still names the open `file` (not removed or replaced).
#[cfg(unix)]
fn still_named_by(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

/// Windows refuses to remove an open file: the path always names it.
#[cfg(not(unix))]
fn still_named_by(_file: &File, _path: &Path) -> bool {
    true
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

    #[tokio::test]
    async fn a_waiter_follows_a_removed_lock_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let first = lock(&path, || {}).await.unwrap();
        let p = path.clone();
        let waiter = tokio::spawn(async move { lock(&p, || {}).await.map(|_| ()) });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        // Removed while held (as remove_if_unused does once it holds it).
        std::fs::remove_file(&path).unwrap();
        drop(first);
        waiter.await.unwrap().unwrap();
        assert!(path.exists(), "the waiter locked a fresh file at the path");
        let future = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
        assert!(remove_if_unused(&path, future));
        assert!(!path.exists());
        std::fs::write(&path, "").unwrap();
        assert!(
            !remove_if_unused(&path, std::time::UNIX_EPOCH),
            "too recent"
        );
        let _held = try_lock(&path).unwrap().unwrap();
        assert!(!remove_if_unused(&path, future), "held");
    }
}
