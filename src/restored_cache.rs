//! A restored deploy cache (`<workPath>/.vercel/cache/go`, the files the
//! last deploy's `prepareCache()` returned) is checked before a build uses
//! Go's caches in it.
//!
//! Go trusts its caches: a build-cache entry is used if its size matches,
//! and an extracted module tree, or a module zip with its `.ziphash`, is
//! not checked against go.sum again. So, once per restored cache on this
//! machine:
//! - `build/` and `mod/` keep only files the cache's manifest lists with
//!   the same size and SHA-256 (a manifest signed by
//!   `GO_BUILDER_CACHE_SIGNING_KEY` when one is set; without a usable
//!   manifest both start empty);
//! - only module downloads (`mod/cache/download/…/@v/*.{zip,mod,info}`)
//!   stay: extracted trees and `.ziphash` files go, so Go hashes every zip
//!   against go.sum when it extracts it;
//! - symlinks, FIFOs and the like go wherever they are.
//!
//! - a Go SDK kept beside it (`.vercel/cache/golang`) is used only when
//!   every file of it is listed, unchanged, in its own manifest
//!   (`sdk-manifest.json`); otherwise it is removed whole, and the build
//!   finds or downloads Go as if it were not there.
//!
//! Kept programs, compiled helpers and dev binaries carry sealed records
//! ([`crate::sealed`]) checked whenever one is used.
//!
//! A marker in the machine's own cache (never in the restored one) says
//! which manifest was checked, so later builds in the same container skip
//! the work; `prepareCache()` writes it for the manifest it makes.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::cache_dir::{self, project_cache_dir};
use crate::cache_fs;
use crate::cache_manifest::{self, MANIFEST, SDK_MANIFEST};
use crate::env::Env;
use crate::fingerprint::Fingerprint;
use crate::log::Log;
use crate::sealed;
use crate::signing::SigningKey;
use crate::toolchain;

/// What a check found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Checked {
    /// Files of Go's caches kept.
    pub kept: usize,
    /// Entries removed (failed verification, not listed, not a regular file).
    pub removed: usize,
    /// Whether a usable manifest was there.
    pub manifest: bool,
}

/// Checks the restored deploy cache of `work_path`, unless this machine
/// already checked it as it is; logs a line when it removed anything.
pub fn ensure_checked(work_path: &Path, env: &Env, log: &Log) {
    let project = project_cache_dir(work_path);
    let sdk = toolchain::local_cache_dir(work_path);
    let present = |p: &Path| std::fs::symlink_metadata(p).is_ok();
    if !present(&project) && !present(&sdk) {
        return;
    }
    let marker = marker_file(env, &project);
    let known = cache_fs::read_small(&marker, 4096);
    if known == Some(identity(&project).into_bytes()) {
        return;
    }
    let started = Instant::now();
    let signing = SigningKey::from_env(env);
    if cache_fs::is_real_dir(&project) {
        let checked = check(&project, signing.as_ref());
        if checked.removed > 0 || !checked.manifest {
            log.line(&note(&checked, signing.is_some(), started));
        }
    }
    if let Some(why) = check_sdk(&sdk, &project, signing.as_ref()) {
        log.line(&format!(
            "The restored Go SDK in .vercel/cache/golang was removed ({why}): Go is found or downloaded again"
        ));
    }
    remember_checked(env, &project);
}

/// Checks the Go SDK kept beside the deploy cache `project` against its
/// manifest; removes it whole and says why when it fails (`None`: it
/// passed, or there is none).
pub fn check_sdk(sdk: &Path, project: &Path, signing: Option<&SigningKey>) -> Option<String> {
    let meta = std::fs::symlink_metadata(sdk).ok()?;
    let why = match meta.is_dir() {
        false => Some("it is not a directory".to_string()),
        true => sdk_fault(sdk, project, signing),
    };
    if why.is_some() {
        let _ = cache_fs::remove_tree(sdk);
    }
    why
}

/// What is wrong with the SDK folder `sdk`, if anything.
fn sdk_fault(sdk: &Path, project: &Path, signing: Option<&SigningKey>) -> Option<String> {
    let Some(manifest) = cache_manifest::read_from(&project.join(SDK_MANIFEST), signing) else {
        return Some(match signing {
            Some(_) => "no manifest signed with GO_BUILDER_CACHE_SIGNING_KEY".to_string(),
            None => "no usable manifest".to_string(),
        });
    };
    let walk = cache_fs::walk(sdk);
    if !walk.complete || !walk.odd.is_empty() {
        return Some("it holds a symlink or too many files".to_string());
    }
    if walk.files.len() != manifest.len() {
        return Some("files were added or removed".to_string());
    }
    let mut listed = Vec::with_capacity(walk.files.len());
    for (path, meta) in &walk.files {
        let rel = path.strip_prefix(sdk).ok()?;
        match manifest.get(&cache_manifest::slash(rel)) {
            Some(entry) if entry.size == meta.len() => {
                listed.push((path.clone(), entry.sha256.clone()))
            }
            _ => return Some(format!("{} is not as it was kept", rel.display())),
        }
    }
    let intact = crate::parallel::map(&listed, |(path, sha256)| {
        sealed::digest_of(path).is_ok_and(|(actual, _)| actual == *sha256)
    });
    match intact.iter().all(|ok| *ok) {
        true => None,
        false => Some("a file's digest does not match".to_string()),
    }
}

/// Records that the deploy cache `project` is checked as it is now (its
/// manifest just written by this machine, or just checked).
pub fn remember_checked(env: &Env, project: &Path) {
    let identity = identity(project);
    let (machine, name) = marker_place(env, project);
    if let Ok(dir) = cache_fs::real_dir(&machine, &["restored"]) {
        let _ = cache_fs::write_atomic(&dir.join(name), identity.as_bytes());
    }
}

fn note(checked: &Checked, signed: bool, started: Instant) -> String {
    let why = match (checked.manifest, signed) {
        (false, true) => {
            "no manifest signed with GO_BUILDER_CACHE_SIGNING_KEY: its Go caches start empty"
        }
        (false, false) => "no usable manifest: its Go caches start empty",
        (true, _) => "entries that failed verification were removed and will be rebuilt",
    };
    format!(
        "Restored deploy cache checked in {:.2} s: {} kept, {} removed ({why})",
        started.elapsed().as_secs_f64(),
        checked.kept,
        checked.removed
    )
}

/// The marker of `project` in the machine's own builder cache.
fn marker_file(env: &Env, project: &Path) -> PathBuf {
    let (machine, name) = marker_place(env, project);
    machine.join("restored").join(name)
}

/// The machine's own builder cache, and the marker's name in its
/// `restored/` folder.
fn marker_place(env: &Env, project: &Path) -> (PathBuf, String) {
    let machine = cache_dir::machine_cache_dir(env);
    let mut key = Fingerprint::new();
    key.value("deploy cache", &project.to_string_lossy());
    (machine, key.finish())
}

/// What identifies the deploy cache `project` as restored: its manifests
/// as they are.
fn identity(project: &Path) -> String {
    [MANIFEST, SDK_MANIFEST]
        .iter()
        .map(|name| manifest_identity(&project.join(name)).unwrap_or_else(|| "none".to_string()))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// What identifies a manifest file as it is: its digest and where and
/// when it was written (a new restore writes a new file).
fn manifest_identity(path: &Path) -> Option<String> {
    let (mut file, meta) = cache_fs::open_regular(path).ok()?;
    let (sha256, size) = sealed::digest_of_open(&mut file).ok()?;
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some(format!("{sha256} {size} {mtime} {}", inode(&meta)))
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    format!("{}:{}", meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn inode(_meta: &std::fs::Metadata) -> String {
    String::new()
}

/// Checks the deploy cache `project` against its manifest, removing what
/// fails (see the module's documentation).
pub fn check(project: &Path, signing: Option<&SigningKey>) -> Checked {
    let manifest = cache_manifest::read(project, signing);
    let mut checked = Checked {
        manifest: manifest.is_some(),
        ..Checked::default()
    };
    // Only module downloads stay in Go's module cache.
    for (dir, keep) in [
        (project.join("mod"), "cache"),
        (project.join("mod").join("cache"), "download"),
    ] {
        for other in entries_except(&dir, keep) {
            if cache_fs::remove_tree(&other).is_ok() {
                checked.removed += 1;
            }
        }
    }
    let walk = cache_fs::walk(project);
    for odd in &walk.odd {
        if cache_fs::remove_tree(odd).is_ok() {
            checked.removed += 1;
        }
    }
    let mut candidates = Vec::new();
    for (path, meta) in walk.files {
        let Ok(rel) = path.strip_prefix(project) else {
            continue;
        };
        let in_go_caches = rel.starts_with("build") || rel.starts_with("mod");
        if !in_go_caches {
            continue;
        }
        let listed = manifest
            .as_ref()
            .and_then(|m| m.get(&cache_manifest::slash(rel)))
            .filter(|e| e.size == meta.len() && is_go_cache_file(rel));
        match listed {
            Some(entry) if walk.complete => candidates.push((path.clone(), entry.sha256.clone())),
            _ => {
                if cache_fs::remove_tree(&path).is_ok() {
                    checked.removed += 1;
                }
            }
        }
    }
    let verdicts = crate::parallel::map(&candidates, |(path, sha256)| {
        sealed::digest_of(path).is_ok_and(|(actual, _)| actual == *sha256)
    });
    for ((path, _), intact) in candidates.iter().zip(verdicts) {
        if intact {
            checked.kept += 1;
        } else if cache_fs::remove_tree(path).is_ok() {
            checked.removed += 1;
        }
    }
    checked
}

/// The entries of `dir` other than `keep`.
fn entries_except(dir: &Path, keep: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_name() != keep)
        .map(|e| e.path())
        .collect()
}

/// Whether `rel` (relative to a deploy cache) is a file of Go's caches a
/// deploy cache keeps: a build-cache entry (`build/<xx>/<hash>-a|-d`) or a
/// module download (`mod/cache/download/…/@v/<version>.zip|.mod|.info`).
pub fn is_go_cache_file(rel: &Path) -> bool {
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    match parts.as_slice() {
        ["build", dir, name] => {
            let Some((hash, kind)) = name.split_once('-') else {
                return false;
            };
            dir.len() == 2
                && hash.len() == 64
                && hash.starts_with(dir)
                && hash.bytes().all(|b| b.is_ascii_hexdigit())
                && (kind == "a" || kind == "d")
        }
        ["mod", "cache", "download", module @ .., "@v", file] => {
            !module.is_empty()
                && module.iter().all(|p| cache_fs::is_plain_name(p))
                && cache_fs::is_plain_name(file)
                && [".zip", ".mod", ".info"]
                    .iter()
                    .any(|ext| file.ends_with(ext))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(root: &Path, rel: &str, bytes: &[u8]) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    const A: &str = "build/ab/ab00000000000000000000000000000000000000000000000000000000000000-a";
    const D: &str = "build/cd/cd00000000000000000000000000000000000000000000000000000000000000-d";
    const ZIP: &str = "mod/cache/download/example.com/m/@v/v1.0.0.zip";

    #[test]
    fn keeps_only_what_the_manifest_lists_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        file(p, A, b"v1 entry");
        file(p, D, b"object");
        file(p, ZIP, b"zip");
        let listed: Vec<PathBuf> = [A, D, ZIP].iter().map(PathBuf::from).collect();
        cache_manifest::write(p, &listed, None).unwrap();
        // Tampering after the manifest was made.
        file(p, D, b"OBJECT");
        file(
            p,
            "mod/cache/download/example.com/m/@v/v1.0.0.ziphash",
            b"h1:forged",
        );
        file(p, "mod/example.com/m@v1.0.0/m.go", b"package m // forged");
        file(
            p,
            "build/ef/ef11111111111111111111111111111111111111111111111111111111111111-d",
            b"x",
        );
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc", p.join("build/etc")).unwrap();
        let checked = check(p, None);
        assert!(checked.manifest);
        assert_eq!(checked.kept, 2);
        assert!(p.join(A).exists() && p.join(ZIP).exists());
        assert!(!p.join(D).exists(), "changed bytes");
        assert!(!p.join("mod/example.com").exists(), "extracted tree");
        assert!(!p
            .join("mod/cache/download/example.com/m/@v/v1.0.0.ziphash")
            .exists());
        assert!(
            !p.join("build/ef").read_dir().unwrap().any(|_| true),
            "unlisted"
        );
        assert!(std::fs::symlink_metadata(p.join("build/etc")).is_err());
    }

    #[test]
    fn without_a_usable_manifest_the_go_caches_start_empty() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        file(p, A, b"v1 entry");
        file(p, "lambda/x/prog", b"sealed elsewhere");
        let checked = check(p, None);
        assert!(!checked.manifest);
        assert!(!p.join(A).exists());
        assert!(
            p.join("lambda/x/prog").exists(),
            "kept programs verify on use"
        );
        // Signed manifests only, with a key.
        file(p, A, b"v1 entry");
        cache_manifest::write(p, &[PathBuf::from(A)], None).unwrap();
        let key = SigningKey::from_env(&crate::test_support::env(&[(
            crate::signing::SIGNING_KEY_ENV,
            "k",
        )]))
        .unwrap();
        assert!(!check(p, Some(&key)).manifest);
        assert!(!p.join(A).exists());
    }

    #[test]
    fn a_restored_sdk_is_used_only_as_its_manifest_lists_it() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("go");
        let sdk = dir.path().join("golang");
        std::fs::create_dir_all(&project).unwrap();
        let files = ["VERSION", "bin/go", "pkg/tool/linux_amd64/compile"];
        for (i, rel) in files.iter().enumerate() {
            file(&sdk, rel, format!("sdk file {i}").as_bytes());
        }
        let listed: Vec<PathBuf> = files.iter().map(PathBuf::from).collect();
        let write = || {
            cache_manifest::write_to(&project.join(SDK_MANIFEST), &sdk, &listed, None).unwrap();
        };
        write();
        assert_eq!(check_sdk(&sdk, &project, None), None);
        assert!(sdk.join("bin/go").exists());
        // A compiler swapped for another of the same size: the SDK goes whole.
        file(&sdk, "pkg/tool/linux_amd64/compile", b"SDK FILE 2");
        assert!(check_sdk(&sdk, &project, None).is_some());
        assert!(!sdk.exists());
        // An extra file, and no manifest at all.
        for (i, rel) in files.iter().enumerate() {
            file(&sdk, rel, format!("sdk file {i}").as_bytes());
        }
        write();
        file(&sdk, "bin/gofmt", b"extra");
        assert!(check_sdk(&sdk, &project, None).is_some());
        file(&sdk, "VERSION", b"go1.26.8");
        std::fs::remove_file(project.join(SDK_MANIFEST)).unwrap();
        assert!(check_sdk(&sdk, &project, None).is_some());
        assert!(!sdk.exists());
        #[cfg(unix)]
        {
            let outside = tempfile::tempdir().unwrap();
            std::os::unix::fs::symlink(outside.path(), &sdk).unwrap();
            assert!(check_sdk(&sdk, &project, None).is_some());
            assert!(std::fs::symlink_metadata(&sdk).is_err() && outside.path().exists());
        }
    }

    #[test]
    fn go_cache_file_names() {
        assert!(is_go_cache_file(Path::new(A)));
        assert!(is_go_cache_file(Path::new(ZIP)));
        for bad in [
            "build/ab/README",
            "build/trim.txt",
            "build/ab/ab00-a",
            "mod/cache/download/example.com/m/@v/v1.0.0.ziphash",
            "mod/cache/download/example.com/m/@v/v1.0.0.lock",
            "mod/example.com/m@v1.0.0/m.go",
            "mod/cache/download/@v/x.zip",
        ] {
            assert!(!is_go_cache_file(Path::new(bad)), "{bad}");
        }
    }

    #[test]
    fn the_marker_skips_a_second_check_until_the_manifest_changes() {
        let home = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        let env = crate::test_support::env(&[("HOME", &home.path().to_string_lossy())]);
        let project = project_cache_dir(work.path());
        file(&project, A, b"v1 entry");
        cache_manifest::write(&project, &[PathBuf::from(A)], None).unwrap();
        remember_checked(&env, &project);
        // A file added after the check is not looked at again...
        file(&project, D, b"unlisted");
        ensure_checked(work.path(), &env, &Log::silent());
        assert!(project.join(D).exists());
        // ...until a new manifest is restored.
        std::thread::sleep(std::time::Duration::from_millis(20));
        cache_manifest::write(&project, &[PathBuf::from(A)], None).unwrap();
        ensure_checked(work.path(), &env, &Log::silent());
        assert!(!project.join(D).exists());
    }
}
