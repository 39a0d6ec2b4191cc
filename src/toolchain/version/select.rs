//! What the `go` / `toolchain` lines of go.mod and go.work (read by
//! [`crate::gomod::ModFile`]) and the environment's `GOTOOLCHAIN` ask for:
//! [`select`] turns them into a [`VersionRequest`].
//!
//! # What a line means
//!
//! - `toolchain goX.Y.Z` (or `goX.YrcN`, `goX.YbetaN`) pins that exact release.
//! - `go X.Y.Z` (or `go X.YrcN`) pins that exact release too.
//! - `go X.Y` (no patch) means "any X.Y release": an installed `X.Y.*` satisfies
//!   it (the newest installed one is preferred), and only when none is installed
//!   is the table's `X.Y.Z` downloaded. A newer minor (`1.27` for `go 1.26`) does
//!   not satisfy it: the project asked for that language line.
//! - Nothing pinned: any installed Go ≥ 1.13 is used as it is; only when none is
//!   installed is the table's newest release downloaded.
//!
//! When a file has both lines the `toolchain` line wins, unless it names an
//! older release than the `go` line (Go itself would refuse to build with it:
//! "go.mod requires go >= …"), in which case the `go` line is used.
//! go.work is read first: when it has a `go` or `toolchain` line, go.mod's are
//! not consulted (that is what `go` does in workspace mode), unless the
//! environment says `GOWORK=off`. An environment `GOTOOLCHAIN=goX.Y.Z` (Go's
//! own override) pins above both files; `GOTOOLCHAIN=goX.Y.Z+auto` (or
//! `+path`) only names a minimum in Go, so the files decide then.

use super::name::GoVersion;
use super::request::{VersionRequest, Want};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::gomod::ModFile;

/// Decides which Go version a build wants from the texts of go.mod and
/// go.work (either may be absent) and the build's environment.
///
/// Errors with [`Error::UnsupportedGoVersion`] when the chosen version is
/// older than Go 1.13.
pub fn select(
    mod_text: Option<&str>,
    work_text: Option<&str>,
    env: &Env,
) -> Result<VersionRequest> {
    let mut warnings = Vec::new();
    let setting = Gotoolchain::read(env, &mut warnings);
    if let Gotoolchain::Pinned(request) = setting {
        let mut request = *request;
        request.warnings = warnings;
        return Ok(request);
    }
    let mut request = from_files(mod_text, work_text, env, &mut warnings)?;
    if let Gotoolchain::Files {
        floor,
        may_download,
    } = setting
    {
        if let Some(floor) = &floor {
            let raised = request.want.clone().raised_to(floor);
            if raised != request.want {
                request.want = raised;
                request.origin = format!(
                    "{}, raised to go{} by GOTOOLCHAIN",
                    request.origin,
                    floor.name()
                );
            }
        }
        request.may_download = may_download;
    }
    request.warnings = warnings;
    Ok(request)
}

/// go.work's request (unless `GOWORK=off`), else go.mod's, else nothing pinned.
fn from_files(
    mod_text: Option<&str>,
    work_text: Option<&str>,
    env: &Env,
    warnings: &mut Vec<String>,
) -> Result<VersionRequest> {
    let work_text = work_text.filter(|_| env.get("GOWORK") != Some("off"));
    if let Some(text) = work_text {
        if let Some(request) = from_file(text, "go.work", warnings)? {
            return Ok(request);
        }
    }
    if let Some(text) = mod_text {
        if let Some(request) = from_file(text, "go.mod", warnings)? {
            return Ok(request);
        }
        warnings.push("Unknown Go version in go.mod (no `go` line)".to_string());
    }
    Ok(VersionRequest::any("no go.mod or go.work version"))
}

/// What `GOTOOLCHAIN` in the build's environment means, as Go reads it.
enum Gotoolchain {
    /// `local` or `goX.Y.Z`: the files are not consulted.
    Pinned(Box<VersionRequest>),
    /// Unset, `auto`, `path`, `goX.Y.Z+auto`, `goX.Y.Z+path`: the files
    /// decide, raised to `floor`; `path` forms never download.
    Files {
        floor: Option<GoVersion>,
        may_download: bool,
    },
}

impl Gotoolchain {
    fn read(env: &Env, warnings: &mut Vec<String>) -> Gotoolchain {
        let files = |floor, may_download| Gotoolchain::Files {
            floor,
            may_download,
        };
        let Some(value) = env.non_empty("GOTOOLCHAIN") else {
            return files(None, true);
        };
        let origin = format!("GOTOOLCHAIN={value} in the environment");
        let (name, suffix) = match value.split_once('+') {
            Some((name, suffix)) => (name, Some(suffix)),
            None => (value, None),
        };
        let version = name.strip_prefix("go").and_then(GoVersion::parse_release);
        match (name, suffix, version) {
            ("local", None, _) => {
                let origin =
                    "GOTOOLCHAIN=local in the environment: the Go on PATH, whatever go.mod says";
                let mut request = VersionRequest::new(Want::Local, origin);
                request.may_download = false;
                Gotoolchain::Pinned(Box::new(request))
            }
            ("auto", None, _) => files(None, true),
            ("path", None, _) => files(None, false),
            (_, None, Some(v)) => Gotoolchain::Pinned(Box::new(VersionRequest::exact(v, origin))),
            (_, Some("auto"), Some(v)) => files(Some(v), true),
            (_, Some("path"), Some(v)) => files(Some(v), false),
            _ => {
                warnings.push(format!(
                    "Ignoring {origin}: Go accepts local, auto, path, goX.Y.Z, goX.Y.Z+auto or goX.Y.Z+path"
                ));
                files(None, true)
            }
        }
    }
}

/// The request one file makes, or `None` when it has no usable line.
fn from_file(text: &str, file: &str, warnings: &mut Vec<String>) -> Result<Option<VersionRequest>> {
    let found = ModFile::parse(text);
    let go_line = found
        .go
        .as_deref()
        .and_then(|value| go_line_request(value, file, warnings));
    let toolchain = found
        .toolchain
        .as_deref()
        .and_then(|value| toolchain_request(value, file, warnings));
    // A `toolchain` line and a pre-release `go` line name one release; a
    // released `go` line names the oldest of its line the module accepts.
    let chosen = match (toolchain, go_line) {
        (Some((tc, tc_origin)), Some((go, go_origin))) if tc < go => {
            warnings.push(format!(
                "{tc_origin} is older than the {go_origin}; using the `go` line"
            ));
            Some((go, go_origin, false))
        }
        (Some((tc, origin)), _) => Some((tc, origin, true)),
        (None, Some((go, origin))) => Some((go, origin, false)),
        (None, None) => None,
    };
    let Some((version, origin, from_toolchain)) = chosen else {
        return Ok(None);
    };
    if version.is_unsupported() {
        return Err(Error::UnsupportedGoVersion(version.name()));
    }
    let want = if from_toolchain || version.pre.is_some() {
        Want::Exact(version)
    } else {
        Want::line(&version)
    };
    Ok(Some(VersionRequest::new(want, origin)))
}

/// A `go X.Y[.Z]` value as a version (bare `X.Y` kept as a language version).
fn go_line_request(
    value: &str,
    file: &str,
    warnings: &mut Vec<String>,
) -> Option<(GoVersion, String)> {
    match GoVersion::parse_language(value) {
        Some(v) => Some((v, format!("{file} `go {value}` line"))),
        None => {
            warnings.push(format!("Ignoring unreadable `go {value}` line in {file}"));
            None
        }
    }
}

/// A `toolchain goX.Y.Z` value as a release; `default` pins nothing. A custom
/// suffix (`go1.22.3-corp`) is dropped with a warning: only official
/// releases can be downloaded.
fn toolchain_request(
    value: &str,
    file: &str,
    warnings: &mut Vec<String>,
) -> Option<(GoVersion, String)> {
    if value == "default" || value == "local" {
        return None;
    }
    let origin = format!("{file} `toolchain {value}` line");
    let base = value.split(['-', '+']).next().unwrap_or(value);
    match base.strip_prefix("go").and_then(GoVersion::parse_release) {
        Some(v) => {
            if base != value {
                warnings.push(format!(
                    "{origin}: custom toolchain suffix ignored, using go{}",
                    v.name()
                ));
            }
            Some((v, origin))
        }
        None => {
            warnings.push(format!("Ignoring unreadable {origin}"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::env;

    fn want(mod_text: &str) -> Want {
        select(Some(mod_text), None, &Env::default())
            .expect("select")
            .want
    }

    fn line(text: &str) -> Want {
        Want::line(&GoVersion::parse_language(text).expect("version"))
    }

    fn exact(text: &str) -> Want {
        Want::Exact(GoVersion::parse_release(text).expect("version"))
    }

    #[test]
    fn go_line_forms() {
        assert_eq!(want("module x\n\ngo 1.22\n"), line("1.22"));
        assert_eq!(want("module x\ngo 1.23.0\n"), line("1.23.0"));
        assert_eq!(want("go 1.23rc1"), exact("go1.23rc1"));
        assert_eq!(want("module x\r\n\r\ngo   1.21.3   \r\n"), line("1.21.3"));
        assert_eq!(want("\u{feff}go\t1.24 // a comment\n"), line("1.24"));
        assert_eq!(want("// go 1.15\nmodule x\ngo 1.20.4"), line("1.20.4"));
        assert_eq!(want("go \"1.22.1\""), line("1.22.1"));
        assert_eq!(want("go 1.40"), line("1.40"));
    }

    #[test]
    fn blocks_and_lookalikes_are_not_directives() {
        let text = "module x\n\nrequire (\n\tgo 1.14\n\tgo.uber.org/zap v1.0.0\n)\n\ngo 1.22.5\n";
        assert_eq!(want(text), line("1.22.5"));
        assert_eq!(want("module x\ngolang 1.19\ngo.mod 1.2\n"), Want::Any);
        assert_eq!(want("require(\n\tgo 1.14\n)\ngo 1.22.5\n"), line("1.22.5"));
    }

    #[test]
    fn toolchain_line() {
        assert_eq!(want("go 1.21\ntoolchain go1.22.3\n"), exact("1.22.3"));
        assert_eq!(want("toolchain go1.22.3"), exact("1.22.3"));
        assert_eq!(want("go 1.22\ntoolchain default\n"), line("1.22"));
        assert_eq!(want("toolchain default\n"), Want::Any);
        assert_eq!(
            want("go 1.22\r\ntoolchain go1.23rc2 // rc\r\n"),
            exact("go1.23rc2")
        );
        assert_eq!(want("go 1.22\ntoolchain go1.20\n"), line("1.22"));
        assert_eq!(want("go 1.22.4\ntoolchain go1.22.4\n"), exact("1.22.4"));
        let custom = select(
            Some("go 1.22\ntoolchain go1.22.3-corp"),
            None,
            &Env::default(),
        )
        .unwrap();
        assert_eq!(custom.want, exact("1.22.3"));
        assert_eq!(custom.warnings.len(), 1);
    }

    #[test]
    fn unsupported_versions() {
        for text in [
            "go 1.12",
            "go 1.12.17",
            "toolchain go1.11.2",
            "go 1.2\ntoolchain go1.2.1",
        ] {
            match select(Some(text), None, &Env::default()) {
                Err(Error::UnsupportedGoVersion(_)) => {}
                other => panic!("{text}: {other:?}"),
            }
        }
        // Not a version at all: ignored with a warning, as if absent.
        let garbage = select(Some("go 1\n"), None, &Env::default()).unwrap();
        assert_eq!(garbage.want, Want::Any);
        assert!(garbage.warnings[0].contains("unreadable"));
        let err = select(Some("go 1.12"), None, &Env::default()).unwrap_err();
        assert_eq!(err.to_string(), "Unsupported Go version 1.12");
        assert_eq!(err.code(), "ERR_UNSUPPORTED_GO_VERSION");
    }

    #[test]
    fn missing_go_line_warns() {
        let r = select(Some("module x\n"), None, &Env::default()).unwrap();
        assert_eq!(r.want, Want::Any);
        assert!(r.warnings[0].contains("Unknown Go version in go.mod"));
        let none = select(None, None, &Env::default()).unwrap();
        assert_eq!(none.want, Want::Any);
        assert!(none.warnings.is_empty());
    }

    #[test]
    fn go_work_wins_unless_off() {
        let m = Some("module x\ngo 1.21.1\n");
        let w = Some("go 1.23\n\nuse (\n\t.\n\t./api\n)\n");
        let r = select(m, w, &Env::default()).unwrap();
        assert_eq!(r.want, line("1.23"));
        assert!(r.origin.contains("go.work"));
        let off = select(m, w, &env(&[("GOWORK", "off")])).unwrap();
        assert_eq!(off.want, line("1.21.1"));
        let empty_work = select(m, Some("use ./api\n"), &Env::default()).unwrap();
        assert_eq!(empty_work.want, line("1.21.1"));
        let tc = select(m, Some("go 1.22\ntoolchain go1.22.9\n"), &Env::default()).unwrap();
        assert_eq!(tc.want, exact("1.22.9"));
    }

    /// One row per selection rule: go.mod, go.work, environment → what is
    /// wanted, whether a download may provide it, and what it downloads.
    #[test]
    fn selection_rules() {
        type Row = (
            &'static str,
            Option<&'static str>,
            Option<&'static str>,
            &'static [(&'static str, &'static str)],
            Want,
            bool,
            &'static str,
        );
        let at_least = |v| Want::AtLeast(GoVersion::parse_release(v).unwrap());
        #[rustfmt::skip]
        let rows: Vec<Row> = vec![
            ("nothing pinned: newest installed, else the table's newest", None, None, &[], Want::Any, true, "1.27.1"),
            ("go X.Y: the line, table patch", Some("go 1.26"), None, &[], line("1.26"), true, "1.26.8"),
            ("go X.Y.Z: the line from Z, table patch when newer", Some("go 1.26.1"), None, &[], line("1.26.1"), true, "1.26.8"),
            ("go X.Y.Z newer than the table: that release", Some("go 1.26.9"), None, &[], line("1.26.9"), true, "1.26.9"),
            ("go line newer than the table: X.Y.0", Some("go 1.31"), None, &[], line("1.31"), true, "1.31.0"),
            ("pre-release go line: exact", Some("go 1.27rc1"), None, &[], exact("go1.27rc1"), true, "1.27rc1"),
            ("toolchain line: exact", Some("go 1.25\ntoolchain go1.26.2"), None, &[], exact("1.26.2"), true, "1.26.2"),
            ("toolchain older than go line: the go line", Some("go 1.26\ntoolchain go1.25.1"), None, &[], line("1.26"), true, "1.26.8"),
            ("go.work wins over go.mod", Some("go 1.25"), Some("go 1.26.3\nuse ."), &[], line("1.26.3"), true, "1.26.8"),
            ("GOWORK=off: go.mod only", Some("go 1.25"), Some("go 1.26"), &[("GOWORK", "off")], line("1.25"), true, "1.25.8"),
            ("GOTOOLCHAIN=local: the Go on PATH, no download", Some("go 1.27"), None, &[("GOTOOLCHAIN", "local")], Want::Local, false, "1.27.1"),
            ("GOTOOLCHAIN=auto: the files", Some("go 1.25"), None, &[("GOTOOLCHAIN", "auto")], line("1.25"), true, "1.25.8"),
            ("GOTOOLCHAIN=path: the files, no download", Some("go 1.25"), None, &[("GOTOOLCHAIN", "path")], line("1.25"), false, "1.25.8"),
            ("GOTOOLCHAIN=goX.Y.Z: exact, files ignored", Some("toolchain go1.25.2"), None, &[("GOTOOLCHAIN", "go1.24.3")], exact("1.24.3"), true, "1.24.3"),
            ("+auto floor below the files: the files", Some("go 1.26"), None, &[("GOTOOLCHAIN", "go1.25.1+auto")], line("1.26"), true, "1.26.8"),
            ("+auto floor above a go line: the floor's line", Some("go 1.25"), None, &[("GOTOOLCHAIN", "go1.26.3+auto")], line("1.26.3"), true, "1.26.8"),
            ("+auto floor above a toolchain line: the floor", Some("toolchain go1.25.2"), None, &[("GOTOOLCHAIN", "go1.26.3+auto")], exact("1.26.3"), true, "1.26.3"),
            ("+auto floor, nothing pinned: newest at or above it", None, None, &[("GOTOOLCHAIN", "go1.28.1+auto")], at_least("1.28.1"), true, "1.28.1"),
            ("+path floor: raised, no download", Some("go 1.25"), None, &[("GOTOOLCHAIN", "go1.26.0+path")], line("1.26.0"), false, "1.26.8"),
            ("unreadable GOTOOLCHAIN: the files, with a warning", Some("go 1.25"), None, &[("GOTOOLCHAIN", "newest")], line("1.25"), true, "1.25.8"),
        ];
        for (rule, go_mod, go_work, vars, want, may_download, downloads) in rows {
            let r = select(go_mod, go_work, &env(vars)).expect(rule);
            assert_eq!(r.want, want, "{rule}");
            assert_eq!(r.may_download, may_download, "{rule}");
            assert_eq!(r.download_version().name(), downloads, "{rule}");
        }
        let odd = select(Some("go 1.25"), None, &env(&[("GOTOOLCHAIN", "newest")])).unwrap();
        assert!(odd.warnings[0].contains("Ignoring GOTOOLCHAIN=newest"));
    }
}
