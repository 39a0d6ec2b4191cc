//! Standalone servers (`framework: "go"` / `"services"`): which file is the
//! server's entrypoint, and which package of its module `go build` builds.

use std::path::Path;

use crate::entry;
use crate::error::{Error, Result};

/// Where a standalone server is looked for, in order.
pub const CANDIDATE_ENTRYPOINTS: &[&str] = &["main.go", "cmd/api/main.go", "cmd/server/main.go"];

/// The configured entrypoint when it exists inside the work path, else the
/// first candidate found.
pub fn detect_entrypoint(work_path: &Path, configured: Option<&str>) -> Option<String> {
    configured
        .filter(|c| !c.is_empty() && entry::stays_inside(c) && work_path.join(c).is_file())
        .map(str::to_string)
        .or_else(|| {
            CANDIDATE_ENTRYPOINTS
                .iter()
                .find(|c| work_path.join(c).is_file())
                .map(|c| c.to_string())
        })
}

/// [`detect_entrypoint`], or the reference builder's error. A configured
/// entrypoint that leads out of the work path is refused as such, not
/// silently replaced by a candidate.
pub fn require_entrypoint(work_path: &Path, configured: Option<&str>) -> Result<String> {
    if let Some(c) = configured.filter(|c| !c.is_empty() && !entry::stays_inside(c)) {
        return Err(Error::EntrypointOutsideWorkPath {
            entrypoint: c.to_string(),
            work_path: work_path.to_path_buf(),
        });
    }
    detect_entrypoint(work_path, configured).ok_or_else(|| Error::EntrypointNotFound {
        candidates: CANDIDATE_ENTRYPOINTS.join(", "),
    })
}

/// The package `go build` builds for the entry directory, relative to the
/// directory it runs in: `.` or `./cmd/api`.
pub fn package_in(dir: &Path, entry_dir: &Path) -> String {
    let rel = entry_dir.strip_prefix(dir).unwrap_or(Path::new(""));
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        ".".to_string()
    } else {
        format!("./{}", parts.join("/"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages() {
        let root = Path::new("/w");
        assert_eq!(package_in(root, Path::new("/w/cmd/api")), "./cmd/api");
        assert_eq!(package_in(root, root), ".");
    }

    #[test]
    fn detects_configured_then_candidates() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert_eq!(detect_entrypoint(root, None), None);
        assert_eq!(
            require_entrypoint(root, None).unwrap_err().to_string(),
            "No Go entrypoint found. Expected one of: main.go, cmd/api/main.go, cmd/server/main.go"
        );
        std::fs::create_dir_all(root.join("cmd/server")).unwrap();
        std::fs::write(root.join("cmd/server/main.go"), "package main").unwrap();
        assert_eq!(
            detect_entrypoint(root, None).as_deref(),
            Some("cmd/server/main.go")
        );
        assert_eq!(
            detect_entrypoint(root, Some("missing.go")).as_deref(),
            Some("cmd/server/main.go")
        );
        std::fs::write(root.join("srv.go"), "package main").unwrap();
        assert_eq!(
            detect_entrypoint(root, Some("srv.go")).as_deref(),
            Some("srv.go")
        );
    }

    #[test]
    fn refuses_an_entrypoint_outside_the_work_path() {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("work");
        std::fs::create_dir_all(dir.path().join("outside")).unwrap();
        std::fs::create_dir_all(&work).unwrap();
        std::fs::write(dir.path().join("outside/main.go"), "package main").unwrap();
        std::fs::write(work.join("main.go"), "package main").unwrap();
        assert_eq!(
            detect_entrypoint(&work, Some("../outside/main.go")).as_deref(),
            Some("main.go")
        );
        assert_eq!(
            require_entrypoint(&work, Some("../outside/main.go"))
                .unwrap_err()
                .code(),
            "GO_ENTRYPOINT_OUTSIDE_WORKPATH"
        );
    }
}
