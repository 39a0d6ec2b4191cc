//! Go version names: parsing them as go.mod, `VERSION` files and
//! `go version` spell them (`1.26`, `1.26.8`, `go1.23rc1`, `go1.20`),
//! spelling them back for download file names and cache folders, and their
//! order (language version < beta < rc < releases by patch).

use std::cmp::Ordering;
use std::fmt;

/// The oldest Go minor version the builder supports (`1.13`).
pub const MIN_SUPPORTED: (u32, u32) = (1, 13);

/// A pre-release stage, as in `go1.23rc1` / `go1.23beta2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PreRelease {
    Beta(u32),
    Rc(u32),
}

/// A Go version name such as `1.26.8`, `1.23rc1` or the bare language
/// version `1.26`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GoVersion {
    pub major: u32,
    pub minor: u32,
    /// `None` for a bare language version (`1.26`) and for pre-releases.
    pub patch: Option<u32>,
    pub pre: Option<PreRelease>,
}

impl GoVersion {
    /// A release `major.minor.patch`.
    pub fn release(major: u32, minor: u32, patch: u32) -> Self {
        GoVersion {
            major,
            minor,
            patch: Some(patch),
            pre: None,
        }
    }

    /// Parses the text after `go` in a go.mod `go` line: `1.21`, `1.21.3`,
    /// `1.21rc1`. A bare `X.Y` stays a language version (no patch).
    pub fn parse_language(text: &str) -> Option<Self> {
        parse_parts(text)
    }

    /// Parses a release name as a `toolchain` line, `VERSION` file or
    /// `go version` prints it: `go1.26.8`, `go1.23rc1`, and (before Go 1.21,
    /// whose first releases had no `.0`) `go1.20` meaning `1.20.0`. The `go`
    /// prefix is optional.
    pub fn parse_release(text: &str) -> Option<Self> {
        let text = text.trim();
        let text = text.strip_prefix("go").unwrap_or(text);
        let mut v = parse_parts(text)?;
        if v.patch.is_none() && v.pre.is_none() {
            // `go1.20` is the release 1.20.0; from 1.21 on a bare `go1.21` is
            // no release name, read it the same way rather than reject it.
            v.patch = Some(0);
        }
        Some(v)
    }

    /// True for a final release (not a bare language version, not rc/beta).
    pub fn is_release(&self) -> bool {
        self.patch.is_some() && self.pre.is_none()
    }

    /// Whether this version is older than [`MIN_SUPPORTED`].
    pub fn is_unsupported(&self) -> bool {
        (self.major, self.minor) < MIN_SUPPORTED
    }

    /// The name used in download file names and cache folders:
    /// `1.26.8`, `1.23rc1`, and `1.20` for the first 1.20 release.
    pub fn name(&self) -> String {
        let base = format!("{}.{}", self.major, self.minor);
        match (self.pre, self.patch) {
            (Some(PreRelease::Beta(n)), _) => format!("{base}beta{n}"),
            (Some(PreRelease::Rc(n)), _) => format!("{base}rc{n}"),
            (None, Some(0)) if (self.major, self.minor) < (1, 21) => base,
            (None, Some(patch)) => format!("{base}.{patch}"),
            (None, None) => base,
        }
    }

    /// `go` + [`name`](Self::name), as `VERSION` and `go version` spell it.
    pub fn go_name(&self) -> String {
        format!("go{}", self.name())
    }

    /// The order key: language version < beta < rc < releases by patch.
    fn key(&self) -> (u32, u32, u8, u32) {
        let (stage, n) = match (self.pre, self.patch) {
            (Some(PreRelease::Beta(n)), _) => (1, n),
            (Some(PreRelease::Rc(n)), _) => (2, n),
            (None, Some(p)) => (3, p),
            (None, None) => (0, 0),
        };
        (self.major, self.minor, stage, n)
    }
}

impl Ord for GoVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for GoVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// `X.Y[.Z]`, `X.YrcN`, `X.YbetaN` → parts. Anything else → `None`.
fn parse_parts(text: &str) -> Option<GoVersion> {
    let (major, rest) = text.split_once('.')?;
    let major = parse_number(major)?;
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let minor = parse_number(&rest[..digits_end])?;
    let tail = &rest[digits_end..];
    let (patch, pre) = if tail.is_empty() {
        (None, None)
    } else if let Some(p) = tail.strip_prefix('.') {
        (Some(parse_number(p)?), None)
    } else if let Some(n) = tail.strip_prefix("rc") {
        (None, Some(PreRelease::Rc(parse_number(n)?)))
    } else if let Some(n) = tail.strip_prefix("beta") {
        (None, Some(PreRelease::Beta(parse_number(n)?)))
    } else {
        return None;
    };
    Some(GoVersion {
        major,
        minor,
        patch,
        pre,
    })
}

/// A non-empty run of ASCII digits that fits a `u32`.
fn parse_number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names() {
        assert_eq!(
            GoVersion::parse_release("go1.26.8").unwrap().name(),
            "1.26.8"
        );
        assert_eq!(GoVersion::parse_release("go1.20").unwrap().patch, Some(0));
        assert_eq!(GoVersion::parse_release("go1.20").unwrap().name(), "1.20");
        assert_eq!(GoVersion::parse_release("1.21.0").unwrap().name(), "1.21.0");
        assert_eq!(
            GoVersion::parse_release("go1.23rc1").unwrap().name(),
            "1.23rc1"
        );
        assert_eq!(
            GoVersion::parse_release("go1.22beta2").unwrap().pre,
            Some(PreRelease::Beta(2))
        );
        for bad in [
            "",
            "go",
            "1",
            "1.",
            "1.x",
            "1.2.",
            "1.2.3.4",
            "1.2rc",
            "1.2alpha1",
            "-1.2",
        ] {
            assert_eq!(GoVersion::parse_language(bad), None, "{bad}");
        }
    }

    #[test]
    fn orders_versions() {
        let v = |s| GoVersion::parse_language(s).unwrap();
        assert!(v("1.21") < v("1.21beta1"));
        assert!(v("1.21beta1") < v("1.21rc1"));
        assert!(v("1.21rc2") < v("1.21.0"));
        assert!(v("1.21.0") < v("1.21.10"));
        assert!(v("1.9.9") < v("1.10.0"));
    }
}
