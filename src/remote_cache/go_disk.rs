//! Go's build cache directory (GOCACHE), in Go's own layout, so that the
//! cache program and a plain `go` (and the deploy cache, which copies the
//! folder) see the same entries:
//!
//! - `<dir>/<xx>/<action id>-a`: `v1 <action id> <output id> <size> <time>\n`
//!   (size and time space-padded to 20 characters);
//! - `<dir>/<xx>/<output id>-d`: the output, whose SHA-256 is its output id.
//!
//! Every file is written beside its place and renamed into it, so a
//! reader never sees a partial one.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::fingerprint::hex;

/// An entry's files are marked used at most this often (as Go does).
const MARK_INTERVAL: Duration = Duration::from_secs(60 * 60);

pub type Id = [u8; 32];

/// What an action produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub output: Id,
    pub size: u64,
    /// When it was put, in Unix nanoseconds.
    pub time: i64,
    /// The output's file.
    pub path: PathBuf,
}

pub struct GoDisk {
    dir: PathBuf,
}

impl GoDisk {
    pub fn new(dir: PathBuf) -> GoDisk {
        GoDisk { dir }
    }

    fn file(&self, id: &Id, kind: &str) -> PathBuf {
        self.dir
            .join(format!("{:02x}", id[0]))
            .join(format!("{}-{kind}", hex(id)))
    }

    /// The entry of `action`, when its output is there whole (by size, as
    /// Go itself checks).
    pub fn get(&self, action: &Id) -> Option<Entry> {
        let index = self.file(action, "a");
        let text = std::fs::read_to_string(&index).ok()?;
        let entry = parse_index(&text, action)?;
        let output = self.file(&entry.0, "d");
        let meta = std::fs::metadata(&output).ok()?;
        if !meta.is_file() || meta.len() != entry.1 {
            return None;
        }
        mark_used(&index);
        mark_used(&output);
        Some(Entry {
            output: entry.0,
            size: entry.1,
            time: entry.2,
            path: output,
        })
    }

    /// Stores `body` as the output of `action`.
    pub fn put(&self, action: &Id, output: &Id, body: &[u8]) -> std::io::Result<Entry> {
        let path = self.file(output, "d");
        let present = std::fs::metadata(&path)
            .is_ok_and(|m| m.is_file() && m.len() == body.len() as u64)
            && std::fs::read(&path).is_ok_and(|b| Sha256::digest(&b).as_slice() == output);
        if !present {
            let mut file = self.temp_beside(&path)?;
            file.write_all(body)?;
            file.persist(&path).map_err(|e| e.error)?;
        }
        self.index(action, output, body.len() as u64, path)
    }

    /// A temporary file in GOCACHE, to be [`adopt`](GoDisk::adopt)ed.
    pub fn temp(&self) -> std::io::Result<tempfile::NamedTempFile> {
        std::fs::create_dir_all(&self.dir)?;
        tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(&self.dir)
    }

    /// Makes `file` (whose content the caller verified: SHA-256 `output`,
    /// `size` bytes) the output of `action`.
    pub fn adopt(
        &self,
        action: &Id,
        output: &Id,
        size: u64,
        file: tempfile::NamedTempFile,
    ) -> std::io::Result<Entry> {
        let path = self.file(output, "d");
        file.persist(&path).map_err(|e| e.error)?;
        self.index(action, output, size, path)
    }

    fn index(&self, action: &Id, output: &Id, size: u64, path: PathBuf) -> std::io::Result<Entry> {
        let time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as i64;
        let line = format!("v1 {} {} {size:20} {time:20}\n", hex(action), hex(output));
        let index = self.file(action, "a");
        let mut file = self.temp_beside(&index)?;
        file.write_all(line.as_bytes())?;
        file.persist(&index).map_err(|e| e.error)?;
        Ok(Entry {
            output: *output,
            size,
            time,
            path,
        })
    }

    fn temp_beside(&self, path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
        let dir = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(dir)?;
        tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)
    }
}

/// The output id, size and time of an index file for `action`.
fn parse_index(text: &str, action: &Id) -> Option<(Id, u64, i64)> {
    let fields: Vec<&str> = text.strip_suffix('\n')?.split_ascii_whitespace().collect();
    match fields[..] {
        ["v1", id, output, size, time] if unhex(id)? == *action => {
            Some((unhex(output)?, size.parse().ok()?, time.parse().ok()?))
        }
        _ => None,
    }
}

pub fn unhex(text: &str) -> Option<Id> {
    if text.len() != 64 {
        return None;
    }
    let mut id = [0u8; 32];
    for (i, byte) in id.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(id)
}

/// Refreshes `path`'s time when it is older than [`MARK_INTERVAL`], so
/// trimming (Go's, the deploy cache's) keeps what builds use.
fn mark_used(path: &Path) {
    let old = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t.elapsed().unwrap_or_default() >= MARK_INTERVAL);
    if old {
        if let Ok(file) = std::fs::File::options().write(true).open(path) {
            let _ = file.set_modified(SystemTime::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_go_reads_and_reads_what_go_writes() {
        let dir = tempfile::tempdir().unwrap();
        let disk = GoDisk::new(dir.path().to_path_buf());
        let action = [0xab; 32];
        let body = b"package archive";
        let output: Id = Sha256::digest(body).into();
        let put = disk.put(&action, &output, body).unwrap();
        let index =
            std::fs::read_to_string(dir.path().join("ab").join(format!("{}-a", hex(&action))))
                .unwrap();
        // Go's own format: fixed width, 2+1+64+1+64+1+20+1+20+1 bytes.
        assert_eq!(index.len(), 175);
        assert!(index.starts_with(&format!("v1 {} {} ", hex(&action), hex(&output))));
        assert_eq!(std::fs::read(&put.path).unwrap(), body);
        assert_eq!(disk.get(&action).unwrap(), put);
        // An index Go wrote (size and time padded).
        let go_line = format!(
            "v1 {} {} {:20} {:20}\n",
            hex(&action),
            hex(&output),
            body.len(),
            1_700_000_000_000_000_000i64
        );
        std::fs::write(
            dir.path().join("ab").join(format!("{}-a", hex(&action))),
            go_line,
        )
        .unwrap();
        assert_eq!(disk.get(&action).unwrap().time, 1_700_000_000_000_000_000);
        // A short output is not an entry.
        std::fs::write(&put.path, b"pack").unwrap();
        assert!(disk.get(&action).is_none());
        assert!(disk.get(&[1; 32]).is_none());
    }
}
