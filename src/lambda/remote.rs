//! The bucket behind the kept handler programs ([`crate::lambda::kept`]):
//! a build whose program is not kept here looks for it in the bucket
//! before running Go, and a build shares the program it made or kept.
//!
//! In the bucket, `lambda/<content key>` holds the program and its sealed
//! record (template, the Lambda's environment, SHA-256, size). A program
//! taken from it is kept here like one built here (sealed under the local
//! key), so the build then uses it the one way it uses every kept program.

use super::kept::{self, Kept};
use super::one_pass;
use crate::compile::Template;
use crate::sealed::{self, Record};
use crate::session::Session;

use crate::remote_cache::programs;

/// The templates a handler's program may be kept as.
const TEMPLATES: [Template; 2] = [Template::Lambda, Template::Http];

/// Keeps the session's program from the bucket when its content key is
/// there and everything verifies; whether it did.
pub async fn fetch(session: &Session<'_>, kept: &Kept) -> bool {
    let Some(build) = &session.remote else {
        return false;
    };
    let entrypoint = &session.entry.rel;
    for template in TEMPLATES {
        let key = one_pass::key(session, kept, entrypoint, template);
        let Some(fetched) = programs::fetch(&build.remote, &key, &kept.dir).await else {
            continue;
        };
        let record: Option<Record> = serde_json::from_value(fetched.record).ok();
        let facts = record
            .filter(|r| r.key == key && r.sha256 == fetched.sha256 && r.size == fetched.size)
            .and_then(|r| kept::kept_program(&r))
            .filter(|p| p.template == template);
        let Some(program) = facts else {
            build.remote.state.update(|s| s.rejected += 1);
            return false;
        };
        let path = fetched.file.path();
        return sealed::set_executable(path).is_ok()
            && kept
                .keep(entrypoint, path, &key, template, &program.environment)
                .is_ok();
    }
    false
}

/// Uploads the session's kept program: always when this build made it
/// (the bucket lacked it, or had it wrong), else unless the bucket has it.
pub async fn share(session: &Session<'_>, kept: &Kept, built_here: bool) {
    let Some(build) = &session.remote else { return };
    let entrypoint = &session.entry.rel;
    for template in TEMPLATES {
        let key = one_pass::key(session, kept, entrypoint, template);
        let Some(record) = kept.find(entrypoint, &key) else {
            continue;
        };
        let Ok(record) = serde_json::to_value(&record) else {
            return;
        };
        let program = kept.program(entrypoint);
        programs::share(&build.remote, &key, &program, record, built_here).await;
        return;
    }
}
