//! Running external programs (mostly `go`) with an explicit environment.
//!
//! Every program a build runs is tethered to this process ([`tether`]):
//! when Node dies, however it dies (SIGKILL included), the program and
//! everything it started (Go's compilers and linker, cgo's C compiler, git)
//! are killed at once; none is left running with parent 1.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use crate::env::Env;
use crate::error::{Error, Result};
use crate::log::Log;

/// What a finished program printed, and whether it succeeded.
#[derive(Debug)]
pub struct Output {
    pub success: bool,
    /// The exit code (`None` when a signal ended the program).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// stdout and stderr together, trimmed, for error messages.
    pub fn combined(&self) -> String {
        let mut text = self.stdout.trim().to_string();
        if !self.stderr.trim().is_empty() {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(self.stderr.trim());
        }
        text
    }
}

/// Builds a command whose environment is exactly `env`, with `PWD` naming
/// `cwd`: Go takes its working directory from `PWD` when it names the same
/// directory, so an inherited `PWD` through a symlink (or macOS's
/// `/var` → `/private/var`) would not match the paths of the overlay and
/// the scratch go.work.
pub fn command(program: &Path, args: &[String], cwd: &Path, env: &Env) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .env_clear()
        .envs(env.iter())
        .env("PWD", cwd)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// Runs a program to completion and captures its output.
pub async fn run(program: &Path, args: &[String], cwd: &Path, env: &Env) -> Result<Output> {
    collect(tether::command(program, args, cwd, env)?, program).await
}

/// [`run`], killing the program if it has not finished within `deadline`.
pub async fn run_within(
    program: &Path,
    args: &[String],
    cwd: &Path,
    env: &Env,
    deadline: Duration,
) -> Result<Output> {
    within(deadline, program, run(program, args, cwd, env)).await
}

/// Awaits `work` (which owns a child that is killed when dropped) for at
/// most `deadline`.
async fn within(
    deadline: Duration,
    program: &Path,
    work: impl std::future::Future<Output = Result<Output>>,
) -> Result<Output> {
    tokio::time::timeout(deadline, work)
        .await
        .unwrap_or_else(|_| {
            Err(Error::Timeout {
                what: program.display().to_string(),
                after: deadline,
            })
        })
}

/// Runs a program to completion, writing each line it prints to `log` as
/// it comes, and captures its output; it is killed if it has not finished
/// within `deadline`.
pub async fn run_logged(
    program: &Path,
    args: &[String],
    cwd: &Path,
    env: &Env,
    log: &Log,
    deadline: Duration,
) -> Result<Output> {
    within(
        deadline,
        program,
        stream(tether::command(program, args, cwd, env)?, program, log),
    )
    .await
}

/// Runs a command line through the platform's shell (`sh -c`, or `cmd /C`
/// with the line passed verbatim so its own quoting survives), writing its
/// output to `log` as it comes.
pub async fn run_shell(line: &str, cwd: &Path, env: &Env, log: &Log) -> Result<Output> {
    #[cfg(windows)]
    {
        let shell = Path::new("cmd");
        let mut cmd = command(shell, &[], cwd, env);
        cmd.raw_arg("/C").raw_arg(line);
        stream(cmd, shell, log).await
    }
    #[cfg(not(windows))]
    {
        let shell = Path::new("sh");
        let cmd = tether::command(shell, &args(["-c", line]), cwd, env)?;
        stream(cmd, shell, log).await
    }
}

async fn stream(mut cmd: Command, program: &Path, log: &Log) -> Result<Output> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::io_at("run", program, e))?;
    // Held until the program has finished (see `tether`).
    let _tether = child.stdin.take();
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let (stdout, stderr, status) = tokio::join!(
        read_lines(stdout, log),
        read_lines(stderr, log),
        child.wait()
    );
    let status = status.map_err(|e| Error::io_at("run", program, e))?;
    Ok(Output {
        success: status.success(),
        code: status.code(),
        stdout,
        stderr,
    })
}

/// Every line of `stream`, each written to `log` as it arrives.
async fn read_lines(stream: Option<impl tokio::io::AsyncRead + Unpin>, log: &Log) -> String {
    use tokio::io::AsyncBufReadExt;
    let Some(stream) = stream else {
        return String::new();
    };
    let mut reader = tokio::io::BufReader::new(stream);
    let mut text = String::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let decoded = String::from_utf8_lossy(&line);
                log.line(decoded.trim_end_matches(['\n', '\r']));
                text.push_str(&decoded);
            }
        }
    }
    text
}

async fn collect(mut cmd: Command, program: &Path) -> Result<Output> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::io_at("run", program, e))?;
    // Held until the program has finished (see `tether`).
    let _tether = child.stdin.take();
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| Error::io_at("run", program, e))?;
    Ok(Output {
        success: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Tethering a program to this process, so that it and everything it
/// starts die with it.
///
/// Unix: the program runs under a small `/bin/sh` script that leads a
/// process group of its own, which the program and its children (Go starts
/// its compilers, linker and cgo's C compiler in its own group) inherit.
/// The script's stdin is a pipe whose only writer is this process, kept
/// open until the program has finished; a watcher in the group waits on it
/// and, when it closes early — the kernel closes it when this process dies,
/// and dropping a run that timed out closes it too — kills the whole group
/// with SIGKILL. (A parent-death signal would not do: it follows the thread
/// that started the child, and it would kill `go` but orphan the compilers
/// `go` started.) When the program ends, whatever it left running in its
/// group is sent SIGTERM before the script exits with the program's status.
///
/// Elsewhere the program runs directly and is killed when its run is
/// dropped.
mod tether {
    use super::*;

    /// The script: `$@` is the program and its arguments.
    #[cfg(unix)]
    const SCRIPT: &str = r#"exec 3<&0 </dev/null
{ while read -r _ <&3; do :; done; kill -KILL 0; } >/dev/null 2>&1 &
"$@" 3<&- &
c=$!
exec 3<&-
wait "$c"
s=$?
trap 'exit "$s"' TERM
kill -TERM 0
exit "$s"
"#;

    /// [`command`](super::command) for `program`, tethered. A program named
    /// by a path that does not exist is an error here, as it would be when
    /// spawned directly.
    #[cfg(unix)]
    pub fn command(program: &Path, args: &[String], cwd: &Path, env: &Env) -> Result<Command> {
        if program.components().count() > 1 && !program.exists() {
            let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
            return Err(Error::io_at("run", program, missing));
        }
        let mut script_args = super::args(["-c", SCRIPT, "sh"]);
        script_args.push(program.to_string_lossy().into_owned());
        script_args.extend(args.iter().cloned());
        let mut cmd = super::command(Path::new("/bin/sh"), &script_args, cwd, env);
        cmd.stdin(Stdio::piped()).process_group(0);
        Ok(cmd)
    }

    #[cfg(not(unix))]
    pub fn command(program: &Path, args: &[String], cwd: &Path, env: &Env) -> Result<Command> {
        Ok(super::command(program, args, cwd, env))
    }
}

/// `args` as owned strings, for call sites that mix literals and paths.
pub fn args<I, S>(items: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    items
        .into_iter()
        .map(|s| s.as_ref().to_string_lossy().into_owned())
        .collect()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn env() -> Env {
        std::env::vars().collect()
    }

    fn sh() -> &'static Path {
        Path::new("/bin/sh")
    }

    #[tokio::test]
    async fn output_and_status_pass_through_the_tether() {
        let dir = tempfile::tempdir().unwrap();
        let out = run(
            sh(),
            &args(["-c", "echo out; echo err >&2; exit 3"]),
            dir.path(),
            &env(),
        )
        .await
        .unwrap();
        assert_eq!((out.success, out.code), (false, Some(3)));
        assert_eq!(
            (out.stdout.as_str(), out.stderr.as_str()),
            ("out\n", "err\n")
        );
        let out = run(
            sh(),
            &args(["-c", "pwd; read x || echo no-stdin"]),
            dir.path(),
            &env(),
        )
        .await
        .unwrap();
        let cwd = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(out.stdout, format!("{}\nno-stdin\n", cwd.display()));
        assert!(out.success);
    }

    #[tokio::test]
    async fn a_missing_program_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-program");
        let err = run(&missing, &[], dir.path(), &env()).await.unwrap_err();
        assert_eq!(err.code(), "GO_BUILDER_IO");
    }

    /// Whether `pid` still runs (a zombie counts as gone).
    fn running(pid: i32) -> bool {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat.rsplit(") ").next().and_then(|r| r.chars().next());
        !matches!(state, None | Some('Z'))
    }

    async fn gone_within(pid: i32, limit: Duration) -> bool {
        let deadline = std::time::Instant::now() + limit;
        while running(pid) {
            if std::time::Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }

    /// The pid a grandchild wrote into `file`.
    async fn pid_in(file: &Path) -> i32 {
        for _ in 0..200 {
            if let Some(pid) = std::fs::read_to_string(file)
                .ok()
                .and_then(|t| t.trim().parse().ok())
            {
                return pid;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no pid in {}", file.display());
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_run_past_its_deadline_takes_what_it_started_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        // A child that starts a grandchild, which ignores SIGTERM and SIGHUP.
        let line = format!(
            "sh -c 'trap \"\" TERM HUP; echo $$ > {}; while :; do sleep 1; done' & wait",
            pid_file.display()
        );
        let (env, argv) = (env(), args(["-c", &line]));
        let run = run_within(sh(), &argv, dir.path(), &env, Duration::from_secs(1));
        let (result, grandchild) = tokio::join!(run, pid_in(&pid_file));
        assert_eq!(result.unwrap_err().code(), "GO_BUILDER_TIMEOUT");
        assert!(gone_within(grandchild, Duration::from_secs(2)).await);
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn what_a_finished_program_left_running_is_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let line = format!(
            "sh -c 'echo $$ > {0}; exec sleep 60' >/dev/null 2>&1 & \
             while [ ! -s {0} ]; do sleep 0.05; done; exit 0",
            pid_file.display()
        );
        let out = run(sh(), &args(["-c", &line]), dir.path(), &env())
            .await
            .unwrap();
        assert!(out.success);
        assert!(gone_within(pid_in(&pid_file).await, Duration::from_secs(2)).await);
    }
}
