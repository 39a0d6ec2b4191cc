//! Downloading a Go SDK archive: HTTP with bounded retries and resume, the
//! published SHA-256, and a streaming pipeline that hashes and unpacks the
//! archive while it arrives (no copy in memory, no second pass).
//!
//! The async side ([`Feeder`]) reads the response body and sends its chunks
//! through a bounded channel; a blocking task reads them through a hashing
//! reader into the gzip decoder and the tar extractor. A connection cut
//! mid-body is resumed with a `Range` request (or, when the server ignores
//! ranges, by skipping what was already delivered), so the consumer never
//! notices. Zip archives (Windows) need random access: they are spooled to
//! an anonymous temp file while hashing, verified, then unpacked.

use std::fmt::Write as _;
use std::io::{self, Read, Seek};
use std::path::PathBuf;
use std::time::Duration;

use bytes::{Buf, Bytes};
use reqwest::header::{CONTENT_RANGE, RANGE};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::archive;
use super::platform::ArchiveKind;
use crate::env::Env;
use crate::error::{Error, Result};

/// Environment variable overriding where Go SDK archives are downloaded from
/// (a mirror, an air-gapped server, a test server). The archive
/// `go<version>.<os>-<arch>.<ext>` and its `<archive>.sha256` are fetched
/// relative to it.
pub const DOWNLOAD_BASE_URL_ENV: &str = "GO_BUILDER_DOWNLOAD_BASE_URL";

/// The official download location.
pub const DEFAULT_DOWNLOAD_BASE_URL: &str = "https://dl.google.com/go/";

/// Chunks in flight between the network and the extractor (~ a few MB).
const CHANNEL_CHUNKS: usize = 64;

/// A callback receiving human-readable progress lines.
pub type Progress<'a> = &'a (dyn Fn(&str) + Send + Sync);

/// How downloads are made.
#[derive(Debug, Clone)]
pub struct DownloadOptions {
    /// Base URL ending in `/`; archive names are appended to it.
    pub base_url: String,
    /// Tries per request, the first included, for transient failures
    /// (connection errors, HTTP 5xx/408/429, a body cut mid-way).
    pub attempts: u32,
    /// Wait before the first retry; doubled for each further one.
    pub retry_delay: Duration,
    pub connect_timeout: Duration,
    /// Longest silence while reading a response: longer is a stall.
    pub read_timeout: Duration,
    /// Stalls after which the download fails (a stalled mirror rarely
    /// recovers; each stall already cost `read_timeout`).
    pub stall_attempts: u32,
}

impl DownloadOptions {
    /// Defaults, with the base URL from [`DOWNLOAD_BASE_URL_ENV`] when set.
    pub fn from_env(env: &Env) -> Self {
        let base = env
            .non_empty(DOWNLOAD_BASE_URL_ENV)
            .unwrap_or(DEFAULT_DOWNLOAD_BASE_URL);
        DownloadOptions {
            base_url: with_trailing_slash(base),
            attempts: 4,
            retry_delay: Duration::from_millis(500),
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(15),
            stall_attempts: 2,
        }
    }

    /// The URL of `file_name` under the base URL.
    pub fn url_of(&self, file_name: &str) -> String {
        format!("{}{file_name}", with_trailing_slash(&self.base_url))
    }
}

fn with_trailing_slash(url: &str) -> String {
    if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    }
}

/// An HTTP client honouring the build's proxy variables (`HTTPS_PROXY`,
/// `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, upper or lower case) from `env`,
/// never from the process environment.
pub fn http_client(env: &Env, options: &DownloadOptions) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .user_agent(concat!("acme-go-builder/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(options.connect_timeout)
        .read_timeout(options.read_timeout);
    for proxy in proxies(env)? {
        builder = builder.proxy(proxy);
    }
    builder
        .build()
        .map_err(|e| Error::Internal(format!("cannot create the HTTP client: {e}")))
}

fn env_either<'a>(env: &'a Env, name: &str) -> Option<&'a str> {
    env.non_empty(name)
        .or_else(|| env.non_empty(&name.to_ascii_lowercase()))
}

fn proxies(env: &Env) -> Result<Vec<reqwest::Proxy>> {
    let no_proxy = env_either(env, "NO_PROXY").and_then(reqwest::NoProxy::from_string);
    let mut list = Vec::new();
    for name in ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"] {
        if let Some(url) = env_either(env, name) {
            let proxy = match name {
                "HTTPS_PROXY" => reqwest::Proxy::https(url),
                "HTTP_PROXY" => reqwest::Proxy::http(url),
                _ => reqwest::Proxy::all(url),
            }
            .map_err(|e| Error::InvalidOptions(format!("{name}={url} is not a proxy URL: {e}")))?;
            list.push(proxy.no_proxy(no_proxy.clone()));
        }
    }
    Ok(list)
}

/// Why one HTTP attempt failed, and whether trying again may help.
#[derive(Debug)]
struct Failure {
    reason: String,
    transient: bool,
    /// The server went silent (no byte for the read timeout).
    stalled: bool,
}

impl Failure {
    fn fatal(reason: impl Into<String>) -> Self {
        Failure {
            reason: reason.into(),
            transient: false,
            stalled: false,
        }
    }

    fn transient(reason: impl Into<String>) -> Self {
        Failure {
            reason: reason.into(),
            transient: true,
            stalled: false,
        }
    }

    fn from_status(status: StatusCode) -> Self {
        let reason = format!("HTTP {status}");
        let retry = status.is_server_error()
            || status == StatusCode::REQUEST_TIMEOUT
            || status == StatusCode::TOO_MANY_REQUESTS;
        Failure {
            reason,
            transient: retry,
            stalled: false,
        }
    }

    /// Whether to give up now: a final failure, the tries (`tries`, or
    /// `stalls` of them stalls) used up.
    fn ends(&self, tries: u32, stalls: u32, options: &DownloadOptions) -> bool {
        !self.transient || tries >= options.attempts || stalls >= options.stall_attempts
    }

    /// The reason reported when giving up.
    fn final_reason(&self, tries: u32, stalls: u32, options: &DownloadOptions) -> String {
        if stalls >= options.stall_attempts {
            format!(
                "the server stalled: no data for {} s, {stalls} times ({})",
                options.read_timeout.as_secs_f64(),
                self.reason
            )
        } else if self.transient {
            format!("{} (after {tries} tries)", self.reason)
        } else {
            self.reason.clone()
        }
    }

    /// A request or body error: DNS failures are final (retrying a name that
    /// does not resolve wastes minutes), other network errors are transient.
    fn from_reqwest(err: &reqwest::Error) -> Self {
        let reason = error_chain(err);
        if is_dns_failure(&reason) {
            return Failure::fatal(format!("cannot resolve the host ({reason})"));
        }
        if err.is_builder() {
            return Failure::fatal(reason);
        }
        Failure {
            stalled: err.is_timeout(),
            ..Failure::transient(reason)
        }
    }
}

/// An error and its sources on one line.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            let _ = write!(text, ": {more}");
        }
        source = cause.source();
    }
    text
}

/// Whether an error text says that a host name could not be resolved.
fn is_dns_failure(chain: &str) -> bool {
    let lower = chain.to_ascii_lowercase();
    [
        "dns error",
        "failed to lookup address",
        "name or service not known",
        "no such host",
        "nodename nor servname",
        "temporary failure in name resolution",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}

/// Runs `attempt` until it succeeds, fails for good, or the tries run out.
async fn with_retries<T, F, Fut>(
    options: &DownloadOptions,
    url: &str,
    progress: Progress<'_>,
    mut attempt: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, Failure>>,
{
    let (mut tries, mut stalls) = (0, 0);
    loop {
        tries += 1;
        let f = match attempt().await {
            Ok(value) => return Ok(value),
            Err(f) => f,
        };
        stalls += u32::from(f.stalled);
        if f.ends(tries, stalls, options) {
            return Err(Error::ToolchainDownload {
                url: url.to_string(),
                reason: f.final_reason(tries, stalls, options),
            });
        }
        progress(&format!(
            "Download of {url} failed ({}); retrying ({}/{})",
            f.reason,
            tries + 1,
            options.attempts
        ));
        tokio::time::sleep(backoff(options, tries)).await;
    }
}

fn backoff(options: &DownloadOptions, failures: u32) -> Duration {
    options.retry_delay * 2u32.saturating_pow(failures.saturating_sub(1).min(6))
}

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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

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
    let mut feeder = Feeder {
        client,
        url: &job.url,
        tx,
        delivered: 0,
        meter: Meter::new(&job.label),
    };
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

enum FeedError {
    /// The extractor stopped reading (its own error explains why).
    ConsumerGone,
    Failed(Error),
}

/// Reads the response body (resuming after cuts) into the channel.
struct Feeder<'a> {
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

impl Feeder<'_> {
    async fn run(
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

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

/// Emits a progress line at every quarter (or every 25 MB when the size is
/// unknown).
struct Meter {
    label: String,
    total: Option<u64>,
    next_step: u64,
}

const UNKNOWN_SIZE_STEP: u64 = 25_000_000;
/// A known-size download reports this many equal steps.
const PERCENT_STEPS: u64 = 20;

impl Meter {
    fn new(label: &str) -> Self {
        Meter {
            label: label.to_string(),
            total: None,
            next_step: 1,
        }
    }

    fn update(&mut self, delivered: u64, progress: Progress<'_>) {
        match self.total {
            Some(total) if total > 0 => {
                // Every 5%: the JS side draws a bar from these on a
                // terminal and prints every fifth otherwise.
                let steps = delivered.saturating_mul(PERCENT_STEPS) / total;
                if steps >= self.next_step {
                    self.next_step = steps + 1;
                    progress(&format!(
                        "Downloading {}: {}% ({} of {})",
                        self.label,
                        (steps * (100 / PERCENT_STEPS)).min(100),
                        megabytes(delivered),
                        megabytes(total)
                    ));
                }
            }
            _ => {
                if delivered / UNKNOWN_SIZE_STEP >= self.next_step {
                    self.next_step = delivered / UNKNOWN_SIZE_STEP + 1;
                    progress(&format!(
                        "Downloading {}: {}",
                        self.label,
                        megabytes(delivered)
                    ));
                }
            }
        }
    }
}

/// Yields the channel's chunks as a byte stream. An `Err` item is returned
/// as a read error; a closed channel is the end of the stream.
struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}

/// Hashes everything read through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> HashingReader<R> {
    fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// Reads the rest of the stream, then returns the hex digest of all of it.
    fn finish(mut self) -> io::Result<String> {
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

/// The blocking side: unpack while hashing, then check the digest.
fn consume(rx: mpsc::Receiver<io::Result<Bytes>>, job: &ArchiveDownload) -> Result<()> {
    let reader = HashingReader::new(ChannelReader {
        rx,
        current: Bytes::new(),
    });
    match job.kind {
        ArchiveKind::TarGz => consume_tar_gz(reader, job),
        ArchiveKind::Zip => consume_zip(reader, job),
    }
}

fn consume_tar_gz(reader: HashingReader<ChannelReader>, job: &ArchiveDownload) -> Result<()> {
    let mut gz = flate2::read::GzDecoder::new(reader);
    let unpacked = archive::extract_tar(&mut gz, &job.dest, &job.url).and_then(|()| {
        // Read the gzip trailer too: it carries the CRC of the whole stream.
        io::copy(&mut gz, &mut io::sink())
            .map(drop)
            .map_err(|e| Error::ToolchainArchive {
                url: job.url.clone(),
                reason: format!("corrupt archive: {e}"),
            })
    });
    match unpacked {
        Ok(()) => verify(gz.into_inner(), job),
        // An unreadable archive is most likely not the published one: read
        // the rest and say so when the digest differs.
        Err(err @ Error::ToolchainArchive { .. }) => match verify(gz.into_inner(), job) {
            Err(mismatch @ Error::ChecksumMismatch { .. }) => Err(mismatch),
            _ => Err(err),
        },
        Err(err) => Err(err),
    }
}

fn consume_zip(mut reader: HashingReader<ChannelReader>, job: &ArchiveDownload) -> Result<()> {
    let spool_dir = job.dest.parent().unwrap_or(&job.dest);
    let mut spool = tempfile::tempfile_in(spool_dir)
        .map_err(|e| Error::io_at("create a temp file in", spool_dir, e))?;
    io::copy(&mut reader, &mut spool).map_err(|e| Error::ToolchainDownload {
        url: job.url.clone(),
        reason: e.to_string(),
    })?;
    verify(reader, job)?;
    spool
        .rewind()
        .map_err(|e| Error::io("rewind the downloaded archive", e))?;
    archive::extract_zip(io::BufReader::new(spool), &job.dest, &job.url)
}

/// Drains `reader` and compares its digest with the expected one.
fn verify(reader: HashingReader<ChannelReader>, job: &ArchiveDownload) -> Result<()> {
    let actual = reader.finish().map_err(|e| Error::ToolchainDownload {
        url: job.url.clone(),
        reason: e.to_string(),
    })?;
    if actual != job.sha256 {
        return Err(Error::ChecksumMismatch {
            url: job.url.clone(),
            expected: job.sha256.clone(),
            actual,
        });
    }
    Ok(())
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

    #[test]
    fn content_ranges() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((100, Some(200)))
        );
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }

    #[test]
    fn dns_failures_are_recognised() {
        assert!(is_dns_failure(
            "error sending request: client error (Connect): dns error: failed to lookup address information: Name or service not known"
        ));
        assert!(!is_dns_failure("connection refused"));
    }

    #[test]
    fn proxies_come_from_the_given_env_only() {
        let env = |pairs: &[(&str, &str)]| -> Env {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(proxies(&Env::default()).unwrap().len(), 0);
        let two = env(&[
            ("https_proxy", "http://127.0.0.1:3128"),
            ("HTTP_PROXY", "http://127.0.0.1:3129"),
            ("NO_PROXY", "localhost"),
        ]);
        assert_eq!(proxies(&two).unwrap().len(), 2);
        let bad = env(&[("HTTPS_PROXY", "::not a url::")]);
        assert_eq!(proxies(&bad).unwrap_err().code(), "GO_INVALID_OPTIONS");
    }

    #[test]
    fn statuses() {
        assert!(!Failure::from_status(StatusCode::NOT_FOUND).transient);
        assert!(!Failure::from_status(StatusCode::FORBIDDEN).transient);
        assert!(Failure::from_status(StatusCode::BAD_GATEWAY).transient);
        assert!(Failure::from_status(StatusCode::TOO_MANY_REQUESTS).transient);
    }

    #[test]
    fn meter_reports_every_five_percent() {
        let lines = std::sync::Mutex::new(Vec::new());
        let sink = |l: &str| lines.lock().unwrap().push(l.to_string());
        let mut meter = Meter::new("x.tar.gz");
        meter.total = Some(1000);
        for delivered in (0..=1000).step_by(10) {
            meter.update(delivered, &sink);
        }
        let lines = lines.into_inner().unwrap();
        assert_eq!(lines.len(), 20, "{lines:?}");
        assert!(lines[0].contains(": 5% "));
        assert!(lines[19].contains(": 100% "));
    }

    #[test]
    fn base_url() {
        let env: Env = [(
            DOWNLOAD_BASE_URL_ENV.to_string(),
            "http://127.0.0.1:9/m".to_string(),
        )]
        .into_iter()
        .collect();
        let options = DownloadOptions::from_env(&env);
        assert_eq!(options.url_of("a.tgz"), "http://127.0.0.1:9/m/a.tgz");
        let default = DownloadOptions::from_env(&Env::default());
        assert_eq!(default.url_of("a.tgz"), "https://dl.google.com/go/a.tgz");
    }
}
