//! Renaming the handler function so many handlers can share one package.

/// The slug of an entrypoint: whitespace, `\`, `/`, `[`, `]`, `-` and `.`
/// each become `_` (`api/[id].go` → `api__id__go`).
pub fn entrypoint_slug(entrypoint: &str) -> String {
    entrypoint
        .chars()
        .map(|c| match c {
            '\\' | '/' | '[' | ']' | '-' | '.' => '_',
            c if c.is_whitespace() => '_',
            c => c,
        })
        .collect()
}

/// `Handler` in `api/index.go` → `Handler_api_index_go`.
pub fn new_handler_function_name(name: &str, entrypoint: &str) -> String {
    format!("{name}_{}", entrypoint_slug(entrypoint))
}

/// Replaces the identifier `old` at each byte offset of `source` with `new`.
/// Offsets that do not hold `old` are ignored, so a stale offset can never
/// corrupt the file.
pub fn rename_at(source: &str, offsets: &[usize], old: &str, new: &str) -> String {
    let mut out = String::with_capacity(source.len() + offsets.len() * (new.len() + 1));
    let mut last = 0;
    let mut sorted = offsets.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    for offset in sorted {
        if offset < last || source.get(offset..offset + old.len()) != Some(old) {
            continue;
        }
        out.push_str(&source[last..offset]);
        out.push_str(new);
        last = offset + old.len();
    }
    out.push_str(&source[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_matches_reference() {
        assert_eq!(entrypoint_slug("api/index.go"), "api_index_go");
        assert_eq!(entrypoint_slug("api/[id].go"), "api__id__go");
        assert_eq!(entrypoint_slug("api\\my-func v2.go"), "api_my_func_v2_go");
        assert_eq!(
            new_handler_function_name("Handler", "api/index.go"),
            "Handler_api_index_go"
        );
    }

    #[test]
    fn renames_only_given_offsets() {
        let src = "func Index(){}\nvar _ = Index\nvar y = x.Index\n";
        let offs = vec![5, 23];
        let out = rename_at(src, &offs, "Index", "Index_api");
        assert_eq!(
            out,
            "func Index_api(){}\nvar _ = Index_api\nvar y = x.Index\n"
        );
    }

    #[test]
    fn ignores_offsets_that_do_not_match() {
        assert_eq!(rename_at("abc", &[1, 99], "Index", "X"), "abc");
    }
}
