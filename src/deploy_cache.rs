//! `prepareCache()`: what a deploy hands to the next one, so that a fresh
//! checkout in an empty container builds warm.
//!
//! Kept under `<workPath>/.vercel/cache/`:
//! - `golang/`: the Go SDK, when the builder downloaded one (the reference
//!   builder's place for it);
//! - `go/`: the project's deploy cache ([`crate::cache_dir`]): Go's build
//!   cache entries (`build/`), module downloads (`mod/cache/download`:
//!   zips, `.mod` and `.info` files, never extracted trees or `.ziphash`,
//!   so Go checks every zip against go.sum when it extracts it), the
//!   builder's compiled helpers (`bin/`) and kept programs (`lambda/`),
//!   with a manifest of their digests ([`crate::cache_manifest`], signed
//!   when a signing key is set).
//!
//! When this deploy's builds used the machine's shared caches (nothing was
//! restored), exactly what they used is copied in — the kept programs, the
//! build-cache entries their `go build`s used and the module versions their
//! go.sum files name, as the project index records them
//! ([`crate::project_index`]) — most recently used first, within the
//! budget ([`crate::eviction`]). A project that built no Go code gets
//! nothing. When the project cache was restored, the builds wrote into it
//! and it is trimmed to the budget.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use crate::cache_dir::{self, project_cache_dir, project_cache_in_use};
use crate::cache_fs;
use crate::cache_manifest;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::eviction::{self, Unit};
use crate::gomod;
use crate::housekeeping::program_of;
use crate::project_index::{self, Used};
use crate::restored_cache::{self, is_go_cache_file};
use crate::signing::SigningKey;
use crate::toolchain;

/// The longest the copying may take; what is left is not kept.
const COPY_MAX_TIME: Duration = Duration::from_secs(120);

/// Prepares the deploy cache of `work_path` (an existing absolute
/// directory) and lists every file to keep, relative to it, sorted.
pub async fn prepare(work_path: &Path, env: &Env) -> Result<Vec<PathBuf>> {
    check_work_path(work_path)?;
    let used = match project_cache_in_use(work_path) {
        true => None,
        false => {
            let shared = cache_dir::builder_cache_dir(env, work_path);
            let used = project_index::read(&project_index::index_file(&shared, work_path));
            Some((shared, used))
        }
    };
    let caches = match &used {
        Some((_, used)) if !used.is_empty() => Some(shared_go_caches(work_path, env).await),
        _ => None,
    };
    let (work_path, env) = (work_path.to_path_buf(), env.clone());
    // Copying, hashing and trimming is blocking file work: off the async workers.
    tokio::task::spawn_blocking(move || prepare_files(&work_path, &env, used, caches))
        .await
        .map_err(|e| Error::Internal(format!("prepareCache task failed: {e}")))?
}

/// `workPath` must name an existing directory by an absolute path: nothing
/// is created anywhere else.
fn check_work_path(work_path: &Path) -> Result<()> {
    if !work_path.is_absolute() {
        return Err(Error::InvalidOptions(format!(
            "prepareCache: workPath must be an absolute path, got {:?}",
            work_path.display().to_string()
        )));
    }
    if !work_path.is_dir() {
        return Err(Error::InvalidOptions(format!(
            "prepareCache: workPath {} is not an existing directory",
            work_path.display()
        )));
    }
    Ok(())
}

/// [`prepare`]'s file work. `used`: the builder's shared cache and what
/// the project's builds used of the machine's shared caches (`None`: the
/// project cache was in use); `caches`: where Go's shared caches are.
fn prepare_files(
    work_path: &Path,
    env: &Env,
    used: Option<(PathBuf, Used)>,
    caches: Option<GoCaches>,
) -> Result<Vec<PathBuf>> {
    if used.is_none() {
        // The project cache was in use: first make sure what was restored
        // into it was checked, so nothing unchecked gets signed below.
        restored_cache::ensure_checked(work_path, env, &crate::log::Log::silent());
    }
    let mut files = toolchain::keep_sdk(work_path)?;
    let project = project_cache_dir(work_path);
    let budget = eviction::budget(env);
    let signing = SigningKey::from_env(env);
    if !files.is_empty() {
        let sdk = toolchain::local_cache_dir(work_path);
        let rels: Vec<PathBuf> = files
            .iter()
            .filter_map(|f| {
                work_path
                    .join(f)
                    .strip_prefix(&sdk)
                    .ok()
                    .map(Path::to_path_buf)
            })
            .collect();
        let manifest = real_project_dir(work_path)?.join(cache_manifest::SDK_MANIFEST);
        cache_manifest::write_to(&manifest, &sdk, &rels, signing.as_ref())?;
    }
    // Without a record of use, the project's builds used nothing to keep.
    if let (Some((shared, used)), Some(caches)) = (&used, caches) {
        let project = real_project_dir(work_path)?;
        copy_used(&project, shared, used, &caches, budget)?;
    }
    if !cache_fs::is_real_dir(&project) {
        files.sort();
        return Ok(files);
    }
    let units = project_units(&project);
    // The manifest counts too: about a line per file.
    let reserve = 128 * units.iter().map(|u| u.paths.len() as u64).sum::<u64>();
    eviction::trim(units, budget.saturating_sub(reserve));
    let kept = keepable_files(&project);
    let listed = cache_manifest::write(&project, &kept, signing.as_ref())?;
    restored_cache::remember_checked(env, &project);
    let prefix = project
        .strip_prefix(work_path)
        .unwrap_or(&project)
        .to_path_buf();
    files.extend(listed.iter().map(|rel| prefix.join(rel)));
    files.push(prefix.join(cache_manifest::MANIFEST));
    files.push(prefix.join(cache_manifest::SDK_MANIFEST));
    // Only what is there as the call returns.
    files.retain(|rel| std::fs::symlink_metadata(work_path.join(rel)).is_ok_and(|m| m.is_file()));
    files.sort();
    Ok(files)
}

/// `<workPath>/.vercel/cache/go` as real directories (a symlink in the
/// cache's part of the path is replaced; `.vercel` itself must be one).
fn real_project_dir(work_path: &Path) -> Result<PathBuf> {
    let vercel = work_path.join(cache_dir::PROJECT_CACHE_DIR[0]);
    if std::fs::symlink_metadata(&vercel).is_ok_and(|m| !m.is_dir()) {
        return Err(Error::io_at(
            "use",
            &vercel,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a directory"),
        ));
    }
    cache_fs::real_dir(&vercel, &cache_dir::PROJECT_CACHE_DIR[1..])
}

/// Copies what the project's builds used of the shared caches into the
/// project cache, most recently used first, within `budget`.
fn copy_used(
    project: &Path,
    shared: &Path,
    used: &Used,
    caches: &GoCaches,
    budget: u64,
) -> Result<()> {
    let deadline = Instant::now() + COPY_MAX_TIME;
    let mut left = budget;
    for (from, to, units) in [
        (
            shared.join("lambda"),
            project.join("lambda"),
            kept_units(shared, &used.folders),
        ),
        (
            shared.join("bin"),
            project.join("bin"),
            eviction::file_units(&shared.join("bin")),
        ),
        (
            caches.modules.join("cache").join("download"),
            project.join("mod").join("cache").join("download"),
            download_units(&caches.modules, &used.modules),
        ),
        (
            caches.build.clone(),
            project.join("build"),
            build_units(&caches.build, &used.actions),
        ),
    ] {
        left -= copy_within(&from, &to, units, left, deadline)?;
    }
    Ok(())
}

/// Every file of the project cache a deploy cache keeps: Go's cache
/// entries and module downloads, kept programs and compiled helpers with
/// their records. Symlinks, temporary and lock files, extracted modules
/// and dev binaries are not.
fn keepable_files(project: &Path) -> Vec<PathBuf> {
    cache_fs::walk(project)
        .files
        .into_iter()
        .filter_map(|(path, _)| path.strip_prefix(project).ok().map(Path::to_path_buf))
        .filter(|rel| is_go_cache_file(rel) || is_builder_file(rel))
        .collect()
}

/// A kept program or compiled helper, or its record:
/// `lambda/<folder>/<name>[.record]`, `bin/<name>[.record]`.
fn is_builder_file(rel: &Path) -> bool {
    let parts: Vec<&str> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => name.to_str(),
            _ => None,
        })
        .collect();
    let program_name = |name: &str| {
        let base = name.strip_suffix(".record").unwrap_or(name);
        let base = base.strip_suffix(".exe").unwrap_or(base);
        !base.is_empty()
            && base
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    match parts.as_slice() {
        ["lambda", folder, name] => {
            folder.len() == 32
                && folder.bytes().all(|b| b.is_ascii_hexdigit())
                && program_name(name)
        }
        ["bin", name] => !name.starts_with('.') && program_name(name),
        _ => false,
    }
}

/// Go's build and module caches as the machine's `go` resolves them.
struct GoCaches {
    build: PathBuf,
    modules: PathBuf,
}

/// The caches the builds used: `go env` of the project's SDK (or the `go`
/// on PATH), else Go's documented defaults.
async fn shared_go_caches(work_path: &Path, env: &Env) -> GoCaches {
    let local_sdk = toolchain::local_cache_dir(work_path)
        .join("bin")
        .join(toolchain::exe("go"));
    let go = if local_sdk.is_file() {
        Some(local_sdk)
    } else {
        toolchain::find_on_path(env).ok().map(|t| t.go)
    };
    if let Some(go) = go {
        let mut env = env.clone();
        env.set("GOTOOLCHAIN", "local");
        let deadline = std::time::Duration::from_secs(60);
        let names = ["GOCACHE", "GOMODCACHE"];
        if let Some(values) = toolchain::go_env_values(&go, &names, work_path, &env, deadline).await
        {
            if let [build, modules] = values.as_slice() {
                if !build.is_empty() && !modules.is_empty() {
                    return GoCaches {
                        build: PathBuf::from(build),
                        modules: PathBuf::from(modules),
                    };
                }
            }
        }
    }
    let home = env.home().unwrap_or_else(|| env.temp_dir());
    GoCaches {
        build: env
            .non_empty("GOCACHE")
            .map(PathBuf::from)
            .unwrap_or_else(|| cache_dir::user_cache_dir(env).join("go-build")),
        modules: gomod::module_cache::module_cache_dir(env)
            .unwrap_or_else(|| home.join("go").join("pkg").join("mod")),
    }
}

/// The kept programs of the project's kept-program `folders`, each with
/// its record.
fn kept_units(shared: &Path, folders: &[String]) -> Vec<Unit> {
    folders
        .iter()
        .flat_map(|folder| eviction::grouped_units(&shared.join("lambda").join(folder), program_of))
        .collect()
}

/// The module downloads of `modules` (path, version), each version's
/// `.zip`, `.mod` and `.info` together.
fn download_units(modules_cache: &Path, modules: &BTreeSet<(String, String)>) -> Vec<Unit> {
    let download = modules_cache.join("cache").join("download");
    modules
        .iter()
        .filter_map(|(module, version)| {
            let base = module_dir(&download, module)?.join("@v").join(version);
            let paths = ["zip", "mod", "info"]
                .iter()
                .map(|ext| with_suffix(&base, ext))
                .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
                .collect();
            Unit::of(paths)
        })
        .collect()
}

/// `base` + `.` + `ext` (a version like `v1.2.3` has dots of its own).
fn with_suffix(base: &Path, ext: &str) -> PathBuf {
    let mut name = base.file_name().unwrap_or_default().to_os_string();
    name.push(".");
    name.push(ext);
    base.with_file_name(name)
}

/// A module's folder in Go's download cache: its path as Go escapes it
/// ([`gomod::module_cache::escape`]).
fn module_dir(download: &Path, module: &str) -> Option<PathBuf> {
    let mut dir = download.to_path_buf();
    for part in module.split('/') {
        let escaped = gomod::module_cache::escape(part);
        if !cache_fs::is_plain_name(&escaped) {
            return None;
        }
        dir.push(escaped);
    }
    Some(dir)
}

/// The build-cache entries of the `actions` (action id prefixes) the
/// project's builds used: each action's `-a` entry with the `-d` output it
/// names.
fn build_units(build: &Path, actions: &BTreeSet<String>) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut by_dir: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for id in actions {
        by_dir.entry(&id[..2]).or_default().push(id);
    }
    for (dir, ids) in by_dir {
        let Ok(entries) = std::fs::read_dir(build.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(hash) = name.strip_suffix("-a") else {
                continue;
            };
            if !ids.iter().any(|id| hash.starts_with(id)) {
                continue;
            }
            let action = entry.path();
            let output = cache_fs::read_small(&action, 4096)
                .and_then(|text| output_of(&String::from_utf8_lossy(&text)))
                .map(|out| build.join(&out[..2]).join(format!("{out}-d")));
            units.extend(Unit::of(
                [Some(action), output].into_iter().flatten().collect(),
            ));
        }
    }
    units
}

/// The output id an action entry (`v1 <action> <output> <size> <time>`) names.
fn output_of(entry: &str) -> Option<String> {
    let mut fields = entry.split_whitespace();
    (fields.next()? == "v1").then_some(())?;
    let _action = fields.next()?;
    let output = fields.next()?;
    (output.len() == 64 && output.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| output.to_string())
}

/// Everything in the project cache, in units that stay or go together.
fn project_units(project: &Path) -> Vec<Unit> {
    let mut units = eviction::file_units(&project.join("bin"));
    units.extend(eviction::file_units(&project.join("build")));
    units.extend(eviction::grouped_units(&project.join("lambda"), program_of));
    units.extend(eviction::grouped_units(&project.join("dev"), |p| {
        p.parent().map(Path::to_path_buf)
    }));
    units.extend(eviction::grouped_units(&project.join("mod"), |p| {
        module_unit(&project.join("mod"), p)
    }));
    units
}

/// A module cache file's unit: a download's version files together, an
/// extracted module's directory as a whole.
fn module_unit(root: &Path, path: &Path) -> Option<PathBuf> {
    let rel = path.strip_prefix(root).ok()?;
    if rel.starts_with("cache") {
        return Some(path.with_extension(""));
    }
    let mut unit = root.to_path_buf();
    for part in rel.components() {
        unit.push(part);
        if part.as_os_str().to_string_lossy().contains('@') {
            return Some(unit);
        }
    }
    Some(path.to_path_buf())
}

/// Copies the most recently used `units` (files below `from`) to the same
/// places below `to`, within `budget` bytes and until `deadline`; returns
/// the bytes copied. Sources are read without following a symlink; the
/// destination folders are real ones and no file there is overwritten.
fn copy_within(
    from: &Path,
    to: &Path,
    units: Vec<Unit>,
    budget: u64,
    deadline: Instant,
) -> Result<u64> {
    let mut copied = 0;
    for unit in eviction::newest_within(units, budget) {
        if Instant::now() > deadline {
            break;
        }
        for path in &unit.paths {
            let Ok(rel) = path.strip_prefix(from) else {
                continue;
            };
            if !cache_fs::is_plain_relative(rel) {
                continue;
            }
            let parts: Vec<String> = rel
                .parent()
                .into_iter()
                .flat_map(|p| p.components())
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            let dir = cache_fs::real_dir(to, &parts)?;
            let dest = dir.join(rel.file_name().unwrap_or_default());
            cache_fs::copy_new(path, &dest)?;
        }
        copied += unit.size;
    }
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_units() {
        let root = Path::new("/p/mod");
        assert_eq!(
            module_unit(
                root,
                Path::new("/p/mod/cache/download/x.com/m/@v/v1.0.0.zip")
            ),
            Some(PathBuf::from("/p/mod/cache/download/x.com/m/@v/v1.0.0"))
        );
        assert_eq!(
            module_unit(root, Path::new("/p/mod/x.com/m@v1.0.0/sub/a.go")),
            Some(PathBuf::from("/p/mod/x.com/m@v1.0.0"))
        );
        assert_eq!(
            program_of(Path::new("/l/g/api_x_go_1234.record")),
            Some(PathBuf::from("/l/g/api_x_go_1234"))
        );
    }

    #[test]
    fn module_folders_are_escaped_and_plain() {
        let d = Path::new("/c");
        assert_eq!(
            module_dir(d, "github.com/BurntSushi/toml"),
            Some(PathBuf::from("/c/github.com/!burnt!sushi/toml"))
        );
        assert_eq!(module_dir(d, "../../etc"), None);
        assert_eq!(
            with_suffix(Path::new("/c/m/@v/v1.2.3"), "zip"),
            PathBuf::from("/c/m/@v/v1.2.3.zip")
        );
    }

    #[test]
    fn action_entries_name_their_output() {
        let out = "cd".repeat(32);
        assert_eq!(
            output_of(&format!("v1 {} {out} 12 1700000000\n", "ab".repeat(32))),
            Some(out)
        );
        assert_eq!(output_of("v2 a b"), None);
        assert_eq!(output_of("v1 a ../../../../etc/passwd 1 1"), None);
    }

    #[test]
    fn only_cache_files_are_kept() {
        let hex = "0123456789abcdef0123456789abcdef";
        for good in [
            format!("lambda/{hex}/api_x_go_1234"),
            format!("lambda/{hex}/api_x_go_1234.record"),
            "bin/analyze-0011".to_string(),
        ] {
            assert!(is_builder_file(Path::new(&good)), "{good}");
        }
        for bad in [
            format!("lambda/{hex}/api_x_go_1234.lock"),
            format!("lambda/{hex}/.partial-x"),
            "lambda/short/x".to_string(),
            "bin/.compile-x".to_string(),
            "dev/x/handler".to_string(),
            "projects/abc".to_string(),
        ] {
            assert!(!is_builder_file(Path::new(&bad)), "{bad}");
        }
    }
}
