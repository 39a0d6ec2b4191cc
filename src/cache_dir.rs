//! Where the builder keeps what it compiles and downloads for the user.
//!
//! On a developer's machine that is the user's cache directory, shared by
//! every project (so a project's first local build is as warm as the
//! machine). In a deploy whose project cache was restored — the files
//! `prepareCache()` returned last time, under `<workPath>/.vercel/cache/go`
//! — it is that directory, Go's own caches included, so a fresh container
//! builds warm.

use std::path::{Path, PathBuf};

use crate::env::Env;

/// Environment variable that overrides the builder's cache directory.
pub const CACHE_DIR_ENV: &str = "GO_BUILDER_CACHE_DIR";

/// `<workPath>/` + this is the project's deploy cache.
pub const PROJECT_CACHE_DIR: [&str; 3] = [".vercel", "cache", "go"];

/// The project's deploy cache folder (it may not exist).
pub fn project_cache_dir(work_path: &Path) -> PathBuf {
    join_all(work_path, &PROJECT_CACHE_DIR)
}

/// `base` joined with each of `parts` in turn.
pub fn join_all(base: &Path, parts: &[&str]) -> PathBuf {
    parts
        .iter()
        .fold(base.to_path_buf(), |p, part| p.join(part))
}

/// Whether the project's deploy cache is there (restored, or made by an
/// earlier build of this checkout): then the build keeps everything in it.
/// Each of its folders must be a real directory: a symlink (to anywhere)
/// is not a deploy cache.
pub fn project_cache_in_use(work_path: &Path) -> bool {
    let mut dir = work_path.to_path_buf();
    PROJECT_CACHE_DIR.iter().all(|part| {
        dir.push(part);
        crate::cache_fs::is_real_dir(&dir)
    })
}

/// `$GO_BUILDER_CACHE_DIR`; else the project's deploy cache when it is in
/// use; else the platform's user cache directory joined with
/// `acme-go-builder` (never the package's own install directory).
pub fn builder_cache_dir(env: &Env, work_path: &Path) -> PathBuf {
    if let Some(dir) = env.non_empty(CACHE_DIR_ENV) {
        return PathBuf::from(dir);
    }
    if project_cache_in_use(work_path) {
        return project_cache_dir(work_path);
    }
    global_builder_cache_dir(env)
}

/// The builder's cache of this machine: `$GO_BUILDER_CACHE_DIR`, else the
/// one in the user's cache directory — never a project's (restored) deploy
/// cache. What the builder trusts about the caches lives here.
pub fn machine_cache_dir(env: &Env) -> PathBuf {
    env.non_empty(CACHE_DIR_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| global_builder_cache_dir(env))
}

/// The builder's cache in the user's cache directory.
pub fn global_builder_cache_dir(env: &Env) -> PathBuf {
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
        assert_eq!(
            builder_cache_dir(&env, Path::new("/w")),
            PathBuf::from("/x/cache")
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn xdg_then_home() {
        let mut env: Env = [("HOME".to_string(), "/home/u".to_string())]
            .into_iter()
            .collect();
        assert_eq!(
            builder_cache_dir(&env, Path::new("/nonexistent")),
            PathBuf::from("/home/u/.cache/acme-go-builder")
        );
        env.set("XDG_CACHE_HOME", "/xdg");
        assert_eq!(
            builder_cache_dir(&env, Path::new("/nonexistent")),
            PathBuf::from("/xdg/acme-go-builder")
        );
        let work = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(project_cache_dir(work.path())).unwrap();
        assert_eq!(
            builder_cache_dir(&env, work.path()),
            project_cache_dir(work.path())
        );
    }
}
