//! Fingerprints: a hash of labelled values. The dev server keys its
//! binaries by one, `build()` its stable output paths and kept programs;
//! the files a build reads come in through [`crate::source_set`].

use std::path::Path;

use sha2::{Digest, Sha256};

/// Environment variables that change what `go build` produces.
pub const BUILD_ENV_KEYS: &[&str] = &[
    "GOFLAGS",
    "GOEXPERIMENT",
    "GO_BUILD_FLAGS",
    "CGO_ENABLED",
    "CGO_CFLAGS",
    "CGO_LDFLAGS",
    "CC",
    "GOAMD64",
    "GOARM64",
    "GOWORK",
    "GOPROXY",
    "GOPRIVATE",
    "GONOSUMDB",
];

/// Accumulates inputs into one hash.
pub struct Fingerprint {
    hasher: Sha256,
}

impl Default for Fingerprint {
    fn default() -> Self {
        Self::new()
    }
}

impl Fingerprint {
    pub fn new() -> Self {
        Fingerprint {
            hasher: Sha256::new(),
        }
    }

    /// Adds a labelled value.
    pub fn value(&mut self, label: &str, value: &str) -> &mut Self {
        self.hasher.update(label.as_bytes());
        self.hasher.update([0]);
        self.hasher.update(value.as_bytes());
        self.hasher.update([0xff]);
        self
    }

    /// The hex digest (first 16 bytes).
    pub fn finish(self) -> String {
        hex(&self.hasher.finalize()[..16])
    }
}

/// The SHA-256 of a file's contents, in hex.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

/// `bytes` in lowercase hex, two digits each: how every digest, signature
/// and cache name of the builder is written.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_labelled() {
        let mut a = Fingerprint::new();
        a.value("x", "1");
        let mut b = Fingerprint::new();
        b.value("x1", "");
        assert_ne!(a.finish(), b.finish());
    }
}
