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

pub mod go_build;
pub mod module;
pub mod overlay;
pub mod template;
pub mod vendor;

use std::path::Path;

use crate::analyze::{self, Analysis};
use crate::entry::Entry;
use crate::error::{Error, Result};
use crate::handler_name;
use crate::server;
use crate::session::Session;

use go_build::{Cgo, GoBuild};
use module::HandlerSources;
pub use template::Template;

/// Compiles the session's handler wrapped in `template` to `output`, with
/// `build_flags` (the user's `GO_BUILD_FLAGS` or the caller's defaults).
pub async fn compile_handler(
    session: &Session<'_>,
    template: Template,
    build_flags: Vec<String>,
    output: &Path,
) -> Result<()> {
    let entry = &session.entry;
    let has_go_mod = session.layout.go_mod().is_some();
    if !has_go_mod && has_vendor_dir(entry, session.work_path()) {
        return Err(Error::VendorWithoutGoMod);
    }
    let analysis = analyze::analyze(
        &entry.path,
        &entry.rel,
        &session.go,
        &session.cache,
        &session.env,
    )
    .await?;
    check_handler(entry, &analysis, has_go_mod)?;
    let function_name =
        handler_name::new_handler_function_name(&analysis.function_name, &entry.rel);
    let renamed = session.scratch().join("entry.go");
    module::write(
        &renamed,
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
        renamed,
    };
    let view = module::lay_out(session, &sources, template).await?;
    let build = GoBuild {
        cwd: view.cwd,
        env: view.env,
        module_flags: view.flags,
        build_flags,
        package: view.package,
        output: output.to_path_buf(),
        cgo: Cgo::OffByDefault,
    };
    // Go names the scratch copy of the entry; the user knows it by its path.
    let renamed = sources.renamed.to_string_lossy().into_owned();
    build
        .run(&session.go, &session.target)
        .await
        .map_err(|e| e.map_output(|out| out.replace(&renamed, &entry.rel)))
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
        package: server::package_in(&cwd, &session.entry.dir),
        cwd,
        env: session.env.clone(),
        module_flags: Vec::new(),
        build_flags,
        output: output.to_path_buf(),
        cgo: Cgo::Off,
    };
    build.run(&session.go, &session.target).await
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
