//! The flags a `go build` gets besides the module's: the build tags, and
//! the defaults of a deployed program.

/// The build tags a build uses: those the user's flags set (`-tags a,b`,
/// `-tags=a,b`), else the builder's `defaults`.
pub fn effective_tags(build_flags: &[String], defaults: &[&str]) -> Vec<String> {
    let mut flags = build_flags.iter();
    while let Some(flag) = flags.next() {
        if !is_tags_flag(flag) {
            continue;
        }
        let value = match flag.split_once('=') {
            Some((_, value)) => value.to_string(),
            None => flags.next().cloned().unwrap_or_default(),
        };
        return value
            .split([',', ' '])
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
    }
    defaults.iter().map(|t| t.to_string()).collect()
}

/// `-tags`, `--tags`, `-tags=…`.
pub(super) fn is_tags_flag(flag: &str) -> bool {
    let name = flag.trim_start_matches('-');
    flag.starts_with('-') && (name == "tags" || name.starts_with("tags="))
}

/// The default flags of a deployed program: no symbols, no DWARF.
pub const RELEASE_FLAGS: &[&str] = &["-ldflags", "-s -w"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effective_tags_are_the_users_or_the_defaults() {
        let flags = |f: &[&str]| f.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            effective_tags(&flags(&["-x"]), &["lambda.norpc"]),
            vec!["lambda.norpc"]
        );
        assert_eq!(
            effective_tags(&flags(&["-tags", "a,b"]), &["lambda.norpc"]),
            vec!["a", "b"]
        );
        assert_eq!(effective_tags(&flags(&["--tags=prod"]), &[]), vec!["prod"]);
    }
}
