//! What each project's builds used of the machine's caches, so that
//! `prepareCache()` hands the next deploy exactly that: the kept-program
//! folders, the Go build-cache entries its `go build`s used (hit or made),
//! and the go.sum files naming the module versions its builds need.
//!
//! One index file per work path, in the builder's shared cache
//! (`<cache>/projects/<work path fingerprint>`), one fact per line:
//! `<folder>` (32 hex digits), `go <action id prefix>` (30 hex digits),
//! `mod <module path> <version>` (a module version its builds' go.sum
//! files name). Lines that are none of these are ignored: nothing read
//! from the index is a path to follow without checking.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use base64::Engine;

use crate::cache_fs;
use crate::fingerprint::{hex, Fingerprint};

/// The largest index read.
const MAX_INDEX_BYTES: u64 = 16 * 1024 * 1024;
/// The largest action graph read.
const MAX_GRAPH_BYTES: u64 = 64 * 1024 * 1024;

/// The project index a `go build` records its Go build-cache entries in,
/// a scratch folder for Go's action graph, and the go.sum files of the
/// modules it builds.
#[derive(Debug, Clone)]
pub struct CacheUse {
    pub index: PathBuf,
    pub scratch: PathBuf,
    pub sums: Vec<PathBuf>,
}

/// What a project's builds used.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Used {
    /// Kept-program folders (under `<cache>/lambda/`).
    pub folders: Vec<String>,
    /// Go build-cache action ids (their first 15 bytes, in hex).
    pub actions: BTreeSet<String>,
    /// Module versions (path, version) the builds' go.sum files name.
    pub modules: BTreeSet<(String, String)>,
}

impl Used {
    /// Whether the project's builds used anything at all.
    pub fn is_empty(&self) -> bool {
        self.folders.is_empty() && self.actions.is_empty() && self.modules.is_empty()
    }
}

/// The index of `work_path`'s builds in the builder's cache `cache`.
pub fn index_file(cache: &Path, work_path: &Path) -> PathBuf {
    cache.join("projects").join(index_name(work_path))
}

fn index_name(work_path: &Path) -> String {
    let canonical = std::fs::canonicalize(work_path).unwrap_or_else(|_| work_path.to_path_buf());
    let mut key = Fingerprint::new();
    key.value("workPath", &canonical.to_string_lossy());
    key.finish()
}

/// Reads what the index at `index` says (missing: nothing).
pub fn read(index: &Path) -> Used {
    let text = cache_fs::read_small(index, MAX_INDEX_BYTES)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let mut used = Used::default();
    for line in text.lines() {
        if is_hex(line, 32) {
            if !used.folders.iter().any(|f| f == line) {
                used.folders.push(line.to_string());
            }
        } else if let Some(id) = line.strip_prefix("go ").filter(|id| is_hex(id, 30)) {
            used.actions.insert(id.to_string());
        } else if let Some((module, version)) = line
            .strip_prefix("mod ")
            .and_then(|rest| rest.split_once(' '))
            .filter(|(m, v)| is_module_path(m) && cache_fs::is_plain_name(v))
        {
            used.modules
                .insert((module.to_string(), version.to_string()));
        }
    }
    used
}

/// Adds `lines` not there yet to the index at `index`.
fn append(index: &Path, lines: impl IntoIterator<Item = String>) {
    let Some(dir) = index.parent() else {
        return;
    };
    let (Some(root), Some(name)) = (dir.parent(), dir.file_name()) else {
        return;
    };
    if cache_fs::real_dir(root, &[&name.to_string_lossy()]).is_err() {
        return;
    }
    let existing = cache_fs::read_small(index, MAX_INDEX_BYTES)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let known: BTreeSet<&str> = existing.lines().collect();
    let new: BTreeSet<String> = lines
        .into_iter()
        .filter(|l| !known.contains(l.as_str()))
        .collect();
    if !new.is_empty() {
        let text = new.into_iter().collect::<Vec<_>>().join("\n");
        let _ = cache_fs::append_line(index, &text);
    }
}

/// Records that a build used the kept-program folder `folder`.
pub fn remember_folder(index: &Path, folder: &str) {
    append(index, [folder.to_string()]);
}

/// Records the Go build-cache entries of the `go build` whose action graph
/// (`-debug-actiongraph`) is `graph`, and the module versions the go.sum
/// files `sums` name.
pub fn remember_build(index: &Path, graph: &Path, sums: &[PathBuf]) {
    let mut lines: Vec<String> = cache_fs::read_small(graph, MAX_GRAPH_BYTES)
        .map(|bytes| action_ids(&bytes))
        .unwrap_or_default()
        .into_iter()
        .map(|id| format!("go {id}"))
        .collect();
    for sum in sums {
        let text = cache_fs::read_small(sum, MAX_INDEX_BYTES).unwrap_or_default();
        lines.extend(
            module_versions(&String::from_utf8_lossy(&text))
                .into_iter()
                .map(|(m, v)| format!("mod {m} {v}")),
        );
    }
    append(index, lines);
}

/// The module versions a go.sum names (`<module> <version>[/go.mod] <hash>`).
fn module_versions(go_sum: &str) -> BTreeSet<(String, String)> {
    go_sum
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let module = fields.next()?;
            let version = fields.next()?.trim_end_matches("/go.mod");
            (is_module_path(module) && cache_fs::is_plain_name(version))
                .then(|| (module.to_string(), version.to_string()))
        })
        .collect()
}

/// A module path as go.sum writes one: `/`-separated plain names.
pub fn is_module_path(path: &str) -> bool {
    !path.is_empty() && path.split('/').all(cache_fs::is_plain_name)
}

/// The action ids (first 15 bytes, hex) in a `go build -debug-actiongraph`
/// file: Go prints each as unpadded URL-safe base64.
fn action_ids(graph: &[u8]) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Action {
        #[serde(rename = "ActionID", default)]
        action_id: String,
    }
    let Ok(actions) = serde_json::from_slice::<Vec<Action>>(graph) else {
        return Vec::new();
    };
    actions
        .into_iter()
        .filter_map(|a| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(a.action_id.as_bytes())
                .ok()
        })
        .filter(|bytes| bytes.len() == 15)
        .map(|bytes| hex(&bytes))
        .collect()
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_reads_back_only_well_formed_facts() {
        let cache = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        let index = index_file(cache.path(), work.path());
        let folder = "0123456789abcdef0123456789abcdef";
        remember_folder(&index, folder);
        remember_folder(&index, folder);
        let graph = cache.path().join("graph.json");
        std::fs::write(
            &graph,
            r#"[{"ID":0,"Mode":"link","ActionID":"v4g2djIJqsItzX901ORw"},{"ID":1,"Mode":"x"}]"#,
        )
        .unwrap();
        let sum = work.path().join("go.sum");
        std::fs::write(
            &sum,
            "github.com/a/b v1.0.0 h1:x=\ngithub.com/a/b v1.0.0/go.mod h1:y=\nbad ../x h1:z\n",
        )
        .unwrap();
        remember_build(&index, &graph, std::slice::from_ref(&sum));
        let mut text = std::fs::read_to_string(&index).unwrap();
        text.push_str("../../etc\nmod ../x v1\nmod a/b ..\ngo zz\n");
        std::fs::write(&index, text).unwrap();
        let used = read(&index);
        assert_eq!(used.folders, vec![folder]);
        assert_eq!(
            used.actions.into_iter().collect::<Vec<_>>(),
            vec!["bf8836763209aac22dcd7f74d4e470".to_string()]
        );
        assert_eq!(
            used.modules.into_iter().collect::<Vec<_>>(),
            vec![("github.com/a/b".to_string(), "v1.0.0".to_string())]
        );
        assert!(read(&cache.path().join("none")).is_empty());
    }
}
