//! govulncheck, installed once into the builder's cache from its pinned
//! module ([`crate::assets::GOVULNCHECK_GO_MOD`]) as every pinned tool is
//! ([`crate::pinned_tool`]: sealed, verified before every use), with the
//! build's Go when it is new enough.

use std::path::{Path, PathBuf};

use crate::assets::{GOVULNCHECK_GO_MOD, GOVULNCHECK_GO_SUM};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::log::Log;
use crate::pinned_tool::{self, PinnedTool};
use crate::toolchain::{self, GoToolchain, GoVersion, ResolveRequest, VersionRequest, Want};

/// The golang.org/x/vuln release installed.
pub const VERSION: &str = "v1.9.0";
/// golang.org/x/vuln v1.9.0's go.mod asks for Go 1.26.0.
const MINIMUM_GO: (u32, u32, u32) = (1, 26, 0);

const GOVULNCHECK: PinnedTool = PinnedTool {
    name: "govulncheck",
    title: "govulncheck",
    version: VERSION,
    origin: "golang.org/x/vuln",
    package: "golang.org/x/vuln/cmd/govulncheck",
    go_mod: GOVULNCHECK_GO_MOD,
    go_sum: GOVULNCHECK_GO_SUM,
};

/// Where a build finds or makes the tool.
pub struct Install<'a> {
    /// The builder's cache.
    pub cache: &'a Path,
    /// The Go of the build (used when it is new enough).
    pub go: &'a GoToolchain,
    pub work_path: &'a Path,
    pub env: &'a Env,
    pub log: &'a Log,
}

/// The verified govulncheck, installed first if needed:
/// `<cache>/tools/govulncheck-<key>`, sealed under its key.
pub async fn ensure(install: &Install<'_>) -> Result<PathBuf> {
    let go = go_for_tool(install).await?;
    let place = pinned_tool::Place {
        cache: install.cache,
        env: install.env,
        log: install.log,
    };
    pinned_tool::ensure(&GOVULNCHECK, &go, &place)
        .await
        .map_err(|e| {
            Error::Internal(format!(
                "installing govulncheck {VERSION} with Go {} failed: {e}",
                go.version
            ))
        })
}

/// The build's Go when it can build the tool, else the newest installed
/// Go that can (downloaded when there is none).
async fn go_for_tool(install: &Install<'_>) -> Result<GoToolchain> {
    let (major, minor, patch) = MINIMUM_GO;
    let minimum = GoVersion::release(major, minor, patch);
    if install.go.parsed_version().is_some_and(|v| v >= minimum) {
        return Ok(install.go.clone());
    }
    let request = VersionRequest::new(
        Want::AtLeast(minimum),
        format!("govulncheck {VERSION} needs Go {major}.{minor}.{patch} or newer"),
    );
    let progress = |line: &str| install.log.line(line);
    let mut resolve = ResolveRequest::new(request, install.env, install.work_path, &progress);
    resolve.link_local_cache = false;
    Ok(toolchain::resolve(&resolve).await?.toolchain)
}
