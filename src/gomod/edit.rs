//! The edits a build makes to copies of go.mod (and go.sum): extra
//! requirements for the generated main, relative `replace` targets made
//! absolute for a copy that lives elsewhere, and modules made from scratch.

use std::path::Path;

use super::{split_verb, strip_comment, ModFile};

/// A replace directive (`old [version] => new [version]`) with a relative
/// file-path target made absolute against `base`.
pub fn absolute_replace(directive: &str, base: &Path) -> String {
    absolute_replace_where(directive, base, &|_| true)
}

/// A replace directive with a relative file-path target written relative
/// to `via` instead (`./x` → `<via>/x`); other targets stay as written.
pub fn relocated_replace(directive: &str, via: &str) -> String {
    let Some((old, new)) = directive.split_once("=>") else {
        return directive.to_string();
    };
    match relative_target(new) {
        Some(target) => format!(
            "{} => {}",
            old.trim(),
            quote(&format!("{via}/{}", target.trim_start_matches("./")))
        ),
        None => directive.to_string(),
    }
}

/// The file-path target of a replace directive's right side (`./x`,
/// `../x`), when it is relative; a module path or an absolute directory is
/// `None`.
pub fn relative_target(new: &str) -> Option<&str> {
    let new = new.trim();
    let is_relative_path = new == "."
        || new == ".."
        || new.starts_with("./")
        || new.starts_with("../")
        || new.starts_with(".\\")
        || new.starts_with("..\\");
    is_relative_path.then(|| new.split_whitespace().next().unwrap_or(new))
}

/// [`absolute_replace`] for the targets `rebase` accepts (given the
/// absolute path); the others stay as written.
fn absolute_replace_where(directive: &str, base: &Path, rebase: &dyn Fn(&Path) -> bool) -> String {
    let Some((old, new)) = directive.split_once("=>") else {
        return directive.to_string();
    };
    let Some(target) = relative_target(new).map(|t| base.join(t)) else {
        return directive.to_string();
    };
    if !rebase(&target) {
        return directive.to_string();
    }
    format!("{} => {}", old.trim(), quote(&target.to_string_lossy()))
}

/// `text` with the relative file-path `replace` targets that `rebase`
/// accepts (given the absolute path) made absolute against `base` (for a
/// copy of the go.mod that lives elsewhere); the others stay as written.
pub fn rebase_replaces_where(text: &str, base: &Path, rebase: &dyn Fn(&Path) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_block = false;
    for line in text.lines() {
        let code = strip_comment(line).trim();
        let (verb, rest) = split_verb(code);
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
                out.push_str(&absolute_replace_where(d, base, rebase));
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

/// The module's go.sum (if any) followed by `extra` checksum lines: the go.sum
/// of a build whose go.mod adds requirements.
pub fn merged_go_sum(module_dir: &Path, extra: &str) -> String {
    let user_sum = std::fs::read_to_string(module_dir.join("go.sum")).unwrap_or_default();
    format!("{}\n{extra}", user_sum.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn replaces_are_made_absolute() {
        let m = ModFile::parse("replace (\n\texample.com/a => ./a\n\texample.com/b v1.0.0 => example.com/c v1.2.0\n)\n");
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
    fn relocates_relative_targets_only() {
        assert_eq!(
            relocated_replace("example.com/x => ./libx", "./workspace"),
            "example.com/x => \"./workspace/libx\""
        );
        assert_eq!(
            relocated_replace("example.com/x => ../up", "./workspace"),
            "example.com/x => \"./workspace/../up\""
        );
        assert_eq!(
            relocated_replace("example.com/x => example.com/y v1.0.0", "./w"),
            "example.com/x => example.com/y v1.0.0"
        );
    }

    #[test]
    fn rebases_relative_replaces_only() {
        let text = "module x\n\nreplace a => ./a\nreplace (\n\tb => ../b // c\n\tc v1 => d v2\n)\n";
        let out = rebase_replaces_where(text, Path::new("/m"), &|_| true);
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
}
