//! A user's Go file as Go compiles it when a name in it changes — the
//! entry, whose handler gets its unique name ([`crate::handler_name`]), or
//! under the debugger a sibling whose own declaration of that name does:
//! the file byte for byte, with the name changed and line directives, so
//! that Go names the user's own file, line and column in its messages and
//! in the program's debug information:
//!
//! - `//line <file>:1:1` before the first line: every position is the
//!   user's file, whatever the copy is called;
//! - `/*line :<line>:<col>*/` after each renamed identifier (no file name:
//!   the last one stays): the rest of that line keeps its own columns
//!   although the name grew;
//! - in the entry, one declaration appended at the end that checks the
//!   handler's signature, positioned at the handler's name: a handler Go
//!   cannot call as `func(http.ResponseWriter, *http.Request)` is reported
//!   there, in the user's file, rather than in the generated main.
//!
//! `<file>` is what Go should record and print: the user's absolute path
//! when the program is built for the debugger, else the file's import path
//! (`example.com/app/api/index.go`, what `-trimpath` makes of it anyway),
//! so that the copy's bytes, Go's cache key and the program do not depend
//! on where the project is checked out.
//!
//! A file that has line directives of its own keeps them: it is renamed
//! only (Go then names the copy, which the caller maps back by text).

use std::path::Path;

use crate::analyze::Analysis;
use crate::handler_name;

/// The source Go compiles for the entry `source` whose handler (found by
/// `analysis`) is named `new_name`, with positions in `shown_as`.
pub fn entry(source: &str, analysis: &Analysis, new_name: &str, shown_as: &Path) -> String {
    let renamed = Renamed {
        offsets: &analysis.rename_offsets,
        old: &analysis.function_name,
        new: new_name,
    };
    render(source, &renamed, shown_as, Some(analysis))
}

/// The source Go compiles for the sibling `source` whose declaration of
/// `old` (at `offsets`, with its references) is renamed to `new`, with
/// positions in `shown_as`.
pub fn sibling(source: &str, offsets: &[usize], old: &str, new: &str, shown_as: &Path) -> String {
    render(source, &Renamed { offsets, old, new }, shown_as, None)
}

/// Identifiers at `offsets` that change from `old` to `new`.
struct Renamed<'a> {
    offsets: &'a [usize],
    old: &'a str,
    new: &'a str,
}

/// `source` renamed, with directives naming `shown_as`, and the signature
/// check of the handler `analysis` found.
fn render(
    source: &str,
    renamed: &Renamed<'_>,
    shown_as: &Path,
    handler: Option<&Analysis>,
) -> String {
    let Renamed {
        offsets,
        old,
        new: new_name,
    } = *renamed;
    let file = match directive_file(shown_as) {
        Some(file) if !has_line_directives(source) => file,
        _ => return handler_name::rename_at(source, offsets, old, new_name),
    };
    let (bom, body) = match source.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", source),
    };
    let shift = source.len() - body.len();
    let mut out = String::with_capacity(source.len() + 256);
    out.push_str(bom);
    out.push_str(&format!("//line {file}:1:1\n"));
    let mut offsets: Vec<usize> = offsets
        .iter()
        .filter(|&&o| o >= shift && source.get(o..o + old.len()) == Some(old) && old != new_name)
        .copied()
        .collect();
    offsets.sort_unstable();
    offsets.dedup();
    let mut last = shift;
    for offset in offsets {
        let end = offset + old.len();
        out.push_str(&source[last..offset]);
        out.push_str(new_name);
        let (line, col) = line_col(source, end);
        out.push_str(&format!("/*line :{line}:{col}*/"));
        last = end;
    }
    out.push_str(&source[last..]);
    if let Some(check) = handler.and_then(|a| signature_check(source, a, new_name)) {
        out.push('\n');
        out.push_str(&check);
    }
    out
}

/// `var _ func(http.ResponseWriter, *http.Request) = <handler>`, with the
/// handler at the position of its name in its declaration.
fn signature_check(source: &str, analysis: &Analysis, new_name: &str) -> Option<String> {
    let offset = analysis.declaration_offset()?;
    let qualifier = match analysis.http_name.as_str() {
        "" | "_" => return None,
        "." => String::new(),
        name => format!("{name}."),
    };
    let (line, col) = line_col(source, offset);
    Some(format!(
        "var _ func({qualifier}ResponseWriter, *{qualifier}Request) = /*line :{line}:{col}*/{new_name}\n"
    ))
}

/// 1-based line and byte column of `offset` in `source`, as Go counts them
/// (a leading byte order mark is not a column).
fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let bom = if line_start == 0 && before.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    (line, before.len() - line_start - bom + 1)
}

/// The file name a `//line` directive can carry: valid UTF-8, on one line.
fn directive_file(path: &Path) -> Option<String> {
    let file = path.to_str()?;
    (!file.is_empty() && !file.contains(['\n', '\r'])).then(|| file.to_string())
}

/// Whether the user wrote line directives (which ours would override).
fn has_line_directives(source: &str) -> bool {
    source.contains("/*line ") || source.lines().any(|l| l.starts_with("//line "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analysis(source: &str, name: &str, decl: &str, http: &str) -> Analysis {
        let offsets = source.match_indices(name).map(|(i, _)| i).collect();
        Analysis {
            package_name: "api".into(),
            function_name: name.into(),
            rename_offsets: offsets,
            function_offset: source.find(decl).map_or(-1, |i| (i + 5) as i64),
            http_name: http.into(),
            siblings: Vec::new(),
            ignored: None,
            streaming: None,
        }
    }

    /// The entry `src` whose handler `name` (declared as `func <name>`, net/http
    /// imported as `http`) becomes `new`, positioned in `/a.go`.
    fn rendered(src: &str, name: &str, http: &str, new: &str) -> String {
        let decl = format!("func {}", name.trim_end_matches('('));
        entry(
            src,
            &analysis(src, name, &decl, http),
            new,
            Path::new("/a.go"),
        )
    }

    #[test]
    fn keeps_lines_and_columns_and_checks_the_signature_at_the_name() {
        let src = "package api\n\nimport \"net/http\"\n\nvar _ = Handler\n\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n";
        let a = analysis(src, "Handler", "func Handler", "http");
        let out = entry(src, &a, "Handler_api_x_go", Path::new("/w/api/x.go"));
        assert!(out.starts_with("//line /w/api/x.go:1:1\npackage api\n"));
        assert!(out.contains("var _ = Handler_api_x_go/*line :5:16*/\n"));
        assert!(out.contains("func Handler_api_x_go/*line :7:13*/(w http.ResponseWriter"));
        assert!(out.ends_with(
            "{}\n\nvar _ func(http.ResponseWriter, *http.Request) = /*line :7:6*/Handler_api_x_go\n"
        ));
    }

    #[test]
    fn aliased_and_dot_imports() {
        let src =
            "package api\nimport web \"net/http\"\nfunc H(w web.ResponseWriter, r *web.Request) {}";
        let out = rendered(src, "H(", "web", "H");
        assert!(out.contains("var _ func(web.ResponseWriter, *web.Request) = /*line :3:6*/H"));
        let src = "package api\nimport . \"net/http\"\nfunc H(w ResponseWriter, r *Request) {}";
        let out = rendered(src, "H(", ".", "H");
        assert!(out.contains("var _ func(ResponseWriter, *Request) = "));
    }

    #[test]
    fn a_byte_order_mark_stays_first() {
        let src = "\u{feff}package api\nfunc Handler() {}\n";
        let out = rendered(src, "Handler", "http", "H2");
        assert!(out.starts_with("\u{feff}//line /a.go:1:1\npackage api\n"));
        assert!(out.contains("func H2/*line :2:13*/()"));
    }

    #[test]
    fn the_users_own_directives_or_an_unusable_path_mean_renaming_only() {
        let src = "package api\n//line other.go:10\nfunc Handler() {}\n";
        let a = analysis(src, "Handler", "func Handler", "http");
        assert_eq!(
            entry(src, &a, "H2", Path::new("/a.go")),
            "package api\n//line other.go:10\nfunc H2() {}\n"
        );
        let src = "package api\nfunc Handler() {}\n";
        let a = analysis(src, "Handler", "func Handler", "http");
        assert_eq!(
            entry(src, &a, "H2", Path::new("/odd\nname.go")),
            "package api\nfunc H2() {}\n"
        );
    }

    #[test]
    fn an_unchanged_name_gets_no_column_directives_and_a_sibling_no_check() {
        let src = "package api\nimport \"net/http\"\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n";
        let a = analysis(src, "Handler", "func Handler", "http");
        let out = entry(src, &a, "Handler", Path::new("/a.go"));
        assert!(out.contains("\nfunc Handler(w"), "{out}");
        assert!(out.ends_with("= /*line :3:6*/Handler\n"), "{out}");
        let sib = "package api\nconst Handler = 1\nvar x = Handler\n";
        let offsets: Vec<usize> = sib.match_indices("Handler").map(|(i, _)| i).collect();
        assert_eq!(
            sibling(sib, &offsets, "Handler", "Handler_api_b_go", Path::new("/b.go")),
            "//line /b.go:1:1\npackage api\nconst Handler_api_b_go/*line :2:14*/ = 1\nvar x = Handler_api_b_go/*line :3:16*/\n"
        );
    }

    #[test]
    fn columns_count_bytes() {
        assert_eq!(line_col("ab\ncé d", 7), (2, 5));
        assert_eq!(line_col("\u{feff}ab", 4), (1, 2));
    }
}
