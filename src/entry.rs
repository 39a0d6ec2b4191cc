//! Locating and reading the entrypoint inside the work path.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// The user's entrypoint file.
#[derive(Debug, Clone)]
pub struct Entry {
    /// As given, relative to the work path, with `/` separators.
    pub rel: String,
    /// Absolute path of the file.
    pub path: PathBuf,
    /// Its directory.
    pub dir: PathBuf,
    /// File name (`index.go`, `[id].go`).
    pub file_name: String,
    pub source: String,
}

/// Whether the relative path `rel` names something inside the directory it
/// is relative to, as written (not absolute, never above it with `..`).
pub fn stays_inside(rel: &str) -> bool {
    let rel = rel.replace('\\', "/");
    let relative = Path::new(&rel);
    if relative.is_absolute() || rel.is_empty() {
        return false;
    }
    let mut depth: i32 = 0;
    for component in relative.components() {
        match component {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir if depth > 0 => depth -= 1,
            _ => return false,
        }
    }
    true
}

/// Resolves `entrypoint` against `work_path`, refusing anything that escapes
/// it, and reads the file.
pub fn locate(work_path: &Path, entrypoint: &str) -> Result<Entry> {
    let rel = entrypoint.replace('\\', "/");
    let outside = || Error::EntrypointOutsideWorkPath {
        entrypoint: entrypoint.to_string(),
        work_path: work_path.to_path_buf(),
    };
    if !stays_inside(&rel) {
        return Err(outside());
    }
    if !rel.ends_with(".go") {
        return Err(Error::EntrypointIgnored {
            entrypoint: entrypoint.to_string(),
            reason: "Go compiles only files whose name ends in .go".to_string(),
        });
    }
    let path = work_path.join(&rel);
    let unreadable = |reason: String| Error::EntrypointUnreadable {
        entrypoint: entrypoint.to_string(),
        reason,
    };
    // Symlinks must not lead out of the work path either.
    let real = std::fs::canonicalize(&path).map_err(|e| unreadable(e.to_string()))?;
    let real_root = std::fs::canonicalize(work_path).map_err(|e| unreadable(e.to_string()))?;
    if !real.starts_with(&real_root) {
        return Err(outside());
    }
    let source = read_regular_file(&real).map_err(|e| unreadable(e.to_string()))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| unreadable("not a file".to_string()))?;
    let dir = path.parent().unwrap_or(work_path).to_path_buf();
    Ok(Entry {
        rel,
        path,
        dir,
        file_name,
        source,
    })
}

/// Reads a file that must be a regular file. Anything else (a FIFO, a
/// socket, a device) is refused without waiting: it is opened
/// non-blocking and checked before any read, so a FIFO cannot hang the build.
pub fn read_regular_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let mut file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a FIFO, socket or device is never read)",
        ));
    }
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_escapes_and_reads_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("api")).unwrap();
        std::fs::write(dir.path().join("api/x.go"), "package x").unwrap();
        let code = |e: &str| locate(dir.path(), e).unwrap_err().code();
        assert_eq!(code("../x.go"), "GO_ENTRYPOINT_OUTSIDE_WORKPATH");
        assert_eq!(code("api/../../x.go"), "GO_ENTRYPOINT_OUTSIDE_WORKPATH");
        assert_eq!(code("/etc/passwd"), "GO_ENTRYPOINT_OUTSIDE_WORKPATH");
        assert_eq!(code("api/missing.go"), "GO_ENTRYPOINT_UNREADABLE");
        let entry = locate(dir.path(), "api/x.go").unwrap();
        assert_eq!(entry.source, "package x");
        assert_eq!(entry.file_name, "x.go");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_at_once() {
        let dir = crate::test_support::dir_with_fifo("f.go");
        let err = locate(dir.path(), "f.go").unwrap_err();
        assert_eq!(err.code(), "GO_ENTRYPOINT_UNREADABLE");
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }
}
