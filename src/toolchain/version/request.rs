//! What a build asks for: a [`Want`] with its origin and warnings (a
//! [`VersionRequest`]), which installed Go satisfies it, whether the newest
//! fitting one is preferred, and which release a download fetches.

use super::name::GoVersion;
use super::release_table::newest_in_table;

/// What a build asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    /// Exactly this release (a `toolchain` line, a `go X.YrcN` line, or
    /// `GOTOOLCHAIN=goX.Y.Z`).
    Exact(GoVersion),
    /// The newest installed `major.minor` release at or above `min_patch`
    /// (a `go X.Y` or `go X.Y.Z` line).
    Minor {
        major: u32,
        minor: u32,
        min_patch: u32,
    },
    /// The newest installed release at or above this one (nothing pinned,
    /// with a `GOTOOLCHAIN=goX.Y.Z+auto` minimum).
    AtLeast(GoVersion),
    /// Nothing pinned: the newest installed Go ≥ 1.13.
    Any,
    /// `GOTOOLCHAIN=local`: the Go on `PATH`, whatever the files say.
    Local,
}

impl Want {
    /// A `go X.Y[.Z]` line: that line's releases from `X.Y.Z` (`X.Y.0` for a
    /// bare `X.Y`) on.
    pub fn line(version: &GoVersion) -> Want {
        Want::Minor {
            major: version.major,
            minor: version.minor,
            min_patch: version.patch.unwrap_or(0),
        }
    }

    /// The oldest release this asks for, when it names one.
    fn minimum(&self) -> Option<GoVersion> {
        match self {
            Want::Exact(v) | Want::AtLeast(v) => Some(v.clone()),
            Want::Minor {
                major,
                minor,
                min_patch,
            } => Some(GoVersion::release(*major, *minor, *min_patch)),
            Want::Any | Want::Local => None,
        }
    }

    /// This request raised to at least `floor` (a `GOTOOLCHAIN=…+auto`
    /// minimum): Go itself never runs an older toolchain than that.
    pub(super) fn raised_to(self, floor: &GoVersion) -> Want {
        let below = self.minimum().is_none_or(|min| &min < floor);
        match self {
            Want::Local => Want::Local,
            Want::Exact(_) if below => Want::Exact(floor.clone()),
            Want::Minor { .. } if below => Want::line(floor),
            Want::AtLeast(_) | Want::Any if below => Want::AtLeast(floor.clone()),
            want => want,
        }
    }
}

/// The outcome of [`select`](super::select()): what is wanted, where it came from, whether a
/// download may provide it, and warnings to show the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRequest {
    pub want: Want,
    /// Human-readable origin, e.g. "go.mod `go 1.26` line".
    pub origin: String,
    /// False for `GOTOOLCHAIN=local`, `path` and `…+path`: only an installed
    /// Go may be used.
    pub may_download: bool,
    pub warnings: Vec<String>,
}

impl VersionRequest {
    /// A request for `want`, downloads allowed.
    pub fn new(want: Want, origin: impl Into<String>) -> Self {
        VersionRequest {
            want,
            origin: origin.into(),
            may_download: true,
            warnings: Vec::new(),
        }
    }

    /// A request for exactly `version`.
    pub fn exact(version: GoVersion, origin: impl Into<String>) -> Self {
        VersionRequest::new(Want::Exact(version), origin)
    }

    /// Nothing pinned.
    pub fn any(origin: impl Into<String>) -> Self {
        VersionRequest::new(Want::Any, origin)
    }

    /// Whether an installed Go of `version` satisfies this request.
    pub fn accepts(&self, version: &GoVersion) -> bool {
        match &self.want {
            Want::Exact(want) => want == version,
            Want::Minor {
                major,
                minor,
                min_patch,
            } => {
                version.is_release()
                    && (version.major, version.minor) == (*major, *minor)
                    && version.patch >= Some(*min_patch)
            }
            Want::AtLeast(min) => version >= min && !version.is_unsupported(),
            Want::Any => !version.is_unsupported(),
            Want::Local => true,
        }
    }

    /// Whether the newest fitting installed Go is taken (rather than the
    /// first one found, which only an exact pin or `local` does).
    pub fn prefers_newest(&self) -> bool {
        matches!(self.want, Want::Minor { .. } | Want::AtLeast(_) | Want::Any)
    }

    /// The release to download when nothing installed satisfies the
    /// request: the table's release for the line unless the line asks for
    /// a newer patch.
    pub fn download_version(&self) -> GoVersion {
        match &self.want {
            Want::Exact(v) => v.clone(),
            Want::Minor {
                major,
                minor,
                min_patch,
            } => {
                let asked = GoVersion::release(*major, *minor, *min_patch);
                match GoVersion::table_release(*major, *minor) {
                    Some(table) if table >= asked => table,
                    _ => asked,
                }
            }
            Want::AtLeast(min) => newest_in_table().max(min.clone()),
            Want::Any | Want::Local => newest_in_table(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts() {
        let v = |s| GoVersion::parse_release(s).unwrap();
        let request = |want| VersionRequest::new(want, "");
        let minor = request(Want::line(&v("go1.26.2")));
        assert!(minor.accepts(&v("go1.26.8")));
        assert!(minor.accepts(&v("go1.26.2")));
        assert!(!minor.accepts(&v("go1.26.1")));
        assert!(!minor.accepts(&v("go1.26rc1")));
        assert!(!minor.accepts(&v("go1.27.1")));
        let any = request(Want::Any);
        assert!(any.accepts(&v("go1.13.1")));
        assert!(!any.accepts(&v("go1.12.17")));
        let at_least = request(Want::AtLeast(v("go1.26.3")));
        assert!(at_least.accepts(&v("go1.27.0")));
        assert!(!at_least.accepts(&v("go1.26.2")));
        let ex = request(Want::Exact(v("go1.26.1")));
        assert!(!ex.accepts(&v("go1.26.8")));
        assert!(ex.accepts(&v("go1.26.1")));
        assert!(request(Want::Local).accepts(&v("go1.12.17")));
    }
}
