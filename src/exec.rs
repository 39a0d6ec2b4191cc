//! Running external programs (mostly `go`) with an explicit environment.

use std::path::Path;
use std::process::Stdio;

use tokio::process::Command;

use crate::env::Env;
use crate::error::{Error, Result};

/// What a finished program printed, and whether it succeeded.
#[derive(Debug)]
pub struct Output {
    pub success: bool,
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

/// Builds a command whose environment is exactly `env`.
pub fn command(program: &Path, args: &[String], cwd: &Path, env: &Env) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .env_clear()
        .envs(env.iter())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// Runs a program to completion and captures its output.
pub async fn run(program: &Path, args: &[String], cwd: &Path, env: &Env) -> Result<Output> {
    let out = command(program, args, cwd, env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .await
        .map_err(|e| Error::io_at("run", program, e))?;
    Ok(Output {
        success: out.status.success(),
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
