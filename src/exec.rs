//! Running external programs (mostly `go`) with an explicit environment.

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
    collect(command(program, args, cwd, env), program).await
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
        stream(command(program, args, cwd, env), program, log),
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
        stream(command(shell, &args(["-c", line]), cwd, env), shell, log).await
    }
}

async fn stream(mut cmd: Command, program: &Path, log: &Log) -> Result<Output> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::io_at("run", program, e))?;
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
    let out = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .await
        .map_err(|e| Error::io_at("run", program, e))?;
    Ok(Output {
        success: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
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
