//! Where Go's module cache is, and how a module path or version is
//! written in it.

use std::path::PathBuf;

use crate::env::Env;

/// The module cache `env` names, as Go finds it: `GOMODCACHE`, else the
/// first `GOPATH` entry's `pkg/mod`, else `~/go/pkg/mod`.
pub fn module_cache_dir(env: &Env) -> Option<PathBuf> {
    if let Some(dir) = env.non_empty("GOMODCACHE") {
        return Some(PathBuf::from(dir));
    }
    let gopath = match env.non_empty("GOPATH") {
        Some(gopath) => std::env::split_paths(gopath).next()?,
        None => env.home()?.join("go"),
    };
    Some(gopath.join("pkg").join("mod"))
}

/// Go's case encoding of module paths and versions in the module cache:
/// each capital letter is `!` and its lowercase.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::env;

    #[test]
    fn escapes_like_go() {
        assert_eq!(
            escape("github.com/BurntSushi/toml"),
            "github.com/!burnt!sushi/toml"
        );
        assert_eq!(escape("v1.0.0-RC1"), "v1.0.0-!r!c1");
    }

    #[test]
    fn finds_the_cache_as_go_does() {
        let with = |vars: &[(&str, &str)]| module_cache_dir(&env(vars));
        assert_eq!(
            with(&[("GOMODCACHE", "/m"), ("GOPATH", "/g"), ("HOME", "/h")]),
            Some(PathBuf::from("/m"))
        );
        assert_eq!(
            with(&[("GOPATH", "/g"), ("HOME", "/h")]),
            Some(PathBuf::from("/g/pkg/mod"))
        );
        assert_eq!(
            with(&[("HOME", "/h")]),
            Some(PathBuf::from("/h/go/pkg/mod"))
        );
    }
}
