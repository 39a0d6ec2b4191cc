//! The network side of the streaming pipeline: reads an archive's HTTP body
//! into the extractor's channel, resuming a cut connection with a `Range`
//! request (or, when the server ignores ranges, by skipping what was already
//! delivered), within the tries [`DownloadOptions`] allows.

use std::io;

use bytes::{Buf, Bytes};
use reqwest::header::{CONTENT_RANGE, RANGE};
use reqwest::StatusCode;
use tokio::sync::mpsc;

use super::options::DownloadOptions;
use super::progress::{megabytes, Meter, Progress};
use super::retry::{backoff, Failure};
use crate::error::Error;

pub(super) enum FeedError {
    /// The extractor stopped reading (its own error explains why).
    ConsumerGone,
    Failed(Error),
}

/// Reads the response body (resuming after cuts) into the channel.
pub(super) struct Feeder<'a> {
    client: &'a reqwest::Client,
    url: &'a str,
    tx: mpsc::Sender<io::Result<Bytes>>,
    /// Bytes of the archive already sent to the extractor.
    delivered: u64,
    meter: Meter,
}

enum AttemptError {
    ConsumerGone,
    Failed(Failure),
}

impl From<Failure> for AttemptError {
    fn from(f: Failure) -> Self {
        AttemptError::Failed(f)
    }
}

impl<'a> Feeder<'a> {
    /// Feeds the body of `url` into `tx`, naming it `label` in progress lines.
    pub(super) fn new(
        client: &'a reqwest::Client,
        url: &'a str,
        tx: mpsc::Sender<io::Result<Bytes>>,
        label: &str,
    ) -> Self {
        Feeder {
            client,
            url,
            tx,
            delivered: 0,
            meter: Meter::new(label),
        }
    }

    pub(super) async fn run(
        &mut self,
        options: &DownloadOptions,
        progress: Progress<'_>,
    ) -> std::result::Result<(), FeedError> {
        // Failures in a row without progress are bounded by `attempts`; an
        // attempt that delivered bytes resets that count, and the total is
        // capped too.
        let max_requests = options.attempts.saturating_mul(4);
        let (mut tries, mut without_progress, mut stalls) = (0, 0, 0);
        loop {
            tries += 1;
            let before = self.delivered;
            let failure = match self.attempt(progress).await {
                Ok(()) => return Ok(()),
                Err(AttemptError::ConsumerGone) => return Err(FeedError::ConsumerGone),
                Err(AttemptError::Failed(f)) => f,
            };
            without_progress = if self.delivered > before {
                1
            } else {
                without_progress + 1
            };
            stalls += u32::from(failure.stalled);
            if failure.ends(without_progress, stalls, options) || tries >= max_requests {
                let reason = failure.final_reason(tries, stalls, options);
                // Stop the extractor with an error rather than a clean end.
                let _ = self.tx.send(Err(io::Error::other(reason.clone()))).await;
                return Err(FeedError::Failed(Error::ToolchainDownload {
                    url: self.url.to_string(),
                    reason,
                }));
            }
            progress(&format!(
                "Download of {} interrupted ({}); retrying from {}",
                self.meter.label,
                failure.reason,
                megabytes(self.delivered),
            ));
            tokio::time::sleep(backoff(options, without_progress)).await;
        }
    }

    /// One request, from `delivered` on.
    async fn attempt(&mut self, progress: Progress<'_>) -> std::result::Result<(), AttemptError> {
        let mut request = self.client.get(self.url);
        if self.delivered > 0 {
            request = request.header(RANGE, format!("bytes={}-", self.delivered));
        }
        let mut resp = request
            .send()
            .await
            .map_err(|e| Failure::from_reqwest(&e))?;
        let everything_delivered = self.delivered > 0 && self.meter.total == Some(self.delivered);
        if resp.status() == StatusCode::RANGE_NOT_SATISFIABLE && everything_delivered {
            // The cut came after the last byte: nothing is missing.
            return Ok(());
        }
        let (mut skip, total) = self.body_start(&resp)?;
        if self.delivered == 0 {
            self.meter.total = total;
        }
        while let Some(mut chunk) = resp.chunk().await.map_err(|e| Failure::from_reqwest(&e))? {
            if skip > 0 {
                let n = skip.min(chunk.len() as u64);
                chunk.advance(n as usize);
                skip -= n;
                if chunk.is_empty() {
                    continue;
                }
            }
            self.delivered += chunk.len() as u64;
            self.tx
                .send(Ok(chunk))
                .await
                .map_err(|_| AttemptError::ConsumerGone)?;
            self.meter.update(self.delivered, progress);
        }
        if let Some(total) = self.meter.total.filter(|t| self.delivered < *t) {
            return Err(Failure::transient(format!(
                "connection closed after {} of {} bytes",
                self.delivered, total
            ))
            .into());
        }
        Ok(())
    }

    /// How many leading body bytes to drop (already delivered) and the
    /// archive's full size, from the status and `Content-Range`.
    fn body_start(
        &self,
        resp: &reqwest::Response,
    ) -> std::result::Result<(u64, Option<u64>), Failure> {
        let status = resp.status();
        if status == StatusCode::PARTIAL_CONTENT {
            let (start, total) = resp
                .headers()
                .get(CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_content_range)
                .ok_or_else(|| {
                    Failure::transient("partial response without a usable Content-Range")
                })?;
            if start > self.delivered {
                return Err(Failure::fatal(format!(
                    "server resumed at byte {start}, expected {}",
                    self.delivered
                )));
            }
            return Ok((self.delivered - start, total));
        }
        if !status.is_success() {
            return Err(Failure::from_status(status));
        }
        // A full body: skip what the extractor already has.
        Ok((self.delivered, resp.content_length()))
    }
}

/// `bytes 100-199/200` → (100, Some(200)); `bytes 100-199/*` → (100, None).
fn parse_content_range(value: &str) -> Option<(u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (start, _end) = range.split_once('-')?;
    let start = start.trim().parse().ok()?;
    let total = total.trim().parse().ok();
    Some((start, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((100, Some(200)))
        );
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }
}
