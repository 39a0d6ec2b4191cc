//! The one pipeline that turns an entrypoint into a compiled Go program:
//! locate the entry, prepare the module, analyze, write the generated main,
//! `go build`. `build()` and the dev server both use it; they differ only in
//! the template, the target and what happens to the binary.
//!
//! The user's tree is never written. What the reference builder did by
//! editing files in place (renaming the handler, moving bracket files,
//! rewriting go.mod, adding a main) is expressed as a `go build -overlay`
//! plus an alternate `-modfile`, both in a scratch directory.

use std::path::{Path, PathBuf};

use crate::analyze::{self, Analysis};
use crate::assets;
use crate::entry::{self, Entry};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::exec;
use crate::gomod::{self, ModFile};
use crate::handler_name;
use crate::overlay::{self, Overlay};
use crate::target::Target;
use crate::toolchain::GoToolchain;
use crate::vendor;

/// Directory (virtual, inside the user's module) of the generated main.
const MAIN_DIR: &str = "__vc_go_main__";
const MAIN_FILE: &str = "main__vc__go__.go";

/// Which generated `main` wraps the handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// AWS Lambda runtime loop through go-bridge (deployed functions).
    Lambda,
    /// A local HTTP server that reports its port (`vercel dev`).
    Dev,
}

impl Template {
    fn source(self) -> &'static str {
        match self {
            Template::Lambda => assets::HANDLER_MAIN_TEMPLATE,
            Template::Dev => assets::DEV_MAIN_TEMPLATE,
        }
    }

    fn requirements(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Template::Lambda => assets::BRIDGE_REQUIREMENTS,
            Template::Dev => &[],
        }
    }

    /// Modules the template imports, as packages to vendor.
    fn vendor_modules(self) -> &'static [crate::vendor::VendoredModule] {
        match self {
            Template::Lambda => assets::BRIDGE_VENDOR,
            Template::Dev => &[],
        }
    }

    fn go_sum(self) -> &'static str {
        match self {
            Template::Lambda => assets::BRIDGE_GO_SUM,
            Template::Dev => "",
        }
    }
}

/// Everything one compilation needs.
pub struct CompileSpec<'a> {
    pub work_path: &'a Path,
    /// Upper bound of the go.work search (the repository root).
    pub repo_root: &'a Path,
    /// The located entrypoint and the module layout around it.
    pub entry: &'a Entry,
    pub layout: &'a Layout,
    pub template: Template,
    pub target: Target,
    /// Flags placed before `-o`, e.g. `-ldflags "-s -w"` or `GO_BUILD_FLAGS`.
    pub build_flags: Vec<String>,
    /// The environment of the build (user env + meta.env), without Go's own settings.
    pub env: &'a Env,
    pub go: &'a GoToolchain,
    /// The builder's cache directory (compiled helper programs).
    pub cache_dir: &'a Path,
    /// A directory this compilation may write to; the caller removes it.
    pub scratch: &'a Path,
    /// Where the binary is written.
    pub output: &'a Path,
}

/// Runs the whole pipeline; the program is at `spec.output` on success.
pub async fn compile(spec: &CompileSpec<'_>) -> Result<()> {
    let (entry, layout) = (spec.entry, spec.layout);
    let go_mod = layout.go_mod().map(Path::to_path_buf);
    if go_mod.is_none() && has_vendor_dir(entry, spec.work_path) {
        return Err(Error::VendorWithoutGoMod);
    }
    let analysis =
        analyze::analyze(&entry.path, &entry.rel, spec.go, spec.cache_dir, spec.env).await?;
    check_handler(entry, &analysis, go_mod.is_some())?;
    let function_name =
        handler_name::new_handler_function_name(&analysis.function_name, &entry.rel);
    let renamed_path = spec.scratch.join("entry.go");
    write(
        &renamed_path,
        &handler_name::rename_at(
            &entry.source,
            &analysis.rename_offsets,
            &analysis.function_name,
            &function_name,
        ),
    )?;
    let sources = HandlerSources {
        entry,
        analysis: &analysis,
        function_name: &function_name,
        renamed: renamed_path,
    };
    let invocation = match layout {
        Layout::Module { go_mod } => prepare_module(spec, &sources, go_mod, None).await?,
        Layout::Workspace { go_mod, go_work } => {
            prepare_module(spec, &sources, go_mod, Some(go_work)).await?
        }
        Layout::Detached => prepare_detached(spec, &sources)?,
    };
    // Go names the scratch copy of the entry; the user knows it by its path.
    go_build(spec, &invocation).await.map_err(|e| {
        e.map_output(|out| out.replace(&sources.renamed.to_string_lossy().into_owned(), &entry.rel))
    })
}

/// `GO_BUILD_FLAGS`, split like a shell would, replaces `default` entirely.
pub fn go_build_flags(env: &Env, default: &[&str]) -> Result<Vec<String>> {
    match env
        .non_empty("GO_BUILD_FLAGS")
        .filter(|v| !v.trim().is_empty())
    {
        Some(flags) => shell_words::split(flags)
            .map_err(|e| Error::InvalidOptions(format!("GO_BUILD_FLAGS: {e}"))),
        None => Ok(default.iter().map(|s| s.to_string()).collect()),
    }
}

/// Where the handler's module comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// The user's go.mod is the main module.
    Module { go_mod: PathBuf },
    /// A go.work applies to the user's module.
    Workspace { go_mod: PathBuf, go_work: PathBuf },
    /// No go.mod up to the work path: the entry file is built on its own.
    Detached,
}

impl Layout {
    /// go.mod from the entry's directory up to the work path; go.work from
    /// the module up to the repository root, unless `GOWORK=off`.
    pub fn detect(work_path: &Path, repo_root: &Path, entry_dir: &Path, env: &Env) -> Layout {
        let Some(go_mod) = gomod::find_upwards(entry_dir, work_path, "go.mod") else {
            return Layout::Detached;
        };
        let module_dir = go_mod.parent().unwrap_or(work_path);
        let stop = gomod::search_boundary(module_dir, repo_root, work_path);
        let go_work = (env.get("GOWORK") != Some("off"))
            .then(|| gomod::find_upwards(module_dir, stop, "go.work"))
            .flatten();
        match go_work {
            Some(go_work) => Layout::Workspace { go_mod, go_work },
            None => Layout::Module { go_mod },
        }
    }

    pub fn go_mod(&self) -> Option<&Path> {
        match self {
            Layout::Module { go_mod } | Layout::Workspace { go_mod, .. } => Some(go_mod),
            Layout::Detached => None,
        }
    }

    pub fn go_work(&self) -> Option<&Path> {
        match self {
            Layout::Workspace { go_work, .. } => Some(go_work),
            _ => None,
        }
    }

    /// Locates the entrypoint and detects its layout: the first two steps
    /// of every build, before the toolchain can be chosen.
    pub fn locate(
        work_path: &Path,
        repo_root: &Path,
        entrypoint: &str,
        env: &Env,
    ) -> Result<(Entry, Layout)> {
        let entry = entry::locate(work_path, entrypoint)?;
        let layout = Layout::detect(work_path, repo_root, &entry.dir, env);
        Ok((entry, layout))
    }

    /// Every file or directory whose contents can change the compiled
    /// program: the module (and its local replacements), the workspace's
    /// modules and files, or the entry file alone.
    pub fn source_roots(&self, entry: &Entry) -> Vec<PathBuf> {
        match self {
            Layout::Detached => vec![entry.path.clone()],
            Layout::Module { go_mod } => module_source_roots(go_mod, None),
            Layout::Workspace { go_mod, go_work } => module_source_roots(go_mod, Some(go_work)),
        }
    }
}

/// What a build of the module at `go_mod` reads: its directory, the local
/// directories its `replace` lines point to and, with a workspace, the
/// go.work files, every `use`d module and go.work's local replacements.
pub fn module_source_roots(go_mod: &Path, go_work: Option<&Path>) -> Vec<PathBuf> {
    let mut roots = module_roots(go_mod);
    if let Some(go_work) = go_work {
        let work_dir = go_work.parent().unwrap_or(Path::new("."));
        roots.push(go_work.to_path_buf());
        roots.push(work_dir.join("go.work.sum"));
        let work = ModFile::parse(&std::fs::read_to_string(go_work).unwrap_or_default());
        for dir in &work.uses {
            roots.extend(module_roots(&work_dir.join(dir).join("go.mod")));
        }
        roots.extend(local_replace_targets(&work.replaces, work_dir));
    }
    roots
}

/// A module's directory plus the local directories its `replace` lines point to.
fn module_roots(go_mod: &Path) -> Vec<PathBuf> {
    let dir = go_mod.parent().unwrap_or(Path::new(".")).to_path_buf();
    let text = std::fs::read_to_string(go_mod).unwrap_or_default();
    let mut roots = vec![dir.clone()];
    roots.extend(local_replace_targets(&ModFile::parse(&text).replaces, &dir));
    roots
}

/// The directories of `replace … => ./path` directives, made absolute.
fn local_replace_targets(replaces: &[String], base: &Path) -> Vec<PathBuf> {
    replaces
        .iter()
        .filter_map(|directive| {
            let absolute = gomod::absolute_replace(directive, base);
            if absolute == *directive {
                return None;
            }
            let (_, target) = absolute.split_once("=>")?;
            Some(PathBuf::from(target.trim().trim_matches('"')))
        })
        .collect()
}

fn has_vendor_dir(entry: &Entry, work_path: &Path) -> bool {
    entry.dir.join("vendor").is_dir() || work_path.join("vendor").is_dir()
}

fn check_handler(entry: &Entry, analysis: &Analysis, has_go_mod: bool) -> Result<()> {
    if analysis.function_name.is_empty() {
        return Err(Error::HandlerNotFound {
            entrypoint: entry.rel.clone(),
        });
    }
    if has_go_mod && analysis.package_name == "main" {
        return Err(Error::PackageMainWithGoMod {
            entrypoint: entry.rel.clone(),
        });
    }
    Ok(())
}

/// The handler's sources after renaming.
struct HandlerSources<'a> {
    entry: &'a Entry,
    analysis: &'a Analysis,
    function_name: &'a str,
    /// Scratch file holding the renamed entry.
    renamed: PathBuf,
}

/// How to invoke `go build` once the sources are laid out.
struct Invocation {
    cwd: PathBuf,
    /// Flags before the user's build flags (`-modfile`, `-overlay`, `-mod`).
    flags: Vec<String>,
    /// The package to build.
    package: String,
    env: Env,
}

/// The user's go.mod is the main module: an alternate modfile adds the
/// template's requirements; the overlay adds the main and renames the handler.
async fn prepare_module(
    spec: &CompileSpec<'_>,
    sources: &HandlerSources<'_>,
    go_mod: &Path,
    go_work: Option<&Path>,
) -> Result<Invocation> {
    let module_dir = go_mod.parent().unwrap_or(spec.work_path);
    let mod_text = read(go_mod)?;
    let module = ModFile::parse(&mod_text)
        .module
        .ok_or_else(|| Error::ModTidyFailed {
            output: format!("{} has no `module` line", go_mod.display()),
        })?;
    let import_path = package_import_path(&module, module_dir, &sources.entry.dir);
    let vendored = go_work.is_none() && vendor::is_vendored(module_dir);
    let extra_vendor = spec.template.vendor_modules();
    // Where Go sees the module: the user's own directory, or its shadow when
    // vendored packages must be added.
    let build_root = if vendored && !extra_vendor.is_empty() {
        vendor::shadow_module(
            module_dir,
            &spec.scratch.join("shadow"),
            extra_vendor,
            spec.template.go_sum(),
            spec.go,
            spec.env,
        )
        .await?
    } else {
        module_dir.to_path_buf()
    };
    let entry_dir = build_root.join(
        sources
            .entry
            .dir
            .strip_prefix(module_dir)
            .unwrap_or(Path::new("")),
    );
    let mut overlay = handler_overlay(sources, &entry_dir);
    overlay.replace(
        build_root.join(MAIN_DIR).join(MAIN_FILE),
        write_scratch(
            spec.scratch,
            MAIN_FILE,
            &render_main(
                spec.template.source(),
                Some(&import_path),
                sources.function_name,
            ),
        )?,
    );
    if let Some(work_file) = go_work {
        return prepare_workspace(spec, overlay, module_dir, work_file);
    }
    let mut flags = Vec::new();
    if vendored {
        flags.push("-mod=vendor".to_string());
    } else {
        let modfile = write_scratch(
            spec.scratch,
            "go.mod",
            &gomod::with_requirements(&mod_text, spec.template.requirements()),
        )?;
        write_scratch(
            spec.scratch,
            "go.sum",
            &gomod::merged_go_sum(module_dir, spec.template.go_sum()),
        )?;
        flags.push(format!("-modfile={}", modfile.display()));
        flags.push("-mod=mod".to_string());
    }
    flags.push(format!(
        "-overlay={}",
        overlay.write(spec.scratch)?.display()
    ));
    let mut env = spec.env.clone();
    env.set("GOWORK", "off");
    Ok(Invocation {
        cwd: build_root,
        flags,
        package: format!("./{MAIN_DIR}"),
        env,
    })
}

/// A go.work applies: the generated main becomes its own module in the
/// scratch directory, added to a copy of the workspace (with absolute paths).
fn prepare_workspace(
    spec: &CompileSpec<'_>,
    mut overlay: Overlay,
    module_dir: &Path,
    work_file: &Path,
) -> Result<Invocation> {
    let work_dir = work_file.parent().unwrap_or(module_dir);
    let work_text = read(work_file)?;
    let work = ModFile::parse(&work_text);
    let main_module = spec.scratch.join("main");
    std::fs::create_dir_all(&main_module).map_err(|e| Error::io_at("create", &main_module, e))?;
    // The virtual main inside the user's module moves into our own module.
    let main_backing = spec.scratch.join(MAIN_FILE);
    overlay.hide(module_dir.join(MAIN_DIR).join(MAIN_FILE));
    std::fs::copy(&main_backing, main_module.join(MAIN_FILE))
        .map_err(|e| Error::io_at("copy", &main_backing, e))?;
    let go_version = work.go.clone().unwrap_or_else(|| "1.21".to_string());
    write(
        &main_module.join("go.mod"),
        &gomod::generated_go_mod("vc-go-main", &go_version, spec.template.requirements()),
    )?;
    write(&main_module.join("go.sum"), spec.template.go_sum())?;
    let mut uses: Vec<PathBuf> = work.uses.iter().map(|u| work_dir.join(u)).collect();
    if !uses.iter().any(|u| same_dir(u, module_dir)) {
        uses.push(module_dir.to_path_buf());
    }
    let text = workspace_file(&go_version, &uses, &main_module, &work, work_dir);
    let scratch_work = write_scratch(spec.scratch, "go.work", &text)?;
    if let Ok(sum) = std::fs::read_to_string(work_dir.join("go.work.sum")) {
        write_scratch(spec.scratch, "go.work.sum", &sum)?;
    }
    let overlay_file = overlay.write(spec.scratch)?;
    let mut env = spec.env.clone();
    env.set("GOWORK", scratch_work.to_string_lossy());
    Ok(Invocation {
        cwd: main_module,
        flags: vec![format!("-overlay={}", overlay_file.display())],
        package: ".".to_string(),
        env,
    })
}

/// The scratch go.work: the user's modules and our main module, with every
/// path absolute. Requirements between workspace modules get a versioned
/// replace: the bridge's module graph is not pruned, so without one Go would
/// try to download those versions of the user's own modules.
fn workspace_file(
    go_version: &str,
    uses: &[PathBuf],
    main_module: &Path,
    work: &ModFile,
    work_dir: &Path,
) -> String {
    let modules: Vec<(PathBuf, ModFile)> = uses
        .iter()
        .filter_map(|dir| {
            let text = std::fs::read_to_string(dir.join("go.mod")).ok()?;
            Some((dir.clone(), ModFile::parse(&text)))
        })
        .collect();
    let mut text = format!("go {go_version}\n\nuse (\n");
    for dir in uses.iter().map(PathBuf::as_path).chain([main_module]) {
        text.push_str(&format!("\t{}\n", gomod::quote(&dir.to_string_lossy())));
    }
    text.push_str(")\n\n");
    for directive in &work.replaces {
        text.push_str(&format!(
            "replace {}\n",
            gomod::absolute_replace(directive, work_dir)
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (_, module) in &modules {
        for require in &module.requires {
            let Some((dir, _)) = modules
                .iter()
                .find(|(_, m)| m.module.as_deref() == Some(require.path.as_str()))
            else {
                continue;
            };
            if seen.insert((require.path.clone(), require.version.clone())) {
                text.push_str(&format!(
                    "replace {} {} => {}\n",
                    require.path,
                    require.version,
                    gomod::quote(&dir.to_string_lossy())
                ));
            }
        }
    }
    text
}

/// No go.mod: the handler (renamed) is built in a module of its own in the
/// scratch directory, with its imports resolved through the module proxy.
fn prepare_detached(spec: &CompileSpec<'_>, sources: &HandlerSources<'_>) -> Result<Invocation> {
    let module_dir = spec.scratch.join("module");
    let package = &sources.analysis.package_name;
    // `major.minor` only: Go ≤ 1.20 rejects a patch version in a `go` line.
    let go_version = spec
        .go
        .parsed_version()
        .map(|v| format!("{}.{}", v.major, v.minor))
        .unwrap_or_else(|| "1.21".to_string());
    write_new(
        &module_dir.join("go.mod"),
        &gomod::generated_go_mod("vc-go-handler", &go_version, spec.template.requirements()),
    )?;
    write(&module_dir.join("go.sum"), spec.template.go_sum())?;
    let file_name = overlay::go_safe_file_name(&sources.entry.file_name);
    let (handler_dir, import_path) = if package == "main" {
        (module_dir.clone(), None)
    } else {
        (
            module_dir.join(package),
            Some(format!("vc-go-handler/{package}")),
        )
    };
    let main_dir = if import_path.is_some() {
        module_dir.join(MAIN_DIR)
    } else {
        module_dir.clone()
    };
    copy_new(&sources.renamed, &handler_dir.join(file_name))?;
    write_new(
        &main_dir.join(MAIN_FILE),
        &render_main(
            spec.template.source(),
            import_path.as_deref(),
            sources.function_name,
        ),
    )?;
    let mut env = spec.env.clone();
    env.set("GOWORK", "off");
    Ok(Invocation {
        package: if import_path.is_some() {
            format!("./{MAIN_DIR}")
        } else {
            ".".to_string()
        },
        cwd: module_dir,
        flags: vec!["-mod=mod".to_string()],
        env,
    })
}

/// Overlay entries for the handler's own directory: the renamed entry
/// (under a Go-safe name), bracket-named siblings under Go-safe names, and
/// files of other packages hidden so several packages can share a directory.
/// `entry_dir` is the entry's directory as Go sees it.
fn handler_overlay(sources: &HandlerSources<'_>, entry_dir: &Path) -> Overlay {
    let mut overlay = Overlay::default();
    let entry = sources.entry;
    let safe_entry = overlay::go_safe_file_name(&entry.file_name);
    if safe_entry != entry.file_name {
        overlay.hide(entry_dir.join(&entry.file_name));
    }
    overlay.replace(entry_dir.join(safe_entry), sources.renamed.clone());
    for sibling in &sources.analysis.siblings {
        let path = entry_dir.join(&sibling.file);
        let safe = overlay::go_safe_file_name(&sibling.file);
        if sibling.package_name != sources.analysis.package_name || safe != sibling.file {
            overlay.hide(path.clone());
        }
        if sibling.package_name == sources.analysis.package_name && safe != sibling.file {
            overlay.replace(entry_dir.join(safe), path);
        }
    }
    overlay
}

/// `module` + the entry directory's path inside the module.
fn package_import_path(module: &str, module_dir: &Path, entry_dir: &Path) -> String {
    let rel = entry_dir.strip_prefix(module_dir).unwrap_or(Path::new(""));
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        module.to_string()
    } else {
        format!("{module}/{}", parts.join("/"))
    }
}

/// Fills the main template. Without an import path the handler lives in the
/// main package itself (a legacy `package main` entry without go.mod).
fn render_main(template: &str, import_path: Option<&str>, function: &str) -> String {
    let (import, call) = match import_path {
        Some(path) => (
            format!("handler {}", gomod::quote(path)),
            format!("handler.{function}"),
        ),
        None => (String::new(), function.to_string()),
    };
    template
        .replace("__VC_HANDLER_IMPORT__", &import)
        .replace("__VC_HANDLER_FUNC__", &call)
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Runs `go build` and classifies a failure.
async fn go_build(spec: &CompileSpec<'_>, invocation: &Invocation) -> Result<()> {
    let mut args = vec!["build".to_string()];
    args.extend(invocation.flags.iter().cloned());
    args.extend(spec.build_flags.iter().cloned());
    args.push("-o".to_string());
    args.push(spec.output.to_string_lossy().into_owned());
    args.push(invocation.package.clone());
    let mut env = spec.go.target_env(&invocation.env, &spec.target);
    env.set_default("CGO_ENABLED", "0");
    let out = exec::run(&spec.go.go, &args, &invocation.cwd, &env).await?;
    if out.success {
        return Ok(());
    }
    let output = out.combined();
    Err(if is_module_failure(&output) {
        Error::ModTidyFailed { output }
    } else {
        Error::BuildFailed { output }
    })
}

/// Whether `go build` failed while resolving modules rather than compiling.
fn is_module_failure(output: &str) -> bool {
    const MARKERS: &[&str] = &[
        "no required module provides package",
        "cannot find module providing package",
        "missing go.sum entry",
        "unknown revision",
        "invalid version",
        "verifying module",
        "reading https://",
        "errors parsing go.mod",
        "malformed module path",
        "go: updates to go.mod needed",
        "module lookup disabled",
    ];
    MARKERS.iter().any(|m| output.contains(m))
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io_at("read", path, e))
}

fn write(path: &Path, contents: &str) -> Result<()> {
    std::fs::write(path, contents).map_err(|e| Error::io_at("write", path, e))
}

fn write_scratch(scratch: &Path, name: &str, contents: &str) -> Result<PathBuf> {
    let path = scratch.join(name);
    write(&path, contents)?;
    Ok(path)
}

/// Writes a file, creating its directory (inside the scratch directory).
fn write_new(path: &Path, contents: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io_at("create", dir, e))?;
    }
    write(path, contents)
}

fn copy_new(from: &Path, to: &Path) -> Result<()> {
    write_new(to, &read(from)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_paths() {
        assert_eq!(
            package_import_path("example.com/app", Path::new("/w"), Path::new("/w/api/v1")),
            "example.com/app/api/v1"
        );
        assert_eq!(
            package_import_path("example.com/app", Path::new("/w/api"), Path::new("/w/api")),
            "example.com/app"
        );
    }

    #[test]
    fn renders_main_with_and_without_import() {
        let t = "import (\n\t__VC_HANDLER_IMPORT__\n)\nx(__VC_HANDLER_FUNC__)";
        assert_eq!(
            render_main(t, Some("example.com/app/api"), "H_api"),
            "import (\n\thandler \"example.com/app/api\"\n)\nx(handler.H_api)"
        );
        assert_eq!(render_main(t, None, "H"), "import (\n\t\n)\nx(H)");
    }

    #[test]
    fn build_flags_default_and_override() {
        let with = |v: &str| -> Env {
            [("GO_BUILD_FLAGS".to_string(), v.to_string())]
                .into_iter()
                .collect()
        };
        assert_eq!(
            go_build_flags(&Env::default(), &["-ldflags", "-s -w"]).unwrap(),
            vec!["-ldflags", "-s -w"]
        );
        assert_eq!(
            go_build_flags(&with("-tags 'a b' -ldflags=\"-X main.v=1\""), &[]).unwrap(),
            vec!["-tags", "a b", "-ldflags=-X main.v=1"]
        );
        assert!(go_build_flags(&with("-tags 'open"), &[]).is_err());
        assert!(go_build_flags(&with("  "), &[]).unwrap().is_empty());
    }

    #[test]
    fn classifies_module_failures() {
        assert!(is_module_failure(
            "main.go:3:2: no required module provides package github.com/x/y"
        ));
        assert!(!is_module_failure(
            "# example.com/app/api\napi/index.go:5:2: undefined: foo"
        ));
    }
}
