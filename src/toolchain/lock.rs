//! The cross-process lock beside a cache folder, so parallel builds install
//! (or relink) an SDK once. A thin naming layer over [`crate::fs_lock`].

use std::path::{Path, PathBuf};

use super::download::Progress;
use crate::error::Result;
use crate::fs_lock::{self, FileLock};

/// The lock file guarding `dir`: `.<name>.lock` beside it.
pub fn lock_path(dir: &Path) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.with_file_name(format!(".{name}.lock"))
}

/// Takes the exclusive lock guarding `dir`, saying once through `progress`
/// when another build holds it (`what` names what that build is doing).
pub async fn lock_dir(dir: &Path, what: &str, progress: Progress<'_>) -> Result<FileLock> {
    fs_lock::lock(&lock_path(dir), || {
        progress(&format!(
            "Waiting for another build that is installing {what}"
        ))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_file_is_a_hidden_sibling() {
        assert_eq!(
            lock_path(Path::new("/c/golang/1.22.3_linux_amd64")),
            Path::new("/c/golang/.1.22.3_linux_amd64.lock")
        );
    }
}
