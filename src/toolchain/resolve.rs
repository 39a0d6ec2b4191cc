//! Finding the SDK a build uses: lookup in the local cache, the global
//! cache and `PATH`, then a download into the global cache.
//!
//! Layout:
//! - global cache: `<user cache dir>/com.vercel.cli/golang/<ver>_<os>_<arch>/`,
//!   each an SDK root (`bin/go`, `VERSION`, …) with the completion marker;
//! - local cache: `<workPath>/.vercel/cache/golang`, an SDK root too — a
//!   symlink to the global folder in use (what `prepareCache` turns into a
//!   copy), or such a copy restored by the platform's build cache;
//! - `@vercel/go`'s installs, in the same global cache under its own names
//!   and marker ([`vercel_go`]), are used too, once their `go version`
//!   confirms them.

use std::fs;
use std::path::{Path, PathBuf};

use super::download::{DownloadOptions, Progress};
use super::install::{self, InstallRequest};
use super::lock;
use super::platform::Platform;
use super::version::{GoVersion, VersionRequest, Want};
use super::{find_on_path, fsutil, vercel_go, GoToolchain};
use crate::cache_dir::{join_all, user_cache_dir};
use crate::env::Env;
use crate::error::{Error, Result};

/// `<workPath>/` + this is the project's local SDK cache.
pub const LOCAL_CACHE_DIR: [&str; 3] = [".vercel", "cache", "golang"];

/// The project's local cache folder.
pub fn local_cache_dir(work_path: &Path) -> PathBuf {
    join_all(work_path, &LOCAL_CACHE_DIR)
}

/// The folder holding one global-cache SDK per version/platform:
/// `<user cache dir>/com.vercel.cli/golang`.
pub fn global_cache_root(env: &Env) -> PathBuf {
    user_cache_dir(env).join("com.vercel.cli").join("golang")
}

/// Where a given SDK lives in the global cache.
pub fn global_sdk_dir(root: &Path, version: &GoVersion, platform: &Platform) -> PathBuf {
    root.join(platform.cache_dir_name(version))
}

/// Everything [`resolve`] needs.
pub struct ResolveRequest<'a> {
    pub version: VersionRequest,
    pub env: &'a Env,
    /// The project root; its `.vercel/cache/golang` is the local cache.
    pub work_path: &'a Path,
    /// See [`global_cache_root`].
    pub global_cache_root: PathBuf,
    /// Where `@vercel/go` installs SDKs (see [`vercel_go::cache_root`]).
    pub vercel_go_cache_root: PathBuf,
    pub platform: Platform,
    pub download: DownloadOptions,
    /// Point the local cache at the global SDK in use (so `prepareCache`
    /// can persist it). On by default.
    pub link_local_cache: bool,
    /// Receives progress lines (downloads, waits for other builds).
    pub progress: Progress<'a>,
}

impl<'a> ResolveRequest<'a> {
    /// A request with the defaults: global cache under the user cache dir,
    /// this machine's platform, download options from `env`.
    pub fn new(
        version: VersionRequest,
        env: &'a Env,
        work_path: &'a Path,
        progress: Progress<'a>,
    ) -> Self {
        ResolveRequest {
            version,
            env,
            work_path,
            global_cache_root: global_cache_root(env),
            vercel_go_cache_root: vercel_go::cache_root(env),
            platform: Platform::current(),
            download: DownloadOptions::from_env(env),
            link_local_cache: true,
            progress,
        }
    }
}

/// Where the SDK in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    LocalCache,
    GlobalCache,
    Path,
    Downloaded,
}

impl Source {
    fn describe(self) -> &'static str {
        match self {
            Source::LocalCache => "the local cache",
            Source::GlobalCache => "the global cache",
            Source::Path => "PATH",
            Source::Downloaded => "a download",
        }
    }
}

/// The outcome of [`resolve`].
#[derive(Debug, Clone)]
pub struct Resolved {
    pub toolchain: GoToolchain,
    /// The cache SDK folder to keep GOMODCACHE/GOCACHE under (see
    /// [`super::cache_env`]); `None` for a Go found on PATH.
    pub cache_root: Option<PathBuf>,
    /// Where the toolchain was found.
    pub source: Source,
    /// Warnings from version selection and a line saying which Go is used.
    pub notes: Vec<String>,
}

/// An installed SDK found by the lookup.
#[derive(Debug, Clone)]
struct Candidate {
    toolchain: GoToolchain,
    version: GoVersion,
    source: Source,
    /// Installed by `@vercel/go`: run only once its `go version` confirms it.
    by_vercel_go: bool,
}

/// Finds (or downloads) the SDK `req.version` asks for.
///
/// Lookup order: local cache, global cache, `PATH`. An exact pin takes the
/// first location holding exactly that release; `go X.Y[.Z]` takes the
/// newest installed `X.Y.*` at or above the line's patch, nothing pinned the
/// newest installed Go ≥ 1.13 (the earlier location on a tie);
/// `GOTOOLCHAIN=local` takes the Go on `PATH`. Only when nothing installed
/// fits, and the request allows it, is a release downloaded into the
/// global cache.
pub async fn resolve(req: &ResolveRequest<'_>) -> Result<Resolved> {
    let mut notes = req.version.warnings.clone();
    let (toolchain, source, by_vercel_go) =
        match pick_confirmed(req, installed(req), &mut notes).await {
            Some(found) => (found.toolchain, found.source, found.by_vercel_go),
            None if req.version.want == Want::Local => {
                return Err(find_on_path(req.env)
                    .err()
                    .unwrap_or_else(|| nothing_installed(req)))
            }
            None if !req.version.may_download => return Err(nothing_installed(req)),
            None => (download(req).await?, Source::Downloaded, false),
        };
    notes.push(selection_note(req, &toolchain, source, by_vercel_go));
    let cache_root = match source {
        Source::Path => None,
        Source::LocalCache => Some(toolchain.goroot.clone()),
        Source::GlobalCache | Source::Downloaded => {
            // Not to an SDK of `@vercel/go`'s: it keeps its module and build
            // caches inside, which `prepareCache` would copy.
            if req.link_local_cache && !by_vercel_go {
                if let Err(e) = link_local_cache(req, &toolchain.goroot).await {
                    notes.push(format!("Could not link the local Go cache: {e}"));
                }
            }
            Some(toolchain.goroot.clone())
        }
    };
    Ok(Resolved {
        toolchain,
        source,
        cache_root,
        notes,
    })
}

/// The candidate the request picks, passing over the `@vercel/go` installs
/// whose own `go version` does not confirm them (each said in `notes`): the
/// pick is made again until it is one of ours, from PATH, or confirmed.
async fn pick_confirmed(
    req: &ResolveRequest<'_>,
    mut candidates: Vec<Candidate>,
    notes: &mut Vec<String>,
) -> Option<Candidate> {
    loop {
        let found = pick(&req.version, &candidates)?.clone();
        if !found.by_vercel_go || vercel_go::confirm(&found.toolchain, &req.platform, req.env).await
        {
            return Some(found);
        }
        notes.push(format!(
            "Not using the Go SDK in {}: its `go version` does not say {} for {}/{}.",
            found.toolchain.goroot.display(),
            found.toolchain.version,
            req.platform.os,
            req.platform.arch
        ));
        candidates.retain(|c| c.toolchain.goroot != found.toolchain.goroot);
    }
}

/// The error when only an installed Go may be used and none fits.
fn nothing_installed(req: &ResolveRequest<'_>) -> Error {
    Error::GoNotFound(format!(
        "no installed Go fits the {} and {} forbids a download. Install Go {} or unset GOTOOLCHAIN.",
        req.version.origin,
        req.env.get("GOTOOLCHAIN").map_or_else(|| "GOTOOLCHAIN".to_string(), |v| format!("GOTOOLCHAIN={v}")),
        req.version.download_version().name()
    ))
}

fn selection_note(
    req: &ResolveRequest<'_>,
    toolchain: &GoToolchain,
    source: Source,
    by_vercel_go: bool,
) -> String {
    let wanted = match &req.version.want {
        Want::Any | Want::AtLeast(_) => {
            format!("no Go version is pinned ({})", req.version.origin)
        }
        Want::Local => req.version.origin.clone(),
        _ => format!("wanted by the {}", req.version.origin),
    };
    let by_vercel_go = if by_vercel_go {
        ", installed by @vercel/go"
    } else {
        ""
    };
    format!(
        "Using Go {} from {} ({}{by_vercel_go}), {wanted}",
        toolchain.version.trim_start_matches("go"),
        source.describe(),
        toolchain.goroot.display()
    )
}

/// The installed SDK the request would use, without downloading anything
/// (`None` when a build would download).
pub fn find_installed(req: &ResolveRequest<'_>) -> Option<GoToolchain> {
    pick(&req.version, &installed(req)).map(|c| c.toolchain.clone())
}

/// Installed SDKs in lookup order.
fn installed(req: &ResolveRequest<'_>) -> Vec<Candidate> {
    let mut found = Vec::new();
    // Through its symlink, so a later relink by a parallel build of another
    // version cannot swap the SDK under this one.
    let local = local_cache_dir(req.work_path);
    let local = fs::canonicalize(&local).unwrap_or(local);
    match install::installed_at(&local, None) {
        Some(ours) => found.extend(candidate(Some(ours), Source::LocalCache, false)),
        None => found.extend(candidate(
            vercel_go::installed_at(&local, None),
            Source::LocalCache,
            true,
        )),
    }
    let exact = match &req.version.want {
        Want::Exact(v) => Some(v),
        _ => None,
    };
    for toolchain in global_sdks(req, exact) {
        found.extend(candidate(Some(toolchain), Source::GlobalCache, false));
    }
    for toolchain in vercel_go_sdks(req, exact) {
        found.extend(candidate(Some(toolchain), Source::GlobalCache, true));
    }
    found.extend(candidate(find_on_path(req.env).ok(), Source::Path, false));
    found
}

fn candidate(
    toolchain: Option<GoToolchain>,
    source: Source,
    by_vercel_go: bool,
) -> Option<Candidate> {
    let toolchain = toolchain?;
    let version = toolchain.parsed_version()?;
    Some(Candidate {
        toolchain,
        version,
        source,
        by_vercel_go,
    })
}

/// Complete SDKs of this platform that `@vercel/go` installed, newest
/// first (only `exact`'s folder when given).
fn vercel_go_sdks(req: &ResolveRequest<'_>, exact: Option<&GoVersion>) -> Vec<GoToolchain> {
    let root = &req.vercel_go_cache_root;
    if let Some(version) = exact {
        return vercel_go::sdk_dir_name(version, &req.platform)
            .and_then(|name| vercel_go::installed_at(&root.join(name), Some(version)))
            .into_iter()
            .collect();
    }
    let Some(suffix) = vercel_go::sdk_dir_suffix(&req.platform) else {
        return Vec::new();
    };
    newest_first(root, &suffix, vercel_go::installed_at)
}

/// Complete SDKs of this platform in the global cache, newest first (only
/// `exact`'s folder when given).
fn global_sdks(req: &ResolveRequest<'_>, exact: Option<&GoVersion>) -> Vec<GoToolchain> {
    let root = &req.global_cache_root;
    if let Some(version) = exact {
        let dir = global_sdk_dir(root, version, &req.platform);
        return install::installed_at(&dir, Some(version))
            .into_iter()
            .collect();
    }
    newest_first(
        root,
        &req.platform.cache_dir_suffix(),
        install::installed_at,
    )
}

/// The SDKs in the folders of `root` named `<version><suffix>` that
/// `installed_at` accepts, newest first.
fn newest_first(
    root: &Path,
    suffix: &str,
    installed_at: fn(&Path, Option<&GoVersion>) -> Option<GoToolchain>,
) -> Vec<GoToolchain> {
    let Ok(entries) = fs::read_dir(root) else {
        return Vec::new();
    };
    let mut sdks: Vec<(GoVersion, GoToolchain)> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let version = GoVersion::parse_release(name.strip_suffix(suffix)?)?;
            let toolchain = installed_at(&entry.path(), Some(&version))?;
            Some((version, toolchain))
        })
        .collect();
    sdks.sort_by(|a, b| b.0.cmp(&a.0));
    sdks.into_iter().map(|(_, t)| t).collect()
}

/// The candidate the request takes, per the rules on [`resolve`].
fn pick<'a>(request: &VersionRequest, candidates: &'a [Candidate]) -> Option<&'a Candidate> {
    let mut fitting = candidates
        .iter()
        .filter(|c| request.want != Want::Local || c.source == Source::Path)
        .filter(|c| request.accepts(&c.version));
    if !request.prefers_newest() {
        return fitting.next();
    }
    fitting.fold(None, |best: Option<&Candidate>, c| match best {
        Some(b) if b.version >= c.version => Some(b),
        _ => Some(c),
    })
}

async fn download(req: &ResolveRequest<'_>) -> Result<GoToolchain> {
    let version = req.version.download_version();
    let dest = global_sdk_dir(&req.global_cache_root, &version, &req.platform);
    let install = InstallRequest {
        version: &version,
        platform: &req.platform,
        dest: &dest,
        env: req.env,
        options: &req.download,
        sha256: None,
        progress: req.progress,
    };
    install::install(&install)
        .await
        .map(|(toolchain, _)| toolchain)
}

/// Makes the local cache a symlink to `target` (a global SDK folder),
/// replacing an older link or copy. Guarded by a lock, since the functions
/// of one project may build in parallel.
async fn link_local_cache(req: &ResolveRequest<'_>, target: &Path) -> Result<()> {
    let local = local_cache_dir(req.work_path);
    if fs::read_link(&local).is_ok_and(|t| t == target) {
        return Ok(());
    }
    let _guard = lock::lock_dir(&local, "the local Go cache", req.progress).await?;
    if fs::read_link(&local).is_ok_and(|t| t == target) {
        return Ok(());
    }
    let fresh = fsutil::sibling(&local, "link");
    symlink_dir(target, &fresh).map_err(|e| Error::io_at("create symlink", &fresh, e))?;
    let is_real_dir = fs::symlink_metadata(&local).is_ok_and(|m| m.is_dir());
    if is_real_dir {
        let aside = fsutil::sibling(&local, "stale");
        if let Err(e) = fs::rename(&local, &aside) {
            let _ = fs::remove_file(&fresh);
            return Err(Error::io_at("move aside", &local, e));
        }
        let _ = fsutil::remove_tree(&aside);
    }
    // Renaming over an existing symlink replaces it atomically.
    fs::rename(&fresh, &local).map_err(|e| {
        let _ = fs::remove_file(&fresh);
        Error::io_at("link", &local, e)
    })
}

#[cfg(unix)]
fn symlink_dir(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn symlink_dir(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_dir(target, link)
}

#[cfg(not(any(unix, windows)))]
fn symlink_dir(_target: &Path, _link: &Path) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "symlinks",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(version: &str, source: Source) -> Candidate {
        let version = GoVersion::parse_release(version).unwrap();
        Candidate {
            toolchain: GoToolchain {
                go: PathBuf::from("/x/bin/go"),
                goroot: PathBuf::from(format!("/{source:?}")),
                version: version.go_name(),
            },
            version,
            source,
            by_vercel_go: false,
        }
    }

    fn request(want: Want) -> VersionRequest {
        VersionRequest::new(want, "")
    }

    #[test]
    fn picks_by_rule() {
        let all = || {
            vec![
                cand("go1.22.3", Source::LocalCache),
                cand("go1.26.1", Source::GlobalCache),
                cand("go1.26.8", Source::GlobalCache),
                cand("go1.22.3", Source::Path),
                cand("go1.26.8", Source::Path),
            ]
        };
        let picked =
            |want: Want| pick(&request(want), &all()).map(|c| (c.version.name(), c.source));
        let v = |s| GoVersion::parse_release(s).unwrap();
        let found = |name: &str, source| Some((name.to_string(), source));
        // A line takes its newest installed patch; the earlier location on a tie.
        assert_eq!(
            picked(Want::line(&v("1.26.0"))),
            found("1.26.8", Source::GlobalCache)
        );
        assert_eq!(picked(Want::line(&v("1.26.9"))), None);
        // Nothing pinned takes the newest installed, not the first found.
        assert_eq!(picked(Want::Any), found("1.26.8", Source::GlobalCache));
        assert_eq!(picked(Want::AtLeast(v("1.27.0"))), None);
        // An exact pin takes the first location holding it.
        assert_eq!(
            picked(Want::Exact(v("1.22.3"))),
            found("1.22.3", Source::LocalCache)
        );
        assert_eq!(picked(Want::Exact(v("1.22.4"))), None);
        // `local` is the Go on PATH, whatever else is installed.
        assert_eq!(picked(Want::Local), found("1.22.3", Source::Path));
        let old = vec![cand("go1.12.17", Source::Path)];
        assert!(pick(&request(Want::Any), &old).is_none());
    }

    #[test]
    fn cache_paths() {
        let local = local_cache_dir(Path::new("/w"));
        assert_eq!(local, Path::new("/w/.vercel/cache/golang"));
        let env: Env = [("HOME".to_string(), "/home/u".to_string())]
            .into_iter()
            .collect();
        let root = global_cache_root(&env);
        assert!(root.ends_with("com.vercel.cli/golang"));
        let platform = Platform {
            os: "linux".into(),
            arch: "arm64".into(),
        };
        let v = GoVersion::parse_release("go1.22.3").unwrap();
        assert_eq!(
            global_sdk_dir(Path::new("/g"), &v, &platform),
            Path::new("/g/1.22.3_linux_arm64")
        );
    }
}
