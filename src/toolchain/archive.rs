//! Unpacking a Go distribution archive into a folder, safely.
//!
//! Every archive entry must live under the top `go/` folder, which is
//! stripped. Entries that could land outside the destination are refused:
//! absolute paths, `..`, paths that go through a symlink the archive made,
//! symlinks whose target leaves the destination, hard links to anything
//! outside. Errors name the archive's URL.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// The folder every entry of a Go archive is under.
const TOP: &str = "go";

/// Buffer size for copying file contents.
const COPY_BUF: usize = 128 * 1024;

/// Extracts archive entries below `root`, which must exist and be empty.
struct Extractor<'a> {
    root: &'a Path,
    url: &'a str,
    /// Relative paths of the symlinks created so far.
    symlinks: HashSet<PathBuf>,
    /// Directories known to exist (relative), to skip `create_dir_all`.
    dirs: HashSet<PathBuf>,
}

impl<'a> Extractor<'a> {
    fn new(root: &'a Path, url: &'a str) -> Self {
        Extractor {
            root,
            url,
            symlinks: HashSet::new(),
            dirs: HashSet::new(),
        }
    }

    fn unsafe_entry(&self, entry: &Path, why: &str) -> Error {
        Error::ToolchainArchive {
            url: self.url.to_string(),
            reason: format!("entry {} {why}", entry.display()),
        }
    }

    fn corrupt(&self, e: impl std::fmt::Display) -> Error {
        Error::ToolchainArchive {
            url: self.url.to_string(),
            reason: format!("corrupt archive: {e}"),
        }
    }

    /// `go/bin/go` → `bin/go`; `None` for the `go/` folder itself.
    fn relative(&self, entry: &Path) -> Result<Option<PathBuf>> {
        strip_top(entry).map_err(|why| self.unsafe_entry(entry, why))
    }

    /// Refuses a destination inside (or equal to) a symlink the archive made.
    fn check_not_through_symlink(&self, entry: &Path, rel: &Path) -> Result<()> {
        if rel.ancestors().any(|a| self.symlinks.contains(a)) {
            return Err(self.unsafe_entry(entry, "goes through a symlink"));
        }
        Ok(())
    }

    fn ensure_dir(&mut self, rel: &Path) -> Result<()> {
        if rel.as_os_str().is_empty() || self.dirs.contains(rel) {
            return Ok(());
        }
        let path = self.root.join(rel);
        fs::create_dir_all(&path).map_err(|e| Error::io_at("create", &path, e))?;
        for dir in rel.ancestors() {
            if !self.dirs.insert(dir.to_path_buf()) {
                break;
            }
        }
        Ok(())
    }

    fn ensure_parent(&mut self, rel: &Path) -> Result<()> {
        match rel.parent() {
            Some(parent) => self.ensure_dir(parent),
            None => Ok(()),
        }
    }

    /// Writes a regular file from `data`, with `mode`'s permission bits.
    fn write_file(&mut self, rel: &Path, mode: Option<u32>, data: &mut dyn Read) -> Result<()> {
        self.ensure_parent(rel)?;
        let path = self.root.join(rel);
        let mut file = create_file(&path, mode).map_err(|e| Error::io_at("create", &path, e))?;
        let mut buf = vec![0u8; COPY_BUF];
        loop {
            let n = match data.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.corrupt(e)),
            };
            file.write_all(&buf[..n])
                .map_err(|e| Error::io_at("write", &path, e))?;
        }
        Ok(())
    }

    fn symlink(&mut self, entry: &Path, rel: &Path, target: &Path) -> Result<()> {
        check_link_target(rel, target).map_err(|why| self.unsafe_entry(entry, why))?;
        self.ensure_parent(rel)?;
        let path = self.root.join(rel);
        remove_existing_file(&path)?;
        make_symlink(target, &path).map_err(|e| Error::io_at("create symlink", &path, e))?;
        self.symlinks.insert(rel.to_path_buf());
        Ok(())
    }

    /// A hard link to an earlier entry (`source` is an archive path).
    fn hard_link(&mut self, entry: &Path, rel: &Path, source: &Path) -> Result<()> {
        let src_rel = match strip_top(source) {
            Ok(Some(rel)) => rel,
            Ok(None) => return Err(self.unsafe_entry(entry, "is a hard link to the top folder")),
            Err(why) => {
                let what = format!("is a hard link to {}, which {why}", source.display());
                return Err(self.unsafe_entry(entry, &what));
            }
        };
        self.check_not_through_symlink(entry, &src_rel)?;
        let src = self.root.join(&src_rel);
        let is_file = fs::symlink_metadata(&src)
            .map(|m| m.is_file())
            .unwrap_or(false);
        if !is_file {
            return Err(self.unsafe_entry(entry, "links to a file the archive does not contain"));
        }
        self.ensure_parent(rel)?;
        let path = self.root.join(rel);
        remove_existing_file(&path)?;
        if fs::hard_link(&src, &path).is_err() {
            fs::copy(&src, &path).map_err(|e| Error::io_at("copy", &src, e))?;
        }
        Ok(())
    }

    /// After all entries: every symlink must resolve inside the root (a
    /// lexically harmless target can still leave it through another link).
    fn verify_symlinks(&self) -> Result<()> {
        if self.symlinks.is_empty() {
            return Ok(());
        }
        let root =
            fs::canonicalize(self.root).map_err(|e| Error::io_at("resolve", self.root, e))?;
        for rel in &self.symlinks {
            if let Ok(resolved) = fs::canonicalize(self.root.join(rel)) {
                if !resolved.starts_with(&root) {
                    let entry = Path::new(TOP).join(rel);
                    return Err(self.unsafe_entry(&entry, "is a symlink that resolves outside"));
                }
            }
        }
        Ok(())
    }
}

/// `go/...` → the path below `go/`. Refuses absolute paths, `..`, and
/// entries outside the top folder.
fn strip_top(entry: &Path) -> std::result::Result<Option<PathBuf>, &'static str> {
    let mut parts = entry.components().filter(|c| *c != Component::CurDir);
    match parts.next() {
        Some(Component::Normal(top)) if top == TOP => {}
        Some(Component::Normal(_)) => return Err("is outside the top go/ folder"),
        Some(Component::ParentDir) => return Err("contains `..`"),
        Some(_) => return Err("has an absolute path"),
        None => return Err("has an empty path"),
    }
    let mut rel = PathBuf::new();
    for part in parts {
        match part {
            Component::Normal(name) => rel.push(name),
            Component::ParentDir => return Err("contains `..`"),
            _ => return Err("has an absolute path"),
        }
    }
    Ok(if rel.as_os_str().is_empty() {
        None
    } else {
        Some(rel)
    })
}

/// A symlink at `link` (relative to the root) pointing to `target` must stay
/// inside the root when resolved from the link's folder.
fn check_link_target(link: &Path, target: &Path) -> std::result::Result<(), &'static str> {
    let mut depth = link.parent().map_or(0, |p| p.components().count());
    if target.as_os_str().is_empty() {
        return Err("is a symlink with an empty target");
    }
    for part in target.components() {
        match part {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => {
                depth = depth
                    .checked_sub(1)
                    .ok_or("is a symlink pointing outside")?;
            }
            _ => return Err("is a symlink with an absolute target"),
        }
    }
    Ok(())
}

fn remove_existing_file(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => Err(Error::io_at(
            "replace",
            path,
            io::Error::new(io::ErrorKind::AlreadyExists, "a directory is in the way"),
        )),
        Ok(_) => fs::remove_file(path).map_err(|e| Error::io_at("replace", path, e)),
        Err(_) => Ok(()),
    }
}

#[cfg(unix)]
fn create_file(path: &Path, mode: Option<u32>) -> io::Result<File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mode = mode.map_or(0o644, |m| (m & 0o777) | 0o600);
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true).mode(mode);
    let file = options.open(path)?;
    // An existing file keeps its old mode with `open`: set it explicitly.
    if file.metadata()?.permissions().mode() & 0o777 != mode {
        file.set_permissions(fs::Permissions::from_mode(mode))?;
    }
    Ok(file)
}

#[cfg(not(unix))]
fn create_file(path: &Path, _mode: Option<u32>) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
}

#[cfg(unix)]
fn make_symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn make_symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::windows::fs::symlink_file(target, link)
}

#[cfg(not(any(unix, windows)))]
fn make_symlink(_target: &Path, _link: &Path) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "symlinks"))
}

/// Unpacks a (decompressed) tar stream into `root`, stripping `go/`.
/// `url` only names the archive in errors.
pub fn extract_tar(reader: impl Read, root: &Path, url: &str) -> Result<()> {
    let mut archive = tar::Archive::new(reader);
    let mut out = Extractor::new(root, url);
    let entries = archive.entries().map_err(|e| out.corrupt(e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| out.corrupt(e))?;
        extract_tar_entry(&mut out, &mut entry)?;
    }
    out.verify_symlinks()
}

fn extract_tar_entry<R: Read>(
    out: &mut Extractor<'_>,
    entry: &mut tar::Entry<'_, R>,
) -> Result<()> {
    use tar::EntryType;
    let kind = entry.header().entry_type();
    if matches!(kind, EntryType::XGlobalHeader | EntryType::XHeader) {
        return Ok(());
    }
    let name = entry.path().map_err(|e| out.corrupt(e))?.into_owned();
    let Some(rel) = out.relative(&name)? else {
        return Ok(());
    };
    out.check_not_through_symlink(&name, &rel)?;
    match kind {
        EntryType::Directory => out.ensure_dir(&rel),
        EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
            let mode = entry.header().mode().ok();
            out.write_file(&rel, mode, entry)
        }
        EntryType::Symlink => {
            let target = link_name(out, entry, &name)?;
            out.symlink(&name, &rel, &target)
        }
        EntryType::Link => {
            let source = link_name(out, entry, &name)?;
            out.hard_link(&name, &rel, &source)
        }
        // Devices, FIFOs and unknown kinds have no place in an SDK.
        _ => Err(out.unsafe_entry(&name, "has an unsupported type")),
    }
}

fn link_name<R: Read>(
    out: &Extractor<'_>,
    entry: &tar::Entry<'_, R>,
    name: &Path,
) -> Result<PathBuf> {
    entry
        .link_name()
        .map_err(|e| out.corrupt(e))?
        .map(|p| p.into_owned())
        .ok_or_else(|| out.unsafe_entry(name, "is a link without a target"))
}

/// Unpacks a zip file (Windows SDKs) into `root`, stripping `go/`.
/// Symlink entries are refused: official Windows archives have none.
pub fn extract_zip(file: impl Read + Seek, root: &Path, url: &str) -> Result<()> {
    let mut out = Extractor::new(root, url);
    let mut zip = zip::ZipArchive::new(file).map_err(|e| out.corrupt(e))?;
    for index in 0..zip.len() {
        let mut item = zip.by_index(index).map_err(|e| out.corrupt(e))?;
        let raw_name = PathBuf::from(String::from_utf8_lossy(item.name_raw()).into_owned());
        let name = item
            .enclosed_name()
            .ok_or_else(|| out.unsafe_entry(&raw_name, "has an unsafe path"))?;
        let Some(rel) = out.relative(&name)? else {
            continue;
        };
        if item.is_symlink() {
            return Err(out.unsafe_entry(&name, "is a symlink"));
        }
        if item.is_dir() {
            out.ensure_dir(&rel)?;
        } else {
            let mode = item.unix_mode();
            out.write_file(&rel, mode, &mut item)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_top_folder() {
        let p = |s: &str| strip_top(Path::new(s));
        assert_eq!(p("go/bin/go"), Ok(Some(PathBuf::from("bin/go"))));
        assert_eq!(p("./go/bin/go"), Ok(Some(PathBuf::from("bin/go"))));
        assert_eq!(p("go/"), Ok(None));
        assert_eq!(p("go/./src/x.go"), Ok(Some(PathBuf::from("src/x.go"))));
        assert!(p("go/../evil").is_err());
        assert!(p("go/src/../../evil").is_err());
        assert!(p("/etc/passwd").is_err());
        assert!(p("other/bin/go").is_err());
        assert!(p("../go/x").is_err());
    }

    #[test]
    fn link_targets() {
        let c = |link: &str, target: &str| check_link_target(Path::new(link), Path::new(target));
        assert!(c("bin/gofmt", "../pkg/tool/gofmt").is_ok());
        assert!(c("bin/gofmt", "gofmt2").is_ok());
        assert!(c("bin/gofmt", "../../x").is_err());
        assert!(c("x", "..").is_err());
        assert!(c("x", "/etc/passwd").is_err());
        assert!(c("a/b/c", "../../d/./e").is_ok());
        assert!(c("a/b/c", "").is_err());
    }
}
