//! Downloading a Go SDK archive: HTTP with bounded retries and resume, the
//! published SHA-256, and a streaming pipeline that hashes and unpacks the
//! archive while it arrives (no copy in memory, no second pass).
//!
//! The async side (`fetch.rs`) reads the response body and sends its chunks
//! through a bounded channel; a blocking task (`unpack.rs`) reads them through
//! a hashing reader into the gzip decoder and the tar extractor. A connection
//! cut mid-body is resumed with a `Range` request (or, when the server ignores
//! ranges, by skipping what was already delivered), so the consumer never
//! notices. Zip archives (Windows) need random access: they are spooled to
//! an anonymous temp file while hashing, verified, then unpacked.
//!
//! The other files: `options.rs` (where archives come from, tries and
//! timeouts), `http_client.rs` (the client and its proxies), `retry.rs` (which
//! failures are retried, and how), `checksum.rs` (the published `.sha256` and
//! the hashing reader), `progress.rs` (the progress lines).

mod checksum;
mod fetch;
mod http_client;
mod options;
mod progress;
mod retry;
mod unpack;

use std::path::PathBuf;

use tokio::sync::mpsc;

use super::platform::ArchiveKind;
use crate::error::{Error, Result};
use fetch::{FeedError, Feeder};
use unpack::consume;

pub use checksum::fetch_checksum;
pub use http_client::http_client;
pub use options::{DownloadOptions, DEFAULT_DOWNLOAD_BASE_URL, DOWNLOAD_BASE_URL_ENV};
pub use progress::Progress;

/// Chunks in flight between the network and the extractor (~ a few MB).
const CHANNEL_CHUNKS: usize = 64;

/// What to download and where to unpack it.
#[derive(Debug, Clone)]
pub struct ArchiveDownload {
    pub url: String,
    pub kind: ArchiveKind,
    /// Lowercase hex SHA-256 the archive must have.
    pub sha256: String,
    /// An existing empty folder receiving the SDK (the `go/` folder stripped).
    pub dest: PathBuf,
    /// A short name for progress lines, e.g. `go1.26.8.linux-amd64.tar.gz`.
    pub label: String,
}

/// Downloads, verifies and unpacks an archive in one streaming pass. On any
/// error `dest` may hold a partial tree: the caller discards it.
pub async fn download_and_unpack(
    client: &reqwest::Client,
    job: &ArchiveDownload,
    options: &DownloadOptions,
    progress: Progress<'_>,
) -> Result<()> {
    let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
    let consumer = {
        let job = job.clone();
        tokio::task::spawn_blocking(move || consume(rx, &job))
    };
    let mut feeder = Feeder::new(client, &job.url, tx, &job.label);
    let fed = feeder.run(options, progress).await;
    drop(feeder);
    let consumed = consumer
        .await
        .map_err(|e| Error::Internal(format!("archive extraction task failed: {e}")))?;
    match fed {
        Ok(()) | Err(FeedError::ConsumerGone) => consumed,
        Err(FeedError::Failed(e)) => Err(e),
    }
}
