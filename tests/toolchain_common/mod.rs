//! Shared helpers of the toolchain integration tests: a loopback HTTP server
//! with scripted faults, synthetic Go SDK archives, and a request builder.
//! Nothing here talks to anything but 127.0.0.1.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use acme_go_builder::env::Env;
use acme_go_builder::toolchain::{
    GoVersion, Platform, ResolveRequest, VersionRequest, DOWNLOAD_BASE_URL_ENV,
};
use sha2::{Digest, Sha256};

/// One scripted misbehaviour, used by the next request to a path.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Send the headers (full length) and only this many body bytes, then close.
    Cut(usize),
    /// Answer with this status and an empty body.
    Status(u16),
    /// Send the headers (full length) and this many body bytes, then go
    /// silent with the connection open (a stalled mirror).
    Stall(usize),
}

#[derive(Debug, Clone)]
struct Route {
    body: Arc<Vec<u8>>,
    ranges: bool,
    faults: VecDeque<Fault>,
    /// Pause between 64 KiB body pieces (to make downloads overlap).
    throttle: Duration,
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Route>,
    hits: HashMap<String, usize>,
    ranged: HashMap<String, usize>,
}

/// A tiny HTTP/1.1 server on 127.0.0.1 (one thread per connection).
pub struct TestServer {
    pub base_url: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
}

impl TestServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        {
            let state = Arc::clone(&state);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let state = Arc::clone(&state);
                    thread::spawn(move || handle(conn, &state));
                }
            });
        }
        TestServer {
            base_url: format!("http://{addr}/dl/"),
            state,
            stop,
            addr,
        }
    }

    /// Serves `body` at `/dl/<name>`.
    pub fn put(&self, name: &str, body: Vec<u8>) {
        let mut state = self.state.lock().unwrap();
        state.routes.insert(
            format!("/dl/{name}"),
            Route {
                body: Arc::new(body),
                ranges: true,
                faults: VecDeque::new(),
                throttle: Duration::ZERO,
            },
        );
    }

    /// Serves `archive` and its `.sha256` (of `archive`, or of `sha_of`).
    pub fn publish(&self, name: &str, archive: Vec<u8>) {
        let digest = sha256_hex(&archive);
        self.put(
            &format!("{name}.sha256"),
            format!("{digest}  {name}\n").into_bytes(),
        );
        self.put(name, archive);
    }

    pub fn remove(&self, name: &str) {
        self.state
            .lock()
            .unwrap()
            .routes
            .remove(&format!("/dl/{name}"));
    }

    fn with_route(&self, name: &str, f: impl FnOnce(&mut Route)) {
        let mut state = self.state.lock().unwrap();
        let route = state
            .routes
            .get_mut(&format!("/dl/{name}"))
            .expect("route exists");
        f(route);
    }

    pub fn fault(&self, name: &str, fault: Fault) {
        self.with_route(name, |r| r.faults.push_back(fault));
    }

    pub fn clear_faults(&self, name: &str) {
        self.with_route(name, |r| r.faults.clear());
    }

    pub fn ranges(&self, name: &str, enabled: bool) {
        self.with_route(name, |r| r.ranges = enabled);
    }

    pub fn throttle(&self, name: &str, pause: Duration) {
        self.with_route(name, |r| r.throttle = pause);
    }

    /// Requests received for `/dl/<name>`.
    pub fn hits(&self, name: &str) -> usize {
        let state = self.state.lock().unwrap();
        state.hits.get(&format!("/dl/{name}")).copied().unwrap_or(0)
    }

    /// Requests for `/dl/<name>` that carried a `Range` header.
    pub fn ranged_hits(&self, name: &str) -> usize {
        let state = self.state.lock().unwrap();
        state
            .ranged
            .get(&format!("/dl/{name}"))
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

/// Reads one request and answers it per the route's script.
fn handle(mut conn: TcpStream, state: &Mutex<State>) {
    let Some((path, range)) = read_request(&conn) else {
        return;
    };
    let route = {
        let mut state = state.lock().unwrap();
        *state.hits.entry(path.clone()).or_default() += 1;
        if range.is_some() {
            *state.ranged.entry(path.clone()).or_default() += 1;
        }
        state.routes.get_mut(&path).map(|route| {
            let fault = route.faults.pop_front();
            (route.clone(), fault)
        })
    };
    let Some((route, fault)) = route else {
        let _ = conn.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
        );
        return;
    };
    if let Some(Fault::Status(code)) = fault {
        let head =
            format!("HTTP/1.1 {code} Scripted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        let _ = conn.write_all(head.as_bytes());
        return;
    }
    let total = route.body.len();
    let start = range.filter(|_| route.ranges).unwrap_or(0).min(total);
    let head = if route.ranges && range.is_some() {
        format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {start}-{}/{total}\r\nConnection: close\r\n\r\n",
            total - start,
            total.saturating_sub(1)
        )
    } else {
        format!("HTTP/1.1 200 OK\r\nContent-Length: {total}\r\nConnection: close\r\n\r\n")
    };
    if conn.write_all(head.as_bytes()).is_err() {
        return;
    }
    let mut body = &route.body[start..];
    if let Some(Fault::Cut(n) | Fault::Stall(n)) = fault {
        body = &body[..n.min(body.len())];
    }
    if let Some(Fault::Stall(_)) = fault {
        let _ = conn.write_all(body);
        let _ = conn.flush();
        thread::sleep(Duration::from_secs(30));
        return;
    }
    for piece in body.chunks(64 * 1024) {
        if conn.write_all(piece).is_err() {
            return;
        }
        if !route.throttle.is_zero() {
            thread::sleep(route.throttle);
        }
    }
    let _ = conn.flush();
    let _ = conn.shutdown(Shutdown::Both);
}

/// The path and the `Range: bytes=N-` start of a GET request.
fn read_request(conn: &TcpStream) -> Option<(String, Option<usize>)> {
    let mut reader = BufReader::new(conn.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut range = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 || header.trim().is_empty() {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("range:") {
            range = value
                .trim()
                .strip_prefix("bytes=")
                .and_then(|v| v.trim_end_matches('-').parse().ok());
        }
    }
    Some((path, range))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A tar entry for [`tar_gz`].
pub enum Entry {
    Dir(&'static str),
    File(String, Vec<u8>, u32),
    Symlink(String, String),
    HardLink(String, String),
}

/// Packs entries into a .tar.gz, writing names raw (so tests can build
/// hostile archives the tar crate would refuse to create).
pub fn tar_gz(entries: Vec<Entry>) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(gz);
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        let (name, data, kind, mode, link) = match entry {
            Entry::Dir(name) => (
                name.to_string(),
                Vec::new(),
                tar::EntryType::Directory,
                0o755,
                None,
            ),
            Entry::File(name, data, mode) => (name, data, tar::EntryType::Regular, mode, None),
            Entry::Symlink(name, target) => (
                name,
                Vec::new(),
                tar::EntryType::Symlink,
                0o777,
                Some(target),
            ),
            Entry::HardLink(name, target) => {
                (name, Vec::new(), tar::EntryType::Link, 0o644, Some(target))
            }
        };
        set_raw_name(&mut header, &name);
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_size(data.len() as u64);
        if let Some(link) = link {
            header
                .set_link_name_literal(link.as_bytes())
                .expect("link name");
        }
        header.set_cksum();
        builder.append(&header, data.as_slice()).expect("append");
    }
    builder
        .into_inner()
        .expect("finish tar")
        .finish()
        .expect("finish gzip")
}

fn set_raw_name(header: &mut tar::Header, name: &str) {
    let field = &mut header.as_old_mut().name;
    assert!(name.len() < field.len(), "test names stay short");
    field.fill(0);
    field[..name.len()].copy_from_slice(name.as_bytes());
}

/// The `go version` line a fake SDK prints.
pub fn version_line(version: &str) -> String {
    let platform = Platform::current();
    format!("go version go{version} {}/{}", platform.os, platform.arch)
}

/// The files of a small fake SDK whose `bin/go` is a script printing
/// `go version go<version> <os>/<arch>`.
pub fn fake_sdk_entries(version: &str) -> Vec<Entry> {
    let script = format!("#!/bin/sh\necho \"{}\"\n", version_line(version));
    vec![
        Entry::Dir("go/"),
        Entry::File(
            "go/VERSION".into(),
            format!("go{version}\ntime 2026-01-01T00:00:00Z\n").into_bytes(),
            0o644,
        ),
        Entry::Dir("go/bin/"),
        Entry::File("go/bin/go".into(), script.into_bytes(), 0o755),
        Entry::File(
            "go/src/fmt/print.go".into(),
            b"package fmt\n".repeat(2000),
            0o644,
        ),
        Entry::Symlink("go/bin/go-alias".into(), "go".into()),
        Entry::HardLink("go/bin/go-hard".into(), "go/bin/go".into()),
    ]
}

pub fn fake_sdk(version: &str) -> Vec<u8> {
    tar_gz(fake_sdk_entries(version))
}

/// The archive file name for `version` on this machine.
pub fn archive_name(version: &str) -> String {
    let v = GoVersion::parse_release(version).expect("version");
    Platform::current().archive_name(&v)
}

/// Publishes a fake SDK of `version`; returns the archive name.
pub fn publish_fake(server: &TestServer, version: &str) -> String {
    let name = archive_name(version);
    server.publish(&name, fake_sdk(version));
    name
}

/// A GOROOT (no marker) at `dir` with `VERSION` and a `bin/go` script, as a
/// system install would look.
pub fn fake_goroot(dir: &Path, version: &str) -> PathBuf {
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    std::fs::write(dir.join("VERSION"), format!("go{version}\n")).unwrap();
    let go = dir.join("bin/go");
    std::fs::write(
        &go,
        format!("#!/bin/sh\necho \"{}\"\n", version_line(version)),
    )
    .unwrap();
    make_executable(&go);
    dir.join("bin")
}

#[cfg(unix)]
pub fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A test sandbox: a work path, a global cache root, an env pointing at the
/// server, and collected progress lines.
pub struct Sandbox {
    pub tmp: tempfile::TempDir,
    pub env: Env,
    pub lines: Arc<Mutex<Vec<String>>>,
}

impl Sandbox {
    /// `path_dirs` become the env's PATH (nothing else is on it).
    pub fn new(server: &TestServer, path_dirs: &[PathBuf]) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let path = std::env::join_paths(path_dirs)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let env: Env = [
            ("PATH".to_string(), path),
            (
                "HOME".to_string(),
                tmp.path().join("home").display().to_string(),
            ),
            (DOWNLOAD_BASE_URL_ENV.to_string(), server.base_url.clone()),
        ]
        .into_iter()
        .collect();
        Sandbox {
            tmp,
            env,
            lines: Arc::new(Mutex::new(Vec::new())),
        }
    }

    pub fn global_root(&self) -> PathBuf {
        self.tmp.path().join("global")
    }

    pub fn work(&self, name: &str) -> PathBuf {
        let dir = self.tmp.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Entries of the global root (to check nothing partial is left).
    pub fn global_entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.global_root())
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Global entries other than lock files.
    pub fn global_sdks(&self) -> Vec<String> {
        self.global_entries()
            .into_iter()
            .filter(|n| !n.ends_with(".lock"))
            .collect()
    }

    pub fn progress_lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

/// A request with fast retries and the sandbox's global root.
pub fn request<'a>(
    sandbox: &'a Sandbox,
    work: &'a Path,
    version: VersionRequest,
    progress: &'a (dyn Fn(&str) + Send + Sync),
) -> ResolveRequest<'a> {
    let mut req = ResolveRequest::new(version, &sandbox.env, work, progress);
    req.global_cache_root = sandbox.global_root();
    req.download.retry_delay = Duration::from_millis(5);
    req
}

/// Runs `go version` of an SDK.
pub fn go_version_output(go: &Path) -> String {
    let out = std::process::Command::new(go)
        .arg("version")
        .env("GOTOOLCHAIN", "local")
        .output()
        .expect("run go version");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Reads a whole file (test convenience).
pub fn read(path: &Path) -> Vec<u8> {
    let mut data = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut data))
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    data
}
