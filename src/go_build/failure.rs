//! What kind of failure a `go build` was, from what Go printed.

use crate::error::Error;

/// The import paths of the packages a failed `go build` reports errors for
/// (the `# <import path>` lines it prints before each).
pub fn failed_packages(output: &str) -> Vec<String> {
    let mut failed: Vec<String> = output
        .lines()
        .filter_map(|line| line.strip_prefix("# "))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .collect();
    failed.dedup();
    failed
}

/// A `go build` failure: resolving the module graph (what `go mod tidy`
/// would do), a go.mod Go cannot read, or compiling.
pub fn classify(output: String) -> Error {
    const MODULE_MARKERS: &[&str] = &[
        "no required module provides package",
        "cannot find module providing package",
        "missing go.sum entry",
        "unknown revision",
        "invalid version",
        "verifying module",
        "reading https://",
        "malformed module path",
        "go: updates to go.mod needed",
        "module lookup disabled",
    ];
    if output.contains("go: errors parsing") {
        Error::GoModInvalid { output }
    } else if MODULE_MARKERS.iter().any(|m| output.contains(m)) {
        Error::ModTidyFailed { output }
    } else {
        Error::BuildFailed { output }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_failed_packages() {
        let out = "# example.com/app/api/users\napi/users/x.go:3:2: undefined: y\n# example.com/app/__vc_go_main__/m [example.com/app/__vc_go_main__/m.test]\nz";
        assert_eq!(
            failed_packages(out),
            vec![
                "example.com/app/api/users",
                "example.com/app/__vc_go_main__/m"
            ]
        );
        assert!(failed_packages("go: example.com/x: no matching versions").is_empty());
    }

    #[test]
    fn classifies_failures() {
        assert_eq!(
            classify("main.go:3:2: no required module provides package github.com/x/y".into())
                .code(),
            "GO_MOD_TIDY_FAILED"
        );
        assert_eq!(
            classify("# example.com/app/api\napi/index.go:5:2: undefined: foo".into()).code(),
            "GO_BUILD_FAILED"
        );
        assert_eq!(
            classify("go: errors parsing go.mod:\n/s/go.mod:3: invalid go version 'abc'".into())
                .code(),
            "GO_MOD_INVALID"
        );
    }
}
