//! `GIT_CREDENTIALS` for private modules, scoped to one build and never on
//! disk.
//!
//! The reference builder wrote `~/.git-credentials` and changed the global git
//! config. Here git is configured through `GIT_CONFIG_*` environment
//! variables for the build's own processes only, with a credential helper
//! that reads the credentials from the environment variable itself: a tiny
//! Node script, run with the Node that runs the builder. `GIT_CREDENTIALS`
//! may hold several lines, one `https://user:token@host` each.

use std::path::Path;

use crate::env::Env;

/// The helper: answers git's `get` with the first credential whose host
/// (and scheme) match the request; other actions and hosts get nothing.
/// Single-quoted in the shell, so it holds no single quote.
const HELPER_SCRIPT: &str = concat!(
    r#"if(process.argv[1]!=="get")process.exit(0);let i="";"#,
    r#"process.stdin.on("data",d=>i+=d).on("end",()=>{"#,
    r#"const q={};for(const l of i.split("\n")){const k=l.indexOf("=");if(k>0)q[l.slice(0,k)]=l.slice(k+1)}"#,
    r#"for(const c of (process.env.GIT_CREDENTIALS||"").split(/\s+/)){try{const u=new URL(c);"#,
    r#"if(u.host===q.host&&(!q.protocol||u.protocol===q.protocol+":")){"#,
    r#"process.stdout.write("username="+decodeURIComponent(u.username)+"\npassword="+decodeURIComponent(u.password)+"\n");break}}catch(e){}}});"#,
);

/// When `GIT_CREDENTIALS` is set, points git's credential helper (through
/// `env`) at the helper, run by `node`.
pub fn scope_to_build(env: &mut Env, node: &Path) {
    if env.non_empty("GIT_CREDENTIALS").is_none() {
        return;
    }
    let index: usize = env
        .get("GIT_CONFIG_COUNT")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    env.set(format!("GIT_CONFIG_KEY_{index}"), "credential.helper");
    // git runs a `!` helper through a shell: quote the path (forward
    // slashes keep a Windows path intact there).
    let node = node.to_string_lossy().replace('\\', "/");
    env.set(
        format!("GIT_CONFIG_VALUE_{index}"),
        format!("!\"{node}\" -e '{HELPER_SCRIPT}'"),
    );
    env.set("GIT_CONFIG_COUNT", (index + 1).to_string());
    env.set_default("GIT_TERMINAL_PROMPT", "0");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::process::{Command, Stdio};

    fn node() -> Option<std::path::PathBuf> {
        std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|d| d.join("node"))
            .find(|p| p.is_file())
    }

    /// What `git credential fill` answers for `host` with the scoped env.
    fn fill(env: &Env, host: &str) -> String {
        let mut child = Command::new("git")
            .args(["credential", "fill"])
            .env_clear()
            .envs(env.iter())
            .env("HOME", std::env::temp_dir())
            .env("PATH", std::env::var_os("PATH").unwrap())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("protocol=https\nhost={host}\n\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn git_gets_each_host_its_own_credentials_from_the_environment() {
        let node = node().expect("node on PATH (the tests run under npm)");
        let mut env: Env = [(
            "GIT_CREDENTIALS".to_string(),
            "https://alice:t%40ken1@github.com\nhttps://bob:token2@gitlab.example.com".to_string(),
        )]
        .into_iter()
        .collect();
        scope_to_build(&mut env, &node);
        assert_eq!(env.get("GIT_CONFIG_COUNT"), Some("1"));
        assert_eq!(env.get("GIT_CONFIG_KEY_0"), Some("credential.helper"));
        let github = fill(&env, "github.com");
        assert!(github.contains("username=alice\n"), "{github}");
        assert!(github.contains("password=t@ken1\n"), "{github}");
        let gitlab = fill(&env, "gitlab.example.com");
        assert!(
            gitlab.contains("username=bob\npassword=token2\n"),
            "{gitlab}"
        );
    }

    #[test]
    fn nothing_without_credentials() {
        let mut env = Env::default();
        scope_to_build(&mut env, Path::new("/usr/bin/node"));
        assert_eq!(env, Env::default());
    }
}
