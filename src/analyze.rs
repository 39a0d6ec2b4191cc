//! The AST step: Go's own `go/parser`, through the embedded analyzer program.

use std::path::Path;

use serde::Deserialize;

use crate::assets;
use crate::embedded_program::{self, Helpers, Program};
use crate::error::{Error, Result};
use crate::exec;
use crate::target::Target;

const ANALYZER: Program = Program {
    name: "analyze",
    main_go: assets::ANALYZER_MAIN,
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
    /// The other non-test `.go` files of the entry's directory.
    pub siblings: Vec<Sibling>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Sibling {
    pub file: String,
    pub package_name: String,
}

#[derive(Deserialize)]
struct RawOutput {
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

/// Analyzes `file` (shown to the user as `display_name`).
pub async fn analyze(file: &Path, display_name: &str, helpers: &Helpers<'_>) -> Result<Analysis> {
    let analyzer = embedded_program::ensure(&ANALYZER, &Target::host(), helpers).await?;
    let cwd = file.parent().unwrap_or(Path::new("."));
    let out = exec::run_within(
        &analyzer,
        &exec::args([file]),
        cwd,
        helpers.env,
        ANALYZER_DEADLINE,
    )
    .await?;
    if !out.success {
        return Err(Error::Internal(format!(
            "the analyzer failed on {display_name}: {}",
            out.combined()
        )));
    }
    parse_output(&out.stdout, display_name)
}

fn parse_output(stdout: &str, display_name: &str) -> Result<Analysis> {
    let raw: RawOutput = serde_json::from_str(stdout)
        .map_err(|e| Error::Internal(format!("unreadable analyzer output: {e}")))?;
    match (raw.ok, raw.error) {
        (Some(analysis), _) => Ok(analysis),
        (None, Some(err)) => Err(Error::ParseError {
            file: display_name.to_string(),
            line: err.line,
            column: err.column,
            message: err.message,
        }),
        (None, None) => Err(Error::Internal("empty analyzer output".to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_error_becomes_typed_error() {
        let err = parse_output(
            r#"{"error":{"message":"expected 'package'","line":1,"column":1}}"#,
            "api/x.go",
        )
        .unwrap_err();
        assert_eq!(err.code(), "GO_PARSE_ERROR");
        assert!(err.to_string().contains("api/x.go\" at 1:1"));
    }

    #[test]
    fn ok_output() {
        let a = parse_output(
            r#"{"ok":{"packageName":"handler","functionName":"H","renameOffsets":[5],"siblings":[{"file":"b.go","packageName":"other"}]}}"#,
            "x",
        )
        .unwrap();
        assert_eq!(a.function_name, "H");
        assert_eq!(a.siblings[0].package_name, "other");
    }
}
