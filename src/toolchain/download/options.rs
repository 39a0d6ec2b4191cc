//! Where SDK archives are downloaded from (the official location, or a
//! mirror named by [`DOWNLOAD_BASE_URL_ENV`]) and how: tries, delays and
//! timeouts.

use std::time::Duration;

use crate::env::Env;

/// Environment variable overriding where Go SDK archives are downloaded from
/// (a mirror, an air-gapped server, a test server). The archive
/// `go<version>.<os>-<arch>.<ext>` and its `<archive>.sha256` are fetched
/// relative to it.
pub const DOWNLOAD_BASE_URL_ENV: &str = "GO_BUILDER_DOWNLOAD_BASE_URL";

/// The official download location.
pub const DEFAULT_DOWNLOAD_BASE_URL: &str = "https://dl.google.com/go/";

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

#[cfg(test)]
mod tests {
    use super::*;

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
