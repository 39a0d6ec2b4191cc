//! napi's build setup, plus the digests of the prebuilt helper programs
//! (`helpers/helpers.json`, written by `scripts/build-helpers.js` before the
//! addon is built): the addon runs a prebuilt helper only when its bytes
//! match the digest recorded here. Without helpers the record is empty and
//! every helper is compiled from the embedded sources.
//!
//! Also the digest of the builder's own sources (`src/`, `go/`,
//! `Cargo.lock`): kept programs and dev binaries are keyed by it, so a
//! program made by other builder code is never taken for this one's.

use std::path::Path;

use sha2::{Digest, Sha256};

fn main() {
    napi_build::setup();
    let mut hasher = Sha256::new();
    for root in ["src", "go", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={root}");
        hash_tree(Path::new(root), &mut hasher);
    }
    let digest: String = hasher.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    println!("cargo:rustc-env=GO_BUILDER_SOURCE_DIGEST={digest}");
    let helpers = std::path::Path::new("helpers").join("helpers.json");
    println!("cargo:rerun-if-changed={}", helpers.display());
    let digests = std::fs::read_to_string(&helpers)
        .map(|text| text.split_whitespace().collect::<Vec<_>>().join(""))
        .unwrap_or_else(|_| "{}".to_string());
    println!("cargo:rustc-env=GO_BUILDER_HELPER_DIGESTS={digests}");
}

/// Adds every file below `path` (by path, sorted, and contents) to `hasher`.
fn hash_tree(path: &Path, hasher: &mut Sha256) {
    if path.is_dir() {
        let mut children: Vec<_> = std::fs::read_dir(path)
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        children.sort();
        for child in children {
            hash_tree(&child, hasher);
        }
    } else if let Ok(bytes) = std::fs::read(path) {
        hasher.update(path.to_string_lossy().replace('\\', "/").as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(&bytes);
    }
}
