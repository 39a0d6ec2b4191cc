//! Every failure the builder reports, as a typed enum with stable codes.
//!
//! The JS layer turns the serialized form (`code`, `message`, `link`) into a
//! `NowBuildError`, so codes are part of the public API: never rename one.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

const GO_RUNTIME_DOCS: &str = "https://vercel.com/docs/functions/runtimes/go";

#[derive(Debug)]
pub enum Error {
    /// The options object could not be understood.
    InvalidOptions(String),
    EntrypointOutsideWorkPath {
        entrypoint: String,
        work_path: PathBuf,
    },
    EntrypointUnreadable {
        entrypoint: String,
        reason: String,
    },
    ParseError {
        file: String,
        line: u32,
        column: u32,
        message: String,
    },
    HandlerNotFound {
        entrypoint: String,
    },
    /// `go build` would leave the entrypoint out (its name, a build constraint).
    EntrypointIgnored {
        entrypoint: String,
        reason: String,
    },
    PackageMainWithGoMod {
        entrypoint: String,
    },
    VendorWithoutGoMod,
    /// Standalone mode found no server entrypoint.
    EntrypointNotFound {
        candidates: String,
    },
    /// No usable `go` binary.
    GoNotFound(String),
    UnsupportedGoVersion(String),
    /// Resolving the module graph (what `go mod tidy` does) failed.
    ModTidyFailed {
        output: String,
    },
    /// A go.mod (or go.work) Go cannot read.
    GoModInvalid {
        output: String,
    },
    /// Downloading a module the generated main needs failed.
    ModuleDownloadFailed {
        module: String,
        output: String,
    },
    BuildFailed {
        output: String,
    },
    /// Downloading a Go SDK failed (HTTP error, network, retries exhausted).
    ToolchainDownload {
        url: String,
        reason: String,
    },
    /// A downloaded Go SDK archive does not match its published SHA-256.
    ChecksumMismatch {
        url: String,
        expected: String,
        actual: String,
    },
    /// A Go SDK archive is corrupt or has entries that would escape its folder.
    ToolchainArchive {
        url: String,
        reason: String,
    },
    /// `GO_BUILDER_DEBUG` asked for the debugger, which cannot run (Delve
    /// not installable, the project's Go outside its range, its port taken).
    DebuggerUnavailable {
        reason: String,
    },
    /// A dev server did not come up.
    DevServerFailed {
        message: String,
        output: String,
    },
    /// A program the build runs did not finish in time (and was stopped).
    Timeout {
        what: String,
        after: std::time::Duration,
    },
    /// Known vulnerabilities are in a function's program and
    /// `GO_BUILDER_VULNCHECK=error` (one line per finding).
    VulnerabilitiesFound {
        function: String,
        findings: Vec<String>,
    },
    /// The vulnerability scan could not run and `GO_BUILDER_VULNCHECK=error`.
    VulncheckFailed {
        function: String,
        reason: String,
    },
    /// A helper program of the builder itself (analyzer, proxy) failed to compile or run.
    Internal(String),
    Io {
        context: String,
        source: std::io::Error,
    },
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Stable, documented code for each kind of failure. The arms ignore
    /// the fields (`{ .. }` fits tuple variants too), so a variant can gain
    /// a field without touching this table.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidOptions { .. } => "GO_INVALID_OPTIONS",
            Error::EntrypointOutsideWorkPath { .. } => "GO_ENTRYPOINT_OUTSIDE_WORKPATH",
            Error::EntrypointUnreadable { .. } => "GO_ENTRYPOINT_UNREADABLE",
            Error::ParseError { .. } => "GO_PARSE_ERROR",
            Error::HandlerNotFound { .. } => "GO_HANDLER_NOT_FOUND",
            Error::EntrypointIgnored { .. } => "GO_ENTRYPOINT_IGNORED",
            Error::PackageMainWithGoMod { .. } => "GO_PACKAGE_MAIN_WITH_GO_MOD",
            Error::VendorWithoutGoMod => "GO_VENDOR_WITHOUT_GO_MOD",
            Error::EntrypointNotFound { .. } => "GO_ENTRYPOINT_NOT_FOUND",
            Error::GoNotFound { .. } => "GO_NOT_FOUND",
            Error::UnsupportedGoVersion { .. } => "ERR_UNSUPPORTED_GO_VERSION",
            Error::ModTidyFailed { .. } => "GO_MOD_TIDY_FAILED",
            Error::GoModInvalid { .. } => "GO_MOD_INVALID",
            Error::ModuleDownloadFailed { .. } => "GO_MODULE_DOWNLOAD_FAILED",
            Error::BuildFailed { .. } => "GO_BUILD_FAILED",
            Error::ToolchainDownload { .. } => "GO_TOOLCHAIN_DOWNLOAD_FAILED",
            Error::ChecksumMismatch { .. } => "GO_TOOLCHAIN_CHECKSUM_MISMATCH",
            Error::ToolchainArchive { .. } => "GO_TOOLCHAIN_ARCHIVE_INVALID",
            Error::DevServerFailed { .. } => "GO_DEV_SERVER_FAILED",
            Error::DebuggerUnavailable { .. } => "GO_DEBUGGER_UNAVAILABLE",
            Error::Timeout { .. } => "GO_BUILDER_TIMEOUT",
            Error::VulnerabilitiesFound { .. } => "GO_VULNERABILITIES_FOUND",
            Error::VulncheckFailed { .. } => "GO_VULNCHECK_FAILED",
            Error::Internal { .. } => "GO_BUILDER_INTERNAL",
            Error::Io { .. } => "GO_BUILDER_IO",
        }
    }

    pub fn link(&self) -> Option<&'static str> {
        match self {
            Error::HandlerNotFound { .. }
            | Error::PackageMainWithGoMod { .. }
            | Error::VendorWithoutGoMod
            | Error::UnsupportedGoVersion(_) => Some(GO_RUNTIME_DOCS),
            _ => None,
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// Shorthand for an I/O error about a path.
    pub fn io_at(action: &str, path: &Path, source: std::io::Error) -> Self {
        Error::io(format!("{action} {}", path.display()), source)
    }

    /// Rewrites the tool output carried by a `go` failure.
    pub fn map_output(self, f: impl FnOnce(&str) -> String) -> Self {
        match self {
            Error::ModTidyFailed { output } => Error::ModTidyFailed { output: f(&output) },
            Error::GoModInvalid { output } => Error::GoModInvalid { output: f(&output) },
            Error::BuildFailed { output } => Error::BuildFailed { output: f(&output) },
            other => other,
        }
    }

    pub fn to_data(&self) -> ErrorData {
        ErrorData {
            code: self.code(),
            message: self.to_string(),
            link: self.link(),
            cause: cause_chain(self),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidOptions(msg) => write!(f, "Invalid builder options: {msg}"),
            Error::EntrypointOutsideWorkPath {
                entrypoint,
                work_path,
            } => write!(
                f,
                "Entrypoint \"{entrypoint}\" is outside the work path {}",
                work_path.display()
            ),
            Error::EntrypointUnreadable { entrypoint, reason } => {
                write!(f, "Could not read entrypoint \"{entrypoint}\": {reason}")
            }
            Error::ParseError {
                file,
                line,
                column,
                message,
            } => write!(
                f,
                "Could not parse Go file \"{file}\" at {line}:{column}: {message}"
            ),
            Error::HandlerNotFound { entrypoint } => write!(
                f,
                "Could not find an exported function in \"{entrypoint}\". \
                 Export a function with the signature \
                 `func Handler(w http.ResponseWriter, r *http.Request)`."
            ),
            Error::EntrypointIgnored { entrypoint, reason } => write!(
                f,
                "\"{entrypoint}\" cannot be a function: {reason}. Rename the file, or \
                 change its build constraint."
            ),
            Error::PackageMainWithGoMod { entrypoint } => write!(
                f,
                "Please change `package main` to `package handler` in \"{entrypoint}\": \
                 a handler in a Go module cannot be in package main."
            ),
            Error::VendorWithoutGoMod => {
                write!(f, "`go.mod` is required to use a `vendor` directory.")
            }
            Error::EntrypointNotFound { candidates } => {
                write!(f, "No Go entrypoint found. Expected one of: {candidates}")
            }
            Error::GoNotFound(msg) => write!(f, "Go toolchain not found: {msg}"),
            Error::UnsupportedGoVersion(version) => {
                write!(f, "Unsupported Go version {version}")
            }
            Error::ModTidyFailed { output } => write!(
                f,
                "Failed to resolve the Go module's dependencies (`go mod tidy` step):\n{output}"
            ),
            Error::GoModInvalid { output } => {
                write!(f, "Go cannot read the module file:\n{output}")
            }
            Error::ModuleDownloadFailed { module, output } => {
                write!(f, "Failed to download the Go module {module}:\n{output}")
            }
            Error::BuildFailed { output } => write!(f, "failed to `go build`:\n{output}"),
            Error::ToolchainDownload { url, reason } => {
                write!(
                    f,
                    "Failed to download the Go toolchain from {url}: {reason}"
                )
            }
            Error::ChecksumMismatch {
                url,
                expected,
                actual,
            } => write!(
                f,
                "Checksum mismatch for {url}: expected SHA-256 {expected}, got {actual}. \
                 Nothing was installed."
            ),
            Error::ToolchainArchive { url, reason } => write!(
                f,
                "The Go toolchain archive {url} cannot be installed: {reason}. \
                 Nothing was installed."
            ),
            Error::DebuggerUnavailable { reason } => {
                write!(f, "The Go debugger is not available: {reason}")
            }
            Error::DevServerFailed { message, output } if output.trim().is_empty() => {
                write!(f, "{message}")
            }
            Error::DevServerFailed { message, output } => {
                write!(f, "{message}\n{}", output.trim_end())
            }
            Error::Timeout { what, after } => write!(
                f,
                "{what} did not finish within {} s and was stopped. Is a file it reads a \
                 FIFO or on a hung network drive? (GO_BUILDER_BUILD_TIMEOUT sets the limit \
                 of `go build`, in seconds.)",
                after.as_secs()
            ),
            Error::VulnerabilitiesFound { function, findings } => write!(
                f,
                "Known vulnerabilities are in function {function} (GO_BUILDER_VULNCHECK=error):\n  {}",
                findings.join("\n  ")
            ),
            Error::VulncheckFailed { function, reason } => write!(
                f,
                "The vulnerability scan of function {function} could not run \
                 (GO_BUILDER_VULNCHECK=error): {reason}"
            ),
            Error::Internal(msg) => write!(f, "Internal builder error: {msg}"),
            Error::Io { context, source } => write!(f, "Failed to {context}: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The messages of the errors underneath `err` (its `source()` chain), one
/// per line; `None` when there are none.
fn cause_chain(err: &dyn std::error::Error) -> Option<String> {
    let mut lines = Vec::new();
    let mut next = err.source();
    while let Some(cause) = next {
        lines.push(cause.to_string());
        next = cause.source();
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// The serialized form handed to the JS layer.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ErrorData {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<&'static str>,
    /// What the OS or a library said underneath (`source()`), for `err.cause`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_serialized_with_link() {
        let err = Error::HandlerNotFound {
            entrypoint: "api/x.go".into(),
        };
        let data = err.to_data();
        assert_eq!(data.code, "GO_HANDLER_NOT_FOUND");
        assert!(data.message.contains("api/x.go"));
        assert_eq!(data.link, Some(GO_RUNTIME_DOCS));
        let json = serde_json::to_value(Error::VendorWithoutGoMod.to_data()).unwrap();
        assert_eq!(json["code"], "GO_VENDOR_WITHOUT_GO_MOD");
        assert!(json.get("cause").is_none());
    }

    #[test]
    fn io_errors_carry_their_cause() {
        let err = Error::io_at(
            "read",
            Path::new("/x/go.mod"),
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        );
        use std::error::Error as _;
        assert!(err.source().is_some());
        assert_eq!(err.to_data().cause.as_deref(), Some("no such file"));
    }
}
