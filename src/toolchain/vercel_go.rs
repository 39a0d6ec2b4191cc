//! Go SDKs that `@vercel/go` installed, so a machine where it ran needs no
//! second download.
//!
//! `@vercel/go` (22.x) keeps them in the same global cache folder,
//! `<cache>/com.vercel.cli/golang` (its cache directory as `xdg-app-paths`
//! names it), one folder per version named with Node's platform and
//! architecture (`1.26.8_linux_x64`), complete once it holds
//! `.vercel-go-install-complete`, whose text is the version. A project's
//! `.vercel/cache/golang` it restored or linked carries the same marker.
//!
//! It downloads without checking a checksum, so such an SDK is taken only
//! when its marker, its `VERSION` and its folder name agree, and then
//! [`confirm`]ed by its own `go version` before a build runs it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::platform::Platform;
use super::version::GoVersion;
use super::GoToolchain;
use crate::env::Env;
use crate::exec;

/// The file `@vercel/go` writes last into an SDK folder.
pub const MARKER_FILE: &str = ".vercel-go-install-complete";

/// How long `go version` may take.
const CONFIRM_DEADLINE: Duration = Duration::from_secs(30);

/// `@vercel/go`'s global cache folder: `xdg-app-paths("com.vercel.cli")
/// .cache()` + `golang`. `XDG_CACHE_HOME` counts on every platform there;
/// otherwise `~/.cache` (Linux), `~/Library/Caches` (macOS) or
/// `%LOCALAPPDATA%\com.vercel.cli\Cache` (Windows).
pub fn cache_root(env: &Env) -> PathBuf {
    let base = |home: &dyn Fn(&Path) -> PathBuf| match env.home() {
        Some(dir) => home(&dir),
        None => env.temp_dir(),
    };
    let app = if let Some(xdg) = env.non_empty("XDG_CACHE_HOME") {
        PathBuf::from(xdg).join("com.vercel.cli")
    } else if cfg!(windows) {
        let local = env
            .non_empty("LOCALAPPDATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| base(&|h| h.join("AppData").join("Local")));
        local.join("com.vercel.cli").join("Cache")
    } else if cfg!(target_os = "macos") {
        base(&|h| h.join("Library").join("Caches")).join("com.vercel.cli")
    } else {
        base(&|h| h.join(".cache")).join("com.vercel.cli")
    };
    app.join("golang")
}

/// Node's name of the platform (`process.platform`, `process.arch`) for
/// Go's, when Node runs there.
fn node_platform(platform: &Platform) -> Option<(&'static str, &'static str)> {
    let os = match platform.os.as_str() {
        "linux" => "linux",
        "darwin" => "darwin",
        "windows" => "win32",
        "freebsd" => "freebsd",
        "openbsd" => "openbsd",
        "aix" => "aix",
        "android" => "android",
        "solaris" | "illumos" => "sunos",
        _ => return None,
    };
    let arch = match platform.arch.as_str() {
        "amd64" => "x64",
        "arm64" => "arm64",
        "386" => "ia32",
        "armv6l" | "arm" => "arm",
        "ppc64le" | "ppc64" => "ppc64",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        "loong64" => "loong64",
        "mips" => "mips",
        "mipsle" => "mipsel",
        _ => return None,
    };
    Some((os, arch))
}

/// The folder `@vercel/go` installs `version` into under [`cache_root`]:
/// `1.26.8_linux_x64`.
pub fn sdk_dir_name(version: &GoVersion, platform: &Platform) -> Option<String> {
    let (os, arch) = node_platform(platform)?;
    Some(format!("{}_{os}_{arch}", version.name()))
}

/// `_linux_x64`: the suffix of every folder of this platform there.
pub fn sdk_dir_suffix(platform: &Platform) -> Option<String> {
    let (os, arch) = node_platform(platform)?;
    Some(format!("_{os}_{arch}"))
}

/// The SDK `@vercel/go` installed at `dir`, when it is complete and its
/// marker, its `VERSION` and `version` (when given: the folder's name says
/// it) agree. Not yet run: see [`confirm`].
pub fn installed_at(dir: &Path, version: Option<&GoVersion>) -> Option<GoToolchain> {
    let marker = std::fs::read_to_string(dir.join(MARKER_FILE)).ok()?;
    let toolchain = GoToolchain::from_goroot(dir).ok()?;
    let found = toolchain.parsed_version()?;
    let marked = GoVersion::parse_release(marker.trim());
    let agrees = marked.as_ref() == Some(&found) && version.is_none_or(|v| *v == found);
    (agrees && toolchain.go.is_file()).then_some(toolchain)
}

/// Whether the SDK's own `go version` names its release, built for this
/// platform (`go version go1.26.8 linux/amd64`).
pub async fn confirm(toolchain: &GoToolchain, platform: &Platform, env: &Env) -> bool {
    let env = toolchain.command_env(env);
    let args = exec::args(["version"]);
    let Ok(out) = exec::run_within(
        &toolchain.go,
        &args,
        &toolchain.goroot,
        &env,
        CONFIRM_DEADLINE,
    )
    .await
    else {
        return false;
    };
    let mut words = out.stdout.split_whitespace().skip(2);
    let (Some(release), Some(target)) = (words.next(), words.next()) else {
        return false;
    };
    out.success
        && release == toolchain.version
        && expected_targets(toolchain, platform).contains(&target.to_string())
}

/// The `GOOS/GOARCH` an SDK for `platform` may report: the platform's own,
/// or the one its archive is published for (macOS on arm64 before Go 1.16
/// runs amd64 SDKs).
fn expected_targets(toolchain: &GoToolchain, platform: &Platform) -> Vec<String> {
    let goarch = if platform.arch == "armv6l" {
        "arm"
    } else {
        platform.arch.as_str()
    };
    let mut targets = vec![format!("{}/{goarch}", platform.os)];
    if let Some(version) = toolchain.parsed_version() {
        targets.push(format!(
            "{}/{}",
            platform.os,
            platform.download_arch(&version)
        ));
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn names_follow_node() {
        let v = GoVersion::parse_release("1.26.8").unwrap();
        let linux = Platform {
            os: "linux".into(),
            arch: "amd64".into(),
        };
        assert_eq!(sdk_dir_name(&v, &linux).unwrap(), "1.26.8_linux_x64");
        let windows = Platform {
            os: "windows".into(),
            arch: "386".into(),
        };
        assert_eq!(sdk_dir_suffix(&windows).unwrap(), "_win32_ia32");
    }

    #[test]
    fn the_cache_root_is_xdg_app_paths_one() {
        let root = cache_root(&env(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/h")]));
        assert_eq!(root, Path::new("/x/com.vercel.cli/golang"));
        if cfg!(target_os = "linux") {
            let root = cache_root(&env(&[("HOME", "/h")]));
            assert_eq!(root, Path::new("/h/.cache/com.vercel.cli/golang"));
        }
    }

    #[test]
    fn an_install_counts_only_when_marker_version_and_folder_agree() {
        let dir = tempfile::tempdir().unwrap();
        let sdk = dir.path();
        std::fs::create_dir_all(sdk.join("bin")).unwrap();
        std::fs::write(sdk.join("bin").join(super::super::exe("go")), "").unwrap();
        std::fs::write(sdk.join("VERSION"), "go1.26.8\ntime x\n").unwrap();
        let v = GoVersion::parse_release("1.26.8").unwrap();
        assert!(
            installed_at(sdk, Some(&v)).is_none(),
            "no marker: incomplete"
        );
        std::fs::write(sdk.join(MARKER_FILE), "1.26.7").unwrap();
        assert!(
            installed_at(sdk, None).is_none(),
            "the marker names another release"
        );
        std::fs::write(sdk.join(MARKER_FILE), "1.26.8").unwrap();
        assert_eq!(installed_at(sdk, Some(&v)).unwrap().version, "go1.26.8");
        let other = GoVersion::parse_release("1.25.8").unwrap();
        assert!(
            installed_at(sdk, Some(&other)).is_none(),
            "the folder names another release"
        );
    }
}
