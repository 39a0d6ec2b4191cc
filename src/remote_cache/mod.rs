//! A build cache shared by every machine, in an S3-compatible bucket
//! (`GO_BUILDER_REMOTE_CACHE=s3://bucket/prefix[?mode=read]`).
//!
//! Two things go through it: Go's own build cache, through a `GOCACHEPROG`
//! program ([`cacheprog`]) that serves from the local cache first, the
//! bucket second, and uploads what Go compiled; and the builder's kept
//! programs ([`programs`]), so a function whose sources some machine
//! already built is not built again.
//!
//! Every object is signed with `GO_BUILDER_CACHE_SIGNING_KEY`
//! ([`envelope`]); nothing unsigned or wrongly signed is ever read. Without
//! a key the bucket is only written to. A fault of the bucket never fails a
//! build: the first one turns the remote off for the rest of the build
//! ([`state`]) and the build goes on with the local caches.

pub mod cacheprog;
pub mod envelope;
mod go_disk;
mod go_env;
pub mod programs;
pub mod state;
pub mod store;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::env::Env;
use crate::log::Log;
use crate::signing::SigningKey;

use envelope::{Decoder, Header};
pub use go_env::CACHEPROG_STATE_ENV;
use state::State;
use store::Store;

/// The variable naming the bucket.
pub const REMOTE_CACHE_ENV: &str = "GO_BUILDER_REMOTE_CACHE";

/// What a build may do with the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read and write (a signing key is set).
    ReadWrite,
    /// Read only (`?mode=read`, a signing key is set): for builds that must
    /// not write what others read, such as previews.
    Read,
    /// Write only: without a signing key nothing read could be trusted.
    Write,
}

impl Access {
    pub fn reads(self) -> bool {
        self != Access::Write
    }

    pub fn writes(self) -> bool {
        self != Access::Read
    }
}

/// `GO_BUILDER_REMOTE_CACHE`, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub bucket: String,
    /// Without leading or trailing `/`; may be empty.
    pub prefix: String,
    pub read_only: bool,
}

impl Config {
    /// Parses `s3://bucket[/prefix][?mode=read|readwrite]`.
    pub fn parse(value: &str) -> Result<Config, String> {
        let rest = value.trim().strip_prefix("s3://").ok_or_else(|| {
            format!("{REMOTE_CACHE_ENV} must look like s3://bucket/prefix, not `{value}`")
        })?;
        let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
        if bucket.is_empty() {
            return Err(format!("{REMOTE_CACHE_ENV} names no bucket: `{value}`"));
        }
        let mut read_only = false;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair {
                "mode=read" => read_only = true,
                "mode=readwrite" => read_only = false,
                other => {
                    return Err(format!(
                        "{REMOTE_CACHE_ENV}: unknown setting `{other}` (known: mode=read, mode=readwrite)"
                    ))
                }
            }
        }
        Ok(Config {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
            read_only,
        })
    }

    /// `s3://bucket/prefix`, for the log.
    pub fn display(&self) -> String {
        match self.prefix.as_str() {
            "" => format!("s3://{}", self.bucket),
            prefix => format!("s3://{}/{prefix}", self.bucket),
        }
    }
}

/// The remote as one process sees it: the bucket, what it may do there,
/// the key, and the build's shared state (statistics, whether the bucket
/// failed).
#[derive(Clone)]
pub struct Remote {
    pub config: Config,
    pub access: Access,
    pub signing: Option<SigningKey>,
    pub store: Store,
    pub state: Arc<State>,
}

/// What `env` asks for: `None` when the remote is not configured;
/// `Err(line)` when it is configured but cannot be used (said once in the
/// build log).
pub fn from_env(env: &Env, state_dir: Option<&Path>) -> Option<Result<Remote, String>> {
    let value = env.non_empty(REMOTE_CACHE_ENV)?;
    Some(open(value, env, state_dir))
}

fn open(value: &str, env: &Env, state_dir: Option<&Path>) -> Result<Remote, String> {
    let config = Config::parse(value).map_err(|e| format!("Remote cache not used: {e}"))?;
    let signing = SigningKey::from_env(env);
    let access = match (config.read_only, signing.is_some()) {
        (false, true) => Access::ReadWrite,
        (true, true) => Access::Read,
        (false, false) => Access::Write,
        (true, false) => {
            return Err(format!(
                "Remote cache {} not used: mode=read needs {} to trust what it reads",
                config.display(),
                crate::signing::SIGNING_KEY_ENV
            ))
        }
    };
    let store = Store::new(&config, env)
        .map_err(|fault| format!("Remote cache {} not used: {}", config.display(), fault.0))?;
    Ok(Remote {
        config,
        access,
        signing,
        store,
        state: Arc::new(State::new(state_dir.map(Path::to_path_buf))),
    })
}

impl Remote {
    /// Whether this build may still read from the bucket.
    pub fn can_read(&self) -> bool {
        self.access.reads() && self.signing.is_some() && !self.state.is_down()
    }

    /// Whether this build may still write to the bucket.
    pub fn can_write(&self) -> bool {
        self.access.writes() && !self.state.is_down()
    }

    /// Reads the object `key`, which must be a signed `kind`, writing its
    /// body to `out` as it streams in; its header once all of it verified.
    /// Counts the outcome; a fault turns the remote off for the build.
    pub async fn read(
        &self,
        key: &str,
        kind: &str,
        out: &mut (dyn Write + Send),
    ) -> Option<Header> {
        let signing = self.signing.as_ref().filter(|_| self.can_read())?;
        let mut decoder = Decoder::new(key, kind, signing);
        let (mut rejected, mut received) = (false, 0u64);
        let found = {
            let _busy = self.state.busy();
            let mut sink = |chunk: &[u8]| {
                received += chunk.len() as u64;
                decoder
                    .feed(chunk, &mut |b| out.write_all(b))
                    .map_err(|why| {
                        rejected = true;
                        format!("{why:?}")
                    })
            };
            self.store.get(key, &mut sink).await
        };
        self.state.update(|s| s.bytes_down += received);
        let header = match found {
            Ok(false) => {
                self.state.update(|s| s.misses += 1);
                return None;
            }
            Err(fault) if !rejected => {
                self.state.trip(&fault.0);
                return None;
            }
            Err(_) => None,
            Ok(true) => decoder.finish().ok(),
        };
        self.state.update(|s| match header {
            Some(_) => s.hits += 1,
            None => s.rejected += 1,
        });
        header
    }

    /// Where the object `key` is in the bucket: unsigned objects (written
    /// without a key) go under `unsigned/`, so they never replace signed
    /// ones.
    fn object_key(&self, key: &str) -> String {
        match self.signing {
            Some(_) => key.to_string(),
            None => format!("unsigned/{key}"),
        }
    }

    /// Whether the bucket holds the object `key` (a fault turns the remote
    /// off and says no).
    pub async fn has(&self, key: &str) -> bool {
        let present = {
            let _busy = self.state.busy();
            self.store.exists(&self.object_key(key)).await
        };
        present.unwrap_or_else(|fault| {
            self.state.trip(&fault.0);
            false
        })
    }

    /// Writes `body` with `header` as the object `key`, signed when a key
    /// is set. Counts it; a fault turns the remote off for the build.
    pub async fn write(&self, key: &str, header: &Header, body: &[u8]) {
        if !self.can_write() {
            return;
        }
        let key = self.object_key(key);
        let key = key.as_str();
        let object = envelope::encode(key, header, body, self.signing.as_ref());
        let size = object.len() as u64;
        let _busy = self.state.busy();
        match self.store.put(key, object).await {
            Ok(()) => self.state.update(|s| {
                s.bytes_up += size;
                s.uploads += 1
            }),
            Err(fault) => self.state.trip(&fault.0),
        }
    }
}

/// The remote of one build: opened with the session, it points the build's
/// `go` commands at the cache program and says, at the end, what the
/// remote did.
pub struct BuildRemote {
    pub remote: Remote,
    started: std::time::Instant,
    _state_dir: Option<tempfile::TempDir>,
}

/// Where the cache program lives: the Node that runs the builder and the
/// package's `cacheprog.js`.
pub struct Cacheprog {
    pub node: PathBuf,
    pub script: PathBuf,
}

impl BuildRemote {
    /// The remote `env` configures, if any; points Go at the cache program
    /// (see [`go_env`]). A remote that cannot be used is said in `log` and
    /// leaves `env` as it was.
    pub async fn open(
        env: &mut Env,
        go: &crate::toolchain::GoToolchain,
        cacheprog: Option<&Cacheprog>,
        log: &Log,
    ) -> Option<BuildRemote> {
        env.non_empty(REMOTE_CACHE_ENV)?;
        let state_dir = crate::scratch::create(env).ok();
        let remote = match from_env(env, state_dir.as_ref().map(|d| d.path()))? {
            Ok(remote) => remote,
            Err(line) => {
                log.line(&line);
                return None;
            }
        };
        if let Some(note) = go_env::point_go_at_cacheprog(env, go, cacheprog, &remote).await {
            log.line(&note);
        }
        Some(BuildRemote {
            remote,
            started: std::time::Instant::now(),
            _state_dir: state_dir,
        })
    }

    /// The build's line about the remote: hits, misses, bytes each way and
    /// time, and why it stopped if it did.
    pub fn report(&self, log: &Log) {
        let totals = self.remote.state.totals();
        log.line(&state::summary(
            &self.remote.config.display(),
            self.remote.access,
            &totals,
            self.remote.state.reason().as_deref(),
            self.started.elapsed(),
        ));
    }
}

/// Runs the cache program of one `go` command on this process's
/// stdin/stdout; `env` is its environment (Go's, which the build set up).
pub async fn serve_cacheprog(env: &Env) -> Result<(), String> {
    let gocache = env
        .non_empty("GOCACHE")
        .ok_or("GOCACHE is not set: the builder starts this program for Go with it")?;
    let state_dir = env.non_empty(CACHEPROG_STATE_ENV).map(Path::new);
    let remote = from_env(env, state_dir).and_then(Result::ok);
    let disk = go_disk::GoDisk::new(PathBuf::from(gocache));
    cacheprog::serve(remote, disk, tokio::io::stdin(), tokio::io::stdout())
        .await
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::env;

    #[test]
    fn parses_the_variable() {
        assert_eq!(
            Config::parse("s3://bucket/go/builds/?mode=read").unwrap(),
            Config {
                bucket: "bucket".into(),
                prefix: "go/builds".into(),
                read_only: true
            }
        );
        let plain = Config::parse("s3://b").unwrap();
        assert_eq!((plain.prefix.as_str(), plain.read_only), ("", false));
        assert_eq!(plain.display(), "s3://b");
        assert!(Config::parse("https://b/p").is_err());
        assert!(Config::parse("s3:///p").is_err());
        assert!(Config::parse("s3://b/p?mode=write").is_err());
    }

    #[test]
    fn access_follows_the_key_and_the_mode() {
        let open = |pairs: &[(&str, &str)]| {
            let mut all = vec![("AWS_ACCESS_KEY_ID", "id"), ("AWS_SECRET_ACCESS_KEY", "s")];
            all.extend_from_slice(pairs);
            from_env(&env(&all), None)
        };
        assert!(open(&[]).is_none(), "nothing without the variable");
        let access = |pairs: &[(&str, &str)]| open(pairs).unwrap().map(|r| r.access);
        assert_eq!(
            access(&[(REMOTE_CACHE_ENV, "s3://b/p")]).unwrap(),
            Access::Write
        );
        let key = (crate::signing::SIGNING_KEY_ENV, "k");
        assert_eq!(
            access(&[(REMOTE_CACHE_ENV, "s3://b/p"), key]).unwrap(),
            Access::ReadWrite
        );
        assert_eq!(
            access(&[(REMOTE_CACHE_ENV, "s3://b/p?mode=read"), key]).unwrap(),
            Access::Read
        );
        let refused = access(&[(REMOTE_CACHE_ENV, "s3://b/p?mode=read")]).unwrap_err();
        assert!(
            refused.contains("needs GO_BUILDER_CACHE_SIGNING_KEY"),
            "{refused}"
        );
    }
}
