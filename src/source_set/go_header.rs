//! What a Go file's text says about the build, read the way `go/build`
//! reads it, erring on the side of "it matters": the `//go:embed` patterns
//! anywhere in the file, whether it imports "C", and whether a build
//! constraint names the `cgo` tag.
//!
//! The import section is read by a port of go/build's own import reader
//! (semicolons count as spaces; comments are skipped; the first
//! declaration that is not an import ends it). Anything it does not
//! understand counts as a possible cgo user, so the caller asks Go.

/// What one Go file tells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoHeader {
    /// The arguments of every `//go:embed` line (any line comment starting
    /// so, wherever it is: a superset of what Go honours).
    pub embeds: Vec<String>,
    /// A `//go:embed` line whose arguments do not parse: the caller treats
    /// the whole package directory as embedded.
    pub embeds_unreadable: bool,
    /// It imports "C", has a build constraint naming `cgo`, or its import
    /// section could not be read: with cgo on, it may add cgo code or
    /// imports.
    pub cgo_sensitive: bool,
}

/// Reads `src`, a Go file's bytes.
pub fn read(src: &[u8]) -> GoHeader {
    let (embeds, embeds_unreadable) = embed_patterns(src);
    GoHeader {
        embeds,
        embeds_unreadable,
        cgo_sensitive: cgo_sensitive(src),
    }
}

/// Whether the file may add cgo code or imports with cgo on (see
/// [`GoHeader::cgo_sensitive`]), without looking for embed patterns.
pub fn cgo_sensitive(src: &[u8]) -> bool {
    import_paths(src).is_none_or(|paths| paths.iter().any(|p| p == "C"))
        || constraint_names_cgo(src)
}

/// The import paths of the file's import section (unquoted), or `None` when
/// it cannot be read as Go's import reader reads it.
pub fn import_paths(src: &[u8]) -> Option<Vec<String>> {
    let mut r = Reader { src, pos: 0 };
    r.keyword("package")?;
    r.ident()?;
    let mut paths = Vec::new();
    while r.peek()? == Some(b'i') {
        r.keyword("import")?;
        if r.peek()? == Some(b'(') {
            r.pos += 1;
            loop {
                match r.peek()? {
                    Some(b')') => break,
                    Some(_) => paths.push(r.import_spec()?),
                    None => return None,
                }
            }
            r.pos += 1;
        } else {
            paths.push(r.import_spec()?);
        }
    }
    Some(paths)
}

struct Reader<'a> {
    src: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    /// The next byte after spaces, semicolons and comments (`None` inside:
    /// a syntax error; `Some(None)`: the end of the file).
    fn peek(&mut self) -> Option<Option<u8>> {
        loop {
            let Some(&c) = self.src.get(self.pos) else {
                return Some(None);
            };
            match c {
                b' ' | b'\x0c' | b'\t' | b'\r' | b'\n' | b';' => self.pos += 1,
                b'/' => match self.src.get(self.pos + 1) {
                    Some(b'/') => {
                        while self.src.get(self.pos).is_some_and(|&c| c != b'\n') {
                            self.pos += 1;
                        }
                    }
                    Some(b'*') => {
                        let rest = &self.src[self.pos + 2..];
                        let end = rest.windows(2).position(|w| w == b"*/")?;
                        self.pos += 2 + end + 2;
                    }
                    _ => return None,
                },
                _ => return Some(Some(c)),
            }
        }
    }

    fn word(&mut self) -> Option<&str> {
        self.peek()?;
        let start = self.pos;
        while self.src.get(self.pos).is_some_and(|&c| is_ident(c)) {
            self.pos += 1;
        }
        if start == self.pos {
            return None;
        }
        std::str::from_utf8(&self.src[start..self.pos]).ok()
    }

    fn keyword(&mut self, word: &str) -> Option<()> {
        (self.word()? == word).then_some(())
    }

    fn ident(&mut self) -> Option<()> {
        self.word().map(|_| ())
    }

    /// `[name | . | _] "path"`.
    fn import_spec(&mut self) -> Option<String> {
        match self.peek()? {
            Some(b'.') => self.pos += 1,
            Some(c) if is_ident(c) => self.ident()?,
            _ => {}
        }
        self.peek()?;
        let (literal, end) = string_literal(self.src, self.pos)?;
        self.pos = end;
        unquote(literal)
    }
}

/// Letters, digits, `_` and every non-ASCII byte (as go/build's reader).
fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// The string literal starting at `start` (with its quotes) and the
/// position after it.
fn string_literal(src: &[u8], start: usize) -> Option<(&str, usize)> {
    let quote = *src.get(start)?;
    let mut i = start + 1;
    match quote {
        b'`' => {
            let len = src[i..].iter().position(|&c| c == b'`')?;
            i += len + 1;
        }
        b'"' => loop {
            match *src.get(i)? {
                b'"' => {
                    i += 1;
                    break;
                }
                b'\n' => return None,
                b'\\' => i += 2,
                _ => i += 1,
            }
        },
        _ => return None,
    }
    Some((std::str::from_utf8(src.get(start..i)?).ok()?, i))
}

/// A Go string literal's value (`strconv.Unquote` for `"…"` and `` `…` ``).
pub fn unquote(literal: &str) -> Option<String> {
    if let Some(raw) = literal.strip_prefix('`') {
        return Some(raw.strip_suffix('`')?.replace('\r', ""));
    }
    let body = literal.strip_prefix('"')?.strip_suffix('"')?;
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let simple = match chars.next()? {
            'a' => Some(7),
            'b' => Some(8),
            'f' => Some(12),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(11),
            '\\' => Some(b'\\'),
            '"' => Some(b'"'),
            c @ '0'..='7' => {
                let digits: String = std::iter::once(c).chain(chars.by_ref().take(2)).collect();
                Some(u8::from_str_radix(&digits, 8).ok()?)
            }
            'x' => Some(u8::from_str_radix(&chars.by_ref().take(2).collect::<String>(), 16).ok()?),
            c @ ('u' | 'U') => {
                let n = if c == 'u' { 4 } else { 8 };
                let hex: String = chars.by_ref().take(n).collect();
                let ch = char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?;
                let mut buf = [0; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                None
            }
            _ => return None,
        };
        out.extend(simple);
    }
    String::from_utf8(out).ok()
}

/// Whether a `//go:build` or `// +build` line before the package clause
/// names the `cgo` tag (in any position, negated or not).
fn constraint_names_cgo(src: &[u8]) -> bool {
    let text = String::from_utf8_lossy(src);
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("package ") || line == "package" {
            break;
        }
        let Some(comment) = line.strip_prefix("//") else {
            continue;
        };
        let comment = comment.trim_start();
        let expr = comment
            .strip_prefix("go:build")
            .or_else(|| comment.strip_prefix("+build"));
        if let Some(expr) = expr {
            if expr
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .any(|tag| tag == "cgo")
            {
                return true;
            }
        }
    }
    false
}

/// The arguments of every `//go:embed` comment, and whether one did not
/// parse.
fn embed_patterns(src: &[u8]) -> (Vec<String>, bool) {
    const DIRECTIVE: &[u8] = b"//go:embed";
    let mut patterns = Vec::new();
    let mut unreadable = false;
    let mut from = 0;
    while let Some(at) = find(&src[from..], DIRECTIVE) {
        let start = from + at + DIRECTIVE.len();
        let end = src[start..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(src.len(), |n| start + n);
        from = end;
        let rest = &src[start..end];
        // `//go:embedded` is another word: not a directive.
        if rest.first().is_some_and(|c| !c.is_ascii_whitespace()) {
            continue;
        }
        match embed_args(&String::from_utf8_lossy(rest)) {
            Some(args) => patterns.extend(args),
            None => unreadable = true,
        }
    }
    (patterns, unreadable)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A directive's arguments: space-separated, each bare or a Go string
/// (go/ast's `Directive.ParseArgs`).
fn embed_args(text: &str) -> Option<Vec<String>> {
    let text = text.trim_end_matches('\r');
    let bytes = text.as_bytes();
    let mut args = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        match bytes[i] {
            b'"' | b'`' => {
                let (literal, end) = string_literal(bytes, i)?;
                if bytes.get(end).is_some_and(|c| !c.is_ascii_whitespace()) {
                    return None;
                }
                args.push(unquote(literal)?);
                i = end;
            }
            _ => {
                let len = bytes[i..]
                    .iter()
                    .position(|c| c.is_ascii_whitespace())
                    .unwrap_or(bytes.len() - i);
                args.push(text[i..i + len].to_string());
                i += len;
            }
        }
    }
    Some(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_imports_like_go() {
        let src = br#"// Package x.
//go:build linux
/* block */ package x; import "fmt"
import (
	h "net/http" ; . "strings"
	_ `embed`
	"\x43"
)
func F() { import_ := 1 }
"#;
        assert_eq!(
            import_paths(src).unwrap(),
            vec!["fmt", "net/http", "strings", "embed", "C"]
        );
        assert!(read(src).cgo_sensitive);
        assert!(import_paths(b"package x\n\nfunc main() {}\n")
            .unwrap()
            .is_empty());
        assert!(import_paths(b"packag x").is_none());
        assert!(import_paths(b"package x\nimport (\n\"fmt\"\n").is_none());
        assert!(read(b"package x\nimport \"fmt\n\"").cgo_sensitive);
    }

    #[test]
    fn cgo_constraints_and_imports() {
        assert!(!read(b"//go:build linux && amd64\n\npackage x\nimport \"fmt\"\n").cgo_sensitive);
        assert!(read(b"//go:build !cgo\n\npackage x\n").cgo_sensitive);
        assert!(read(b"// +build linux,cgo\n\npackage x\n").cgo_sensitive);
        assert!(!read(b"//go:build cgofoo\n\npackage x\n").cgo_sensitive);
        assert!(read(b"package x\n/*\n#include <stdio.h>\n*/\nimport \"C\"\n").cgo_sensitive);
        assert!(!read(b"package x\nvar s = \"C\"\n").cgo_sensitive);
    }

    #[test]
    fn embed_patterns_anywhere() {
        let src = b"package x\nimport _ \"embed\"\n//go:embed static/*.html \"a b.txt\" `c`\nvar f string\n\t//go:embed all:tmpl\nvar t string\n//go:embedded no\n";
        let header = read(src);
        assert_eq!(
            header.embeds,
            vec!["static/*.html", "a b.txt", "c", "all:tmpl"]
        );
        assert!(!header.embeds_unreadable);
        assert!(read(b"package x\n//go:embed \"open\n").embeds_unreadable);
    }

    #[test]
    fn unquotes_go_strings() {
        assert_eq!(unquote(r#""a\tb\u00e9\101""#).unwrap(), "a\tbéA");
        assert_eq!(unquote("`raw\\n`").unwrap(), "raw\\n");
        assert!(unquote(r#""\q""#).is_none());
    }
}
