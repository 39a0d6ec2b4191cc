//! The last step of every Lambda build: the function's SBOM, made from
//! the programs as they are in the Lambda's folder — built just now or
//! reused from the kept programs, the same bytes either way — and, when
//! `GO_BUILDER_VULNCHECK` asks, their vulnerability scan. `diagnostics()`
//! returns it as `go/sbom/<function>.cdx.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::blocking::blocking;
use crate::cache_dir;
use crate::error::{Error, Result};
use crate::fingerprint::file_sha256;
use crate::go_buildinfo::{self, Found};
use crate::sbom::{self, Function, Program};
use crate::session::Session;
use crate::vulncheck::{self, Mode};

use super::BuildOutput;

/// The files `diagnostics()` should return for this build: the SBOM, by
/// its name there.
pub async fn diagnostics(
    session: &Session<'_>,
    mode: Mode,
    output: &BuildOutput,
) -> Result<BTreeMap<String, String>> {
    let name = function_name(session);
    let paths: Vec<(String, PathBuf)> = output
        .files
        .iter()
        .map(|(file, out)| (file.clone(), out.fs_path.clone()))
        .collect();
    let read = blocking(|| {
        output
            .files
            .iter()
            .map(|(file, out)| read_program(file, &out.fs_path, out.sha256.as_deref()))
            .collect::<Result<Vec<_>>>()
    })?;
    let mut programs = Vec::new();
    for ((mut program, old_layout), (_, path)) in read.into_iter().zip(&paths) {
        if old_layout {
            program.build_info = go_buildinfo::read_with_go(&session.go, path, &session.env)
                .await
                .ok();
        }
        programs.push(program);
    }
    let scan = vulncheck::Scan {
        mode,
        function: &name,
        // A program Go recorded nothing in (a build command's own) has no
        // modules to check.
        programs: programs
            .iter()
            .zip(&paths)
            .filter(|(program, _)| program.build_info.is_some())
            .map(|(program, (file, path))| vulncheck::Program {
                name: file,
                path,
                symbol_table: program.symbol_table,
            })
            .collect(),
        env: &session.env,
        log: &session.log,
    };
    // The machine's own cache, never a restored deploy cache: no restored
    // cache supplies a program the build runs.
    let tools = cache_dir::machine_cache_dir(&session.env);
    let install = vulncheck::tool::Install {
        cache: &tools,
        go: &session.go,
        work_path: session.work_path(),
        env: &session.env,
        log: &session.log,
    };
    let report = vulncheck::check(&scan, &install).await?;
    let lambda = &output.lambda;
    let function = Function {
        name: &name,
        entrypoint: &session.entry.rel,
        runtime: &lambda.runtime,
        handler: &lambda.handler,
        architecture: &lambda.architecture,
        environment: &lambda.environment,
    };
    let document = sbom::document(&function, &programs, report.as_ref());
    Ok(BTreeMap::from([(
        format!("go/sbom/{name}.cdx.json"),
        document,
    )]))
}

/// A program's digest and build information (its headers and build
/// information section only: not its code); `true` when it is a Go program
/// in the pre-1.18 layout (whose build information only Go reads).
/// `known_sha256`: the digest the program was verified against on its way
/// into the Lambda, when it came from a sealed record.
fn read_program(file: &str, path: &Path, known_sha256: Option<&str>) -> Result<(Program, bool)> {
    let sha256 = match known_sha256 {
        Some(digest) => digest.to_string(),
        None => file_sha256(path).map_err(|e| Error::io_at("read", path, e))?,
    };
    let inspected = go_buildinfo::inspect_file(path).map_err(|e| Error::io_at("read", path, e))?;
    let old_layout = inspected.found == Found::OldLayout;
    let build_info = match inspected.found {
        Found::Info(info) => Some(info),
        Found::OldLayout | Found::None => None,
    };
    let program = Program {
        name: file.to_string(),
        sha256,
        build_info,
        symbol_table: inspected.symbol_table,
    };
    Ok((program, old_layout))
}

/// The function's name as the CLI gives it: the entrypoint it was asked
/// to build, without its extension (`api/hello.go` → `api/hello`, the
/// standalone sentinel `index.go` → `index`).
fn function_name(session: &Session<'_>) -> String {
    let asked = session.options.entrypoint.replace('\\', "/");
    let asked = asked.trim_start_matches("./");
    let plain = !asked.is_empty()
        && !asked.starts_with('/')
        && !asked.contains(':')
        && asked
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..");
    without_extension(if plain { asked } else { &session.entry.rel })
}

fn without_extension(path: &str) -> String {
    let file_start = path.rfind('/').map_or(0, |i| i + 1);
    match path[file_start..].rfind('.') {
        Some(dot) if dot > 0 => path[..file_start + dot].to_string(),
        _ => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_drop_the_extension_only() {
        assert_eq!(without_extension("api/hello.go"), "api/hello");
        assert_eq!(without_extension("index.go"), "index");
        assert_eq!(without_extension("api/v1.2/x.go"), "api/v1.2/x");
        assert_eq!(without_extension("api/.hidden"), "api/.hidden");
        assert_eq!(without_extension("api/noext"), "api/noext");
    }
}
