//! The GOOS/GOARCH a Go program is compiled for.

/// A Go compilation target.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub goos: String,
    pub goarch: String,
}

impl Target {
    /// The machine the builder runs on (dev servers, helper programs).
    pub fn host() -> Self {
        Target {
            goos: go_os(std::env::consts::OS).to_string(),
            goarch: go_arch(std::env::consts::ARCH).to_string(),
        }
    }

    /// A Lambda: always Linux; `arm64` when the function asks for it,
    /// `amd64` (the platform's `x86_64`) otherwise.
    pub fn lambda(architecture: Option<&str>) -> Self {
        let goarch = match architecture {
            Some("arm64") => "arm64",
            _ => "amd64",
        };
        Target {
            goos: "linux".to_string(),
            goarch: goarch.to_string(),
        }
    }

    /// The Lambda `architecture` value for this target.
    pub fn lambda_architecture(&self) -> &'static str {
        if self.goarch == "arm64" {
            "arm64"
        } else {
            "x86_64"
        }
    }

    /// The executable suffix of the target OS.
    pub fn exe_suffix(&self) -> &'static str {
        if self.goos == "windows" {
            ".exe"
        } else {
            ""
        }
    }
}

/// Rust's `std::env::consts::OS` name as Go's GOOS.
pub fn go_os(os: &str) -> &str {
    match os {
        "macos" => "darwin",
        other => other,
    }
}

/// Rust's `std::env::consts::ARCH` name as Go's GOARCH.
pub fn go_arch(arch: &str) -> &str {
    match arch {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64",
        "powerpc64le" => "ppc64le",
        "loongarch64" => "loong64",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_names() {
        assert_eq!(go_os("macos"), "darwin");
        for (rust, go) in [("aarch64", "arm64"), ("x86_64", "amd64"), ("x86", "386")] {
            assert_eq!(go_arch(rust), go);
        }
        assert_eq!(Target::lambda(Some("arm64")).goarch, "arm64");
        assert_eq!(Target::lambda(Some("x86_64")).goarch, "amd64");
        assert_eq!(Target::lambda(None).lambda_architecture(), "x86_64");
    }
}
