//! `GIT_CREDENTIALS` for private modules, scoped to one build.
//!
//! The reference builder wrote `~/.git-credentials` and changed the global git
//! config; here git is configured through `GIT_CONFIG_*` environment variables
//! for the build's own processes only, with a credentials file in the build's
//! scratch directory (removed with it).

use std::path::Path;

use crate::env::Env;
use crate::error::{Error, Result};

/// When `GIT_CREDENTIALS` is set, writes it to `<scratch>/git-credentials`
/// and points git's credential store at it through `env`.
pub fn scope_to_build(env: &mut Env, scratch: &Path) -> Result<()> {
    let Some(credentials) = env.non_empty("GIT_CREDENTIALS").map(str::to_string) else {
        return Ok(());
    };
    let file = scratch.join("git-credentials");
    let mut contents = credentials.replace(['\r'], "");
    if !contents.ends_with('\n') {
        contents.push('\n');
    }
    write_private(&file, &contents)?;
    let index: usize = env
        .get("GIT_CONFIG_COUNT")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    env.set(format!("GIT_CONFIG_KEY_{index}"), "credential.helper");
    // git runs the helper through a shell: quote the path (forward slashes
    // keep a Windows path intact there).
    let path = file.to_string_lossy().replace('\\', "/");
    env.set(
        format!("GIT_CONFIG_VALUE_{index}"),
        format!("store --file=\"{path}\""),
    );
    env.set("GIT_CONFIG_COUNT", (index + 1).to_string());
    env.set_default("GIT_TERMINAL_PROMPT", "0");
    Ok(())
}

fn write_private(path: &Path, contents: &str) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    options
        .open(path)
        .and_then(|mut f| f.write_all(contents.as_bytes()))
        .map_err(|e| Error::io_at("write", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configures_a_scoped_credential_store() {
        let dir = tempfile::tempdir().unwrap();
        let mut env: Env = [(
            "GIT_CREDENTIALS".to_string(),
            "https://u:t@github.com".to_string(),
        )]
        .into_iter()
        .collect();
        scope_to_build(&mut env, dir.path()).unwrap();
        assert_eq!(env.get("GIT_CONFIG_COUNT"), Some("1"));
        assert_eq!(env.get("GIT_CONFIG_KEY_0"), Some("credential.helper"));
        let file = dir.path().join("git-credentials");
        assert_eq!(
            std::fs::read_to_string(file).unwrap(),
            "https://u:t@github.com\n"
        );
    }

    #[test]
    fn nothing_without_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let mut env = Env::default();
        scope_to_build(&mut env, dir.path()).unwrap();
        assert_eq!(env, Env::default());
    }
}
