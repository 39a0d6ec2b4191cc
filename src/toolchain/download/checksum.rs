//! The published SHA-256 of an archive (its `<archive>.sha256` file), and
//! the reader that hashes an archive while it is unpacked.

use std::io::{self, Read};

use sha2::{Digest, Sha256};

use super::options::DownloadOptions;
use super::progress::Progress;
use super::retry::{with_retries, Failure};
use crate::error::{Error, Result};
use crate::fingerprint::hex;

/// Fetches `<archive>.sha256` and returns the lowercase hex digest.
pub async fn fetch_checksum(
    client: &reqwest::Client,
    url: &str,
    options: &DownloadOptions,
    progress: Progress<'_>,
) -> Result<String> {
    let text = with_retries(options, url, progress, || async {
        let resp = client
            .get(url)
            .send()
            .await
            .map_err(|e| Failure::from_reqwest(&e))?;
        if !resp.status().is_success() {
            return Err(Failure::from_status(resp.status()));
        }
        resp.text().await.map_err(|e| Failure::from_reqwest(&e))
    })
    .await?;
    parse_checksum(&text).ok_or_else(|| Error::ToolchainDownload {
        url: url.to_string(),
        reason: "not a SHA-256 checksum file".to_string(),
    })
}

/// The first word of a `.sha256` file, when it is 64 hex digits.
fn parse_checksum(text: &str) -> Option<String> {
    let word = text.split_whitespace().next()?;
    (word.len() == 64 && word.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| word.to_ascii_lowercase())
}

/// Hashes everything read through it.
pub(super) struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> HashingReader<R> {
    pub(super) fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// Reads the rest of the stream, then returns the hex digest of all of it.
    pub(super) fn finish(mut self) -> io::Result<String> {
        io::copy(&mut self, &mut io::sink())?;
        Ok(hex(&self.hasher.finalize()))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_files() {
        let digest = "A".repeat(64);
        assert_eq!(
            parse_checksum(&format!("{digest}  go1.tar.gz\n")),
            Some("a".repeat(64))
        );
        assert_eq!(parse_checksum("abc"), None);
        assert_eq!(parse_checksum(""), None);
        assert_eq!(parse_checksum(&"g".repeat(64)), None);
    }
}
