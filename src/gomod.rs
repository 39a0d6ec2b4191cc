//! Reading go.mod / go.work files and writing the build's alternate go.mod.
//!
//! The user's files are never written: the build uses `go build -modfile`
//! with a copy that also requires the modules the generated main imports.

use std::path::{Path, PathBuf};

/// The directives of a go.mod or go.work file that the builder cares about.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ModFile {
    /// `module` path (go.mod only).
    pub module: Option<String>,
    /// `go` directive, e.g. `1.22` or `1.22.3`.
    pub go: Option<String>,
    /// `toolchain` directive, e.g. `go1.22.3` or `default`.
    pub toolchain: Option<String>,
    /// Required modules.
    pub requires: Vec<Require>,
    /// `use` directories (go.work only), as written.
    pub uses: Vec<String>,
    /// `replace` directives, as written after the verb.
    pub replaces: Vec<String>,
}

/// A `require` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Require {
    pub path: String,
    pub version: String,
}

impl ModFile {
    pub fn parse(text: &str) -> Self {
        let mut file = ModFile::default();
        let mut block: Option<String> = None;
        for raw in text.lines() {
            let line = strip_comment(raw).trim();
            if line.is_empty() {
                continue;
            }
            if let Some(verb) = &block {
                if line == ")" {
                    block = None;
                } else {
                    file.directive(&verb.clone(), line);
                }
                continue;
            }
            let (verb, rest) = split_word(line);
            if rest == "(" {
                block = Some(verb.to_string());
            } else {
                file.directive(verb, rest);
            }
        }
        file
    }

    fn directive(&mut self, verb: &str, args: &str) {
        let first = first_token(args);
        match verb {
            "module" => self.module = first,
            "go" => self.go = first,
            "toolchain" => self.toolchain = first,
            "require" => self.requires.extend(first.map(|path| Require {
                path,
                version: nth_token(args, 1).unwrap_or_default(),
            })),
            "use" => self.uses.extend(first),
            "replace" => self.replaces.push(args.to_string()),
            _ => {}
        }
    }

    pub fn requires_module(&self, path: &str) -> bool {
        self.requires.iter().any(|r| r.path == path)
    }
}

/// A replace directive (`old [version] => new [version]`) with a relative
/// file-path target made absolute against `base`.
pub fn absolute_replace(directive: &str, base: &Path) -> String {
    let Some((old, new)) = directive.split_once("=>") else {
        return directive.to_string();
    };
    let new = new.trim();
    let is_relative_path = new == "."
        || new == ".."
        || new.starts_with("./")
        || new.starts_with("../")
        || new.starts_with(".\\")
        || new.starts_with("..\\");
    if !is_relative_path {
        return directive.to_string();
    }
    let target = base.join(new.split_whitespace().next().unwrap_or(new));
    format!("{} => {}", old.trim(), quote(&target.to_string_lossy()))
}

/// `text` with every relative file-path `replace` target made absolute
/// against `base` (for a copy of the go.mod that lives elsewhere).
pub fn rebase_replaces(text: &str, base: &Path) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_block = false;
    for line in text.lines() {
        let code = strip_comment(line).trim();
        let (verb, rest) = split_word(code);
        let directive = if in_block {
            if code == ")" {
                in_block = false;
            }
            Some(code)
        } else if verb == "replace" && rest == "(" {
            in_block = true;
            None
        } else if verb == "replace" {
            Some(rest)
        } else {
            None
        };
        match directive.filter(|d| d.contains("=>")) {
            Some(d) => {
                let prefix = if in_block { "\t" } else { "replace " };
                out.push_str(prefix);
                out.push_str(&absolute_replace(d, base));
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// A Go string literal.
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// Removes a `//` comment that is not inside a quoted string.
fn strip_comment(line: &str) -> &str {
    let mut in_quote: Option<char> = None;
    let bytes: Vec<char> = line.chars().collect();
    let mut byte_pos = 0;
    for (i, c) in bytes.iter().enumerate() {
        match (in_quote, c) {
            (None, '"') | (None, '`') => in_quote = Some(*c),
            (Some(q), c) if q == *c => in_quote = None,
            (None, '/') if bytes.get(i + 1) == Some(&'/') => return &line[..byte_pos],
            _ => {}
        }
        byte_pos += c.len_utf8();
    }
    line
}

fn split_word(line: &str) -> (&str, &str) {
    match line.find(char::is_whitespace) {
        Some(i) => (&line[..i], line[i..].trim()),
        None => (line, ""),
    }
}

/// The first token of a directive's arguments, unquoted.
fn first_token(args: &str) -> Option<String> {
    let args = args.trim();
    if let Some(rest) = args.strip_prefix('"') {
        return rest.find('"').map(|end| rest[..end].to_string());
    }
    if let Some(rest) = args.strip_prefix('`') {
        return rest.find('`').map(|end| rest[..end].to_string());
    }
    args.split_whitespace().next().map(str::to_string)
}

/// The `n`th whitespace-separated token (0-based), unquoted for the first.
fn nth_token(args: &str, n: usize) -> Option<String> {
    args.split_whitespace().nth(n).map(str::to_string)
}

/// `text` plus a `require` block for every `(path, version)` the file does not
/// require yet. A file without a final newline stays valid (the reference
/// builder appended without one and corrupted the last line).
pub fn with_requirements(text: &str, requirements: &[(&str, &str)]) -> String {
    let parsed = ModFile::parse(text);
    let missing: Vec<_> = requirements
        .iter()
        .filter(|(path, _)| !parsed.requires_module(path))
        .collect();
    let mut out = text.to_string();
    if missing.is_empty() {
        return out;
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str("\nrequire (\n");
    for (path, version) in missing {
        out.push_str(&format!("\t{path} {version}\n"));
    }
    out.push_str(")\n");
    out
}

/// A go.mod for a module the builder generates from scratch.
pub fn generated_go_mod(module: &str, go_version: &str, requirements: &[(&str, &str)]) -> String {
    with_requirements(
        &format!("module {module}\n\ngo {go_version}\n"),
        requirements,
    )
}

/// Where an upward search from `dir` stops: the repository root when `dir`
/// is inside it, else the work path.
pub fn search_boundary<'a>(dir: &Path, repo_root: &'a Path, work_path: &'a Path) -> &'a Path {
    if dir.starts_with(repo_root) {
        repo_root
    } else {
        work_path
    }
}

/// The module's go.sum (if any) followed by `extra` checksum lines: the go.sum
/// of a build whose go.mod adds requirements.
pub fn merged_go_sum(module_dir: &Path, extra: &str) -> String {
    let user_sum = std::fs::read_to_string(module_dir.join("go.sum")).unwrap_or_default();
    format!("{}\n{extra}", user_sum.trim_end())
}

/// Walks up from `start` to `stop` (inclusive, never above it) and returns the
/// first directory containing `name`.
pub fn find_upwards(start: &Path, stop: &Path, name: &str) -> Option<PathBuf> {
    let mut dir = start;
    loop {
        let candidate = dir.join(name);
        if candidate.is_file() {
            return Some(candidate);
        }
        if dir == stop {
            return None;
        }
        dir = dir.parent().filter(|p| p.starts_with(stop))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_blocks_comments_and_crlf() {
        let text = "// header\r\nmodule example.com/app // trailing\r\n\r\ngo 1.22.3\r\ntoolchain go1.23.1\r\n\r\nrequire (\r\n\tgithub.com/a/b v1.0.0\r\n\t\"github.com/c/d\" v2.0.0 // indirect\r\n)\r\nrequire github.com/e/f v0.1.0\r\n";
        let m = ModFile::parse(text);
        assert_eq!(m.module.as_deref(), Some("example.com/app"));
        assert_eq!(m.go.as_deref(), Some("1.22.3"));
        assert_eq!(m.toolchain.as_deref(), Some("go1.23.1"));
        let paths: Vec<_> = m.requires.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            vec!["github.com/a/b", "github.com/c/d", "github.com/e/f"]
        );
        assert_eq!(m.requires[0].version, "v1.0.0");
    }

    #[test]
    fn comment_marker_inside_quotes_is_kept() {
        assert_eq!(
            strip_comment("module \"example.com//x\" // c"),
            "module \"example.com//x\" "
        );
    }

    #[test]
    fn parses_go_work_uses() {
        let m = ModFile::parse("go 1.22\n\nuse (\n\t./api\n\t./shared // lib\n)\nuse ./other\n");
        assert_eq!(m.uses, vec!["./api", "./shared", "./other"]);
        assert_eq!(m.go.as_deref(), Some("1.22"));
    }

    #[test]
    fn adds_missing_requirements_after_a_line_without_newline() {
        let text = "module x\n\ngo 1.21\n\nrequire github.com/aws/aws-lambda-go v1.60.0";
        let out = with_requirements(
            text,
            &[
                ("github.com/vercel/go-bridge", "v0.1"),
                ("github.com/aws/aws-lambda-go", "v1.55.1"),
            ],
        );
        assert!(out.starts_with(text));
        assert!(out.contains("v1.60.0\n\nrequire (\n\tgithub.com/vercel/go-bridge v0.1\n)\n"));
        assert!(!out.contains("v1.55.1"), "existing requirement kept as is");
        let reparsed = ModFile::parse(&out);
        assert_eq!(reparsed.requires.len(), 2);
    }

    #[test]
    fn replaces_are_kept_and_made_absolute() {
        let m = ModFile::parse("replace (\n\texample.com/a => ./a\n\texample.com/b v1.0.0 => example.com/c v1.2.0\n)\n");
        assert_eq!(m.replaces.len(), 2);
        assert_eq!(
            absolute_replace(&m.replaces[0], Path::new("/w")),
            "example.com/a => \"/w/./a\""
        );
        assert_eq!(
            absolute_replace(&m.replaces[1], Path::new("/w")),
            m.replaces[1]
        );
    }

    #[test]
    fn rebases_relative_replaces_only() {
        let text = "module x\n\nreplace a => ./a\nreplace (\n\tb => ../b // c\n\tc v1 => d v2\n)\n";
        let out = rebase_replaces(text, Path::new("/m"));
        assert_eq!(
            out,
            "module x\n\nreplace a => \"/m/./a\"\nreplace (\n\tb => \"/m/../b\"\n\tc v1 => d v2\n)\n"
        );
    }

    #[test]
    fn nothing_added_when_all_required() {
        let text = "module x\nrequire github.com/a v1\n";
        assert_eq!(with_requirements(text, &[("github.com/a", "v2")]), text);
    }

    #[test]
    fn generated_module() {
        let out = generated_go_mod("handler", "1.21", &[("github.com/a", "v1.0.0")]);
        assert_eq!(
            out,
            "module handler\n\ngo 1.21\n\nrequire (\n\tgithub.com/a v1.0.0\n)\n"
        );
    }

    #[test]
    fn find_upwards_stops_at_boundary() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("work");
        let api = root.join("api").join("v1");
        std::fs::create_dir_all(&api).unwrap();
        std::fs::write(dir.path().join("go.mod"), "module outside\n").unwrap();
        assert_eq!(find_upwards(&api, &root, "go.mod"), None);
        std::fs::write(root.join("go.mod"), "module inside\n").unwrap();
        assert_eq!(
            find_upwards(&api, &root, "go.mod"),
            Some(root.join("go.mod"))
        );
    }
}
