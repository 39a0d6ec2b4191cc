//! What this process already read of a source file: its digest and Go
//! header, under the file's stamp (device, inode, size, modification and
//! change times, mode). A later read of a file whose stamp is the same
//! takes them from here instead of reading the file again.
//!
//! Only settled files are remembered: both times at least
//! [`SETTLE`] before the read. A write within a file system's timestamp
//! granularity after the read could otherwise leave the stamp as it was
//! (the "racy" case git also guards against); any later write moves the
//! change time past the read, which no tool can set back.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::go_header::GoHeader;

/// How old a file's times must be for its digest to be remembered.
pub const SETTLE: Duration = Duration::from_secs(2);

/// More files than any project has: past it, the memo starts over.
const CAPACITY: usize = 200_000;

/// A file's identity and times, as `stat` reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    parts: [u128; 7],
}

impl Stamp {
    pub fn of(meta: &std::fs::Metadata) -> Stamp {
        let nanos = |t: std::io::Result<SystemTime>| {
            t.ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos())
        };
        #[cfg(unix)]
        let (dev, ino, mode, ctime) = {
            use std::os::unix::fs::MetadataExt;
            let ctime = meta.ctime() as i128 * 1_000_000_000 + meta.ctime_nsec() as i128;
            (meta.dev(), meta.ino(), meta.mode(), ctime.max(0) as u128)
        };
        #[cfg(not(unix))]
        let (dev, ino, mode, ctime) = (0u64, 0u64, u32::from(meta.permissions().readonly()), 0u128);
        Stamp {
            parts: [
                u128::from(dev),
                u128::from(ino),
                u128::from(meta.len()),
                nanos(meta.modified()),
                ctime,
                u128::from(mode),
                nanos(meta.created()),
            ],
        }
    }

    /// Whether the file last changed at least [`SETTLE`] before `read_at`.
    fn settled(&self, read_at: SystemTime) -> bool {
        let limit = read_at
            .checked_sub(SETTLE)
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        self.parts[3] < limit && self.parts[4] < limit
    }
}

/// What was learned from a file's bytes.
#[derive(Debug, Clone)]
pub struct Read {
    /// SHA-256 (hex) of its contents.
    pub digest: String,
    /// For a `.go` file.
    pub header: Option<GoHeader>,
}

fn memo() -> &'static Mutex<HashMap<PathBuf, (Stamp, Read)>> {
    static MEMO: OnceLock<Mutex<HashMap<PathBuf, (Stamp, Read)>>> = OnceLock::new();
    MEMO.get_or_init(|| Mutex::new(HashMap::new()))
}

/// What `read` learns from the file at `path` (whose stamp is `stamp`),
/// taken from the memo when the file is unchanged since it was remembered.
pub fn read_file(
    path: &Path,
    stamp: &Stamp,
    read: impl FnOnce() -> std::io::Result<Read>,
) -> std::io::Result<Read> {
    if let Ok(memo) = memo().lock() {
        if let Some((known, found)) = memo.get(path) {
            if known == stamp {
                return Ok(found.clone());
            }
        }
    }
    let read_at = SystemTime::now();
    let found = read()?;
    if stamp.settled(read_at) {
        if let Ok(mut memo) = memo().lock() {
            if memo.len() >= CAPACITY {
                memo.clear();
            }
            memo.insert(path.to_path_buf(), (stamp.clone(), found.clone()));
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_counting(path: &Path, count: &mut u32) -> String {
        let meta = std::fs::metadata(path).unwrap();
        read_file(path, &Stamp::of(&meta), || {
            *count += 1;
            Ok(Read {
                digest: crate::fingerprint::file_sha256(path)?,
                header: None,
            })
        })
        .unwrap()
        .digest
    }

    #[test]
    fn remembers_settled_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old.go");
        crate::test_support::aged_file(&old, 10, Duration::from_secs(60));
        let fresh = dir.path().join("fresh.go");
        std::fs::write(&fresh, "x").unwrap();
        let (mut old_reads, mut fresh_reads) = (0, 0);
        // The change time of `old` is now: it is not settled yet either.
        read_counting(&old, &mut old_reads);
        read_counting(&fresh, &mut fresh_reads);
        read_counting(&fresh, &mut fresh_reads);
        assert_eq!(fresh_reads, 2, "a file changed just now is read again");
        let stamp = Stamp::of(&std::fs::metadata(&old).unwrap());
        assert!(!stamp.settled(SystemTime::now()));
        assert!(stamp.settled(SystemTime::now() + Duration::from_secs(5)));
    }
}
