//! The OS / architecture an SDK is downloaded for, in Go's spelling.

use super::version::GoVersion;

/// How a Go distribution archive is packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    TarGz,
    Zip,
}

impl ArchiveKind {
    pub fn extension(self) -> &'static str {
        match self {
            ArchiveKind::TarGz => "tar.gz",
            ArchiveKind::Zip => "zip",
        }
    }
}

/// A Go `GOOS`/`GOARCH` pair for the machine the SDK runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub arch: String,
}

impl Platform {
    /// The machine this code runs on (`std::env::consts`, not the process
    /// environment).
    pub fn current() -> Self {
        let host = crate::target::Target::host();
        // The 32-bit ARM archives are named `armv6l`, not GOARCH's `arm`.
        let arch = if host.goarch == "arm" {
            "armv6l".to_string()
        } else {
            host.goarch
        };
        Platform {
            os: host.goos,
            arch,
        }
    }

    /// Windows SDKs are `.zip`, every other one `.tar.gz`.
    pub fn archive_kind(&self) -> ArchiveKind {
        if self.os == "windows" {
            ArchiveKind::Zip
        } else {
            ArchiveKind::TarGz
        }
    }

    /// The architecture to download for `version`: macOS on arm64 has
    /// official builds only from Go 1.16 on, older ones run under Rosetta.
    pub fn download_arch(&self, version: &GoVersion) -> &str {
        if self.os == "darwin" && self.arch == "arm64" && (version.major, version.minor) < (1, 16) {
            "amd64"
        } else {
            &self.arch
        }
    }

    /// `go1.26.8.linux-amd64.tar.gz`.
    pub fn archive_name(&self, version: &GoVersion) -> String {
        format!(
            "{}.{}-{}.{}",
            version.go_name(),
            self.os,
            self.download_arch(version),
            self.archive_kind().extension()
        )
    }

    /// The cache folder name of an SDK: `1.26.8_linux_amd64`.
    pub fn cache_dir_name(&self, version: &GoVersion) -> String {
        format!("{}_{}_{}", version.name(), self.os, self.arch)
    }

    /// `_linux_amd64`, the suffix every cache folder of this platform has.
    pub fn cache_dir_suffix(&self) -> String {
        format!("_{}_{}", self.os, self.arch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> GoVersion {
        GoVersion::parse_release(s).unwrap()
    }

    #[test]
    fn names() {
        let archives = [
            ("linux", "amd64", "go1.26.8", "go1.26.8.linux-amd64.tar.gz"),
            ("linux", "amd64", "go1.20", "go1.20.linux-amd64.tar.gz"),
            ("windows", "386", "go1.22.1", "go1.22.1.windows-386.zip"),
            // No darwin/arm64 SDK before 1.16: Rosetta runs the amd64 one.
            (
                "darwin",
                "arm64",
                "go1.15.15",
                "go1.15.15.darwin-amd64.tar.gz",
            ),
            (
                "darwin",
                "arm64",
                "go1.16.15",
                "go1.16.15.darwin-arm64.tar.gz",
            ),
        ];
        for (os, arch, version, want) in archives {
            let platform = Platform {
                os: os.into(),
                arch: arch.into(),
            };
            assert_eq!(platform.archive_name(&v(version)), want);
        }
        let linux = Platform {
            os: "linux".into(),
            arch: "amd64".into(),
        };
        assert_eq!(linux.cache_dir_name(&v("go1.23rc1")), "1.23rc1_linux_amd64");
    }

    #[test]
    fn current_is_the_host_in_download_spelling() {
        let host = crate::target::Target::host();
        let current = Platform::current();
        assert_eq!(current.os, host.goos);
        assert!(current.arch == host.goarch || (host.goarch == "arm" && current.arch == "armv6l"));
    }
}
