//! The AST step: Go's own `go/parser`, through the embedded analyzer
//! program (`go/analyze`, whose README is the contract): one run analyzes
//! any number of entrypoints for one target.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::assets;
use crate::embedded_program::{self, Helpers, Program};
use crate::error::{Error, Result};
use crate::exec;
use crate::target::Target;

const ANALYZER: Program = Program {
    name: "analyze",
    files: assets::ANALYZER_FILES,
};

/// The analyzer parses a few files: far less than this, unless a file it
/// must read never ends.
const ANALYZER_DEADLINE: std::time::Duration = std::time::Duration::from_secs(120);

/// What the analyzer learned about an entrypoint.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Analysis {
    pub package_name: String,
    /// Empty when the file has no handler function.
    pub function_name: String,
    /// Byte offsets of every identifier that names the handler function.
    pub rename_offsets: Vec<usize>,
    /// Byte offset of the handler's name in its declaration (-1: none).
    #[serde(default = "no_offset")]
    pub function_offset: i64,
    /// A name net/http is imported under in the file (`.` for a dot
    /// import), to write the handler's signature with.
    #[serde(default)]
    pub http_name: String,
    /// The other non-test `.go` files of the entry's directory.
    pub siblings: Vec<Sibling>,
    /// Why `go build` would leave the file out for the target, if it would.
    #[serde(default)]
    pub ignored: Option<String>,
    /// Where the handler's package (or a package of its module it imports)
    /// streams its response, if anywhere.
    #[serde(default)]
    pub streaming: Option<Streaming>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Sibling {
    pub file: String,
    pub package_name: String,
    /// `false` for a FIFO, socket, device or dangling link: never opened,
    /// and hidden from the build.
    #[serde(default = "yes")]
    pub regular: bool,
    /// With [`Request::conflicts`], in a file of the handler's package: the
    /// byte offsets of its own top-level declaration named like the handler
    /// and of its references to it.
    #[serde(default)]
    pub handler_name_offsets: Vec<usize>,
}

fn yes() -> bool {
    true
}

fn no_offset() -> i64 {
    -1
}

impl Analysis {
    /// Byte offset of the handler's name in its declaration.
    pub fn declaration_offset(&self) -> Option<usize> {
        usize::try_from(self.function_offset).ok()
    }
}

/// A use of response streaming: `http.Flusher`, `http.ResponseController`,
/// `http.NewResponseController` or a `text/event-stream` literal.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Streaming {
    pub file: String,
    pub line: u32,
    pub what: String,
}

/// What one run is for: the target (for build constraints), the build tags
/// and the module (to follow the handler's imports into it).
pub struct Request<'a> {
    pub target: &'a Target,
    pub tags: &'a [String],
    /// The module's directory and path.
    pub module: Option<(&'a Path, &'a str)>,
    /// Report the siblings' declarations named like the handler (a debug
    /// build renames those instead of the handler).
    pub conflicts: bool,
}

#[derive(Deserialize)]
struct RawOutput {
    files: Vec<RawFile>,
}

#[derive(Deserialize)]
struct RawFile {
    ok: Option<Analysis>,
    error: Option<RawParseError>,
}

#[derive(Deserialize)]
struct RawParseError {
    message: String,
    #[serde(default)]
    line: u32,
    #[serde(default)]
    column: u32,
}

/// Analyzes each of `files` (absolute paths, shown to the user as the
/// paired display names) in one run of the analyzer.
pub async fn analyze(
    files: &[(PathBuf, String)],
    request: &Request<'_>,
    helpers: &Helpers<'_>,
) -> Result<Vec<Result<Analysis>>> {
    let analyzer = embedded_program::ensure(&ANALYZER, &Target::host(), helpers).await?;
    let mut args = vec![
        "-goos".to_string(),
        request.target.goos.clone(),
        "-goarch".to_string(),
        request.target.goarch.clone(),
    ];
    if !request.tags.is_empty() {
        args.push("-tags".to_string());
        args.push(request.tags.join(","));
    }
    if let Some((root, path)) = request.module {
        args.push("-module-root".to_string());
        args.push(root.to_string_lossy().into_owned());
        args.push("-module-path".to_string());
        args.push(path.to_string());
    }
    if request.conflicts {
        args.push("-conflicts".to_string());
    }
    args.push("--".to_string());
    args.extend(files.iter().map(|(f, _)| f.to_string_lossy().into_owned()));
    let cwd = files
        .first()
        .and_then(|(f, _)| f.parent())
        .unwrap_or(Path::new("."));
    let out = exec::run_within(&analyzer, &args, cwd, helpers.env, ANALYZER_DEADLINE).await?;
    if !out.success {
        return Err(Error::Internal(format!(
            "the analyzer failed: {}",
            out.combined()
        )));
    }
    let names: Vec<&str> = files.iter().map(|(_, name)| name.as_str()).collect();
    parse_output(&out.stdout, &names)
}

fn parse_output(stdout: &str, names: &[&str]) -> Result<Vec<Result<Analysis>>> {
    let raw: RawOutput = serde_json::from_str(stdout)
        .map_err(|e| Error::Internal(format!("unreadable analyzer output: {e}")))?;
    if raw.files.len() != names.len() {
        return Err(Error::Internal(format!(
            "the analyzer answered for {} of {} files",
            raw.files.len(),
            names.len()
        )));
    }
    Ok(raw
        .files
        .into_iter()
        .zip(names)
        .map(|(file, name)| match (file.ok, file.error) {
            (Some(analysis), _) => Ok(analysis),
            (None, Some(err)) if err.line == 0 => Err(Error::EntrypointUnreadable {
                entrypoint: name.to_string(),
                reason: err.message,
            }),
            (None, Some(err)) => Err(Error::ParseError {
                file: name.to_string(),
                line: err.line,
                column: err.column,
                message: err.message,
            }),
            (None, None) => Err(Error::Internal("empty analyzer output".to_string())),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_error_becomes_typed_error() {
        let out = parse_output(
            r#"{"files":[{"file":"/w/api/x.go","error":{"message":"expected 'package'","line":1,"column":1}}]}"#,
            &["api/x.go"],
        )
        .unwrap();
        let err = out.into_iter().next().unwrap().unwrap_err();
        assert_eq!(err.code(), "GO_PARSE_ERROR");
        assert!(err.to_string().contains("api/x.go\" at 1:1"));
    }

    #[test]
    fn ok_output_in_order() {
        let out = parse_output(
            r#"{"files":[
              {"file":"a","ok":{"packageName":"handler","functionName":"H","renameOffsets":[5],
                "siblings":[{"file":"b.go","packageName":"other","regular":true},
                            {"file":"f.go","packageName":"","regular":false}],
                "ignored":null,"streaming":{"file":"lib/s.go","line":3,"what":"http.Flusher"}}},
              {"file":"p","error":{"message":"p is not a regular file","line":0,"column":0}}]}"#,
            &["a", "p"],
        )
        .unwrap();
        let a = out[0].as_ref().unwrap();
        assert_eq!(a.function_name, "H");
        assert_eq!(a.siblings[0].package_name, "other");
        assert!(!a.siblings[1].regular);
        assert_eq!(a.streaming.as_ref().unwrap().what, "http.Flusher");
        assert_eq!(
            out[1].as_ref().unwrap_err().code(),
            "GO_ENTRYPOINT_UNREADABLE"
        );
    }

    #[test]
    fn a_short_answer_is_an_internal_error() {
        let err = parse_output(r#"{"files":[]}"#, &["a"]).unwrap_err();
        assert_eq!(err.code(), "GO_BUILDER_INTERNAL");
    }
}
