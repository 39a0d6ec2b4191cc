//! `go build -overlay`: how the build changes what Go sees without changing
//! the user's tree. Renamed handlers, generated mains and hidden files all
//! live in a scratch directory; the overlay maps the user's paths onto them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};

/// The set of replaced, added and hidden files of one build.
#[derive(Debug, Default)]
pub struct Overlay {
    replace: BTreeMap<PathBuf, Option<PathBuf>>,
}

#[derive(Serialize)]
struct OverlayJson<'a> {
    #[serde(rename = "Replace")]
    replace: BTreeMap<&'a Path, &'a str>,
}

impl Overlay {
    /// Go sees `path` with the contents of `backing` (which may be the user's
    /// own file under another name).
    pub fn replace(&mut self, path: PathBuf, backing: PathBuf) {
        self.replace.insert(path, Some(backing));
    }

    /// Go sees no file at `path`.
    pub fn hide(&mut self, path: PathBuf) {
        self.replace.insert(path, None);
    }

    pub fn to_json(&self) -> String {
        let replace = self
            .replace
            .iter()
            .map(|(path, backing)| {
                let backing = backing
                    .as_deref()
                    .and_then(Path::to_str)
                    .unwrap_or_default();
                (path.as_path(), backing)
            })
            .collect();
        serde_json::to_string_pretty(&OverlayJson { replace }).unwrap_or_default()
    }

    /// Writes the overlay file and returns its path.
    pub fn write(&self, scratch: &Path) -> Result<PathBuf> {
        let path = scratch.join("overlay.json");
        std::fs::write(&path, self.to_json()).map_err(|e| Error::io_at("write", &path, e))?;
        Ok(path)
    }
}

/// A Go file name the go command accepts: `[id].go` → `vc__id_.go`.
/// Names with `[`/`]` are rejected by Go ("invalid input file name").
pub fn go_safe_file_name(name: &str) -> String {
    if !name.contains(['[', ']']) {
        return name.to_string();
    }
    format!("vc_{}", name.replace(['[', ']'], "_"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_and_hidden_files() {
        let mut o = Overlay::default();
        o.replace("/w/api/a.go".into(), "/s/a.go".into());
        o.hide("/w/api/b.go".into());
        let v: serde_json::Value = serde_json::from_str(&o.to_json()).unwrap();
        assert_eq!(v["Replace"]["/w/api/a.go"], "/s/a.go");
        assert_eq!(v["Replace"]["/w/api/b.go"], "");
    }

    #[test]
    fn bracket_names() {
        assert_eq!(go_safe_file_name("[id].go"), "vc__id_.go");
        assert_eq!(go_safe_file_name("index.go"), "index.go");
    }
}
