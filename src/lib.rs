//! `@acme/go-builder`: builds and serves Go functions for the Vercel CLI.
//!
//! `binding` is the napi layer; every other module is plain Rust named for
//! the step it performs. A `build()` opens a [`session`] (entry, module
//! layout, toolchain), [`compile`]s the program and assembles the
//! [`lambda`]; a dev start opens the same session and runs the program as
//! a [`dev_server`].

pub mod analyze;
pub mod assets;
pub mod binding;
pub mod blocking;
pub mod cache_dir;
pub mod cache_fs;
pub mod cache_manifest;
pub mod compile;
pub mod debugger;
pub mod deploy_cache;
pub mod dev_server;
pub mod embedded_program;
pub mod entry;
pub mod env;
pub mod error;
pub mod eviction;
pub mod exec;
pub mod fingerprint;
pub mod fs_lock;
pub mod git_credentials;
pub mod go_build;
pub mod go_buildinfo;
pub mod gomod;
pub mod handler_name;
pub mod housekeeping;
pub mod lambda;
pub mod log;
pub mod manifest;
pub mod options;
pub mod parallel;
pub mod pinned_tool;
pub mod project_index;
pub mod remote_cache;
pub mod restored_cache;
pub mod routes;
pub mod sbom;
pub mod scratch;
pub mod sealed;
pub mod server;
pub mod session;
pub mod signing;
pub mod source_set;
pub mod target;
pub mod toolchain;
pub mod vulncheck;

/// Helpers shared by the unit tests of several modules.
#[cfg(test)]
pub mod test_support {
    use crate::env::Env;

    /// An environment holding exactly `pairs`.
    pub fn env(pairs: &[(&str, &str)]) -> Env {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Writes `bytes` bytes at `path` (making its folders), last modified
    /// `age` ago.
    pub fn aged_file(path: &std::path::Path, bytes: usize, age: std::time::Duration) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, vec![b'x'; bytes]).unwrap();
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(std::time::SystemTime::now() - age)
            .unwrap();
    }

    /// A temporary directory holding one FIFO named `name` (a file whose
    /// read blocks until a writer comes).
    #[cfg(unix)]
    pub fn dir_with_fifo(name: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        let c = std::ffi::CString::new(path.to_string_lossy().as_bytes()).unwrap();
        // SAFETY: mkfifo on a path the test owns, from a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        dir
    }
}
