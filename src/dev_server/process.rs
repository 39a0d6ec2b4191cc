//! Dev server processes: spawning with a port pipe on fd 3, forwarding their
//! output, learning their port, and reaping them.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::{Child, ChildStderr, ChildStdout};

use crate::env::Env;
use crate::error::{Error, Result};
use crate::exec;

/// Receives a chunk of a child's output.
pub type Sink = Arc<dyn Fn(&[u8]) + Send + Sync>;

/// Where a child's stdout and stderr go; `None` means the parent's own.
#[derive(Clone, Default)]
pub struct OutputSinks {
    pub stdout: Option<Sink>,
    pub stderr: Option<Sink>,
}

/// How much of a child's output is kept for error messages.
const TAIL_BYTES: usize = 8 * 1024;

/// The last bytes a child printed.
#[derive(Clone, Default)]
pub struct OutputTail(Arc<Mutex<VecDeque<u8>>>);

impl OutputTail {
    fn push(&self, chunk: &[u8]) {
        if let Ok(mut tail) = self.0.lock() {
            tail.extend(chunk);
            let excess = tail.len().saturating_sub(TAIL_BYTES);
            tail.drain(..excess);
        }
    }

    pub fn text(&self) -> String {
        self.0
            .lock()
            .map(|t| String::from_utf8_lossy(&t.iter().copied().collect::<Vec<_>>()).into_owned())
            .unwrap_or_default()
    }
}

/// What to start.
pub struct SpawnSpec<'a> {
    pub program: &'a Path,
    pub cwd: &'a Path,
    /// Where its stdout and stderr go.
    pub sinks: OutputSinks,
    pub env: &'a Env,
    /// Give the child a pipe on fd 3 to report its port (Unix).
    pub port_pipe: bool,
    /// Start the child in a process group of its own, so it can be stopped
    /// with everything it started.
    pub own_process_group: bool,
    /// Give the child a pipe on stdin (the proxy's control channel; its
    /// end also tells the child that its host is gone).
    pub control_stdin: bool,
}

/// A started child whose output is being forwarded.
pub struct Started {
    pub child: Child,
    pub pid: u32,
    /// The child leads a process group of its own.
    pub group_leader: bool,
    pub tail: OutputTail,
    /// Read end of the fd 3 pipe, when one was requested.
    pub port_reader: Option<std::io::PipeReader>,
    /// The child's stdin, when a control pipe was requested.
    pub stdin: Option<tokio::process::ChildStdin>,
}

/// Spawns the child and starts forwarding its output.
pub fn spawn(spec: SpawnSpec<'_>) -> Result<Started> {
    let mut cmd = exec::command(spec.program, &[], spec.cwd, spec.env);
    cmd.kill_on_drop(false)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if spec.control_stdin {
        cmd.stdin(Stdio::piped());
    }
    let pipe = if spec.port_pipe && cfg!(unix) {
        Some(std::io::pipe().map_err(|e| Error::io("create the port pipe", e))?)
    } else {
        None
    };
    #[cfg(unix)]
    configure_unix(
        &mut cmd,
        pipe.as_ref().map(|(_, w)| w),
        spec.own_process_group,
    );
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::io_at("start", spec.program, e))?;
    // Only the child may hold the write end, so the read sees EOF when it exits.
    let port_reader = pipe.map(|(reader, _writer)| reader);
    let pid = child.id().unwrap_or(0);
    let stdin = child.stdin.take();
    if spec.own_process_group {
        started_groups::add(pid);
    }
    let tail = OutputTail::default();
    if let Some(stdout) = child.stdout.take() {
        forward(Stream::Out(stdout), spec.sinks.stdout.clone(), tail.clone());
    }
    if let Some(stderr) = child.stderr.take() {
        forward(Stream::Err(stderr), spec.sinks.stderr.clone(), tail.clone());
    }
    Ok(Started {
        child,
        pid,
        group_leader: spec.own_process_group,
        tail,
        port_reader,
        stdin,
    })
}

/// The process groups this addon started (dev servers that lead a group of
/// their own): the only ones it ever signals. A process-wide record, like
/// the OS's own table of our children: a pid handed back by JS is checked
/// against it.
pub mod started_groups {
    use std::collections::BTreeSet;
    use std::sync::Mutex;

    static GROUPS: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

    pub fn add(pid: u32) {
        if let Ok(mut groups) = GROUPS.lock() {
            groups.insert(pid);
        }
    }

    pub fn remove(pid: u32) {
        if let Ok(mut groups) = GROUPS.lock() {
            groups.remove(&pid);
        }
    }

    /// Whether `pid` leads a group this addon started (never 0 or 1).
    pub fn owns(pid: u32) -> bool {
        pid > 1 && GROUPS.lock().is_ok_and(|groups| groups.contains(&pid))
    }
}

#[cfg(unix)]
fn configure_unix(
    cmd: &mut tokio::process::Command,
    port_writer: Option<&std::io::PipeWriter>,
    own_process_group: bool,
) {
    use std::os::fd::AsRawFd;
    let port_fd = port_writer.map(|w| w.as_raw_fd());
    if own_process_group {
        cmd.process_group(0);
    }
    die_with_parent(cmd);
    if let Some(fd) = port_fd {
        // SAFETY: dup2 is async-signal-safe; it runs in the forked child
        // before exec and touches nothing but file descriptors.
        unsafe {
            cmd.pre_exec(move || {
                if libc::dup2(fd, 3) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
}

/// Linux: the child gets SIGTERM when the process that started it dies
/// (a crashed or killed Node), so a dev server never outlives its host.
/// SIGTERM, so a proxy can still stop what it started.
#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut tokio::process::Command) {
    // SAFETY: getpid before the fork; prctl and getppid are
    // async-signal-safe and touch only the forked child.
    let parent = unsafe { libc::getpid() };
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent died before the prctl: do not start at all.
            if libc::getppid() != parent {
                return Err(std::io::Error::other("the builder exited"));
            }
            Ok(())
        });
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
fn die_with_parent(_cmd: &mut tokio::process::Command) {}

enum Stream {
    Out(ChildStdout),
    Err(ChildStderr),
}

/// Copies a child's stream to its sink (or the parent's stream), keeping a tail.
fn forward(stream: Stream, sink: Option<Sink>, tail: OutputTail) {
    tokio::spawn(async move {
        let is_err = matches!(stream, Stream::Err(_));
        let mut reader: Box<dyn tokio::io::AsyncRead + Unpin + Send> = match stream {
            Stream::Out(s) => Box::new(s),
            Stream::Err(s) => Box::new(s),
        };
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let chunk = &buf[..n];
            tail.push(chunk);
            match &sink {
                Some(sink) => sink(chunk),
                None => write_to_parent(is_err, chunk),
            }
        }
    });
}

fn write_to_parent(is_err: bool, chunk: &[u8]) {
    use std::io::Write;
    let _ = if is_err {
        std::io::stderr().write_all(chunk)
    } else {
        std::io::stdout().write_all(chunk)
    };
}

/// How a wait for the child's port ended.
enum PortEvent {
    Port(u16),
    Exited(String),
    TimedOut,
}

/// Waits for the port the child reports on fd 3 or in `port_file`, racing
/// its exit and a timeout. On success the child is handed to a task that
/// reaps it; `keep_alive` (e.g. the port file's temp dir) lives as long.
pub async fn wait_for_reported_port<T: Send + 'static>(
    mut started: Started,
    port_file: PathBuf,
    timeout: Duration,
    keep_alive: T,
) -> Result<(u32, u16)> {
    let pipe_port = read_port_pipe(started.port_reader.take());
    let file_port = poll_port_file(port_file);
    let event = tokio::select! {
        Some(port) = pipe_port => PortEvent::Port(port),
        port = file_port => PortEvent::Port(port),
        status = started.child.wait() => PortEvent::Exited(describe_exit(status)),
        _ = tokio::time::sleep(timeout) => PortEvent::TimedOut,
    };
    settle(started, event, timeout, keep_alive).await
}

/// Waits until the child accepts TCP connections on `port`, racing its exit
/// and a timeout.
pub async fn wait_for_listening<T: Send + 'static>(
    mut started: Started,
    port: u16,
    timeout: Duration,
    keep_alive: T,
) -> Result<(u32, u16)> {
    let event = tokio::select! {
        () = poll_connect(port) => PortEvent::Port(port),
        status = started.child.wait() => PortEvent::Exited(describe_exit(status)),
        _ = tokio::time::sleep(timeout) => PortEvent::TimedOut,
    };
    settle(started, event, timeout, keep_alive).await
}

async fn settle<T: Send + 'static>(
    mut started: Started,
    event: PortEvent,
    timeout: Duration,
    keep_alive: T,
) -> Result<(u32, u16)> {
    match event {
        PortEvent::Port(port) => {
            let pid = started.pid;
            tokio::spawn(async move {
                let _ = started.child.wait().await;
                // Whoever stopped the leader (the CLI kills the pid), its
                // group goes with it: no orphans.
                if started.group_leader {
                    stop_process_group(pid, Duration::from_secs(2)).await;
                    started_groups::remove(pid);
                }
                drop(keep_alive);
            });
            Ok((pid, port))
        }
        PortEvent::Exited(how) => {
            // Let the forwarders drain what the child printed last.
            tokio::time::sleep(Duration::from_millis(50)).await;
            Err(Error::DevServerFailed {
                message: format!("The Go dev server exited before it was ready ({how})."),
                output: started.tail.text(),
            })
        }
        PortEvent::TimedOut => {
            if started.group_leader {
                stop_process_group(started.pid, Duration::from_secs(2)).await;
                started_groups::remove(started.pid);
            }
            let _ = started.child.kill().await;
            Err(Error::DevServerFailed {
                message: format!(
                    "The Go dev server was not ready within {} s.",
                    timeout.as_secs()
                ),
                output: started.tail.text(),
            })
        }
    }
}

fn describe_exit(status: std::io::Result<std::process::ExitStatus>) -> String {
    match status {
        Ok(status) => {
            #[cfg(unix)]
            {
                use std::os::unix::process::ExitStatusExt;
                if let Some(signal) = status.signal() {
                    return format!("killed by signal {signal}");
                }
            }
            match status.code() {
                Some(code) => format!("exit code {code}"),
                None => status.to_string(),
            }
        }
        Err(e) => format!("could not wait for it: {e}"),
    }
}

/// Reads the port number from the fd 3 pipe; `None` at EOF without one
/// (the child exited, or wrote the port file instead).
async fn read_port_pipe(reader: Option<std::io::PipeReader>) -> Option<u16> {
    let reader = reader?;
    let read = tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut reader = reader;
        let mut text = Vec::new();
        let mut buf = [0u8; 16];
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => text.extend_from_slice(&buf[..n]),
            }
            if let Some(port) = parse_port(&text) {
                return Some(port);
            }
        }
        parse_port(&text)
    })
    .await
    .ok()
    .flatten();
    match read {
        Some(port) => Some(port),
        // Leave the race to the child's exit or the port file.
        None => std::future::pending().await,
    }
}

async fn poll_port_file(path: PathBuf) -> u16 {
    loop {
        if let Ok(text) = tokio::fs::read(&path).await {
            if let Some(port) = parse_port(&text) {
                return port;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Until something accepts on `port`, over IPv4 or IPv6 loopback.
async fn poll_connect(port: u16) {
    loop {
        for host in ["127.0.0.1", "::1"] {
            if tokio::net::TcpStream::connect((host, port)).await.is_ok() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The port number the child reported: ASCII digits (surrounding
/// whitespace allowed), not 0, within range. The child writes it in one
/// write (a pipe write this small is atomic) or renames the port file into
/// place, so a partial number is never read.
fn parse_port(bytes: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(bytes).ok()?.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|p| *p != 0)
}

/// `port` if nothing listens on it yet, else a clear error (otherwise a
/// readiness check would accept another program's listener).
pub fn ensure_port_free(port: u16) -> Result<u16> {
    match std::net::TcpListener::bind(("0.0.0.0", port)) {
        Ok(_) => Ok(port),
        Err(e) => Err(Error::DevServerFailed {
            message: format!("Port {port} for the Go dev server is not available: {e}"),
            output: String::new(),
        }),
    }
}

/// A free TCP port on the loopback interface.
pub fn free_port() -> Result<u16> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Error::io("find a free port", e))
}

/// Stops a dev server and everything in its process group: SIGTERM, then
/// SIGKILL after `grace`.
#[cfg(unix)]
pub async fn stop_process_group(pid: u32, grace: Duration) {
    // Never 0 (our own group), 1 (kill(-1) is everyone) or a negative id.
    let Some(pgid) = i32::try_from(pid).ok().filter(|p| *p > 1) else {
        return;
    };
    // SAFETY: plain syscalls on a process group id we created.
    unsafe { libc::kill(-pgid, libc::SIGTERM) };
    let deadline = tokio::time::Instant::now() + grace;
    while tokio::time::Instant::now() < deadline {
        // SAFETY: signal 0 only checks for existence.
        if unsafe { libc::kill(-pgid, 0) } != 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // SAFETY: as above.
    unsafe { libc::kill(-pgid, libc::SIGKILL) };
}

/// Stops a dev server and its children (Windows: `taskkill /T /F`).
#[cfg(not(unix))]
pub async fn stop_process_group(pid: u32, _grace: Duration) {
    let _ = tokio::process::Command::new("taskkill")
        .args(["/T", "/F", "/PID", &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ports() {
        assert_eq!(parse_port(b"8080"), Some(8080));
        assert_eq!(parse_port(b" 8080\n"), Some(8080));
        assert_eq!(parse_port(b""), None);
        assert_eq!(parse_port(b"80a"), None);
        assert_eq!(parse_port(b"0"), None);
        assert_eq!(parse_port(b"99999"), None);
    }

    #[test]
    fn tail_keeps_the_end() {
        let tail = OutputTail::default();
        tail.push(&vec![b'a'; TAIL_BYTES]);
        tail.push(b"end");
        let text = tail.text();
        assert_eq!(text.len(), TAIL_BYTES);
        assert!(text.ends_with("end"));
    }
}
