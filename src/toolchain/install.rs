//! Installing one SDK into a cache folder, atomically.
//!
//! Under a lock beside the destination: re-check (another build may have
//! finished it), fetch the published SHA-256, stream the archive into a
//! temporary folder beside the destination, check that it holds the expected
//! SDK, write the completion marker, and rename it into place. A folder
//! without the marker is never used, and leftovers of interrupted installs
//! are removed the next time the lock is taken.

use std::fs;
use std::path::Path;
use std::time::Instant;

use super::download::{self, ArchiveDownload, DownloadOptions, Progress};
use super::fsutil;
use super::lock;
use super::platform::Platform;
use super::version::GoVersion;
use super::GoToolchain;
use crate::env::Env;
use crate::error::{Error, Result};

/// Written last into an SDK folder; its presence means "complete".
pub const MARKER_FILE: &str = ".acme-go-builder-complete";

/// The SDK installed at `dir`, if it is complete (marker present), has a
/// `bin/go`, and its `VERSION` is `version` (when given).
pub fn installed_at(dir: &Path, version: Option<&GoVersion>) -> Option<GoToolchain> {
    if !dir.join(MARKER_FILE).is_file() {
        return None;
    }
    let toolchain = GoToolchain::from_goroot(dir).ok()?;
    if !toolchain.go.is_file() {
        return None;
    }
    match version {
        Some(want) if toolchain.parsed_version().as_ref() != Some(want) => None,
        _ => Some(toolchain),
    }
}

/// What to install, where.
pub struct InstallRequest<'a> {
    pub version: &'a GoVersion,
    pub platform: &'a Platform,
    /// The SDK folder to create (its parent is created when missing).
    pub dest: &'a Path,
    pub env: &'a Env,
    pub options: &'a DownloadOptions,
    /// A pinned SHA-256 (hex) of the archive; when `None` the published
    /// `<archive>.sha256` is fetched and used.
    pub sha256: Option<&'a str>,
    pub progress: Progress<'a>,
}

/// Makes sure the SDK is installed at `req.dest`, downloading it at most
/// once across concurrent builds. Returns the installed toolchain and
/// whether this call downloaded it.
pub async fn install(req: &InstallRequest<'_>) -> Result<(GoToolchain, bool)> {
    if let Some(found) = installed_at(req.dest, Some(req.version)) {
        return Ok((found, false));
    }
    let what = req.version.go_name();
    let _guard = lock::lock_dir(req.dest, &what, req.progress).await?;
    if let Some(found) = installed_at(req.dest, Some(req.version)) {
        return Ok((found, false));
    }
    remove_leftovers(req.dest);
    let toolchain = download_into_place(req).await?;
    Ok((toolchain, true))
}

/// Removes `.<name>.partial-*` / `.<name>.stale-*` siblings left by
/// interrupted installs. Only called with the lock held.
fn remove_leftovers(dest: &Path) {
    let (Some(parent), Some(name)) = (dest.parent(), dest.file_name()) else {
        return;
    };
    let name = name.to_string_lossy();
    let prefixes = [format!(".{name}.partial-"), format!(".{name}.stale-")];
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        if prefixes.iter().any(|p| file_name.starts_with(p.as_str())) {
            let _ = fsutil::remove_tree(&entry.path());
        }
    }
}

async fn download_into_place(req: &InstallRequest<'_>) -> Result<GoToolchain> {
    let started = Instant::now();
    let archive_name = req.platform.archive_name(req.version);
    let url = req.options.url_of(&archive_name);
    let client = download::http_client(req.env, req.options)?;
    req.progress(&format!("Downloading Go {} from {url}", req.version));
    let sha256 = match req.sha256 {
        Some(pinned) => pinned.trim().to_ascii_lowercase(),
        None => {
            let sha_url = format!("{url}.sha256");
            download::fetch_checksum(&client, &sha_url, req.options, req.progress).await?
        }
    };

    let staging = staging_dir(req.dest)?;
    let job = ArchiveDownload {
        url: url.clone(),
        kind: req.platform.archive_kind(),
        sha256: sha256.clone(),
        dest: staging.path().to_path_buf(),
        label: archive_name,
    };
    download::download_and_unpack(&client, &job, req.options, req.progress).await?;
    check_unpacked(staging.path(), req.version, &url)?;
    let marker = staging.path().join(MARKER_FILE);
    let stamp = format!("{}\nsha256 {sha256}\nurl {url}\n", req.version.go_name());
    fs::write(&marker, stamp).map_err(|e| Error::io_at("write", &marker, e))?;
    move_into_place(staging, req.dest)?;
    req.progress(&format!(
        "Installed Go {} in {} ({:.1} s)",
        req.version,
        req.dest.display(),
        started.elapsed().as_secs_f64()
    ));
    installed_at(req.dest, Some(req.version)).ok_or_else(|| {
        Error::Internal(format!(
            "{} is incomplete right after installing it",
            req.dest.display()
        ))
    })
}

impl InstallRequest<'_> {
    fn progress(&self, line: &str) {
        (self.progress)(line)
    }
}

/// An empty folder beside `dest` (same file system, so the final rename is
/// atomic); removed automatically unless moved into place.
fn staging_dir(dest: &Path) -> Result<tempfile::TempDir> {
    let parent = dest.parent().unwrap_or(dest);
    fs::create_dir_all(parent).map_err(|e| Error::io_at("create", parent, e))?;
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    tempfile::Builder::new()
        .prefix(&format!(".{name}.partial-"))
        .tempdir_in(parent)
        .map_err(|e| Error::io_at("create a temporary folder in", parent, e))
}

/// The unpacked tree must be the SDK that was asked for.
fn check_unpacked(root: &Path, version: &GoVersion, url: &str) -> Result<()> {
    let invalid = |reason: String| Error::ToolchainArchive {
        url: url.to_string(),
        reason,
    };
    let toolchain =
        GoToolchain::from_goroot(root).map_err(|_| invalid("it has no go/VERSION file".into()))?;
    if !toolchain.go.is_file() {
        return Err(invalid(format!("it has no go/bin/{}", super::exe("go"))));
    }
    if toolchain.parsed_version().as_ref() != Some(version) {
        return Err(invalid(format!(
            "it contains {}, not {}",
            toolchain.version,
            version.go_name()
        )));
    }
    Ok(())
}

/// Renames the finished staging folder to `dest`, first moving aside (and
/// deleting) whatever incomplete folder is there.
fn move_into_place(staging: tempfile::TempDir, dest: &Path) -> Result<()> {
    if fs::symlink_metadata(dest).is_ok() {
        let aside = fsutil::sibling(dest, "stale");
        fs::rename(dest, &aside).map_err(|e| Error::io_at("move aside", dest, e))?;
        let _ = fsutil::remove_tree(&aside);
    }
    let path = staging.path().to_path_buf();
    fs::rename(&path, dest).map_err(|e| Error::io_at("move into place", dest, e))?;
    // Now owned by `dest`: keep the TempDir from deleting it.
    let _ = staging.keep();
    Ok(())
}
