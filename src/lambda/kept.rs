//! Programs kept between `build()` calls, each under a content key: the
//! sources of its module (by content, wherever they are checked out),
//! go.mod/go.sum, the template, flags, build environment, Go version and
//! target. A later build of an entrypoint whose key matches returns the
//! kept program without running Go.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::cache_dir::project_cache_dir;
use crate::cache_fs;
use crate::compile::template::{main_name, Template};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::fingerprint::{self, Fingerprint};
use crate::fs_lock::{self, FileLock};
use crate::project_index;
use crate::sealed::{self, Record, Seals};
use crate::session::Session;

/// The fact naming the template a kept program was built with.
const TEMPLATE_FACT: &str = "template";
/// The facts holding the Lambda's environment: `env:<NAME>`.
const ENV_FACT: &str = "env:";

/// The folder of kept handler programs for the session's module and
/// target: `<cache>/lambda/<module + target>/<main name>`, each with its
/// sealed record (`.record`: key, SHA-256, size, template, the Lambda's
/// environment; signed when a signing key is set) and `.lock` beside it.
pub struct Kept {
    pub dir: PathBuf,
    /// What every key of this session shares (everything but the entrypoint).
    common: String,
    seals: Seals,
}

/// A program a build wrote, to keep for `entrypoint` ([`Kept::keep_all`]).
pub struct ToKeep<'a> {
    pub entrypoint: &'a str,
    pub built: &'a Path,
    pub key: String,
    pub template: Template,
    pub environment: BTreeMap<String, String>,
}

/// A kept program as a build may use it.
pub struct KeptProgram {
    pub template: Template,
    /// The Lambda's environment (the function a shared program serves).
    pub environment: BTreeMap<String, String>,
    /// The program's SHA-256, as its record says (a program taken from the
    /// record was verified against it).
    pub sha256: String,
}

impl Kept {
    pub fn new(session: &Session<'_>, flags: &[String]) -> Result<Kept> {
        let mut folder = Fingerprint::new();
        folder
            .value("module", session.module.as_deref().unwrap_or("\u{0}none"))
            .value("goos", &session.target.goos)
            .value("goarch", &session.target.goarch);
        let mut common = Fingerprint::new();
        common
            .value("builder", env!("CARGO_PKG_VERSION"))
            .value("builder sources", env!("GO_BUILDER_SOURCE_DIGEST"))
            .value("flags", &flags.join("\u{0}"))
            .value("go", &session.go.version)
            .value("goos", &session.target.goos)
            .value("goarch", &session.target.goarch);
        for key in fingerprint::BUILD_ENV_KEYS {
            common.value(key, &key_env_value(&session.env, key));
        }
        common.value("sources", &session.source_set().digest());
        let folder = folder.finish();
        if session.cache != project_cache_dir(session.work_path()) {
            let index = project_index::index_file(&session.cache, session.work_path());
            project_index::remember_folder(&index, &folder);
        }
        Ok(Kept {
            dir: cache_fs::real_dir(&session.cache, &["lambda", &folder])?,
            common: common.finish(),
            seals: Seals::new(&session.env),
        })
    }

    /// The key of `entrypoint`'s program wrapped in `template`, given the
    /// function's own response-streaming setting (`None`: decided from the
    /// code) and `shape`: what else decides the program (for a handler in a
    /// pass, the functions of its package that share it).
    pub fn key(
        &self,
        entrypoint: &str,
        template: Template,
        streaming: Option<bool>,
        shape: &str,
    ) -> String {
        let mut key = Fingerprint::new();
        key.value("common", &self.common)
            .value("entrypoint", entrypoint)
            .value("template", template.source())
            .value("streaming", &format!("{streaming:?}"))
            .value("shape", shape);
        key.finish()
    }

    /// Where `entrypoint`'s program is kept.
    pub fn program(&self, entrypoint: &str) -> PathBuf {
        self.dir.join(main_name(entrypoint))
    }

    /// Waits for, and takes, the lock on `entrypoint`'s program.
    pub async fn lock(&self, entrypoint: &str) -> Result<FileLock> {
        fs_lock::lock(&self.sidecar(entrypoint, "lock"), || {}).await
    }

    /// The lock on `entrypoint`'s program, unless someone holds it.
    pub fn try_lock(&self, entrypoint: &str) -> Result<Option<FileLock>> {
        fs_lock::try_lock(&self.sidecar(entrypoint, "lock"))
    }

    /// The record of `entrypoint`'s kept program if it was built from
    /// `key` (and, with a signing key, signed by it). A match counts as a
    /// use: its time is refreshed, so eviction keeps what builds reuse.
    pub fn find(&self, entrypoint: &str, key: &str) -> Option<Record> {
        let program = self.program(entrypoint);
        let record = self.seals.find(&program, key)?;
        cache_fs::touch(&sealed::record_path(&program));
        Some(record)
    }

    /// Whether `entrypoint`'s kept program matches `key`.
    pub fn matches(&self, entrypoint: &str, key: &str) -> bool {
        self.find(entrypoint, key).is_some()
    }

    /// Copies `entrypoint`'s kept program (whose record is `record`) to
    /// `dest`, checking its size and digest on the way. A program that
    /// fails is discarded; `None` then.
    pub fn take(
        &self,
        entrypoint: &str,
        record: &Record,
        dest: &Path,
    ) -> Result<Option<KeptProgram>> {
        let program = self.program(entrypoint);
        let facts = kept_program(record);
        if facts.is_some() && self.seals.copy_verified(&program, record, dest)? {
            return Ok(facts);
        }
        sealed::discard(&program);
        Ok(None)
    }

    /// Makes `built` (a program a build just wrote) the kept program of
    /// `entrypoint`, built from `key` with `template`, serving the Lambda
    /// `environment` ([`Kept::keep_all`] for one program).
    pub fn keep(
        &self,
        entrypoint: &str,
        built: &Path,
        key: &str,
        template: Template,
        environment: &BTreeMap<String, String>,
    ) -> Result<Record> {
        let mut records = self.keep_all(&[ToKeep {
            entrypoint,
            built,
            key: key.to_string(),
            template,
            environment: environment.clone(),
        }])?;
        records
            .pop()
            .ok_or_else(|| Error::Internal(format!("no record kept for {entrypoint}")))
    }

    /// Keeps the `programs` of one build: each a hard link where the file
    /// system allows one (the functions of one package share one program),
    /// else a copy, put in place by a rename; then each sealed. All are in
    /// place before any is sealed: a link changes the file's change time,
    /// so sealing before the last link would leave the earlier records'
    /// memos stale, and a program shared by several functions is hashed
    /// once. Returns the records in the order of `programs`.
    pub fn keep_all(&self, programs: &[ToKeep<'_>]) -> Result<Vec<Record>> {
        for program in programs {
            self.put_in_place(program.entrypoint, program.built)?;
        }
        programs
            .iter()
            .map(|program| {
                let mut facts =
                    BTreeMap::from([(TEMPLATE_FACT.to_string(), template_name(program.template))]);
                for (name, value) in &program.environment {
                    facts.insert(format!("{ENV_FACT}{name}"), value.clone());
                }
                self.seals
                    .seal(&self.program(program.entrypoint), &program.key, facts)
            })
            .collect()
    }

    /// `built` as `entrypoint`'s kept program, in place of any earlier one.
    fn put_in_place(&self, entrypoint: &str, built: &Path) -> Result<()> {
        let target = self.program(entrypoint);
        self.forget(entrypoint);
        let partial = self.sidecar(entrypoint, "partial");
        let _ = cache_fs::remove_tree(&partial);
        std::fs::hard_link(built, &partial)
            .or_else(|_| std::fs::copy(built, &partial).map(|_| ()))
            .and_then(|()| std::fs::rename(&partial, &target))
            .map_err(|e| Error::io_at("write", &target, e))
    }

    /// Forgets `entrypoint`'s kept program (before it is rebuilt): its
    /// record and its file go. The file is unlinked, never written, so a
    /// rebuild never writes through a link into another function's program.
    pub fn forget(&self, entrypoint: &str) {
        sealed::discard(&self.program(entrypoint));
    }

    /// Records that a pass could not build `entrypoint` from `key`, so later
    /// passes leave it to its own build.
    pub fn record_failure(&self, entrypoint: &str, key: &str) {
        let _ = cache_fs::write_atomic(&self.sidecar(entrypoint, "failed"), key.as_bytes());
    }

    /// Whether a pass already failed to build `entrypoint` from `key`.
    pub fn failed(&self, entrypoint: &str, key: &str) -> bool {
        cache_fs::read_small(&self.sidecar(entrypoint, "failed"), 1024)
            .is_some_and(|k| k == key.as_bytes())
    }

    fn sidecar(&self, entrypoint: &str, ext: &str) -> PathBuf {
        self.dir.join(format!("{}.{ext}", main_name(entrypoint)))
    }
}

/// A build variable's value as the key sees it. `-modcacherw`, which the
/// builder adds to GOFLAGS when Go's caches are in the deploy cache, never
/// changes a program: where the caches are must not change the key.
fn key_env_value(env: &Env, key: &str) -> String {
    let value = match env.get(key) {
        Some(value) if key == "GOFLAGS" => value
            .split_whitespace()
            .filter(|flag| *flag != "-modcacherw")
            .collect::<Vec<_>>()
            .join(" "),
        Some(value) => value.to_string(),
        None => String::new(),
    };
    // An empty value is no value to Go.
    match value.is_empty() {
        true => "\u{0}unset".to_string(),
        false => value,
    }
}

fn template_name(template: Template) -> String {
    match template {
        Template::Lambda => "lambda",
        Template::Http => "http",
    }
    .to_string()
}

/// What a record says about its program; `None` for facts no build of
/// this builder writes.
pub fn kept_program(record: &Record) -> Option<KeptProgram> {
    let template = match record.facts.get(TEMPLATE_FACT).map(String::as_str) {
        Some("lambda") => Template::Lambda,
        Some("http") => Template::Http,
        _ => return None,
    };
    let environment = record
        .facts
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(ENV_FACT)?.to_string(), v.clone())))
        .collect();
    Some(KeptProgram {
        template,
        environment,
        sha256: record.sha256.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept_in(dir: &Path, signing: Option<&str>) -> Kept {
        let home = dir.join("home").to_string_lossy().into_owned();
        let mut env = crate::test_support::env(&[("HOME", &home)]);
        if let Some(key) = signing {
            env.set(crate::signing::SIGNING_KEY_ENV, key);
        }
        Kept {
            dir: dir.to_path_buf(),
            common: String::new(),
            seals: Seals::new(&env),
        }
    }

    fn env_of(rel: &str) -> BTreeMap<String, String> {
        BTreeMap::from([(
            crate::compile::template::FUNCTION_ENV.to_string(),
            rel.to_string(),
        )])
    }

    #[test]
    fn forgetting_one_function_of_a_shared_program_leaves_the_others_intact() {
        let tmp = tempfile::tempdir().unwrap();
        let kept = kept_in(tmp.path(), None);
        let shared = tmp.path().join("_package_api");
        std::fs::write(&shared, b"one program").unwrap();
        for rel in ["api/a.go", "api/b.go"] {
            kept.keep(rel, &shared, "k", Template::Lambda, &env_of(rel))
                .unwrap();
            assert!(kept.matches(rel, "k"));
        }
        kept.forget("api/a.go");
        assert!(
            !kept.program("api/a.go").exists(),
            "a rebuild writes a new file"
        );
        assert_eq!(
            std::fs::read(kept.program("api/b.go")).unwrap(),
            b"one program"
        );
        let alone = tmp.path().join("alone");
        std::fs::write(&alone, b"rebuilt alone").unwrap();
        kept.keep("api/a.go", &alone, "k2", Template::Lambda, &BTreeMap::new())
            .unwrap();
        let record = kept.find("api/a.go", "k2").unwrap();
        let out = tmp.path().join("out");
        let taken = kept.take("api/a.go", &record, &out).unwrap().unwrap();
        assert!(taken.environment.is_empty());
        let record = kept.find("api/b.go", "k").unwrap();
        let taken = kept
            .take("api/b.go", &record, &tmp.path().join("out-b"))
            .unwrap()
            .unwrap();
        assert_eq!(taken.environment, env_of("api/b.go"));
        assert_eq!(
            std::fs::read(kept.program("api/b.go")).unwrap(),
            b"one program"
        );
    }

    #[test]
    fn a_tampered_program_is_discarded_not_taken() {
        let tmp = tempfile::tempdir().unwrap();
        let kept = kept_in(tmp.path(), Some("secret"));
        let built = tmp.path().join("built");
        std::fs::write(&built, b"the real program").unwrap();
        kept.keep("api/x.go", &built, "k", Template::Lambda, &BTreeMap::new())
            .unwrap();
        let record = kept.find("api/x.go", "k").unwrap();
        std::fs::remove_file(kept.program("api/x.go")).unwrap();
        std::fs::write(kept.program("api/x.go"), b"a foreign program").unwrap();
        let out = tmp.path().join("out");
        assert!(kept.take("api/x.go", &record, &out).unwrap().is_none());
        assert!(!out.exists() && !kept.program("api/x.go").exists());
        assert!(kept.find("api/x.go", "k").is_none(), "the record went too");
        // Another key's record is not this one's.
        kept.keep("api/x.go", &built, "k", Template::Lambda, &BTreeMap::new())
            .unwrap();
        assert!(kept_in(tmp.path(), Some("other"))
            .find("api/x.go", "k")
            .is_none());
        assert!(kept_in(tmp.path(), None).find("api/x.go", "k").is_some());
    }
}
