//! The `GOCACHEPROG` program: Go's build cache protocol (`go doc
//! cmd/go/internal/cacheprog`) on stdin/stdout, one process per `go`
//! command.
//!
//! A `get` is served from GOCACHE (in Go's own layout, [`super::go_disk`])
//! first, from the bucket second: an object is taken only when its
//! signature verifies and its body has the size and SHA-256 (Go's output
//! id) the signed header says, and it is then written to GOCACHE like any
//! entry. A `put` is written to GOCACHE and uploaded in the background;
//! `close` waits for the uploads. A fault of the bucket turns it off for
//! the rest of the build ([`super::state`]); the program itself never
//! fails a `go` command because of the bucket.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use super::envelope::Header;
use super::go_disk::{unhex, Entry, GoDisk, Id};
use super::Remote;
use crate::fingerprint::hex;

/// Uploads in flight at once.
const UPLOADS: usize = 8;
/// At `close`, how long the uploads may go without one finishing.
const DRAIN_STALL: Duration = Duration::from_secs(3);
/// How often the drain looks whether the bucket was turned off.
const DRAIN_POLL: Duration = Duration::from_millis(100);
/// The largest body a `put` may carry.
const MAX_BODY: u64 = 1 << 31;

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "ID")]
    id: i64,
    #[serde(rename = "Command")]
    command: String,
    #[serde(rename = "ActionID", default)]
    action_id: Option<String>,
    #[serde(rename = "OutputID", default)]
    output_id: Option<String>,
    #[serde(rename = "BodySize", default)]
    body_size: u64,
}

#[derive(Debug, Default, Serialize)]
struct Response {
    #[serde(rename = "ID")]
    id: i64,
    #[serde(rename = "Err", skip_serializing_if = "String::is_empty")]
    err: String,
    #[serde(rename = "KnownCommands", skip_serializing_if = "Vec::is_empty")]
    known_commands: Vec<&'static str>,
    #[serde(rename = "Miss", skip_serializing_if = "std::ops::Not::not")]
    miss: bool,
    #[serde(rename = "OutputID", skip_serializing_if = "Option::is_none")]
    output_id: Option<String>,
    #[serde(rename = "Size", skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(rename = "DiskPath", skip_serializing_if = "String::is_empty")]
    disk_path: String,
}

impl Response {
    fn to(id: i64) -> Response {
        Response {
            id,
            ..Response::default()
        }
    }

    fn entry(id: i64, entry: &Entry) -> Response {
        Response {
            output_id: Some(BASE64.encode(entry.output)),
            size: Some(entry.size),
            disk_path: entry.path.to_string_lossy().into_owned(),
            ..Response::to(id)
        }
    }

    fn error(id: i64, err: impl std::fmt::Display) -> Response {
        Response {
            err: err.to_string(),
            ..Response::to(id)
        }
    }
}

/// Serves Go on `input`/`output` until it says `close` (or goes away),
/// with GOCACHE `disk` and, when configured, the bucket.
pub async fn serve(
    remote: Option<Remote>,
    disk: GoDisk,
    input: impl AsyncRead + Unpin,
    output: impl AsyncWrite + Unpin + Send + 'static,
) -> std::io::Result<()> {
    let disk = Arc::new(disk);
    let (tx, rx) = mpsc::unbounded_channel::<Response>();
    let writer = tokio::spawn(write_responses(rx, output));
    let hello = Response {
        known_commands: vec!["get", "put", "close"],
        ..Response::to(0)
    };
    let _ = tx.send(hello);
    let mut input = BufReader::new(input);
    let mut gets = JoinSet::new();
    let mut uploads = JoinSet::new();
    let permits = Arc::new(Semaphore::new(UPLOADS));
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line).await? == 0 {
            break;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let request: Request = match serde_json::from_slice(&line) {
            Ok(request) => request,
            Err(e) => return Err(std::io::Error::other(format!("bad request from go: {e}"))),
        };
        let body = match request.body_size {
            0 => Vec::new(),
            n if n > MAX_BODY => return Err(std::io::Error::other("body too large")),
            _ => read_body(&mut input, &mut line).await?,
        };
        let id = request.id;
        match request.command.as_str() {
            "get" => match request.action_id.as_deref().and_then(decode_id) {
                None => drop(tx.send(Response::error(id, "get without a valid ActionID"))),
                Some(action) => match disk.get(&action) {
                    Some(entry) => drop(tx.send(Response::entry(id, &entry))),
                    None => match remote.clone().filter(Remote::can_read) {
                        None => drop(tx.send(Response {
                            miss: true,
                            ..Response::to(id)
                        })),
                        Some(remote) => {
                            let (disk, tx) = (disk.clone(), tx.clone());
                            gets.spawn(async move {
                                let response = match fetch(&remote, &disk, &action).await {
                                    Some(entry) => Response::entry(id, &entry),
                                    None => Response {
                                        miss: true,
                                        ..Response::to(id)
                                    },
                                };
                                let _ = tx.send(response);
                            });
                        }
                    },
                },
            },
            "put" => {
                let ids = (
                    request.action_id.as_deref().and_then(decode_id),
                    request.output_id.as_deref().and_then(decode_id),
                );
                let (Some(action), Some(output)) = ids else {
                    let _ = tx.send(Response::error(
                        id,
                        "put without valid ActionID and OutputID",
                    ));
                    continue;
                };
                match disk.put(&action, &output, &body) {
                    Err(e) => drop(tx.send(Response::error(id, e))),
                    Ok(entry) => {
                        let _ = tx.send(Response::entry(id, &entry));
                        if let Some(remote) = remote.clone().filter(Remote::can_write) {
                            let permits = permits.clone();
                            uploads.spawn(async move {
                                let _permit = permits.acquire_owned().await;
                                upload(&remote, &action, &output, body).await;
                            });
                        }
                    }
                }
            }
            "close" => {
                while gets.join_next().await.is_some() {}
                drain(&mut uploads, remote.as_ref()).await;
                if let Some(remote) = &remote {
                    remote.state.publish();
                }
                let _ = tx.send(Response::to(id));
                break;
            }
            other => drop(tx.send(Response::error(id, format!("unknown command {other}")))),
        }
    }
    gets.abort_all();
    uploads.abort_all();
    drop(tx);
    let _ = writer.await;
    Ok(())
}

/// The body line after a `put` (Go may leave an empty line before it): a
/// JSON string of base64.
async fn read_body(
    input: &mut (impl tokio::io::AsyncBufRead + Unpin),
    line: &mut Vec<u8>,
) -> std::io::Result<Vec<u8>> {
    loop {
        line.clear();
        if input.read_until(b'\n', line).await? == 0 || !line.trim_ascii().is_empty() {
            break;
        }
    }
    let text = line
        .trim_ascii()
        .strip_prefix(b"\"")
        .and_then(|t| t.strip_suffix(b"\""))
        .ok_or_else(|| std::io::Error::other("put body is not a string"))?;
    BASE64
        .decode(text)
        .map_err(|e| std::io::Error::other(format!("put body: {e}")))
}

fn decode_id(text: &str) -> Option<Id> {
    BASE64.decode(text).ok()?.try_into().ok()
}

async fn write_responses(
    mut rx: mpsc::UnboundedReceiver<Response>,
    mut output: impl AsyncWrite + Unpin,
) {
    while let Some(response) = rx.recv().await {
        let mut line = serde_json::to_vec(&response).unwrap_or_default();
        line.push(b'\n');
        if output.write_all(&line).await.is_err() || output.flush().await.is_err() {
            return;
        }
    }
}

/// The object key of an action's entry.
fn key_of(action: &Id) -> String {
    format!("go/{}", hex(action))
}

/// The entry of `action` from the bucket, verified and written to GOCACHE.
async fn fetch(remote: &Remote, disk: &GoDisk, action: &Id) -> Option<Entry> {
    let mut file = disk.temp().ok()?;
    let header = remote.read(&key_of(action), "go", &mut file).await?;
    let (output, size) = output_of(&header)?;
    disk.adopt(action, &output, size, file).ok()
}

/// The output id (the body's SHA-256, as Go defines it) and size of a
/// verified header that names it.
fn output_of(header: &Header) -> Option<(Id, u64)> {
    let named = header.meta.get("output").and_then(|o| o.as_str());
    if named != Some(header.sha256.as_str()) {
        return None;
    }
    Some((unhex(&header.sha256)?, header.size))
}

/// Uploads what Go put (when it is what Go said it is).
async fn upload(remote: &Remote, action: &Id, output: &Id, body: Vec<u8>) {
    let header = Header::of("go", &body, serde_json::json!({ "output": hex(output) }));
    if header.sha256 == hex(output) {
        remote.write(&key_of(action), &header, &body).await;
    }
}

/// Waits for the uploads while they make progress: the rest are dropped
/// as soon as the bucket is off, or when none finishes for [`DRAIN_STALL`]
/// (which turns it off).
async fn drain(uploads: &mut JoinSet<()>, remote: Option<&Remote>) {
    let mut last = std::time::Instant::now();
    while !uploads.is_empty() {
        if remote.is_some_and(|r| r.state.is_down()) {
            break;
        }
        if last.elapsed() >= DRAIN_STALL {
            if let Some(remote) = remote {
                remote.state.trip("uploads stalled for 3 s");
            }
            break;
        }
        if let Ok(Some(_)) = tokio::time::timeout(DRAIN_POLL, uploads.join_next()).await {
            last = std::time::Instant::now();
        }
    }
    uploads.abort_all();
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// Runs the program on `requests`, returning its answers.
    async fn exchange(disk: GoDisk, requests: &str) -> Vec<serde_json::Value> {
        let (mut ours, theirs) = tokio::io::duplex(1 << 20);
        let (read, write) = tokio::io::split(theirs);
        let server = tokio::spawn(serve(None, disk, read, write));
        ours.write_all(requests.as_bytes()).await.unwrap();
        let mut out = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut ours, &mut out)
            .await
            .unwrap();
        server.await.unwrap().unwrap();
        out.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[tokio::test]
    async fn speaks_gos_protocol() {
        let dir = tempfile::tempdir().unwrap();
        let body = b"object file";
        let output = Sha256::digest(body);
        let action = BASE64.encode([7u8; 32]);
        let requests = format!(
            "{{\"ID\":1,\"Command\":\"get\",\"ActionID\":\"{action}\"}}\n\
             {{\"ID\":2,\"Command\":\"put\",\"ActionID\":\"{action}\",\"OutputID\":\"{}\",\"BodySize\":{}}}\n\n\"{}\"\n\
             {{\"ID\":3,\"Command\":\"get\",\"ActionID\":\"{action}\"}}\n\
             {{\"ID\":4,\"Command\":\"close\"}}\n",
            BASE64.encode(output),
            body.len(),
            BASE64.encode(body)
        );
        let answers = exchange(GoDisk::new(dir.path().to_path_buf()), &requests).await;
        assert_eq!(
            answers[0]["KnownCommands"],
            serde_json::json!(["get", "put", "close"])
        );
        assert_eq!(answers[1], serde_json::json!({"ID": 1, "Miss": true}));
        assert_eq!(answers[2]["ID"], 2);
        let path = answers[2]["DiskPath"].as_str().unwrap();
        assert_eq!(std::fs::read(path).unwrap(), body);
        assert_eq!(answers[3]["OutputID"], BASE64.encode(output));
        assert_eq!(answers[3]["Size"], body.len());
        assert_eq!(answers[3]["DiskPath"], path);
        assert_eq!(answers[4], serde_json::json!({"ID": 4}));
    }
}
