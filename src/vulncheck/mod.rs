//! The opt-in vulnerability report: with `GO_BUILDER_VULNCHECK=warn` or
//! `error`, each program of a function is scanned by govulncheck in binary
//! mode against the database `GOVULNDB` names (default the public Go
//! vulnerability database). Only vulnerable code found in the program is
//! reported — a module the program does not link never is; with a symbol
//! table (`-ldflags=-w`) only the vulnerable functions it contains, without
//! one (the default `-s -w`) every vulnerability of the module versions it
//! links.
//!
//! `warn` logs one line per finding and builds; `error` fails the build
//! with [`Error::VulnerabilitiesFound`]. A scan that cannot run (the
//! database unreachable, the tool not installable) is a warning, and fails
//! the build only under `error`.

pub mod findings;
pub mod tool;

use std::path::Path;
use std::time::Duration;

pub use findings::Finding;

use crate::env::Env;
use crate::error::{Error, Result};
use crate::exec;
use crate::log::Log;

/// `GO_BUILDER_VULNCHECK`: `warn`, `error`, or `off` (the default).
pub const VULNCHECK_ENV: &str = "GO_BUILDER_VULNCHECK";
/// Go's own variable naming the vulnerability database (a URL).
pub const DATABASE_ENV: &str = "GOVULNDB";
/// The public Go vulnerability database.
pub const DEFAULT_DATABASE: &str = "https://vuln.go.dev";
/// How long one scan may take (fetching the database included).
const SCAN_TIMEOUT: Duration = Duration::from_secs(300);

/// What `GO_BUILDER_VULNCHECK` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Off,
    Warn,
    Error,
}

impl Mode {
    pub fn from_env(env: &Env) -> Result<Mode> {
        let value = env
            .get(VULNCHECK_ENV)
            .map(|v| v.trim().to_ascii_lowercase());
        match value.as_deref() {
            None | Some("" | "0" | "off" | "false" | "no") => Ok(Mode::Off),
            Some("warn") => Ok(Mode::Warn),
            Some("error") => Ok(Mode::Error),
            Some(other) => Err(Error::InvalidOptions(format!(
                "{VULNCHECK_ENV} must be `warn`, `error` or `off`, not `{other}`"
            ))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Warn => "warn",
            Mode::Error => "error",
        }
    }
}

/// The database a scan reads: `GOVULNDB`, else the public one.
pub fn database(env: &Env) -> String {
    env.non_empty(DATABASE_ENV)
        .map(|v| v.trim().trim_end_matches('/').to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| DEFAULT_DATABASE.to_string())
}

/// A program of the function to scan.
pub struct Program<'a> {
    /// Its file name in the Lambda (`bootstrap`, `user-server`, …).
    pub name: &'a str,
    pub path: &'a Path,
    /// Whether it kept its symbol table (see the module docs).
    pub symbol_table: bool,
}

/// What a function's scan found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The database scanned against.
    pub database: String,
    /// The scanner, e.g. `v1.9.0`.
    pub scanner_version: &'static str,
    /// Per program (by file name): what was found in it.
    pub programs: Vec<(String, Vec<Finding>)>,
}

/// One function's scan: what a build passes in.
pub struct Scan<'a> {
    pub mode: Mode,
    /// The function's name (for the log and errors).
    pub function: &'a str,
    pub programs: Vec<Program<'a>>,
    pub env: &'a Env,
    pub log: &'a Log,
}

/// Scans the function's programs as `scan.mode` says; `None` when the scan
/// is off, or could not run under `warn` (a warning is logged).
pub async fn check(scan: &Scan<'_>, install: &tool::Install<'_>) -> Result<Option<Report>> {
    if scan.mode == Mode::Off {
        return Ok(None);
    }
    let database = database(scan.env);
    let report = match run(scan, install, &database).await {
        Ok(report) => report,
        Err(reason) if scan.mode == Mode::Error => {
            return Err(Error::VulncheckFailed {
                function: scan.function.to_string(),
                reason,
            })
        }
        Err(reason) => {
            scan.log.line(&format!(
                "Warning: the vulnerability scan of function {} did not run ({VULNCHECK_ENV}={}): {reason}",
                scan.function,
                scan.mode.name()
            ));
            return Ok(None);
        }
    };
    let found = found(scan, &report);
    scan.log.line(&format!(
        "Vulnerability scan of function {}: {} (govulncheck {}, {})",
        scan.function,
        match found.len() {
            0 => "no known vulnerabilities".to_string(),
            1 => "1 known vulnerability".to_string(),
            n => format!("{n} known vulnerabilities"),
        },
        tool::VERSION,
        database
    ));
    for (id, what) in &found {
        scan.log.line(&format!(
            "Vulnerability {id} in function {}{what}",
            scan.function
        ));
    }
    for program in &scan.programs {
        let stripped = !program.symbol_table
            && report
                .programs
                .iter()
                .any(|(name, f)| name == program.name && !f.is_empty());
        if stripped {
            scan.log.line(&stripped_note(scan.function, program.name));
        }
    }
    if scan.mode == Mode::Error && !found.is_empty() {
        return Err(Error::VulnerabilitiesFound {
            function: scan.function.to_string(),
            findings: found
                .iter()
                .map(|(id, what)| format!("{id}{what}"))
                .collect(),
        });
    }
    Ok(Some(report))
}

/// Installs the tool (once) and scans every program.
async fn run(
    scan: &Scan<'_>,
    install: &tool::Install<'_>,
    database: &str,
) -> std::result::Result<Report, String> {
    let tool = tool::ensure(install).await.map_err(|e| e.to_string())?;
    let mut programs = Vec::new();
    for program in &scan.programs {
        let found = scan_program(&tool, program.path, database, scan.env).await?;
        programs.push((program.name.to_string(), found));
    }
    Ok(Report {
        database: database.to_string(),
        scanner_version: tool::VERSION,
        programs,
    })
}

/// `govulncheck -mode=binary -format=json -db <database> <program>`.
async fn scan_program(
    tool: &Path,
    program: &Path,
    database: &str,
    env: &Env,
) -> std::result::Result<Vec<Finding>, String> {
    let args = exec::args([
        "-mode=binary".as_ref(),
        "-format=json".as_ref(),
        "-db".as_ref(),
        database.as_ref(),
        program.as_os_str(),
    ]);
    let cwd = program.parent().unwrap_or(Path::new("."));
    let out = exec::run_within(tool, &args, cwd, &scan_env(env), SCAN_TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    if !out.success {
        return Err(format!(
            "govulncheck could not scan against {database} (is the database reachable, and in \
             the GOVULNDB layout?): {}",
            out.stderr.trim()
        ));
    }
    findings::parse(&out.stdout)
}

/// The build's environment, without the telemetry of Go's tools: `2`
/// tells golang.org/x/telemetry that this process starts no telemetry
/// child (which would outlive the scan) and counts nothing.
fn scan_env(env: &Env) -> Env {
    let mut env = env.clone();
    env.set("GO_TELEMETRY_CHILD", "2");
    env
}

/// Each vulnerability found, per program: its id, and `: module@version
/// (fixed in …), calls pkg.Func` (with ` (program)` first when the function
/// has several programs).
fn found(scan: &Scan<'_>, report: &Report) -> Vec<(String, String)> {
    let several = scan.programs.len() > 1;
    let mut found = Vec::new();
    for (name, findings) in &report.programs {
        let symbol_table = scan
            .programs
            .iter()
            .any(|p| p.name == name && p.symbol_table);
        let which = if several {
            format!(" ({name})")
        } else {
            String::new()
        };
        for finding in findings {
            found.push((
                finding.id.clone(),
                format!("{which}: {}", describe(finding, symbol_table)),
            ));
        }
    }
    found
}

/// `github.com/google/uuid@v1.6.0 (fixed in v1.6.1), calls uuid.NewMD5`.
pub fn describe(finding: &Finding, symbol_table: bool) -> String {
    let fixed = match &finding.fixed {
        Some(version) => format!("fixed in {version}"),
        None => "no fixed version".to_string(),
    };
    let symbols = finding.symbols.join(", ");
    let reach = if symbol_table {
        format!("calls {symbols}")
    } else {
        format!("links the vulnerable module version ({symbols})")
    };
    format!("{}@{} ({fixed}), {reach}", finding.module, finding.version)
}

/// Why a program without a symbol table gets every vulnerability of its
/// modules, and how to narrow it.
fn stripped_note(function: &str, program: &str) -> String {
    format!(
        "Function {function}: {program} has no symbol table (linked with -ldflags=-s), so every \
         vulnerability of the module versions it links is reported; with \
         GO_BUILD_FLAGS=\"-ldflags=-w\" it keeps the table, and only the vulnerable functions \
         it contains are"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::env;

    #[test]
    fn mode_and_database_from_the_environment() {
        let mode = |v: &str| Mode::from_env(&env(&[(VULNCHECK_ENV, v)]));
        assert_eq!(Mode::from_env(&Env::default()).unwrap(), Mode::Off);
        assert_eq!(mode("").unwrap(), Mode::Off);
        assert_eq!(mode("off").unwrap(), Mode::Off);
        assert_eq!(mode(" Warn ").unwrap(), Mode::Warn);
        assert_eq!(mode("error").unwrap(), Mode::Error);
        assert_eq!(mode("yes").unwrap_err().code(), "GO_INVALID_OPTIONS");
        assert_eq!(database(&Env::default()), DEFAULT_DATABASE);
        assert_eq!(
            database(&env(&[(DATABASE_ENV, "file:///db/")])),
            "file:///db"
        );
    }

    #[test]
    fn describes_findings() {
        let mut finding = findings::example();
        assert_eq!(
            describe(&finding, true),
            "github.com/google/uuid@v1.6.0 (fixed in v1.6.1), calls uuid.NewMD5"
        );
        finding.fixed = None;
        assert_eq!(
            describe(&finding, false),
            "github.com/google/uuid@v1.6.0 (no fixed version), links the vulnerable module version (uuid.NewMD5)"
        );
    }
}
