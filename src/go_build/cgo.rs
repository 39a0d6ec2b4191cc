//! Whether a build needs cgo, decided from the code: Go's own `go list`
//! reports the packages with cgo files (`import "C"`) in each program's
//! import graph.
//!
//! A program whose graph has such a package (outside the standard library,
//! whose cgo parts all have pure-Go fallbacks) is built with cgo on; every
//! other program stays static. Only `CGO_ENABLED=0` in the user's
//! environment turns this off: it forbids cgo. `CGO_ENABLED=1` allows it,
//! as it does in Go, and the code decides.

use std::collections::{BTreeSet, HashMap};

use crate::env::Env;

/// `go list -deps` output, one line per package:
/// `<import path>|<"cgo" when it has cgo files>|<deps, for the requested packages>`.
pub const LIST_FORMAT: &str =
    "{{.ImportPath}}|{{if and (not .Standard) .CgoFiles}}cgo{{end}}|{{if not .DepOnly}}{{join .Deps \" \"}}{{end}}";

/// What the user's environment says about cgo.
pub fn forbidden_by_user(env: &Env) -> bool {
    env.get("CGO_ENABLED").map(str::trim) == Some("0")
}

/// For each of `roots` (the packages a build was asked for), the packages
/// with cgo files it depends on (itself included); empty when it needs no
/// cgo. `listed` is `go list -deps -f` [`LIST_FORMAT`] output.
pub fn users(roots: &[String], listed: &str) -> Vec<Vec<String>> {
    let mut cgo = BTreeSet::new();
    let mut deps: HashMap<&str, Vec<&str>> = HashMap::new();
    for line in listed.lines() {
        let mut fields = line.splitn(3, '|');
        let (Some(path), Some(mark), rest) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        if mark == "cgo" {
            cgo.insert(path);
        }
        deps.insert(path, rest.unwrap_or("").split_whitespace().collect());
    }
    roots
        .iter()
        .map(|root| {
            let root = root_path(root, &deps);
            let mut found: Vec<String> = std::iter::once(root)
                .chain(deps.get(root).into_iter().flatten().copied())
                .filter(|p| cgo.contains(p))
                .map(str::to_string)
                .collect();
            found.dedup();
            found
        })
        .collect()
}

/// The listed import path of a requested package. A root may be given as
/// a relative directory (`./cmd/api`), which Go lists by import path: match
/// it by its last elements.
fn root_path<'a>(root: &'a str, listed: &HashMap<&'a str, Vec<&'a str>>) -> &'a str {
    if listed.contains_key(root) {
        return root;
    }
    let tail = root.trim_start_matches("./").trim_start_matches('.');
    listed
        .iter()
        .filter(|(_, deps)| !deps.is_empty())
        .map(|(path, _)| *path)
        .find(|path| tail.is_empty() || path.ends_with(&format!("/{tail}")) || *path == tail)
        .unwrap_or(root)
}

/// The build log's note for a program built with cgo.
pub fn note(packages: &[String]) -> String {
    format!(
        "cgo is used by {}: built with CGO_ENABLED=1 (set CGO_ENABLED=0 to forbid it). \
         The program links against the build machine's C library (glibc); the function's \
         runtime must provide that glibc version or newer.",
        packages.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_roots_cgo_packages() {
        let listed = "\
fmt||
net||
example.com/m/cgolib|cgo|
example.com/m/plain||
main/a||fmt example.com/m/cgolib net
main/b||fmt example.com/m/plain net
";
        let roots = vec!["main/a".to_string(), "main/b".to_string()];
        assert_eq!(
            users(&roots, listed),
            vec![vec!["example.com/m/cgolib".to_string()], vec![]]
        );
        let own = "example.com/srv|cgo|fmt\nfmt||\n";
        assert_eq!(
            users(&["./".to_string()], own),
            vec![vec!["example.com/srv".to_string()]]
        );
        assert_eq!(
            users(&["main/a".to_string()], ""),
            vec![Vec::<String>::new()]
        );
    }

    #[test]
    fn only_zero_forbids() {
        let env = |v: &str| crate::test_support::env(&[("CGO_ENABLED", v)]);
        assert!(forbidden_by_user(&env("0")));
        assert!(!forbidden_by_user(&env("1")));
        assert!(!forbidden_by_user(&Env::default()));
    }
}
