//! Sealed artifacts: a program the builder keeps in a cache, with a record
//! beside it (`<artifact>.record`) holding the key it was built from, its
//! SHA-256 and size, and the facts a build needs to use it (which Lambda
//! it makes), signed when `GO_BUILDER_CACHE_SIGNING_KEY` is set.
//!
//! Nothing beside the record decides anything: an artifact is used only
//! when its record is for the key asked for (and, with a key, signed by
//! it), and the artifact — a regular file, never a symlink — has exactly
//! the recorded size and digest. The digest is checked on the bytes as they
//! are copied out, so what is checked is what is used.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, Metadata};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cache_dir;
use crate::cache_fs;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::fingerprint::{hex, Fingerprint};
use crate::signing::SigningKey;

/// The record format's version.
const VERSION: u32 = 1;
/// The largest record read.
const MAX_RECORD_BYTES: u64 = 64 * 1024;

/// What is known of a sealed artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub version: u32,
    /// The content key it was built from.
    pub key: String,
    pub sha256: String,
    pub size: u64,
    /// What a build needs to know to use it, e.g. the template and the
    /// Lambda's environment.
    #[serde(default)]
    pub facts: BTreeMap<String, String>,
    /// HMAC-SHA256 over everything above, when a signing key was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl Record {
    fn signed_parts(&self) -> Vec<Vec<u8>> {
        let facts = serde_json::to_vec(&self.facts).unwrap_or_default();
        vec![
            self.version.to_string().into_bytes(),
            self.key.clone().into_bytes(),
            self.sha256.clone().into_bytes(),
            self.size.to_string().into_bytes(),
            facts,
        ]
    }

    fn sign(&mut self, key: &SigningKey) {
        let parts = self.signed_parts();
        let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        self.signature = Some(key.sign(&parts));
    }

    fn signed_by(&self, key: &SigningKey) -> bool {
        let parts = self.signed_parts();
        let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        self.signature
            .as_deref()
            .is_some_and(|sig| key.verify(&parts, sig))
    }
}

/// Where the record of `artifact` is kept.
pub fn record_path(artifact: &Path) -> PathBuf {
    let mut name = artifact.file_name().unwrap_or_default().to_os_string();
    name.push(".record");
    artifact.with_file_name(name)
}

/// How a build checks and writes seals: the signing key, if any, and a
/// memo of checks already done, in the machine's own cache (never in a
/// restored one). The memo says "this file, unchanged since (same inode,
/// change time, modification time and size), had this digest", so an
/// artifact checked once is not hashed again until something writes it.
/// The digests a `Seals` computes are remembered the same way for as long
/// as it lives, so that the links of one file (a program shared by several
/// functions) are hashed once.
pub struct Seals {
    signing: Option<SigningKey>,
    memo: Option<PathBuf>,
    digests: Mutex<HashMap<String, (String, u64)>>,
}

impl Seals {
    /// The seals of a build with environment `env`.
    pub fn new(env: &Env) -> Seals {
        Seals {
            signing: SigningKey::from_env(env),
            memo: Some(cache_dir::machine_cache_dir(env).join("verified")),
            digests: Mutex::default(),
        }
    }

    /// The record of `artifact` if it is for `key` and, when a signing key
    /// is set, signed by it. Anything else — missing, unreadable, a
    /// symlink, another key, unsigned, badly signed — is `None`.
    pub fn find(&self, artifact: &Path, key: &str) -> Option<Record> {
        let bytes = cache_fs::read_small(&record_path(artifact), MAX_RECORD_BYTES)?;
        let record: Record = serde_json::from_slice(&bytes).ok()?;
        let trusted = record.version == VERSION
            && record.key == key
            && self.signing.as_ref().is_none_or(|k| record.signed_by(k));
        trusted.then_some(record)
    }

    /// Whether `artifact` is sealed under `key` and, as it is now, has the
    /// recorded size and digest (for artifacts used in place).
    pub fn holds(&self, artifact: &Path, key: &str) -> bool {
        self.find(artifact, key)
            .is_some_and(|record| self.intact(artifact, &record))
    }

    /// Seals `artifact` (a file the builder just wrote): hashes it and
    /// writes its record atomically.
    pub fn seal(
        &self,
        artifact: &Path,
        key: &str,
        facts: BTreeMap<String, String>,
    ) -> Result<Record> {
        let read = |e| Error::io_at("read", artifact, e);
        let (mut file, meta) = cache_fs::open_regular(artifact).map_err(read)?;
        let (sha256, size) = self.digest_of_sealed(&mut file, &meta).map_err(read)?;
        let mut record = Record {
            version: VERSION,
            key: key.to_string(),
            sha256,
            size,
            facts,
            signature: None,
        };
        if let Some(signing) = &self.signing {
            record.sign(signing);
        }
        let text = serde_json::to_vec(&record)
            .map_err(|e| Error::Internal(format!("serializing a cache record: {e}")))?;
        cache_fs::write_atomic(&record_path(artifact), &text)?;
        self.remember(artifact, &meta, &record);
        Ok(record)
    }

    /// Copies `artifact` to `dest` (a new file, executable), checking on
    /// the way that it is a regular file with the recorded size and digest.
    /// On a mismatch `dest` is removed and `Ok(false)` returned.
    pub fn copy_verified(&self, artifact: &Path, record: &Record, dest: &Path) -> Result<bool> {
        let Ok((mut file, meta)) = cache_fs::open_regular(artifact) else {
            return Ok(false);
        };
        if meta.len() != record.size {
            return Ok(false);
        }
        let checked = self.checked_before(artifact, &meta, record);
        let mut out = std::fs::File::create(dest).map_err(|e| Error::io_at("create", dest, e))?;
        let (total, digest) = if checked {
            let total = std::io::copy(&mut file, &mut out)
                .map_err(|e| Error::io_at("copy", artifact, e))?;
            (total, None)
        } else {
            let (total, digest) = hash_copy(&mut file, &mut out, artifact, dest)?;
            (total, Some(digest))
        };
        drop(out);
        let intact = total == record.size && digest.as_ref().is_none_or(|d| *d == record.sha256);
        if !intact {
            let _ = std::fs::remove_file(dest);
            return Ok(false);
        }
        if !checked {
            self.remember(artifact, &meta, record);
        }
        set_executable(dest)?;
        Ok(true)
    }

    /// Whether `artifact`, as it is now, has the recorded size and digest.
    pub fn intact(&self, artifact: &Path, record: &Record) -> bool {
        let Ok((mut file, meta)) = cache_fs::open_regular(artifact) else {
            return false;
        };
        if meta.len() != record.size {
            return false;
        }
        if self.checked_before(artifact, &meta, record) {
            return true;
        }
        let same = digest_of_open(&mut file)
            .is_ok_and(|(sha256, size)| size == record.size && sha256 == record.sha256);
        if same {
            self.remember(artifact, &meta, record);
        }
        same
    }

    /// The digest and size of `file` (open, described by `meta`), computed
    /// once per file identity for the life of these seals.
    fn digest_of_sealed(&self, file: &mut File, meta: &Metadata) -> std::io::Result<(String, u64)> {
        let identity = file_identity(meta);
        let known = self
            .digests
            .lock()
            .ok()
            .and_then(|d| d.get(&identity).cloned());
        if let Some(known) = known {
            return Ok(known);
        }
        let digest = digest_of_open(file)?;
        if let Ok(mut digests) = self.digests.lock() {
            digests.insert(identity, digest.clone());
        }
        Ok(digest)
    }

    fn memo_file(&self, artifact: &Path) -> Option<PathBuf> {
        let mut key = Fingerprint::new();
        key.value("artifact", &artifact.to_string_lossy());
        Some(self.memo.as_ref()?.join(key.finish()))
    }

    /// Whether the memo says the open file (`meta`) was checked against
    /// `record`'s digest and has not changed since.
    fn checked_before(&self, artifact: &Path, meta: &Metadata, record: &Record) -> bool {
        let Some(memo) = self.memo_file(artifact) else {
            return false;
        };
        cache_fs::read_small(&memo, 1024)
            .is_some_and(|text| text == memo_line(meta, record).into_bytes())
    }

    fn remember(&self, artifact: &Path, meta: &Metadata, record: &Record) {
        let Some(memo) = self.memo_file(artifact) else {
            return;
        };
        let (Some(dir), Some(name)) = (memo.parent(), memo.file_name()) else {
            return;
        };
        let (Some(root), Some(leaf)) = (dir.parent(), dir.file_name()) else {
            return;
        };
        if let Ok(dir) = cache_fs::real_dir(root, &[&leaf.to_string_lossy()]) {
            let _ = cache_fs::write_atomic(&dir.join(name), memo_line(meta, record).as_bytes());
        }
    }
}

/// The memo of a file checked against `record`: the digest and what
/// identifies the file as it was.
fn memo_line(meta: &Metadata, record: &Record) -> String {
    format!("{} {} {}", record.sha256, record.size, file_identity(meta))
}

#[cfg(unix)]
fn file_identity(meta: &Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    format!(
        "{}:{} c{}.{} m{}.{} {}",
        meta.dev(),
        meta.ino(),
        meta.ctime(),
        meta.ctime_nsec(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.len()
    )
}

#[cfg(not(unix))]
fn file_identity(_meta: &Metadata) -> String {
    // No change time to rely on: never a memo hit.
    format!("{:?}", std::time::SystemTime::now())
}

/// Copies `from` into `to` while hashing; returns the bytes and the digest.
fn hash_copy(from: &mut File, to: &mut File, src: &Path, dest: &Path) -> Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = from
            .read(&mut buf)
            .map_err(|e| Error::io_at("read", src, e))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        hasher.update(&buf[..n]);
        to.write_all(&buf[..n])
            .map_err(|e| Error::io_at("write", dest, e))?;
    }
    Ok((total, hex(&hasher.finalize())))
}

/// Removes `artifact` and its record (a failed verification, a rebuild).
pub fn discard(artifact: &Path) {
    let _ = cache_fs::remove_tree(&record_path(artifact));
    let _ = cache_fs::remove_tree(artifact);
}

/// The SHA-256 (hex) and size of a regular file, read without following a
/// symlink.
pub fn digest_of(path: &Path) -> std::io::Result<(String, u64)> {
    let (mut file, _) = cache_fs::open_regular(path)?;
    digest_of_open(&mut file)
}

/// The SHA-256 (hex) and size of what is left to read of `file`.
pub fn digest_of_open(file: &mut File) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let size = std::io::copy(file, &mut hasher)?;
    Ok((hex(&hasher.finalize()), size))
}

/// Makes `path` executable (rwxr-xr-x).
#[cfg(unix)]
pub fn set_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::io_at("set permissions of", path, e))
}

#[cfg(not(unix))]
pub fn set_executable(_path: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::SIGNING_KEY_ENV;
    use crate::test_support::env;

    fn seals(key: Option<&str>, memo: Option<&Path>) -> Seals {
        Seals {
            signing: key.map(|k| SigningKey::from_env(&env(&[(SIGNING_KEY_ENV, k)])).unwrap()),
            memo: memo.map(Path::to_path_buf),
            digests: Mutex::default(),
        }
    }

    fn facts() -> BTreeMap<String, String> {
        BTreeMap::from([("template".to_string(), "lambda".to_string())])
    }

    #[test]
    fn a_sealed_artifact_is_found_and_copied_only_when_intact() {
        let tmp = tempfile::tempdir().unwrap();
        for memo in [None, Some(tmp.path().join("memo"))] {
            let seals = seals(None, memo.as_deref());
            let program = tmp.path().join("prog");
            std::fs::write(&program, b"program bytes").unwrap();
            let sealed = seals.seal(&program, "k1", facts()).unwrap();
            assert_eq!(seals.find(&program, "k1"), Some(sealed.clone()));
            assert!(seals.find(&program, "k2").is_none());
            let dest = tmp.path().join("out");
            let _ = std::fs::remove_file(&dest);
            assert!(seals.copy_verified(&program, &sealed, &dest).unwrap());
            assert_eq!(std::fs::read(&dest).unwrap(), b"program bytes");
            assert!(seals.holds(&program, "k1"));

            // Same size, other bytes, written in place: refused (the memo
            // of the earlier check no longer matches the file).
            std::fs::write(&program, b"PROGRAM bytes").unwrap();
            let dest2 = tmp.path().join("out2");
            assert!(!seals.copy_verified(&program, &sealed, &dest2).unwrap());
            assert!(!dest2.exists());
            assert!(!seals.intact(&program, &sealed));
            // Truncated.
            std::fs::write(&program, b"prog").unwrap();
            assert!(!seals.copy_verified(&program, &sealed, &dest2).unwrap());
            discard(&program);
            assert!(!program.exists() && !record_path(&program).exists());
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_of_one_file_are_hashed_once_and_a_rewritten_file_again() {
        let tmp = tempfile::tempdir().unwrap();
        let memo = tmp.path().join("memo");
        let seals = seals(None, Some(&memo));
        let a = tmp.path().join("a");
        let b = tmp.path().join("b");
        std::fs::write(&a, b"shared program").unwrap();
        std::fs::hard_link(&a, &b).unwrap();
        let first = seals.seal(&a, "k", facts()).unwrap();
        let second = seals.seal(&b, "k", facts()).unwrap();
        assert_eq!(first.sha256, second.sha256);
        assert_eq!(
            seals.digests.lock().unwrap().len(),
            1,
            "one digest for both links"
        );
        // Both memos hold: sealed after the last link, neither is stale.
        for path in [&a, &b] {
            let (_, meta) = cache_fs::open_regular(path).unwrap();
            assert!(seals.checked_before(path, &meta, &first));
        }
        // Rewritten in place (same size): its identity changed, so the
        // digest is computed again, never taken from the earlier one.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&a, b"other  program").unwrap();
        let rewritten = seals.seal(&a, "k", facts()).unwrap();
        assert_eq!(rewritten.size, first.size);
        assert_ne!(rewritten.sha256, first.sha256);
        assert_eq!(rewritten.sha256, digest_of(&a).unwrap().0);
    }

    #[test]
    fn a_symlinked_artifact_is_never_used() {
        let tmp = tempfile::tempdir().unwrap();
        let seals = seals(None, Some(&tmp.path().join("memo")));
        let real = tmp.path().join("real");
        std::fs::write(&real, b"bytes").unwrap();
        let link = tmp.path().join("prog");
        std::fs::copy(&real, &link).unwrap();
        let sealed = seals.seal(&link, "k", facts()).unwrap();
        std::fs::remove_file(&link).unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(!seals
            .copy_verified(&link, &sealed, &tmp.path().join("o"))
            .unwrap());
        assert!(!seals.intact(&link, &sealed));
    }

    #[test]
    fn with_a_signing_key_only_its_own_records_count() {
        let tmp = tempfile::tempdir().unwrap();
        let program = tmp.path().join("prog");
        std::fs::write(&program, b"bytes").unwrap();
        seals(None, None).seal(&program, "k", facts()).unwrap();
        assert!(
            seals(Some("a"), None).find(&program, "k").is_none(),
            "unsigned"
        );
        seals(Some("a"), None).seal(&program, "k", facts()).unwrap();
        assert!(seals(Some("a"), None).find(&program, "k").is_some());
        assert!(
            seals(Some("b"), None).find(&program, "k").is_none(),
            "other key"
        );
        assert!(
            seals(None, None).find(&program, "k").is_some(),
            "no key: digest only"
        );

        // A record whose facts were edited no longer verifies.
        let path = record_path(&program);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("lambda", "http")).unwrap();
        assert!(seals(Some("a"), None).find(&program, "k").is_none());
    }

    #[test]
    fn garbage_records_are_misses() {
        let tmp = tempfile::tempdir().unwrap();
        let program = tmp.path().join("prog");
        std::fs::write(&program, b"bytes").unwrap();
        std::fs::write(record_path(&program), b"\0\xffnot json").unwrap();
        assert!(seals(None, None).find(&program, "k").is_none());
        std::fs::write(record_path(&program), vec![b' '; 100_000]).unwrap();
        assert!(seals(None, None).find(&program, "k").is_none());
    }
}
