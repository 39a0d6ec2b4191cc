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

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cache_fs;
use crate::error::{Error, Result};
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

/// The record of `artifact` if it is for `key` and, when `signing` is set,
/// signed by it. Anything else — missing, unreadable, a symlink, another
/// key, unsigned, badly signed — is `None`.
pub fn find(artifact: &Path, key: &str, signing: Option<&SigningKey>) -> Option<Record> {
    let bytes = cache_fs::read_small(&record_path(artifact), MAX_RECORD_BYTES)?;
    let record: Record = serde_json::from_slice(&bytes).ok()?;
    let trusted = record.version == VERSION
        && record.key == key
        && signing.is_none_or(|k| record.signed_by(k));
    trusted.then_some(record)
}

/// Seals `artifact` (a file the builder just wrote): hashes it and writes
/// its record atomically.
pub fn seal(
    artifact: &Path,
    key: &str,
    facts: BTreeMap<String, String>,
    signing: Option<&SigningKey>,
) -> Result<Record> {
    let (sha256, size) = digest_of(artifact).map_err(|e| Error::io_at("read", artifact, e))?;
    let mut record = Record {
        version: VERSION,
        key: key.to_string(),
        sha256,
        size,
        facts,
        signature: None,
    };
    if let Some(signing) = signing {
        record.sign(signing);
    }
    let text = serde_json::to_vec(&record)
        .map_err(|e| Error::Internal(format!("serializing a cache record: {e}")))?;
    cache_fs::write_atomic(&record_path(artifact), &text)?;
    Ok(record)
}

/// Removes `artifact` and its record (a failed verification, a rebuild).
pub fn discard(artifact: &Path) {
    let _ = cache_fs::remove_entry(&record_path(artifact));
    let _ = cache_fs::remove_entry(artifact);
}

/// Copies `artifact` to `dest` (a new file, executable), checking on the
/// way that it is a regular file with the recorded size and digest. On a
/// mismatch `dest` is removed and `Ok(false)` returned.
pub fn copy_verified(artifact: &Path, record: &Record, dest: &Path) -> Result<bool> {
    let Ok((mut file, meta)) = cache_fs::open_regular(artifact) else {
        return Ok(false);
    };
    if meta.len() != record.size {
        return Ok(false);
    }
    let mut out = std::fs::File::create(dest).map_err(|e| Error::io_at("create", dest, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| Error::io_at("read", artifact, e))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(|e| Error::io_at("write", dest, e))?;
    }
    drop(out);
    if total != record.size || hex(&hasher.finalize()) != record.sha256 {
        let _ = std::fs::remove_file(dest);
        return Ok(false);
    }
    set_executable(dest)?;
    Ok(true)
}

/// Whether `artifact`, as it is now, has the recorded size and digest (for
/// artifacts used in place, such as the builder's compiled helpers).
pub fn intact(artifact: &Path, record: &Record) -> bool {
    digest_of(artifact).is_ok_and(|(sha256, size)| size == record.size && sha256 == record.sha256)
}

/// The SHA-256 (hex) and size of a regular file, read without following a
/// symlink.
pub fn digest_of(path: &Path) -> std::io::Result<(String, u64)> {
    let (mut file, _) = cache_fs::open_regular(path)?;
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut file, &mut hasher)?;
    Ok((hex(&hasher.finalize()), size))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(unix)]
fn set_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::io_at("set permissions of", path, e))
}

#[cfg(not(unix))]
fn set_executable(_path: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::SIGNING_KEY_ENV;
    use crate::test_support::env;

    fn key(k: &str) -> SigningKey {
        SigningKey::from_env(&env(&[(SIGNING_KEY_ENV, k)])).unwrap()
    }

    fn facts() -> BTreeMap<String, String> {
        BTreeMap::from([("template".to_string(), "lambda".to_string())])
    }

    #[test]
    fn a_sealed_artifact_is_found_and_copied_only_when_intact() {
        let tmp = tempfile::tempdir().unwrap();
        let program = tmp.path().join("prog");
        std::fs::write(&program, b"program bytes").unwrap();
        let sealed = seal(&program, "k1", facts(), None).unwrap();
        assert_eq!(find(&program, "k1", None), Some(sealed.clone()));
        assert!(find(&program, "k2", None).is_none());
        let dest = tmp.path().join("out");
        assert!(copy_verified(&program, &sealed, &dest).unwrap());
        assert_eq!(std::fs::read(&dest).unwrap(), b"program bytes");

        // Same size, other bytes: refused, and nothing left at dest.
        std::fs::write(&program, b"PROGRAM bytes").unwrap();
        let dest2 = tmp.path().join("out2");
        assert!(!copy_verified(&program, &sealed, &dest2).unwrap());
        assert!(!dest2.exists());
        assert!(!intact(&program, &sealed));
        // Truncated.
        std::fs::write(&program, b"prog").unwrap();
        assert!(!copy_verified(&program, &sealed, &dest2).unwrap());
        discard(&program);
        assert!(!program.exists() && !record_path(&program).exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_artifact_is_never_used() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        std::fs::write(&real, b"bytes").unwrap();
        let link = tmp.path().join("prog");
        std::fs::copy(&real, &link).unwrap();
        let sealed = seal(&link, "k", facts(), None).unwrap();
        std::fs::remove_file(&link).unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(!copy_verified(&link, &sealed, &tmp.path().join("o")).unwrap());
        assert!(!intact(&link, &sealed));
    }

    #[test]
    fn with_a_signing_key_only_its_own_records_count() {
        let tmp = tempfile::tempdir().unwrap();
        let program = tmp.path().join("prog");
        std::fs::write(&program, b"bytes").unwrap();
        seal(&program, "k", facts(), None).unwrap();
        assert!(find(&program, "k", Some(&key("a"))).is_none(), "unsigned");
        seal(&program, "k", facts(), Some(&key("a"))).unwrap();
        assert!(find(&program, "k", Some(&key("a"))).is_some());
        assert!(find(&program, "k", Some(&key("b"))).is_none(), "other key");
        assert!(find(&program, "k", None).is_some(), "no key: digest only");

        // A record whose facts were edited no longer verifies.
        let path = record_path(&program);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("lambda", "http")).unwrap();
        assert!(find(&program, "k", Some(&key("a"))).is_none());
    }

    #[test]
    fn garbage_records_are_misses() {
        let tmp = tempfile::tempdir().unwrap();
        let program = tmp.path().join("prog");
        std::fs::write(&program, b"bytes").unwrap();
        std::fs::write(record_path(&program), b"\0\xffnot json").unwrap();
        assert!(find(&program, "k", None).is_none());
        std::fs::write(record_path(&program), vec![b' '; 100_000]).unwrap();
        assert!(find(&program, "k", None).is_none());
    }
}
