//! A build session: what one `build()` or dev-server start decides once —
//! the mode, the entrypoint and its module, the Go toolchain, the
//! environment, the target, a scratch directory and the output slot — and
//! that the Lambda and dev paths then borrow.

use std::path::{Path, PathBuf};

use crate::blocking::blocking;
use crate::cache_dir;
use crate::cache_fs;
use crate::embedded_program::Helpers;
use crate::entry::{self, Entry};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::eviction;
use crate::fingerprint::Fingerprint;
use crate::git_credentials;
use crate::gomod::{search_boundary, Layout, ModFile};
use crate::housekeeping::Housekeeping;
use crate::log::Log;
use crate::options::BuildOptions;
use crate::project_index::{self, CacheUse};
use crate::remote_cache::{BuildRemote, Cacheprog};
use crate::restored_cache;
use crate::scratch;
use crate::server;
use crate::source_set::SourceSet;
use crate::target::Target;
use crate::toolchain::{self, GoToolchain};

/// What the entrypoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One `func(http.ResponseWriter, *http.Request)` in a file, wrapped by
    /// a generated `main`.
    Handler,
    /// A whole server (`framework: "go"` or `"services"`): the user's own
    /// `main` package, behind the platform proxy.
    Server,
}

impl Mode {
    /// The mode the project's `framework` setting selects.
    pub fn of(framework: Option<&str>) -> Mode {
        match framework {
            Some("go") | Some("services") => Mode::Server,
            _ => Mode::Handler,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Handler => "handler",
            Mode::Server => "server",
        }
    }
}

/// What the session's program is for: it picks the target and where the
/// output is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A deployed function: Linux, the function's architecture.
    Lambda,
    /// A dev server on this machine.
    Dev,
    /// A dev server on this machine, run under the debugger: built without
    /// optimisation or inlining, with the user's paths in its debug info.
    Debug,
}

impl Purpose {
    fn target(self, options: &BuildOptions) -> Target {
        match self {
            Purpose::Lambda => Target::lambda(options.architecture.as_deref()),
            Purpose::Dev | Purpose::Debug => Target::host(),
        }
    }

    fn cache_folder(self) -> &'static str {
        match self {
            Purpose::Lambda => "lambda",
            // One slot per entrypoint: a debug build replaces the plain one.
            Purpose::Dev | Purpose::Debug => "dev",
        }
    }
}

/// One build's decisions.
pub struct Session<'a> {
    pub options: &'a BuildOptions,
    pub mode: Mode,
    pub purpose: Purpose,
    /// The entrypoint (for a server, the one detected from the candidates).
    pub entry: Entry,
    pub layout: Layout,
    pub go: GoToolchain,
    /// The build's environment: the user's, `meta.env`, scoped git
    /// credentials and Go's cache locations (not GOOS/GOARCH).
    pub env: Env,
    /// The build log (Node's stdout).
    pub log: Log,
    pub target: Target,
    /// The builder's cache directory.
    pub cache: PathBuf,
    pub repo_root: PathBuf,
    /// The module path of the entry's go.mod (`None` without one).
    pub module: Option<String>,
    /// The remote cache, when `GO_BUILDER_REMOTE_CACHE` sets one for a
    /// deployed function's build.
    pub remote: Option<BuildRemote>,
    /// This entrypoint's folder in the builder's cache for `purpose`: the
    /// build writes its program there, so an unchanged program is found up
    /// to date by Go and not linked again. Keyed by the module, entrypoint
    /// and target, never by the checkout path: a new checkout of the same
    /// sources finds it.
    pub slot: PathBuf,
    scratch: tempfile::TempDir,
    /// The files the build can read, found on first use.
    sources: std::sync::OnceLock<SourceSet>,
}

impl<'a> Session<'a> {
    /// Locates the entrypoint and its module, then picks the toolchain the
    /// module asks for (downloading it if needed).
    /// The toolchain choice (and its warnings) is logged before any work.
    pub async fn open(
        options: &'a BuildOptions,
        purpose: Purpose,
        log: Log,
    ) -> Result<Session<'a>> {
        let work_path = &options.work_path;
        let repo_root = options.repo_root();
        let mut env = options.build_env();
        let (mode, entry, layout) = locate(options, &env)?;
        let scratch = scratch::create(&env)?;
        // Before anything uses what a deploy restored, the Go SDK among it.
        blocking(|| restored_cache::ensure_checked(work_path, &env, &log));
        git_credentials::scope_to_build(&mut env, &options.node());
        if let Some(netrc) = project_netrc(work_path, &env) {
            env.set("NETRC", netrc.to_string_lossy());
        }
        let toolchain = toolchain::for_build(
            layout.go_mod(),
            layout.go_work(),
            work_path,
            &env,
            &|line: &str| log.line(line),
        )
        .await?;
        for note in &toolchain.notes {
            log.line(note);
        }
        if let Some(value) = env.non_empty("GO111MODULE") {
            log.line(&go111module_advisory(value));
        }
        let target = purpose.target(options);
        let mut env = toolchain.env;
        let remote = match purpose {
            Purpose::Lambda => {
                let cacheprog = options.cacheprog_path.clone().map(|script| Cacheprog {
                    node: options.node(),
                    script,
                });
                BuildRemote::open(&mut env, &toolchain.go, cacheprog.as_ref(), &log).await
            }
            Purpose::Dev | Purpose::Debug => None,
        };
        let cache = cache_dir::builder_cache_dir(&env, work_path);
        keep_in_bounds(&cache, &env);
        let module = layout
            .go_mod()
            .and_then(|m| std::fs::read_to_string(m).ok())
            .and_then(|text| ModFile::parse(&text).module);
        let slot = cache.join(purpose.cache_folder()).join(slot_key(
            module.as_deref(),
            &entry.rel,
            &target,
        ));
        Ok(Session {
            options,
            mode,
            purpose,
            entry,
            layout,
            go: toolchain.go,
            env,
            log,
            target,
            cache,
            repo_root,
            module,
            remote,
            slot,
            scratch,
            sources: std::sync::OnceLock::new(),
        })
    }

    pub fn work_path(&self) -> &Path {
        &self.options.work_path
    }

    /// The session's slot, made of real directories below the builder's
    /// cache (a symlink on the way is replaced, never followed).
    pub fn slot_dir(&self) -> Result<PathBuf> {
        let rel = self
            .slot
            .strip_prefix(&self.cache)
            .map_err(|_| Error::Internal("the slot is outside the builder's cache".to_string()))?;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        cache_fs::real_dir(&self.cache, &parts)
    }

    /// Where the session's `go build`s record what they use of Go's build
    /// cache, for `prepareCache()`: the project's index in the builder's
    /// shared cache. `None` when the builds use the project's own deploy
    /// cache, which holds only what its builds used anyway.
    pub fn cache_use(&self) -> Option<CacheUse> {
        if self.cache == cache_dir::project_cache_dir(self.work_path()) {
            return None;
        }
        let mut sums = Vec::new();
        if let Some(go_mod) = self.layout.go_mod() {
            sums.push(go_mod.with_file_name("go.sum"));
        }
        if let Some(go_work) = self.layout.go_work() {
            sums.push(go_work.with_file_name("go.work.sum"));
        }
        Some(CacheUse {
            index: project_index::index_file(&self.cache, self.work_path()),
            scratch: self.scratch().to_path_buf(),
            sums,
        })
    }

    /// A directory this session may write to; removed with the session.
    pub fn scratch(&self) -> &Path {
        self.scratch.path()
    }

    /// Where the builder's own programs come from for this session.
    pub fn helpers(&self) -> Helpers<'_> {
        Helpers {
            prebuilt: self.options.helpers_dir.as_deref(),
            cache: &self.cache,
            go: &self.go,
            env: &self.env,
            log: &self.log,
        }
    }

    /// A fresh scratch directory of its own (removed when dropped).
    pub fn new_scratch(&self) -> Result<tempfile::TempDir> {
        scratch::create(&self.env)
    }

    /// `GO_BUILD_FLAGS`, split like a shell would, replaces `default` entirely.
    pub fn build_flags(&self, default: &[&str]) -> Result<Vec<String>> {
        split_flags(&self.env, default)
    }

    /// The files and directories whose contents can change the program.
    pub fn source_roots(&self) -> Vec<PathBuf> {
        let detached = match self.mode {
            Mode::Handler => self.entry.path.as_path(),
            Mode::Server => self.work_path(),
        };
        self.layout.source_roots(detached)
    }

    /// The files the build can read from the user's tree (found once per
    /// session: a directory walk and reads of the Go sources, so call it
    /// off the async workers).
    pub fn source_set(&self) -> &SourceSet {
        self.sources
            .get_or_init(|| SourceSet::find(&self.source_roots()))
    }
}

/// The mode, the entrypoint (for a server, the one detected from the
/// candidates) and the module around it: what a build decides before it
/// needs a toolchain.
pub fn locate(options: &BuildOptions, env: &Env) -> Result<(Mode, Entry, Layout)> {
    let mode = Mode::of(options.config().framework.as_deref());
    let work_path = &options.work_path;
    let repo_root = options.repo_root();
    let entrypoint = match mode {
        Mode::Handler => options.entrypoint.clone(),
        Mode::Server => server::require_entrypoint(work_path, Some(&options.entrypoint))?,
    };
    let entry = entry::locate(work_path, &entrypoint)?;
    // A handler's module is looked for up to the work path; a server's,
    // like the reference builder's, up to the repository root.
    let go_mod_stop = match mode {
        Mode::Handler => work_path.as_path(),
        Mode::Server => search_boundary(&entry.dir, &repo_root, work_path),
    };
    let layout = Layout::detect(work_path, &repo_root, &entry.dir, go_mod_stop, env)?;
    Ok((mode, entry, layout))
}

/// Starts the hourly housekeeping of the builder's cache beside the build
/// (it touches nothing a build uses; see [`housekeeping`]).
fn keep_in_bounds(cache: &Path, env: &Env) {
    let keeper = Housekeeping {
        cache: cache.to_path_buf(),
        sdk_root: toolchain::global_cache_root(env),
        budget: eviction::budget(env),
    };
    tokio::task::spawn_blocking(move || keeper.run_if_due(std::time::SystemTime::now()));
}

/// The reference builder's advice when `GO111MODULE` is set by hand.
fn go111module_advisory(value: &str) -> String {
    format!(
        "Manually assigning 'GO111MODULE' (here `{value}`) is not recommended: \
         the builder works with Go modules and passes the value to go unchanged. \
         We highly recommend you leverage Go Modules in your project. \
         Learn more: https://go.dev/ref/mod"
    )
}

/// A `.netrc` at the project root, for private modules, unless `NETRC` is
/// set (Go's own default is the user's `~/.netrc`).
fn project_netrc(work_path: &Path, env: &Env) -> Option<PathBuf> {
    let netrc = work_path.join(".netrc");
    (env.get("NETRC").is_none() && netrc.is_file()).then_some(netrc)
}

fn split_flags(env: &Env, default: &[&str]) -> Result<Vec<String>> {
    match env
        .non_empty("GO_BUILD_FLAGS")
        .filter(|v| !v.trim().is_empty())
    {
        Some(flags) => shell_words::split(flags)
            .map_err(|e| Error::InvalidOptions(format!("GO_BUILD_FLAGS: {e}"))),
        None => Ok(default.iter().map(|s| s.to_string()).collect()),
    }
}

/// The slot's name: the module, entrypoint and target.
fn slot_key(module: Option<&str>, entrypoint: &str, target: &Target) -> String {
    let mut key = Fingerprint::new();
    key.value("module", module.unwrap_or("\u{0}none"))
        .value("entrypoint", entrypoint)
        .value("goos", &target.goos)
        .value("goarch", &target.goarch);
    key.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_place_decides_the_mode() {
        assert_eq!(Mode::of(Some("go")), Mode::Server);
        assert_eq!(Mode::of(Some("services")), Mode::Server);
        assert_eq!(Mode::of(Some("nextjs")), Mode::Handler);
        assert_eq!(Mode::of(None), Mode::Handler);
    }

    #[test]
    fn build_flags_default_and_override() {
        let with = |v: &str| crate::test_support::env(&[("GO_BUILD_FLAGS", v)]);
        let flags = split_flags;
        assert_eq!(
            flags(&Env::default(), &["-ldflags", "-s -w"]).unwrap(),
            vec!["-ldflags", "-s -w"]
        );
        assert_eq!(
            flags(&with("-tags 'a b' -ldflags=\"-X main.v=1\""), &[]).unwrap(),
            vec!["-tags", "a b", "-ldflags=-X main.v=1"]
        );
        assert!(flags(&with("-tags 'open"), &[]).is_err());
        assert!(flags(&with("  "), &[]).unwrap().is_empty());
    }
}
