//! The environment handed down to every step, explicitly.
//!
//! The JS layer snapshots `process.env` and passes it in; nothing below reads
//! the process environment, so a build sees exactly what it was given.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;

/// Environment variables. On Windows names are case-insensitive (`Path` is
/// `PATH`), so they are kept upper-cased there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

/// The name under which a variable is stored.
fn key_of(key: &str) -> String {
    if cfg!(windows) {
        key.to_ascii_uppercase()
    } else {
        key.to_string()
    }
}

impl Env {
    pub fn new(vars: BTreeMap<String, String>) -> Self {
        vars.into_iter().collect()
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars.get(&key_of(key)).map(String::as_str)
    }

    /// A value that is set and not empty.
    pub fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }

    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(key_of(&key.into()), value.into());
    }

    pub fn remove(&mut self, key: &str) {
        self.vars.remove(&key_of(key));
    }

    /// Sets `key` only when it is not set already.
    pub fn set_default(&mut self, key: &str, value: impl Into<String>) {
        self.vars.entry(key_of(key)).or_insert_with(|| value.into());
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = (String, String)>) {
        for (key, value) in other {
            self.set(key, value);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.vars.iter()
    }

    /// The directories of `PATH`, in order.
    pub fn path_dirs(&self) -> Vec<PathBuf> {
        self.get("PATH")
            .map(|p| std::env::split_paths(&OsString::from(p)).collect())
            .unwrap_or_default()
    }

    /// Puts `dir` first on `PATH`.
    pub fn prepend_path(&mut self, dir: PathBuf) {
        let mut dirs = vec![dir];
        dirs.extend(self.path_dirs());
        if let Ok(joined) = std::env::join_paths(dirs) {
            self.set("PATH", joined.to_string_lossy().into_owned());
        }
    }

    /// The directory for temporary files: `TMPDIR` (or `TEMP`/`TMP`), else the OS default.
    pub fn temp_dir(&self) -> PathBuf {
        self.non_empty("TMPDIR")
            .or_else(|| self.non_empty("TEMP"))
            .or_else(|| self.non_empty("TMP"))
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir)
    }

    /// The user's home directory, from `HOME` (or `USERPROFILE` on Windows).
    pub fn home(&self) -> Option<PathBuf> {
        self.non_empty("HOME")
            .or_else(|| self.non_empty("USERPROFILE"))
            .map(PathBuf::from)
    }
}

impl FromIterator<(String, String)> for Env {
    fn from_iter<T: IntoIterator<Item = (String, String)>>(iter: T) -> Self {
        let mut env = Env::default();
        env.extend(iter);
        env
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepend_path_puts_dir_first() {
        let mut env: Env = [("PATH".to_string(), "/usr/bin:/bin".to_string())]
            .into_iter()
            .collect();
        env.prepend_path(PathBuf::from("/opt/go/bin"));
        assert_eq!(env.get("PATH"), Some("/opt/go/bin:/usr/bin:/bin"));
        env.set_default("PATH", "x");
        assert_eq!(env.path_dirs().len(), 3);
    }
}
