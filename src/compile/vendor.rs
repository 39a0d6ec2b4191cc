//! Vendored modules (`vendor/modules.txt`): the build honours the user's
//! vendor directory (`-mod=vendor`, no network for their dependencies).
//!
//! Go reads `vendor/modules.txt` and the main go.mod from disk, not through
//! `-overlay`, and checks that they agree. So the build runs in a shadow of
//! the module in the scratch directory: every file hard-linked (or copied)
//! from the user's tree, except go.mod, go.sum and modules.txt, which are
//! written fresh with the generated main's requirements added, and the
//! pinned bridge packages copied into the shadow's vendor directory. No file
//! of the user's tree is ever opened for writing.

use std::path::{Path, PathBuf};

use crate::assets::VendoredModule;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::exec;
use crate::gomod;
use crate::toolchain::GoToolchain;

/// Directories never mirrored into the shadow.
const SKIPPED: &[&str] = &[".git", "node_modules", ".vercel"];
/// Files the shadow gets its own version of.
const REWRITTEN: &[&str] = &["go.mod", "go.sum"];

/// Whether the module at `module_dir` vendors its dependencies.
pub fn is_vendored(module_dir: &Path) -> bool {
    module_dir.join("vendor").join("modules.txt").is_file()
}

/// Builds the shadow of `module_dir` in `dest` and returns it.
pub async fn shadow_module(
    module_dir: &Path,
    dest: &Path,
    extra: &[VendoredModule],
    go_sum_extra: &str,
    go: &GoToolchain,
    env: &Env,
) -> Result<PathBuf> {
    mirror(module_dir, dest, true)?;
    let requirements: Vec<(&str, &str)> = extra.iter().map(|m| (m.path, m.version)).collect();
    let mod_text = read(&module_dir.join("go.mod"))?;
    let rebase = |target: &Path| rebases(target, module_dir);
    write(
        &dest.join("go.mod"),
        &gomod::with_requirements(
            &gomod::rebase_replaces_where(&mod_text, module_dir, &rebase),
            &requirements,
        ),
    )?;
    write(
        &dest.join("go.sum"),
        &gomod::merged_go_sum(module_dir, go_sum_extra),
    )?;
    let mut modules_txt = rebase_modules_txt(
        &read(&module_dir.join("vendor").join("modules.txt"))?,
        module_dir,
        &rebase,
    );
    // A module the user vendors already is theirs, at their version.
    let vendored = |path: &str| {
        modules_txt
            .lines()
            .any(|l| l.split_whitespace().nth(1) == Some(path) && l.starts_with("# "))
    };
    let missing: Vec<&VendoredModule> = extra.iter().filter(|m| !vendored(m.path)).collect();
    for module in missing {
        let source = download(module, dest, go, env).await?;
        copy_packages(module, &source, &dest.join("vendor"))?;
        modules_txt.push_str(&modules_txt_entry(module));
    }
    write(&dest.join("vendor").join("modules.txt"), &modules_txt)?;
    Ok(dest.to_path_buf())
}

/// Whether the shadow names the relative `replace` target `target` (made
/// absolute against `module_dir`) by its absolute path: only when it lies
/// outside what the shadow mirrors — a target inside the module resolves in
/// the shadow as in the user's tree, so it stays as written. go.mod and
/// modules.txt are rewritten alike (Go checks that they agree). A path with
/// whitespace cannot be written into modules.txt, so it stays as written
/// too: a vendored build never reads a replacement directory.
fn rebases(target: &Path, module_dir: &Path) -> bool {
    let inside = lexically_inside(target, module_dir).is_some_and(|rel| {
        !rel.iter()
            .any(|part| SKIPPED.contains(&&*part.to_string_lossy()))
    });
    !inside && !target.to_string_lossy().chars().any(char::is_whitespace)
}

/// `path` relative to `root` when, with its `.` and `..` resolved
/// lexically, it lies inside `root`.
fn lexically_inside(path: &Path, root: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let rel = path.strip_prefix(root).ok()?;
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in rel.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::Normal(part) => parts.push(part),
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.iter().collect())
}

/// modules.txt with the relative `replace` targets its `# module … => dir`
/// lines name rewritten as the shadow's go.mod has them (see [`rebases`]).
fn rebase_modules_txt(text: &str, module_dir: &Path, rebase: &dyn Fn(&Path) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let rewritten = body
            .strip_prefix("# ")
            .and_then(|entry| entry.split_once(" => "))
            .and_then(|(module, new)| {
                let target = module_dir.join(gomod::edit::relative_target(new)?);
                rebase(&target).then(|| format!("# {module} => {}", target.to_string_lossy()))
            });
        match rewritten {
            Some(rewritten) => {
                out.push_str(&rewritten);
                out.push_str(&line[body.len()..]);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// The lines `go mod vendor` writes for a module.
fn modules_txt_entry(module: &VendoredModule) -> String {
    let mut text = format!("# {} {}\n## explicit\n", module.path, module.version);
    for package in module.packages {
        text.push_str(&join_import(module.path, package));
        text.push('\n');
    }
    text
}

fn join_import(module: &str, package: &str) -> String {
    if package.is_empty() {
        module.to_string()
    } else {
        format!("{module}/{package}")
    }
}

/// The module's directory in the module cache (downloaded if needed).
async fn download(
    module: &VendoredModule,
    cwd: &Path,
    go: &GoToolchain,
    env: &Env,
) -> Result<PathBuf> {
    let mut env = go.command_env(env);
    env.set("GOFLAGS", "-mod=mod");
    env.set("GOWORK", "off");
    let spec = format!("{}@{}", module.path, module.version);
    let out = exec::run_within(
        &go.go,
        &exec::args(["mod", "download", "-json", &spec]),
        cwd,
        &env,
        std::time::Duration::from_secs(10 * 60),
    )
    .await?;
    let dir = serde_json::from_str::<serde_json::Value>(&out.stdout)
        .ok()
        .and_then(|v| v["Dir"].as_str().map(PathBuf::from));
    match dir {
        Some(dir) if out.success => Ok(dir),
        _ => Err(Error::ModuleDownloadFailed {
            module: spec,
            output: out.combined(),
        }),
    }
}

/// Copies the non-test `.go` files of each package into `vendor/<import path>`.
/// A path that exists is unlinked first: in the shadow it may be a hard link
/// to the user's own file, which must never be written.
fn copy_packages(module: &VendoredModule, source: &Path, vendor: &Path) -> Result<()> {
    for package in module.packages {
        let from = source.join(package);
        let to = vendor.join(join_import(module.path, package));
        std::fs::create_dir_all(&to).map_err(|e| Error::io_at("create", &to, e))?;
        let entries = std::fs::read_dir(&from).map_err(|e| Error::io_at("read", &from, e))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".go") && !name.ends_with("_test.go") {
                let target = to.join(&name);
                let _ = std::fs::remove_file(&target);
                std::fs::copy(entry.path(), &target)
                    .map_err(|e| Error::io_at("copy", &entry.path(), e))?;
            }
        }
    }
    Ok(())
}

/// Recreates `from` under `to`: directories created, files hard-linked (copied
/// where links are impossible), symlinks re-created, skipping the files the
/// shadow rewrites (the module root's go.mod, go.sum and modules.txt).
fn mirror(from: &Path, to: &Path, root: bool) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| Error::io_at("create", to, e))?;
    let entries = std::fs::read_dir(from).map_err(|e| Error::io_at("read", from, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        let source = entry.path();
        let target = to.join(&name);
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !SKIPPED.contains(&name_str.as_ref()) {
                mirror(&source, &target, false)?;
            }
        } else if root && REWRITTEN.contains(&name_str.as_ref())
            || source.ends_with("vendor/modules.txt")
        {
            continue;
        } else if kind.is_symlink() {
            link_symlink(&source, &target)?;
        } else if !kind.is_file() {
            // A FIFO or device is never opened (reading one could block forever).
            continue;
        } else if std::fs::hard_link(&source, &target).is_err() {
            std::fs::copy(&source, &target).map_err(|e| Error::io_at("copy", &source, e))?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn link_symlink(source: &Path, target: &Path) -> Result<()> {
    let dest = std::fs::read_link(source).map_err(|e| Error::io_at("read", source, e))?;
    std::os::unix::fs::symlink(dest, target).map_err(|e| Error::io_at("link", target, e))
}

#[cfg(not(unix))]
fn link_symlink(source: &Path, target: &Path) -> Result<()> {
    std::fs::copy(source, target)
        .map(|_| ())
        .map_err(|e| Error::io_at("copy", source, e))
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io_at("read", path, e))
}

fn write(path: &Path, contents: &str) -> Result<()> {
    std::fs::write(path, contents).map_err(|e| Error::io_at("write", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writing_a_package_never_touches_a_linked_user_file() {
        let user = tempfile::tempdir().unwrap();
        let shadow = tempfile::tempdir().unwrap();
        let source = tempfile::tempdir().unwrap();
        let pkg = "vendor/github.com/a/b/p";
        std::fs::create_dir_all(user.path().join(pkg)).unwrap();
        std::fs::write(user.path().join(pkg).join("p.go"), "USER").unwrap();
        std::fs::write(user.path().join("go.mod"), "module x").unwrap();
        mirror(user.path(), shadow.path(), true).unwrap();
        std::fs::create_dir_all(source.path().join("p")).unwrap();
        std::fs::write(source.path().join("p/p.go"), "PINNED").unwrap();
        let m = VendoredModule {
            path: "github.com/a/b",
            version: "v1",
            packages: &["p"],
        };
        copy_packages(&m, source.path(), &shadow.path().join("vendor")).unwrap();
        assert_eq!(
            std::fs::read_to_string(user.path().join(pkg).join("p.go")).unwrap(),
            "USER"
        );
        assert_eq!(
            std::fs::read_to_string(shadow.path().join(pkg).join("p.go")).unwrap(),
            "PINNED"
        );
    }

    #[test]
    fn modules_txt_lists_packages() {
        let m = VendoredModule {
            path: "github.com/a/b",
            version: "v1.0.0",
            packages: &["", "c"],
        };
        assert_eq!(
            modules_txt_entry(&m),
            "# github.com/a/b v1.0.0\n## explicit\ngithub.com/a/b\ngithub.com/a/b/c\n"
        );
    }

    #[test]
    fn replace_targets_outside_the_module_are_rebased_alike_in_go_mod_and_modules_txt() {
        let module = Path::new("/w/app");
        let rebase = |target: &Path| rebases(target, module);
        let go_mod = "module x\n\nreplace example.com/greeting => ./greeting\nreplace (\n\texample.com/lib => ../lib\n\texample.com/nm => ./node_modules/nm\n)\n";
        assert_eq!(
            gomod::rebase_replaces_where(go_mod, module, &rebase),
            "module x\n\nreplace example.com/greeting => ./greeting\nreplace (\n\texample.com/lib => \"/w/app/../lib\"\n\texample.com/nm => \"/w/app/./node_modules/nm\"\n)\n"
        );
        let modules_txt = "# example.com/greeting v0.0.0 => ./greeting\n## explicit; go 1.22\nexample.com/greeting\n# example.com/lib v0.0.0 => ../lib\r\n## explicit\nexample.com/lib\n# example.com/greeting => ./greeting\n# example.com/lib => ../lib\n# golang.org/x/text v0.3.0 => golang.org/x/text v0.4.0\n";
        assert_eq!(
            rebase_modules_txt(modules_txt, module, &rebase),
            "# example.com/greeting v0.0.0 => ./greeting\n## explicit; go 1.22\nexample.com/greeting\n# example.com/lib v0.0.0 => /w/app/../lib\r\n## explicit\nexample.com/lib\n# example.com/greeting => ./greeting\n# example.com/lib => /w/app/../lib\n# golang.org/x/text v0.3.0 => golang.org/x/text v0.4.0\n"
        );
        // A path modules.txt cannot hold stays as written, in both files.
        let spaced = Path::new("/w/my app");
        assert!(!rebases(&spaced.join("../lib"), spaced));
        assert!(!rebases(&module.join("./a/../b"), module));
        assert!(rebases(&module.join("./a/../../b"), module));
    }

    #[test]
    fn mirror_skips_rewritten_files_and_links_the_rest() {
        let src = tempfile::tempdir().unwrap();
        let dst = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(src.path().join("vendor")).unwrap();
        std::fs::create_dir_all(src.path().join("node_modules/x")).unwrap();
        std::fs::write(src.path().join("go.mod"), "module x").unwrap();
        std::fs::write(src.path().join("vendor/modules.txt"), "#").unwrap();
        std::fs::write(src.path().join("a.go"), "package a").unwrap();
        std::fs::create_dir_all(src.path().join("nested")).unwrap();
        std::fs::write(src.path().join("nested/go.mod"), "module y").unwrap();
        mirror(src.path(), dst.path(), true).unwrap();
        assert!(
            dst.path().join("nested/go.mod").is_file(),
            "nested modules keep their go.mod"
        );
        assert!(dst.path().join("a.go").is_file());
        assert!(!dst.path().join("go.mod").exists());
        assert!(!dst.path().join("vendor/modules.txt").exists());
        assert!(!dst.path().join("node_modules").exists());
    }
}
