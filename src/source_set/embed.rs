//! The files a package's `//go:embed` patterns can match, found the way
//! Go's embed resolution globs them (relative to the package directory,
//! one path element at a time), and always a superset of what Go embeds:
//! a character class matches any one character, a matched directory counts
//! with everything below it (dot and underscore files too), and a pattern
//! Go would reject counts as the whole package directory.

use std::path::{Path, PathBuf};

/// What one pattern reaches.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Matches {
    /// Files and directories the pattern matches (a directory: everything
    /// below it).
    pub paths: Vec<PathBuf>,
    /// Directories whose listing the match depends on (a file created in
    /// one may match).
    pub listed: Vec<PathBuf>,
}

/// What `pattern` (as written after `//go:embed`, `all:` included) matches
/// in the package directory `dir`.
pub fn resolve(dir: &Path, pattern: &str) -> Matches {
    let pattern = pattern.strip_prefix("all:").unwrap_or(pattern);
    let elements: Vec<&str> = pattern.split('/').collect();
    let mut matches = Matches::default();
    let valid = elements
        .iter()
        .all(|e| !e.is_empty() && *e != "." && *e != ".." && Glob::parse(e).is_some());
    if !valid {
        matches.paths.push(dir.to_path_buf());
        return matches;
    }
    walk(dir, &elements, &mut matches);
    matches
}

fn walk(dir: &Path, elements: &[&str], matches: &mut Matches) {
    let Some((first, rest)) = elements.split_first() else {
        matches.paths.push(dir.to_path_buf());
        return;
    };
    let glob = Glob::parse(first).unwrap_or(Glob(vec![Token::Star]));
    let names: Vec<String> = match glob.literal() {
        Some(name) => vec![name],
        None => {
            matches.listed.push(dir.to_path_buf());
            let Ok(read) = std::fs::read_dir(dir) else {
                return;
            };
            let mut names: Vec<String> = read
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| glob.matches(name))
                .collect();
            names.sort();
            names
        }
    };
    for name in names {
        let path = dir.join(&name);
        if rest.is_empty() {
            if path.exists() {
                matches.paths.push(path);
            }
        } else if path.is_dir() {
            walk(&path, rest, matches);
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Star,
    /// `?` or a character class: any one character.
    One,
    Char(char),
}

/// One path element of a pattern.
#[derive(Debug)]
struct Glob(Vec<Token>);

impl Glob {
    /// `None` when Go would reject it (an open class, a trailing `\`).
    fn parse(element: &str) -> Option<Glob> {
        let mut tokens = Vec::new();
        let mut chars = element.chars();
        while let Some(c) = chars.next() {
            tokens.push(match c {
                '*' => Token::Star,
                '?' => Token::One,
                '\\' => Token::Char(chars.next()?),
                '[' => {
                    let mut closed = false;
                    let mut first = true;
                    while let Some(c) = chars.next() {
                        match c {
                            '\\' => {
                                chars.next()?;
                            }
                            ']' if !first => {
                                closed = true;
                                break;
                            }
                            _ => {}
                        }
                        first = false;
                    }
                    if !closed {
                        return None;
                    }
                    Token::One
                }
                c => Token::Char(c),
            });
        }
        Some(Glob(tokens))
    }

    /// The name itself when the element has no wildcard.
    fn literal(&self) -> Option<String> {
        self.0
            .iter()
            .map(|t| match t {
                Token::Char(c) => Some(*c),
                _ => None,
            })
            .collect()
    }

    fn matches(&self, name: &str) -> bool {
        let name: Vec<char> = name.chars().collect();
        matches_from(&self.0, &name)
    }
}

fn matches_from(tokens: &[Token], name: &[char]) -> bool {
    match tokens.split_first() {
        None => name.is_empty(),
        Some((Token::Star, rest)) => (0..=name.len()).any(|skip| matches_from(rest, &name[skip..])),
        Some((Token::One, rest)) => !name.is_empty() && matches_from(rest, &name[1..]),
        Some((Token::Char(c), rest)) => name.first() == Some(c) && matches_from(rest, &name[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_are_a_superset_of_go() {
        let g = |p: &str, n: &str| Glob::parse(p).unwrap().matches(n);
        assert!(g("*.html", "index.html"));
        assert!(!g("*.html", "index.css"));
        assert!(g("a?c", "abc"));
        assert!(g("[^x]b", "xb"), "a class matches any one character");
        assert!(g(r"\*", "*"));
        assert!(Glob::parse("[ab").is_none());
        assert!(Glob::parse("a\\").is_none());
        assert_eq!(
            Glob::parse("plain.txt").unwrap().literal().unwrap(),
            "plain.txt"
        );
    }

    #[test]
    fn resolves_patterns_in_the_package_directory() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in [
            "static/a.html",
            "static/b.css",
            "static/sub/c.html",
            "tmpl/x",
            "other.txt",
        ] {
            std::fs::create_dir_all(d.join(f).parent().unwrap()).unwrap();
            std::fs::write(d.join(f), "x").unwrap();
        }
        let m = resolve(d, "static/*.html");
        assert_eq!(m.paths, vec![d.join("static/a.html")]);
        assert_eq!(m.listed, vec![d.join("static")]);
        assert_eq!(resolve(d, "all:tmpl").paths, vec![d.join("tmpl")]);
        assert_eq!(resolve(d, "*/sub").paths, vec![d.join("static/sub")]);
        assert!(resolve(d, "missing.txt").paths.is_empty());
        assert_eq!(resolve(d, "../x").paths, vec![d.to_path_buf()]);
        assert_eq!(resolve(d, "[a").paths, vec![d.to_path_buf()]);
    }
}
