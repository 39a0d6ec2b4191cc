//! Kept programs through the bucket: `lambda/<content key>` holds a
//! program and its record (what the kept-program store records beside it,
//! as JSON). A build whose key is there takes the program — once its
//! signature, size and SHA-256 verify — instead of running Go; a build
//! that made (or kept) a program the bucket lacks uploads it.

use std::path::Path;

use super::envelope::Header;
use super::Remote;

/// The object key of a kept program.
fn key_of(content_key: &str) -> String {
    format!("lambda/{content_key}")
}

/// A verified program from the bucket: its bytes in a temporary file
/// beside where it will be kept, and its record.
pub struct Fetched {
    pub file: tempfile::NamedTempFile,
    pub record: serde_json::Value,
    /// The verified SHA-256 and size of the file.
    pub sha256: String,
    pub size: u64,
}

/// The program kept under `content_key` in the bucket, verified, in a
/// temporary file in `dir`; `None` on a miss, a rejection or a fault (which
/// turns the remote off for the rest of the build).
pub async fn fetch(remote: &Remote, content_key: &str, dir: &Path) -> Option<Fetched> {
    if !remote.can_read() {
        return None;
    }
    std::fs::create_dir_all(dir).ok()?;
    let mut file = tempfile::Builder::new()
        .prefix(".remote-")
        .tempfile_in(dir)
        .ok()?;
    let header = remote
        .read(&key_of(content_key), "lambda", &mut file)
        .await?;
    file.as_file().sync_all().ok()?;
    remote.state.update(|s| s.programs += 1);
    Some(Fetched {
        file,
        record: header.meta.get("record").cloned().unwrap_or_default(),
        sha256: header.sha256,
        size: header.size,
    })
}

/// Uploads `program` under `content_key` with its `record` (when the
/// program's bytes are the ones the record names); when `always` is false,
/// only if the bucket does not have it.
pub async fn share(
    remote: &Remote,
    content_key: &str,
    program: &Path,
    record: serde_json::Value,
    always: bool,
) {
    let key = key_of(content_key);
    if !remote.can_write() || (!always && remote.has(&key).await) {
        return;
    }
    let Ok(body) = std::fs::read(program) else {
        return;
    };
    let header = Header::of("lambda", &body, serde_json::Value::Null);
    if record.get("sha256").and_then(|s| s.as_str()) != Some(header.sha256.as_str()) {
        return;
    }
    let header = Header {
        meta: serde_json::json!({ "record": record }),
        ..header
    };
    remote.write(&key, &header, &body).await;
}
