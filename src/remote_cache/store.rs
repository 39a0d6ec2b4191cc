//! The bucket, through the `object_store` crate's S3 client (it signs every
//! request; nothing here does). Every call is bounded in time: a fault is
//! reported as a short reason, never as a hang, and never with a secret in
//! it.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as ObjectPath;
use object_store::{
    ClientOptions, GetOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig,
};

use super::Config;
use crate::env::Env;

/// How long a connection may take to open.
const CONNECT: Duration = Duration::from_secs(1);
/// How long the bucket may take to start answering a request.
const FIRST_BYTE: Duration = Duration::from_secs(2);
/// How long a download may go without a byte.
const STALL: Duration = Duration::from_secs(2);
/// An upload's time: this, plus a second per [`UPLOAD_RATE`] bytes.
const UPLOAD_BASE: Duration = Duration::from_secs(2);
const UPLOAD_RATE: u64 = 4 << 20;

/// Why the bucket could not be used (short, without secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault(pub String);

/// The bucket and the prefix every key lives under.
#[derive(Clone)]
pub struct Store {
    s3: Arc<AmazonS3>,
    prefix: String,
    secrets: Arc<Vec<String>>,
}

impl Store {
    /// A client for the configured bucket, with the standard `AWS_*`
    /// variables of `env` (credentials, region, `AWS_ENDPOINT_URL`…).
    pub fn new(config: &Config, env: &Env) -> Result<Store, Fault> {
        let mut builder = AmazonS3Builder::new();
        for (name, value) in env.iter() {
            if !name.starts_with("AWS_") || value.is_empty() {
                continue;
            }
            if let Ok(key) = name.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
                builder = builder.with_config(key, value);
            }
        }
        // An endpoint the user gave as plain http is meant as such (a
        // MinIO on the build network).
        let plain_http = ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT"]
            .iter()
            .filter_map(|k| env.non_empty(k))
            .any(|url| url.starts_with("http://"));
        let mut client = ClientOptions::new()
            .with_connect_timeout(CONNECT)
            .with_timeout(Duration::from_secs(300));
        if plain_http {
            client = client.with_allow_http(true);
        }
        let s3 = builder
            .with_bucket_name(&config.bucket)
            .with_client_options(client)
            .with_retry(RetryConfig {
                max_retries: 0,
                retry_timeout: FIRST_BYTE,
                ..RetryConfig::default()
            })
            .build()
            .map_err(|e| Fault(format!("cannot use the bucket: {}", short(&e))))?;
        let secrets = [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
        ]
        .iter()
        .chain([crate::signing::SIGNING_KEY_ENV].iter())
        .filter_map(|k| env.non_empty(k))
        .filter(|v| v.len() >= 4)
        .map(str::to_string)
        .collect();
        Ok(Store {
            s3: Arc::new(s3),
            prefix: config.prefix.clone(),
            secrets: Arc::new(secrets),
        })
    }

    fn path(&self, key: &str) -> ObjectPath {
        if self.prefix.is_empty() {
            ObjectPath::from(key)
        } else {
            ObjectPath::from(format!("{}/{key}", self.prefix))
        }
    }

    /// Streams the object `key` into `sink`, chunk by chunk; `Ok(false)`
    /// when there is no such object. A sink error stops the download.
    pub async fn get(
        &self,
        key: &str,
        sink: &mut (dyn FnMut(&[u8]) -> Result<(), String> + Send),
    ) -> Result<bool, Fault> {
        let path = self.path(key);
        let request = self.s3.get_opts(&path, GetOptions::default());
        let result = match tokio::time::timeout(FIRST_BYTE, request).await {
            Err(_) => return Err(self.fault("GET", key, "no answer within 2 s")),
            Ok(Err(e)) if is_missing_object(&e) => return Ok(false),
            Ok(Err(e)) => return Err(self.fault("GET", key, &short(&e))),
            Ok(Ok(result)) => result,
        };
        let mut stream = result.into_stream();
        loop {
            match tokio::time::timeout(STALL, stream.next()).await {
                Err(_) => return Err(self.fault("GET", key, "download stalled for 2 s")),
                Ok(None) => return Ok(true),
                Ok(Some(Err(e))) => return Err(self.fault("GET", key, &short(&e))),
                Ok(Some(Ok(chunk))) => {
                    if let Err(why) = sink(&chunk) {
                        return Err(Fault(why));
                    }
                }
            }
        }
    }

    /// Writes the object `key` in one PUT (S3 makes it visible whole or
    /// not at all).
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), Fault> {
        let limit = UPLOAD_BASE + Duration::from_secs(bytes.len() as u64 / UPLOAD_RATE);
        let path = self.path(key);
        let request = self.s3.put(&path, PutPayload::from(bytes));
        match tokio::time::timeout(limit, request).await {
            Err(_) => Err(self.fault(
                "PUT",
                key,
                &format!("not done within {} s", limit.as_secs()),
            )),
            Ok(Err(e)) => Err(self.fault("PUT", key, &short(&e))),
            Ok(Ok(_)) => Ok(()),
        }
    }

    /// Whether the object `key` exists.
    pub async fn exists(&self, key: &str) -> Result<bool, Fault> {
        let path = self.path(key);
        let request = self.s3.head(&path);
        match tokio::time::timeout(FIRST_BYTE, request).await {
            Err(_) => Err(self.fault("HEAD", key, "no answer within 2 s")),
            Ok(Err(object_store::Error::NotFound { .. })) => Ok(false),
            Ok(Err(e)) => Err(self.fault("HEAD", key, &short(&e))),
            Ok(Ok(_)) => Ok(true),
        }
    }

    fn fault(&self, op: &str, key: &str, why: &str) -> Fault {
        let mut text = format!("{op} {key}: {why}");
        for secret in self.secrets.iter() {
            text = text.replace(secret.as_str(), "***");
        }
        Fault(text)
    }
}

/// A 404 for the object itself (a miss), not for its bucket.
fn is_missing_object(err: &object_store::Error) -> bool {
    matches!(err, object_store::Error::NotFound { .. })
        && s3_code(&err.to_string()).is_none_or(|code| code == "NoSuchKey")
}

/// What went wrong, briefly: the S3 error code (`NoSuchBucket`,
/// `InvalidAccessKeyId`, …) when the bucket answered one, else the
/// innermost cause (`Connection refused`, …).
fn short(err: &object_store::Error) -> String {
    let text = err.to_string();
    if let Some(code) = s3_code(&text) {
        return code.to_string();
    }
    let mut cause: &dyn std::error::Error = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let cause = cause.to_string();
    match cause.find(" (os error") {
        Some(at) => cause[..at].to_string(),
        None => cause.chars().take(200).collect(),
    }
}

/// The `<Code>…</Code>` of an S3 error body.
fn s3_code(text: &str) -> Option<&str> {
    let start = text.find("<Code>")? + "<Code>".len();
    let len = text[start..].find("</Code>")?;
    Some(&text[start..start + len]).filter(|c| c.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_s3_error_code() {
        assert_eq!(
            s3_code("Error performing GET … - Server returned non-2xx status code: 404 Not Found: <?xml?><Error><Code>NoSuchBucket</Code><Message>x</Message></Error>"),
            Some("NoSuchBucket")
        );
        assert_eq!(s3_code("connection refused"), None);
        assert_eq!(s3_code("<Code>a b</Code>"), None);
    }
}
