//! Asking a Go what its environment says (`go env NAME…`).

use std::path::Path;
use std::time::Duration;

use crate::env::Env;
use crate::exec;

/// The values `go env <names>` prints with `go` (a `go` binary) run in
/// `cwd` with `env`, one per name (empty when unset); `None` when it does
/// not answer in time or fails.
pub async fn go_env_values(
    go: &Path,
    names: &[&str],
    cwd: &Path,
    env: &Env,
    deadline: Duration,
) -> Option<Vec<String>> {
    let args = exec::args(std::iter::once("env").chain(names.iter().copied()));
    let out = exec::run_within(go, &args, cwd, env, deadline).await.ok()?;
    let values: Vec<String> = out.stdout.lines().map(|l| l.trim().to_string()).collect();
    (out.success && values.len() == names.len()).then_some(values)
}
