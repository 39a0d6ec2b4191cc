//! go.mod and go.work: the one reader of both ([`ModFile`]), the edits a
//! build makes to copies of them ([`edit`]), where they are found
//! ([`layout`]) and the scratch go.work of a workspace build ([`workspace`]).
//!
//! The user's files are never written: builds use `go build -modfile` with
//! an edited copy, or a go.work of their own.

pub mod edit;
pub mod layout;
pub mod module_cache;
pub mod workspace;

pub use edit::{
    absolute_replace, generated_go_mod, merged_go_sum, quote, rebase_replaces_where,
    relocated_replace, with_requirements,
};
pub use layout::{find_upwards, search_boundary, Layout};

/// The directives of a go.mod or go.work file that the builder cares about.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ModFile {
    /// `module` path (go.mod only).
    pub module: Option<String>,
    /// The first `go` directive, e.g. `1.22` or `1.22.3`.
    pub go: Option<String>,
    /// The first `toolchain` directive, e.g. `go1.22.3` or `default`.
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
    /// Marked `// indirect`.
    pub indirect: bool,
}

impl ModFile {
    /// Reads the directives as Go's own parser does: a byte-order mark,
    /// CRLF line ends and `//` comments (outside quotes) are ignored, and
    /// `verb (` … `)` blocks (also written `verb(`) hold one directive per
    /// line. Where Go would reject a repeated `module`, `go` or `toolchain`
    /// line, the first one is kept.
    pub fn parse(text: &str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut file = ModFile::default();
        let mut block: Option<String> = None;
        for raw in text.lines() {
            let line = strip_comment(raw).trim();
            if line.is_empty() {
                continue;
            }
            let indirect = raw[strip_comment(raw).len()..]
                .trim_start_matches('/')
                .split([';', ' ', '\t'])
                .any(|w| w == "indirect");
            if let Some(verb) = &block {
                if line == ")" {
                    block = None;
                } else {
                    file.directive(&verb.clone(), line, indirect);
                }
                continue;
            }
            let (verb, rest) = split_verb(line);
            if rest == "(" {
                block = Some(verb.to_string());
            } else {
                file.directive(verb, rest, indirect);
            }
        }
        file
    }

    fn directive(&mut self, verb: &str, args: &str, indirect: bool) {
        let first = first_token(args);
        match verb {
            "module" => self.module = self.module.take().or(first),
            "go" => self.go = self.go.take().or(first),
            "toolchain" => self.toolchain = self.toolchain.take().or(first),
            "require" => self.requires.extend(first.map(|path| Require {
                path,
                version: nth_token(args, 1).unwrap_or_default(),
                indirect,
            })),
            "use" => self.uses.extend(first),
            "replace" => self.replaces.push(args.to_string()),
            _ => {}
        }
    }

    pub fn requires_module(&self, path: &str) -> bool {
        self.requires.iter().any(|r| r.path == path)
    }

    /// The `replace` directives, parsed.
    pub fn replacements(&self) -> Vec<Replace> {
        self.replaces
            .iter()
            .filter_map(|r| Replace::parse(r))
            .collect()
    }
}

/// A `replace old [version] => new [version]` directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replace {
    pub old_path: String,
    pub old_version: Option<String>,
    pub new_path: String,
    /// `None` for a local directory.
    pub new_version: Option<String>,
}

impl Replace {
    fn parse(directive: &str) -> Option<Replace> {
        let (old, new) = directive.split_once("=>")?;
        let mut old = old.split_whitespace().map(|t| t.trim_matches('"'));
        let mut new = new.split_whitespace().map(|t| t.trim_matches('"'));
        Some(Replace {
            old_path: old.next()?.to_string(),
            old_version: old.next().map(str::to_string),
            new_path: new.next()?.to_string(),
            new_version: new.next().map(str::to_string),
        })
    }
}

/// Removes a `//` comment that is not inside a quoted string.
pub(crate) fn strip_comment(line: &str) -> &str {
    let mut in_quote: Option<char> = None;
    let mut previous = None;
    for (at, c) in line.char_indices() {
        match (in_quote, c) {
            (None, '"') | (None, '`') => in_quote = Some(c),
            (Some(q), c) if q == c => in_quote = None,
            (None, '/') if previous == Some('/') => return &line[..at - 1],
            _ => {}
        }
        previous = Some(c);
    }
    line
}

/// The directive's verb and the rest of the line; `(` is a token of its own
/// (`require(` opens a block like `require (`).
pub(crate) fn split_verb(line: &str) -> (&str, &str) {
    match line.find(|c: char| c.is_whitespace() || c == '(') {
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

    /// The `go` / `toolchain` lines of every form the toolchain selection
    /// and the build read from the same parse.
    #[test]
    fn go_and_toolchain_lines_table() {
        let cases: &[(&str, Option<&str>, Option<&str>)] = &[
            ("module x\n\ngo 1.22\n", Some("1.22"), None),
            ("\u{feff}go\t1.24 // a comment\n", Some("1.24"), None),
            (
                "module x\r\n\r\ngo   1.21.3   \r\ntoolchain go1.22.0\r\n",
                Some("1.21.3"),
                Some("go1.22.0"),
            ),
            ("// go 1.15\nmodule x\ngo 1.20.4", Some("1.20.4"), None),
            ("go \"1.22.1\"", Some("1.22.1"), None),
            (
                "module x\n\nrequire (\n\tgo 1.14\n\tgo.uber.org/zap v1.0.0\n)\n\ngo 1.22.5\n",
                Some("1.22.5"),
                None,
            ),
            ("require(\n\tgo 1.14\n)\ngo 1.22.5\n", Some("1.22.5"), None),
            ("module x\ngolang 1.19\ngo.mod 1.2\n", None, None),
            ("go 1.21 // go 1.9\ngo 1.23\n", Some("1.21"), None),
            ("toolchain go1.23rc2 // pinned\n", None, Some("go1.23rc2")),
            (
                "module \"example.com//x\" // c\ngo 1.22\n",
                Some("1.22"),
                None,
            ),
        ];
        for (text, go, toolchain) in cases {
            let m = ModFile::parse(text);
            assert_eq!(m.go.as_deref(), *go, "go line of {text:?}");
            assert_eq!(m.toolchain.as_deref(), *toolchain, "toolchain of {text:?}");
        }
    }

    #[test]
    fn indirect_requirements_and_replacements() {
        let m = ModFile::parse(
            "require (\n\ta v1 // indirect\n\tb v2\n)\nrequire c v3 // indirect; why\nreplace a v1 => x v9\nreplace b => ../b\n",
        );
        let flags: Vec<_> = m
            .requires
            .iter()
            .map(|r| (r.path.as_str(), r.indirect))
            .collect();
        assert_eq!(flags, vec![("a", true), ("b", false), ("c", true)]);
        let r = m.replacements();
        assert_eq!(r[0].old_version.as_deref(), Some("v1"));
        assert_eq!(r[0].new_version.as_deref(), Some("v9"));
        assert_eq!(r[1].new_path, "../b");
        assert_eq!(r[1].new_version, None);
    }

    #[test]
    fn comment_marker_inside_quotes_is_kept() {
        assert_eq!(
            strip_comment("module \"example.com//x\" // c"),
            "module \"example.com//x\" "
        );
        assert_eq!(strip_comment("go 1.22//c"), "go 1.22");
        assert_eq!(strip_comment("é // ü"), "é ");
    }

    #[test]
    fn parses_go_work_uses() {
        let m = ModFile::parse("go 1.22\n\nuse (\n\t./api\n\t./shared // lib\n)\nuse ./other\n");
        assert_eq!(m.uses, vec!["./api", "./shared", "./other"]);
        assert_eq!(m.go.as_deref(), Some("1.22"));
    }

    #[test]
    fn replaces_are_kept_as_written() {
        let m = ModFile::parse("replace (\n\texample.com/a => ./a\n\texample.com/b v1.0.0 => example.com/c v1.2.0\n)\n");
        assert_eq!(
            m.replaces,
            vec![
                "example.com/a => ./a",
                "example.com/b v1.0.0 => example.com/c v1.2.0"
            ]
        );
    }
}
