//! How Go sees a handler's module: the user's module with an overlay (the
//! renamed handler, the generated main, hidden files of other packages)
//! and an alternate go.mod; a scratch go.work beside the user's workspace;
//! or, without any go.mod, a module of its own in the scratch directory.
//! Nothing is written into the user's tree.

use std::path::{Path, PathBuf};

use super::overlay::{self, Overlay};
use super::renamed_source;
use super::template::{Template, DETACHED_MODULE, MAIN_DIR, MAIN_FILE, MAIN_MODULE};
use super::vendor;
use crate::analyze::Analysis;
use crate::entry::Entry;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::gomod::{self, workspace::Workspace, ModFile};
use crate::handler_name;
use crate::session::{Purpose, Session};

/// One handler's sources after renaming.
pub struct HandlerSources<'a> {
    pub entry: &'a Entry,
    pub analysis: &'a Analysis,
    /// The handler function's new name.
    pub function_name: String,
    /// Scratch file for the renamed entry (written by [`lay_out`], with the
    /// positions of the file Go sees it as).
    pub renamed: PathBuf,
    /// The generated main's package directory name (also the name of the
    /// program `go build -o <dir>/` writes for it). Handlers with the same
    /// one are served by one program ([`Template::render_shared`]).
    pub main_name: String,
}

/// Where `go build` runs and how it is told about the module.
pub struct ModuleView {
    pub cwd: PathBuf,
    /// `-modfile`, `-mod`, `-overlay`.
    pub flags: Vec<String>,
    /// The generated main packages, one per distinct `main_name`, in the
    /// order the handlers name them.
    pub packages: Vec<String>,
    /// The import path of the handlers' own package of each generated main,
    /// in order (`None` for a `package main` handler).
    pub handler_packages: Vec<Option<String>>,
    pub env: Env,
    /// Paths Go may print for files it sees somewhere else than the user
    /// does (a shadow of the module, a module of its own), and the user's
    /// names for them.
    pub seen_as: Vec<(PathBuf, String)>,
}

/// Lays the handlers' module out for Go, per the session's layout. All
/// handlers share the session's module (a module without go.mod holds
/// exactly one).
pub async fn lay_out(
    session: &Session<'_>,
    handlers: &[HandlerSources<'_>],
    template: Template,
) -> Result<ModuleView> {
    match session.layout.go_mod() {
        Some(go_mod) => user_module(session, handlers, template, go_mod).await,
        None => match handlers {
            [one] => detached(session, one, template),
            _ => Err(Error::Internal(
                "handlers without a go.mod are built one at a time".to_string(),
            )),
        },
    }
}

/// The user's go.mod is the main module: an alternate modfile adds the
/// template's requirements; the overlay adds the mains and renames the
/// handlers. With a go.work, the mains form a module of the workspace.
async fn user_module(
    session: &Session<'_>,
    handlers: &[HandlerSources<'_>],
    template: Template,
    go_mod: &Path,
) -> Result<ModuleView> {
    let scratch = session.scratch();
    let module_dir = go_mod.parent().unwrap_or(session.work_path());
    let mod_text = read(go_mod)?;
    let module = ModFile::parse(&mod_text)
        .module
        .ok_or_else(|| Error::GoModInvalid {
            output: format!("{} has no `module` line", go_mod.display()),
        })?;
    let go_work = session.layout.go_work();
    let vendored = go_work.is_none() && vendor::is_vendored(module_dir);
    let extra_vendor = template.vendor_modules();
    // Where Go sees the module: the user's own directory, or its shadow when
    // vendored packages must be added.
    let build_root = if vendored && !extra_vendor.is_empty() {
        vendor::shadow_module(
            module_dir,
            &scratch.join("shadow"),
            extra_vendor,
            template.go_sum(),
            &session.go,
            &session.env,
        )
        .await?
    } else {
        module_dir.to_path_buf()
    };
    let as_seen =
        |dir: &Path| build_root.join(dir.strip_prefix(module_dir).unwrap_or(Path::new("")));
    let mut seen_as = Vec::new();
    for handler in handlers {
        let entry = handler.entry;
        let shown = shown_as(
            session,
            &as_seen(&entry.dir).join(&entry.file_name),
            &package_import_path(&module, module_dir, &entry.dir),
            entry,
        );
        write_renamed(handler, &shown)?;
        seen_as.push((shown, entry.rel.clone()));
    }
    if build_root != module_dir {
        seen_as.push((
            build_root.clone(),
            module_dir.to_string_lossy().into_owned(),
        ));
    }
    let mut overlay = handlers_overlay(handlers, &as_seen);
    if session.purpose == Purpose::Debug {
        for (seen, copy) in rename_clashing_siblings(session, handlers, &as_seen)? {
            overlay.replace(seen, copy);
        }
    }
    let groups = by_main(handlers);
    let handler_packages: Vec<Option<String>> = groups
        .iter()
        .map(|g| Some(package_import_path(&module, module_dir, &g[0].entry.dir)))
        .collect();
    let mains: Vec<(String, PathBuf)> = groups
        .iter()
        .zip(&handler_packages)
        .map(|(group, import)| {
            let main = render_main(session, template, import.as_deref(), group);
            let file = write_scratch(scratch, &format!("{}.go", group[0].main_name), &main)?;
            Ok((group[0].main_name.clone(), file))
        })
        .collect::<Result<_>>()?;
    if let Some(work_file) = go_work {
        return workspace(
            session,
            template,
            overlay,
            handler_packages,
            &mains,
            module_dir,
            work_file,
        )
        .map(|view| ModuleView { seen_as, ..view });
    }
    for (name, file) in &mains {
        overlay.replace(
            build_root.join(MAIN_DIR).join(name).join(MAIN_FILE),
            file.clone(),
        );
    }
    let mut flags = Vec::new();
    if vendored {
        flags.push("-mod=vendor".to_string());
    } else {
        let modfile = write_scratch(
            scratch,
            "go.mod",
            &gomod::with_requirements(&mod_text, template.requirements()),
        )?;
        write_scratch(
            scratch,
            "go.sum",
            &gomod::merged_go_sum(module_dir, template.go_sum()),
        )?;
        flags.push(format!("-modfile={}", modfile.display()));
        flags.push("-mod=mod".to_string());
    }
    flags.push(format!("-overlay={}", overlay.write(scratch)?.display()));
    let mut env = session.env.clone();
    env.set("GOWORK", "off");
    Ok(ModuleView {
        cwd: build_root,
        flags,
        packages: mains
            .iter()
            .map(|(name, _)| format!("./{MAIN_DIR}/{name}"))
            .collect(),
        handler_packages,
        env,
        seen_as,
    })
}

/// The handlers grouped by the generated main that serves them, in order
/// of first appearance.
pub fn by_main<'s, 'a>(handlers: &'s [HandlerSources<'a>]) -> Vec<Vec<&'s HandlerSources<'a>>> {
    let mut groups: Vec<Vec<&HandlerSources<'a>>> = Vec::new();
    for handler in handlers {
        match groups
            .iter_mut()
            .find(|g| g[0].main_name == handler.main_name)
        {
            Some(group) => group.push(handler),
            None => groups.push(vec![handler]),
        }
    }
    groups
}

/// The generated main of one handler, or of several sharing one program.
/// Under the debugger its code is `<autogenerated>`: no frame shows a file
/// the user cannot open.
fn render_main(
    session: &Session<'_>,
    template: Template,
    import: Option<&str>,
    group: &[&HandlerSources<'_>],
) -> String {
    let main = match group {
        [one] => template.render(import, &one.function_name),
        _ => {
            let functions: Vec<(&str, &str)> = group
                .iter()
                .map(|h| (h.entry.rel.as_str(), h.function_name.as_str()))
                .collect();
            template.render_shared(import, &functions)
        }
    };
    if session.purpose == Purpose::Debug {
        format!("//line <autogenerated>:1\n{main}")
    } else {
        main
    }
}

/// The name Go records and prints for an entry whose package has the import
/// path `package_path`: under the debugger its absolute path `path`, as the
/// user knows it (no `-trimpath` rewrites it); otherwise its import path,
/// what `-trimpath` makes of a file anyway, whatever the checkout's path.
fn shown_as(session: &Session<'_>, path: &Path, package_path: &str, entry: &Entry) -> PathBuf {
    if session.purpose == Purpose::Debug {
        path.to_path_buf()
    } else {
        PathBuf::from(format!("{package_path}/{}", entry.file_name))
    }
}

/// Writes the handler's renamed entry, with Go's positions in `shown_as`.
fn write_renamed(handler: &HandlerSources<'_>, shown_as: &Path) -> Result<()> {
    let source = renamed_source::entry(
        &handler.entry.source,
        handler.analysis,
        &handler.function_name,
        shown_as,
    );
    write(&handler.renamed, &source)
}

/// A go.work applies: the generated mains form a module of their own in the
/// scratch directory, added to a copy of the workspace (with absolute paths).
fn workspace(
    session: &Session<'_>,
    template: Template,
    overlay: Overlay,
    handler_packages: Vec<Option<String>>,
    mains: &[(String, PathBuf)],
    module_dir: &Path,
    work_file: &Path,
) -> Result<ModuleView> {
    let scratch = session.scratch();
    let workspace = Workspace::read(work_file)?;
    let main_module = scratch.join("main");
    for (name, file) in mains {
        copy_new(file, &main_module.join(name).join(MAIN_FILE))?;
    }
    write(
        &main_module.join("go.mod"),
        &gomod::generated_go_mod(
            MAIN_MODULE,
            &workspace.go_version(),
            template.requirements(),
        ),
    )?;
    write(&main_module.join("go.sum"), template.go_sum())?;
    let link = workspace_link(scratch, &workspace.dir);
    let scratch_work = write_scratch(
        scratch,
        "go.work",
        &workspace.with_modules(module_dir, &main_module, link),
    )?;
    if let Ok(sum) = std::fs::read_to_string(workspace.dir.join("go.work.sum")) {
        write_scratch(scratch, "go.work.sum", &sum)?;
    }
    let overlay_file = overlay.write(scratch)?;
    let mut env = session.env.clone();
    env.set("GOWORK", scratch_work.to_string_lossy());
    Ok(ModuleView {
        cwd: main_module,
        flags: vec![format!("-overlay={}", overlay_file.display())],
        packages: mains.iter().map(|(name, _)| format!("./{name}")).collect(),
        handler_packages,
        env,
        seen_as: Vec::new(),
    })
}

/// No go.mod: the handler (renamed) is built in a module of its own in the
/// scratch directory, with its imports resolved through the module proxy.
fn detached(
    session: &Session<'_>,
    sources: &HandlerSources<'_>,
    template: Template,
) -> Result<ModuleView> {
    let module_dir = session.scratch().join("module");
    let package = &sources.analysis.package_name;
    // `major.minor` only: Go ≤ 1.20 rejects a patch version in a `go` line.
    let go_version = session
        .go
        .parsed_version()
        .map(|v| format!("{}.{}", v.major, v.minor))
        .unwrap_or_else(|| "1.21".to_string());
    write_new(
        &module_dir.join("go.mod"),
        &gomod::generated_go_mod(DETACHED_MODULE, &go_version, template.requirements()),
    )?;
    write(&module_dir.join("go.sum"), template.go_sum())?;
    let file_name = overlay::go_safe_file_name(&sources.entry.file_name);
    let (handler_dir, main_dir, import_path) = if package == "main" {
        (module_dir.clone(), module_dir.clone(), None)
    } else {
        (
            module_dir.join(package),
            module_dir.join(MAIN_DIR),
            Some(format!("{DETACHED_MODULE}/{package}")),
        )
    };
    let package_path = import_path.as_deref().unwrap_or(DETACHED_MODULE);
    let shown = shown_as(session, &sources.entry.path, package_path, sources.entry);
    write_renamed(sources, &shown)?;
    copy_new(&sources.renamed, &handler_dir.join(file_name))?;
    write_new(
        &main_dir.join(MAIN_FILE),
        &render_main(session, template, import_path.as_deref(), &[sources]),
    )?;
    let mut env = session.env.clone();
    env.set("GOWORK", "off");
    Ok(ModuleView {
        packages: vec![if import_path.is_some() {
            format!("./{MAIN_DIR}")
        } else {
            ".".to_string()
        }],
        handler_packages: vec![import_path],
        cwd: module_dir,
        flags: vec!["-mod=mod".to_string()],
        env,
        seen_as: vec![(shown, sources.entry.rel.clone())],
    })
}

/// Overlay entries for the handlers' directories (`as_seen` maps a user
/// directory to where Go sees it): bracket-named siblings under Go-safe
/// names, files of other packages (and anything but regular files) hidden
/// so several packages can share a directory, and — over those — each
/// renamed entry under its Go-safe name.
fn handlers_overlay(
    handlers: &[HandlerSources<'_>],
    as_seen: &dyn Fn(&Path) -> PathBuf,
) -> Overlay {
    let mut overlay = Overlay::default();
    for handler in handlers {
        let dir = as_seen(&handler.entry.dir);
        let package = &handler.analysis.package_name;
        for sibling in &handler.analysis.siblings {
            let path = dir.join(&sibling.file);
            let safe = overlay::go_safe_file_name(&sibling.file);
            // A FIFO or device named like a Go file is hidden: Go would
            // block reading it.
            if !sibling.regular || &sibling.package_name != package || safe != sibling.file {
                overlay.hide(path.clone());
            }
            if &sibling.package_name == package && safe != sibling.file {
                overlay.replace(dir.join(safe), path);
            }
        }
    }
    for handler in handlers {
        let dir = as_seen(&handler.entry.dir);
        let entry = handler.entry;
        let safe_entry = overlay::go_safe_file_name(&entry.file_name);
        if safe_entry != entry.file_name {
            overlay.hide(dir.join(&entry.file_name));
        }
        overlay.replace(dir.join(safe_entry), handler.renamed.clone());
    }
    overlay
}

/// Under the debugger the handler keeps the name the user wrote: each
/// sibling of its package that declares that name too gets its own
/// declaration renamed (as a lone build renames the handler), in a copy
/// Go sees at the sibling's place. Returns (where Go sees it, the copy).
fn rename_clashing_siblings(
    session: &Session<'_>,
    handlers: &[HandlerSources<'_>],
    as_seen: &dyn Fn(&Path) -> PathBuf,
) -> Result<Vec<(PathBuf, PathBuf)>> {
    let mut copies = Vec::new();
    for handler in handlers {
        let (entry, name) = (handler.entry, &handler.analysis.function_name);
        let dir = as_seen(&entry.dir);
        let clashing = handler
            .analysis
            .siblings
            .iter()
            .filter(|s| !s.handler_name_offsets.is_empty());
        for sibling in clashing {
            let rel = match entry.rel.rsplit_once('/') {
                Some((parent, _)) => format!("{parent}/{}", sibling.file),
                None => sibling.file.clone(),
            };
            let new_name = handler_name::new_handler_function_name(name, &rel);
            let source = read(&entry.dir.join(&sibling.file))?;
            let copy = session
                .scratch()
                .join("entries")
                .join(format!("{}.go", super::template::main_name(&rel)));
            let renamed = renamed_source::sibling(
                &source,
                &sibling.handler_name_offsets,
                name,
                &new_name,
                &dir.join(&sibling.file),
            );
            write(&copy, &renamed)?;
            copies.push((dir.join(overlay::go_safe_file_name(&sibling.file)), copy));
        }
    }
    Ok(copies)
}

/// `module` + the entry directory's path inside the module.
fn package_import_path(module: &str, module_dir: &Path, entry_dir: &Path) -> String {
    match crate::server::package_in(module_dir, entry_dir).strip_prefix("./") {
        Some(rel) => format!("{module}/{rel}"),
        None => module.to_string(),
    }
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io_at("read", path, e))
}

pub(super) fn write(path: &Path, contents: &str) -> Result<()> {
    std::fs::write(path, contents).map_err(|e| Error::io_at("write", path, e))
}

/// A symlink in the scratch folder to the user's workspace folder, as the
/// scratch go.work reaches it (`./workspace`); `None` where none can be made.
fn workspace_link(scratch: &Path, workspace_dir: &Path) -> Option<&'static str> {
    let link = scratch.join("workspace");
    #[cfg(unix)]
    let made = std::os::unix::fs::symlink(workspace_dir, &link);
    #[cfg(not(unix))]
    let made = std::os::windows::fs::symlink_dir(workspace_dir, &link);
    made.is_ok().then_some("./workspace")
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
}
