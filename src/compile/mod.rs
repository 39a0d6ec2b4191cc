//! The one pipeline that turns an entrypoint into a compiled Go program.
//!
//! For a handler: analyze the entry ([`crate::analyze`]), rename its
//! handler ([`crate::handler_name`]), lay its module out for Go with the
//! generated main ([`module`], [`template`]), then `go build`
//! ([`go_build`]). For a server: `go build` of its own `main` package.
//! `build()` and the dev server both use it; they differ only in the
//! template, the target and what happens to the binary.
//!
//! The user's tree is never written. What the reference builder did by
//! editing files in place (renaming the handler, moving bracket files,
//! rewriting go.mod, adding a main) is expressed as a `go build -overlay`
//! plus an alternate `-modfile`, both in the session's scratch directory.

pub mod module;
pub mod overlay;
mod renamed_source;
pub mod template;
pub mod vendor;

use std::path::{Path, PathBuf};

use crate::analyze::{self, Analysis};
use crate::blocking::blocking;
use crate::entry::Entry;
use crate::error::{Error, Result};
use crate::handler_name;
use crate::log::Log;
use crate::server;
use crate::session::{Purpose, Session};

use crate::go_build::{self, Cgo, GoBuild};
use module::HandlerSources;
pub use template::Template;

/// A handler the builder can wrap: its entry and what the analyzer found.
pub struct Handler {
    pub entry: Entry,
    pub analysis: Analysis,
}

/// Analyzes `entry` and checks it holds a handler the builder can wrap
/// into `template`.
pub async fn analyze_handler(
    session: &Session<'_>,
    template: Template,
    build_flags: &[String],
    entry: Entry,
) -> Result<Handler> {
    analyze_handlers(session, template, build_flags, vec![entry])
        .await?
        .pop()
        .unwrap_or_else(|| Err(Error::Internal("no analysis".to_string())))
}

/// [`analyze_handler`] for several entries of the session's module, in one
/// run of the analyzer; one result per entry, in order.
pub async fn analyze_handlers(
    session: &Session<'_>,
    template: Template,
    build_flags: &[String],
    entries: Vec<Entry>,
) -> Result<Vec<Result<Handler>>> {
    let has_go_mod = session.layout.go_mod().is_some();
    if !has_go_mod
        && entries
            .iter()
            .any(|e| has_vendor_dir(e, session.work_path()))
    {
        return Err(Error::VendorWithoutGoMod);
    }
    let files: Vec<(PathBuf, String)> = entries
        .iter()
        .map(|e| (e.path.clone(), e.rel.clone()))
        .collect();
    let tags = go_build::effective_tags(build_flags, &template.tags());
    let module = session.layout.module_dir().zip(session.module.as_deref());
    let request = analyze::Request {
        target: &session.target,
        tags: &tags,
        module,
        conflicts: session.purpose == Purpose::Debug,
    };
    let analyses = analyze::analyze(&files, &request, &session.helpers()).await?;
    Ok(entries
        .into_iter()
        .zip(analyses)
        .map(|(entry, analysis)| {
            let analysis = analysis?;
            check_handler(&entry, &analysis, has_go_mod)?;
            Ok(Handler { entry, analysis })
        })
        .collect())
}

/// Compiles the session's handler wrapped in `template` to `output`, with
/// `build_flags` (the user's `GO_BUILD_FLAGS` or the caller's defaults).
pub async fn compile_handler(
    session: &Session<'_>,
    template: Template,
    build_flags: Vec<String>,
    output: &Path,
) -> Result<()> {
    let handler = analyze_handler(session, template, &build_flags, session.entry.clone()).await?;
    compile_analyzed(session, template, build_flags, handler, output).await
}

/// [`compile_handler`] of a handler already analyzed for `template`.
pub async fn compile_analyzed(
    session: &Session<'_>,
    template: Template,
    build_flags: Vec<String>,
    handler: Handler,
    output: &Path,
) -> Result<()> {
    let build = handlers_build(session, template, build_flags, &[handler], output).await?;
    build
        .go
        .run(&session.go, &session.target, &build.log(&session.log))
        .await
        .map_err(|e| build.with_user_paths(e))
}

/// Compiles several handlers of the session's module in one `go build`
/// (Go shares every compiled package and links in parallel) into
/// `out_dir`. The handlers of one package share one program, which the
/// function's [`template::FUNCTION_ENV`] tells which handler to serve:
/// one link for all of them. Returns, per handler, the program that serves
/// it (`out_dir/<main name>`), or `None` when it was not built.
pub async fn compile_handlers(
    session: &Session<'_>,
    template: Template,
    build_flags: Vec<String>,
    handlers: &[Handler],
    out_dir: &Path,
    parallelism: Option<usize>,
) -> Result<Vec<Option<PathBuf>>> {
    let mut build = handlers_build(session, template, build_flags, handlers, out_dir).await?;
    build.go.parallelism = parallelism;
    let built = match build
        .go
        .run(&session.go, &session.target, &build.log(&session.log))
        .await
    {
        Ok(()) => vec![true; build.mains.len()],
        Err(err) => {
            let output = build.with_user_paths(err).to_string();
            build.built_despite(&go_build::failed_packages(&output))
        }
    };
    Ok(build
        .programs
        .iter()
        .map(|(main, name)| built[*main].then(|| out_dir.join(name)))
        .collect())
}

/// A `go build` of handlers, and how to map its output back to the user's files.
struct HandlersBuild {
    go: GoBuild,
    /// Import paths of the generated mains and of the handlers' packages.
    mains: Vec<String>,
    handler_packages: Vec<Option<String>>,
    /// Per handler: the index (in `mains`) and the name of its program.
    programs: Vec<(usize, String)>,
    /// Scratch files Go may name in its output, and the user's names for them.
    user_paths: UserPaths,
}

impl HandlersBuild {
    /// Which handlers were built when the packages `failed` did not
    /// compile. A failure Go did not attribute to a package, or one in a
    /// package of no handler's own (a shared library), counts against all.
    fn built_despite(&self, failed: &[String]) -> Vec<bool> {
        let known = |f: &String| {
            self.mains.contains(f) || self.handler_packages.iter().flatten().any(|h| h == f)
        };
        if failed.is_empty() || !failed.iter().all(known) {
            return vec![false; self.mains.len()];
        }
        self.mains
            .iter()
            .zip(&self.handler_packages)
            .map(|(main, handler)| {
                !failed.contains(main) && handler.as_ref().is_none_or(|h| !failed.contains(h))
            })
            .collect()
    }

    /// Go names the scratch copies (the renamed entry, the alternate
    /// go.mod); the user knows them by their own paths.
    fn with_user_paths(&self, err: Error) -> Error {
        err.map_output(|out| self.user_paths.apply(out))
    }

    /// The build log, with the user's names for what Go prints (each line
    /// as it streams, as in the error).
    fn log(&self, log: &Log) -> Log {
        let (log, paths) = (log.clone(), self.user_paths.clone());
        Log::new(move |line| log.line(&paths.apply(line)))
    }
}

/// Scratch files and what the user calls them (paths relative to the work
/// path), and the handlers' new names with the names the user wrote. Go
/// prints a path absolute, or relative to its working directory when that
/// is shorter (a TMPDIR near the project): both are mapped. The renamed
/// entries carry line directives, so Go names the user's files itself;
/// this catches what is left (a file with directives of its own, the
/// alternate go.mod, a module Go sees elsewhere).
#[derive(Clone)]
struct UserPaths {
    cwd: PathBuf,
    pairs: Vec<(PathBuf, String)>,
    names: Vec<(String, String)>,
}

impl UserPaths {
    fn apply(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (scratch, user) in &self.pairs {
            let forms = [
                Some(scratch.to_string_lossy().into_owned()),
                relative_path(scratch, &self.cwd),
            ];
            for form in forms.into_iter().flatten().filter(|f| !f.is_empty()) {
                text = text.replace(&form, user);
            }
        }
        for (renamed, original) in &self.names {
            text = replace_identifier(&text, renamed, original);
        }
        text
    }
}

/// `text` with each whole identifier `from` (not part of a longer one)
/// replaced by `to`.
fn replace_identifier(text: &str, from: &str, to: &str) -> String {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + from.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(is_ident) || after.is_some_and(is_ident) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}

/// `path` relative to `base` (`../t/x.go`), when both are absolute.
fn relative_path(path: &Path, base: &Path) -> Option<String> {
    if !path.is_absolute() || !base.is_absolute() {
        return None;
    }
    let path: Vec<_> = path.components().collect();
    let base: Vec<_> = base.components().collect();
    let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let mut rel = PathBuf::new();
    for _ in common..base.len() {
        rel.push("..");
    }
    for part in &path[common..] {
        rel.push(part);
    }
    Some(rel.to_string_lossy().into_owned())
}

/// Renames each handler, lays the module out and assembles the `go build`:
/// one handler to the file `output`, several into the directory `output`.
async fn handlers_build(
    session: &Session<'_>,
    template: Template,
    build_flags: Vec<String>,
    handlers: &[Handler],
    output: &Path,
) -> Result<HandlersBuild> {
    let renamed_dir = session.scratch().join("entries");
    std::fs::create_dir_all(&renamed_dir).map_err(|e| Error::io_at("create", &renamed_dir, e))?;
    let main_names = main_names(handlers, template);
    let mut sources = Vec::with_capacity(handlers.len());
    for (Handler { entry, analysis }, main_name) in handlers.iter().zip(main_names) {
        // Under the debugger the handler keeps its name (stack frames show
        // it); the siblings that declare the same name are renamed instead.
        let function_name = if session.purpose == Purpose::Debug {
            analysis.function_name.clone()
        } else {
            handler_name::new_handler_function_name(&analysis.function_name, &entry.rel)
        };
        let renamed = renamed_dir.join(format!("{}.go", template::main_name(&entry.rel)));
        sources.push(HandlerSources {
            entry,
            analysis,
            function_name,
            renamed,
            main_name,
        });
    }
    let view = module::lay_out(session, &sources, template).await?;
    let groups = module::by_main(&sources);
    let programs = sources
        .iter()
        .map(|s| {
            let main = groups
                .iter()
                .position(|g| g[0].main_name == s.main_name)
                .unwrap_or_default();
            (main, s.main_name.clone())
        })
        .collect();
    let mains = view
        .packages
        .iter()
        .map(|p| main_import_path(session, p))
        .collect();
    let mut pairs: Vec<(PathBuf, String)> = sources
        .iter()
        .map(|s| (s.renamed.clone(), s.entry.rel.clone()))
        .chain(view.seen_as.iter().cloned())
        .collect();
    let names = sources
        .iter()
        .map(|s| (s.function_name.clone(), s.analysis.function_name.clone()))
        .collect();
    if let Some(go_mod) = session.layout.go_mod() {
        let user = go_mod
            .strip_prefix(session.work_path())
            .unwrap_or(go_mod)
            .to_string_lossy()
            .replace('\\', "/");
        pairs.push((session.scratch().join("go.mod"), user));
    }
    Ok(HandlersBuild {
        mains,
        handler_packages: view.handler_packages,
        programs,
        user_paths: UserPaths {
            cwd: view.cwd.clone(),
            pairs,
            names,
        },
        go: GoBuild {
            cwd: view.cwd,
            env: view.env,
            module_flags: view.flags,
            build_flags,
            packages: view.packages,
            output: output.to_path_buf(),
            cgo: Cgo::FromCode,
            parallelism: None,
            tags: template.tags(),
            cache_use: session.cache_use(),
            cgo_free_sources: blocking(|| {
                let dirs: Vec<&Path> = handlers.iter().map(|h| h.entry.dir.as_path()).collect();
                session.source_set().cgo_free(&dirs)
            }),
        },
    })
}

/// The name of each handler's generated main: its own, or, for the Lambda
/// runtime loop, one shared by the handlers of one package (directory)
/// when there are several.
fn main_names(handlers: &[Handler], template: Template) -> Vec<String> {
    let dir_of = |h: &Handler| match h.entry.rel.rsplit_once('/') {
        Some((dir, _)) => dir.to_string(),
        None => String::new(),
    };
    handlers
        .iter()
        .map(|h| {
            let dir = dir_of(h);
            let shared = template == Template::Lambda
                && handlers.iter().filter(|o| dir_of(o) == dir).count() > 1;
            if shared {
                template::shared_main_name(&dir)
            } else {
                template::main_name(&h.entry.rel)
            }
        })
        .collect()
}

/// The import path of the generated main package `./rel`.
fn main_import_path(session: &Session<'_>, package: &str) -> String {
    let rel = package.trim_start_matches("./").trim_start_matches('.');
    let module = if session.layout.go_work().is_some() {
        template::MAIN_MODULE.to_string()
    } else if session.layout.go_mod().is_some() {
        session.module.clone().unwrap_or_default()
    } else {
        template::DETACHED_MODULE.to_string()
    };
    if rel.is_empty() {
        module
    } else {
        format!("{module}/{rel}")
    }
}

/// Compiles the session's server (the user's own `main` package) to
/// `output`: a static binary, built in its module (or the work path).
pub async fn compile_server(
    session: &Session<'_>,
    build_flags: Vec<String>,
    output: &Path,
) -> Result<()> {
    let cwd = session
        .layout
        .module_dir()
        .unwrap_or(session.work_path())
        .to_path_buf();
    let build = GoBuild {
        packages: vec![server::package_in(&cwd, &session.entry.dir)],
        cwd,
        env: session.env.clone(),
        module_flags: Vec::new(),
        build_flags,
        output: output.to_path_buf(),
        cgo: Cgo::FromCode,
        parallelism: None,
        tags: Vec::new(),
        cache_use: session.cache_use(),
        cgo_free_sources: blocking(|| session.source_set().cgo_free(&[&session.entry.dir])),
    };
    build.run(&session.go, &session.target, &session.log).await
}

fn has_vendor_dir(entry: &Entry, work_path: &Path) -> bool {
    entry.dir.join("vendor").is_dir() || work_path.join("vendor").is_dir()
}

fn check_handler(entry: &Entry, analysis: &Analysis, has_go_mod: bool) -> Result<()> {
    if let Some(reason) = &analysis.ignored {
        return Err(Error::EntrypointIgnored {
            entrypoint: entry.rel.clone(),
            reason: reason.replace(&*entry.path.to_string_lossy(), &entry.rel),
        });
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_paths_become_the_users_absolute_or_relative() {
        let map = UserPaths {
            cwd: PathBuf::from("/w/proj"),
            names: vec![("Handler_api_te_go".into(), "Handler".into())],
            pairs: vec![
                (
                    PathBuf::from("/w/t/go-builder-scratch-1/entries/m.go"),
                    "api/te.go".into(),
                ),
                (
                    PathBuf::from("/w/t/go-builder-scratch-1/go.mod"),
                    "go.mod".into(),
                ),
            ],
        };
        assert_eq!(
            map.apply("../t/go-builder-scratch-1/entries/m.go:4:2: undefined: x"),
            "api/te.go:4:2: undefined: x"
        );
        assert_eq!(
            map.apply("/w/t/go-builder-scratch-1/entries/m.go:4:2: y"),
            "api/te.go:4:2: y"
        );
        assert_eq!(
            map.apply("go: errors parsing ../t/go-builder-scratch-1/go.mod:\n../t/go-builder-scratch-1/go.mod:3: invalid go version"),
            "go: errors parsing go.mod:\ngo.mod:3: invalid go version"
        );
        assert_eq!(
            map.apply("cannot use handler.Handler_api_te_go (value of type func()) as X; Handler_api_te_go2"),
            "cannot use handler.Handler (value of type func()) as X; Handler_api_te_go2"
        );
    }
}
