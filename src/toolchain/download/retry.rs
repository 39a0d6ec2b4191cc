//! Which failures of a request are worth another try (network errors, HTTP
//! 5xx/408/429, a stalled server; not a host that does not resolve), and the
//! retry loop with its doubling delay.

use std::fmt::Write as _;
use std::time::Duration;

use reqwest::StatusCode;

use super::options::DownloadOptions;
use super::progress::Progress;
use crate::error::{Error, Result};

/// Why one HTTP attempt failed, and whether trying again may help.
#[derive(Debug)]
pub(super) struct Failure {
    pub(super) reason: String,
    transient: bool,
    /// The server went silent (no byte for the read timeout).
    pub(super) stalled: bool,
}

impl Failure {
    pub(super) fn fatal(reason: impl Into<String>) -> Self {
        Failure {
            reason: reason.into(),
            transient: false,
            stalled: false,
        }
    }

    pub(super) fn transient(reason: impl Into<String>) -> Self {
        Failure {
            reason: reason.into(),
            transient: true,
            stalled: false,
        }
    }

    pub(super) fn from_status(status: StatusCode) -> Self {
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
    pub(super) fn ends(&self, tries: u32, stalls: u32, options: &DownloadOptions) -> bool {
        !self.transient || tries >= options.attempts || stalls >= options.stall_attempts
    }

    /// The reason reported when giving up.
    pub(super) fn final_reason(
        &self,
        tries: u32,
        stalls: u32,
        options: &DownloadOptions,
    ) -> String {
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
    pub(super) fn from_reqwest(err: &reqwest::Error) -> Self {
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
pub(super) async fn with_retries<T, F, Fut>(
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

pub(super) fn backoff(options: &DownloadOptions, failures: u32) -> Duration {
    options.retry_delay * 2u32.saturating_pow(failures.saturating_sub(1).min(6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_failures_are_recognised() {
        assert!(is_dns_failure(
            "error sending request: client error (Connect): dns error: failed to lookup address information: Name or service not known"
        ));
        assert!(!is_dns_failure("connection refused"));
    }

    #[test]
    fn statuses() {
        assert!(!Failure::from_status(StatusCode::NOT_FOUND).transient);
        assert!(!Failure::from_status(StatusCode::FORBIDDEN).transient);
        assert!(Failure::from_status(StatusCode::BAD_GATEWAY).transient);
        assert!(Failure::from_status(StatusCode::TOO_MANY_REQUESTS).transient);
    }
}
