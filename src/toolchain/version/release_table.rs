//! The `X.Y` → `X.Y.Z` table: the patch release downloaded for a `go X.Y`
//! line when no installed Go of that line fits, and the newest release (what
//! an unpinned project downloads).

use super::name::{GoVersion, MIN_SUPPORTED};

/// Go 1.X (major 1) → the patch release downloaded for `go 1.X`.
///
/// Lines up to 1.24 are closed (their last release); 1.25–1.27 follow the
/// reference builder's table. Update here when a newer patch should be the
/// default download; installed patches of the same line are used regardless.
const PATCH_TABLE: &[(u32, u32)] = &[
    (13, 15),
    (14, 15),
    (15, 15),
    (16, 15),
    (17, 13),
    (18, 10),
    (19, 13),
    (20, 14),
    (21, 13),
    (22, 12),
    (23, 12),
    (24, 13),
    (25, 8),
    (26, 8),
    (27, 1),
];

/// The table's side of [`GoVersion`].
impl GoVersion {
    /// The table's release for this version's `X.Y`; `X.Y.0` for lines newer
    /// than the table. `None` below the supported range.
    pub fn table_release(major: u32, minor: u32) -> Option<Self> {
        if (major, minor) < MIN_SUPPORTED {
            return None;
        }
        let newest = newest_in_table();
        if (major, minor) > (newest.major, newest.minor) {
            return Some(GoVersion::release(major, minor, 0));
        }
        PATCH_TABLE
            .iter()
            .find(|(m, _)| major == 1 && *m == minor)
            .map(|(m, p)| GoVersion::release(1, *m, *p))
    }
}

/// The newest release in the table (what an unpinned project downloads).
pub fn newest_in_table() -> GoVersion {
    let (minor, patch) = PATCH_TABLE[PATCH_TABLE.len() - 1];
    GoVersion::release(1, minor, patch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        assert_eq!(GoVersion::table_release(1, 13).unwrap().name(), "1.13.15");
        assert_eq!(GoVersion::table_release(1, 26).unwrap().name(), "1.26.8");
        assert_eq!(GoVersion::table_release(1, 27).unwrap().name(), "1.27.1");
        assert_eq!(GoVersion::table_release(1, 31).unwrap().name(), "1.31.0");
        assert_eq!(GoVersion::table_release(1, 12), None);
        assert_eq!(newest_in_table().name(), "1.27.1");
    }
}
