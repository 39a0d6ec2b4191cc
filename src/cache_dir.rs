//! Where the builder keeps what it compiles and downloads for the user.

use std::path::PathBuf;

use crate::env::Env;

/// Environment variable that overrides the builder's cache directory.
pub const CACHE_DIR_ENV: &str = "GO_BUILDER_CACHE_DIR";

/// `$GO_BUILDER_CACHE_DIR`, else the platform's user cache directory joined
/// with `acme-go-builder` (never the package's own install directory).
pub fn builder_cache_dir(env: &Env) -> PathBuf {
    if let Some(dir) = env.non_empty(CACHE_DIR_ENV) {
        return PathBuf::from(dir);
    }
    user_cache_dir(env).join("acme-go-builder")
}

/// The platform's user cache directory, following the same rules as Go's
/// `os.UserCacheDir`.
pub fn user_cache_dir(env: &Env) -> PathBuf {
    if cfg!(windows) {
        if let Some(dir) = env.non_empty("LOCALAPPDATA") {
            return PathBuf::from(dir);
        }
    } else if let Some(dir) = env
        .non_empty("XDG_CACHE_HOME")
        .filter(|_| !cfg!(target_os = "macos"))
    {
        return PathBuf::from(dir);
    }
    match env.home() {
        Some(home) if cfg!(target_os = "macos") => home.join("Library").join("Caches"),
        Some(home) => home.join(".cache"),
        None => env.temp_dir(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_wins() {
        let env: Env = [
            (CACHE_DIR_ENV.to_string(), "/x/cache".to_string()),
            ("HOME".to_string(), "/home/u".to_string()),
        ]
        .into_iter()
        .collect();
        assert_eq!(builder_cache_dir(&env), PathBuf::from("/x/cache"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn xdg_then_home() {
        let mut env: Env = [("HOME".to_string(), "/home/u".to_string())]
            .into_iter()
            .collect();
        assert_eq!(
            builder_cache_dir(&env),
            PathBuf::from("/home/u/.cache/acme-go-builder")
        );
        env.set("XDG_CACHE_HOME", "/xdg");
        assert_eq!(
            builder_cache_dir(&env),
            PathBuf::from("/xdg/acme-go-builder")
        );
    }
}
