//! The manifest of a deploy cache: every file `prepareCache()` hands to the
//! next deploy, with its SHA-256 and size, signed (HMAC-SHA256) when
//! `GO_BUILDER_CACHE_SIGNING_KEY` is set. The next deploy uses a restored
//! file of Go's caches only when the manifest lists it with those bytes
//! (see [`crate::restored_cache`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cache_fs;
use crate::error::{Error, Result};
use crate::sealed;
use crate::signing::SigningKey;

/// The manifest's name in the deploy cache.
pub const MANIFEST: &str = "manifest.json";
/// The name, in the deploy cache, of the manifest of the Go SDK kept beside
/// it (`.vercel/cache/golang`).
pub const SDK_MANIFEST: &str = "sdk-manifest.json";
const VERSION: u32 = 1;
/// The largest manifest read.
const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// A file's digest and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub sha256: String,
    pub size: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    version: u32,
    /// Paths relative to the deploy cache, `/`-separated.
    files: BTreeMap<String, Entry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signature: Option<String>,
}

impl Manifest {
    fn signed_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.files).unwrap_or_default()
    }
}

/// Hashes `files` (relative to `dir`) and writes the manifest of `dir`
/// (`MANIFEST` in it); files that cannot be read as regular files are left
/// out. Returns the files listed.
pub fn write(dir: &Path, files: &[PathBuf], signing: Option<&SigningKey>) -> Result<Vec<PathBuf>> {
    write_to(&dir.join(MANIFEST), dir, files, signing)
}

/// [`write`] with the manifest at `manifest`.
pub fn write_to(
    manifest_path: &Path,
    dir: &Path,
    files: &[PathBuf],
    signing: Option<&SigningKey>,
) -> Result<Vec<PathBuf>> {
    let digests = crate::parallel::map(files, |rel| {
        sealed::digest_of(&dir.join(rel))
            .ok()
            .map(|(sha256, size)| (rel.clone(), Entry { sha256, size }))
    });
    let mut manifest = Manifest {
        version: VERSION,
        files: BTreeMap::new(),
        signature: None,
    };
    let mut listed = Vec::new();
    for (rel, entry) in digests.into_iter().flatten() {
        manifest.files.insert(slash(&rel), entry);
        listed.push(rel);
    }
    if let Some(key) = signing {
        manifest.signature = Some(key.sign(&[b"deploy-cache", &manifest.signed_bytes()]));
    }
    let text = serde_json::to_vec(&manifest)
        .map_err(|e| Error::Internal(format!("serializing the deploy cache manifest: {e}")))?;
    cache_fs::write_atomic(manifest_path, &text)?;
    Ok(listed)
}

/// The files the manifest of `dir` lists, if it is there, well formed and,
/// when `signing` is set, signed by it.
pub fn read(dir: &Path, signing: Option<&SigningKey>) -> Option<BTreeMap<String, Entry>> {
    read_from(&dir.join(MANIFEST), signing)
}

/// [`read`] of the manifest at `manifest_path`.
pub fn read_from(
    manifest_path: &Path,
    signing: Option<&SigningKey>,
) -> Option<BTreeMap<String, Entry>> {
    let bytes = cache_fs::read_small(manifest_path, MAX_BYTES)?;
    let manifest: Manifest = serde_json::from_slice(&bytes).ok()?;
    if manifest.version != VERSION {
        return None;
    }
    if let Some(key) = signing {
        let signature = manifest.signature.as_deref()?;
        if !key.verify(&[b"deploy-cache", &manifest.signed_bytes()], signature) {
            return None;
        }
    }
    Some(manifest.files)
}

/// `rel` with `/` separators, as the manifest keys files.
pub fn slash(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::SIGNING_KEY_ENV;
    use crate::test_support::env;

    #[test]
    fn lists_digests_and_checks_the_signature() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("build/ab")).unwrap();
        std::fs::write(dir.path().join("build/ab/x-d"), b"object").unwrap();
        let files = vec![PathBuf::from("build/ab/x-d"), PathBuf::from("gone")];
        let key = SigningKey::from_env(&env(&[(SIGNING_KEY_ENV, "k")])).unwrap();
        let listed = write(dir.path(), &files, Some(&key)).unwrap();
        assert_eq!(listed, vec![PathBuf::from("build/ab/x-d")]);
        let read_back = read(dir.path(), Some(&key)).unwrap();
        assert_eq!(read_back["build/ab/x-d"].size, 6);
        assert!(read(dir.path(), None).is_some());
        let other = SigningKey::from_env(&env(&[(SIGNING_KEY_ENV, "other")])).unwrap();
        assert!(read(dir.path(), Some(&other)).is_none());
        let text = std::fs::read_to_string(dir.path().join(MANIFEST)).unwrap();
        std::fs::write(
            dir.path().join(MANIFEST),
            text.replace("\"size\":6", "\"size\":7"),
        )
        .unwrap();
        assert!(read(dir.path(), Some(&key)).is_none(), "edited");
        write(dir.path(), &files, None).unwrap();
        assert!(read(dir.path(), Some(&key)).is_none(), "unsigned");
    }
}
