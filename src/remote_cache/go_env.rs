//! Pointing a build's `go` commands at the cache program: `GOCACHEPROG`
//! runs `cacheprog.js` with the Node that runs the builder; the program
//! keeps Go's entries in the GOCACHE Go would have used (so the deploy
//! cache and a later plain `go` find them) and shares the build's state
//! directory.

use std::path::Path;

use super::{Cacheprog, Remote};
use crate::env::Env;
use crate::toolchain::{self, GoToolchain, GoVersion};

/// The variable that tells the cache program where the build's shared
/// state is (see [`super::state`]).
pub const CACHEPROG_STATE_ENV: &str = "GO_BUILDER_CACHEPROG_STATE";

/// Sets `GOCACHEPROG`, `GOCACHE` and the state directory in `env`; or,
/// when Go's cache cannot go through the bucket, says why (kept programs
/// still do).
pub async fn point_go_at_cacheprog(
    env: &mut Env,
    go: &GoToolchain,
    cacheprog: Option<&Cacheprog>,
    remote: &Remote,
) -> Option<String> {
    let without = |why: &str| {
        Some(format!(
            "Remote cache {}: Go's build cache does not use it ({why}); kept programs do",
            remote.config.display()
        ))
    };
    if env.non_empty("GOCACHEPROG").is_some() {
        return without("GOCACHEPROG is set");
    }
    if go
        .parsed_version()
        .is_none_or(|v| v < GoVersion::release(1, 24, 0))
    {
        return without(&format!(
            "{} has no GOCACHEPROG; Go 1.24 and later do",
            go.version
        ));
    }
    let Some(cacheprog) = cacheprog else {
        return without("no cache program in this installation");
    };
    let Some(command) = command_line(&[&cacheprog.node, &cacheprog.script]) else {
        return without("the paths of node and cacheprog.js cannot be quoted for Go");
    };
    let Some(gocache) = go_cache_dir(go, env).await else {
        return without("Go has no build cache directory (GOCACHE)");
    };
    env.set("GOCACHE", gocache);
    env.set("GOCACHEPROG", command);
    if let Some(dir) = remote.state.dir() {
        env.set(CACHEPROG_STATE_ENV, dir.to_string_lossy());
    }
    None
}

/// The GOCACHE Go uses with `env` (its own default, or the user's
/// `go env -w`); `None` when it is `off` or Go cannot say.
async fn go_cache_dir(go: &GoToolchain, env: &Env) -> Option<String> {
    if let Some(dir) = env.non_empty("GOCACHE") {
        return (dir != "off").then(|| dir.to_string());
    }
    let env = go.command_env(env);
    let deadline = std::time::Duration::from_secs(30);
    let values =
        toolchain::go_env_values(&go.go, &["GOCACHE"], &env.temp_dir(), &env, deadline).await?;
    let dir = values.into_iter().next()?;
    (!dir.is_empty() && dir != "off").then_some(dir)
}

/// `words` as Go splits a command line from a variable (cmd/internal/quoted):
/// spaces separate; a word may be quoted with `'` or `"`, without escapes.
fn command_line(words: &[&Path]) -> Option<String> {
    let quoted: Option<Vec<String>> = words
        .iter()
        .map(|word| {
            let word = word.to_string_lossy();
            let space = word.chars().any(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
            let (single, double) = (word.contains('\''), word.contains('"'));
            match (space || single || double, single, double) {
                (false, _, _) => Some(word.into_owned()),
                (true, false, _) => Some(format!("'{word}'")),
                (true, true, false) => Some(format!("\"{word}\"")),
                (true, true, true) => None,
            }
        })
        .collect();
    Some(quoted?.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_as_go_splits() {
        let line = |words: &[&str]| {
            let paths: Vec<&Path> = words.iter().map(Path::new).collect();
            command_line(&paths)
        };
        assert_eq!(
            line(&["/usr/bin/node", "/pkg/cacheprog.js"]).unwrap(),
            "/usr/bin/node /pkg/cacheprog.js"
        );
        assert_eq!(
            line(&["/opt/my node/node", "/it's/cacheprog.js"]).unwrap(),
            "'/opt/my node/node' \"/it's/cacheprog.js\""
        );
        assert!(line(&["/a'b\"c/node"]).is_none());
    }
}
