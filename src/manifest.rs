//! `diagnostics()`: the package manifest of a Go function — the Go version
//! its go.mod asks for and the one a build uses, and the modules it is
//! built from — in the shape of `@vercel/build-utils`' package manifest.
//!
//! Computed when the CLI asks (after the build), from the project's files:
//! nothing is written into the user's tree, and a failed build never
//! reports an earlier build's manifest.

use serde::Serialize;

use crate::error::Result;
use crate::gomod::{ModFile, Replace, Require};
use crate::options::BuildOptions;
use crate::session;
use crate::toolchain;

/// Where every module comes from.
const MODULE_PROXY: &str = "https://proxy.golang.org";

/// The Go parts of the manifest (the JS layer adds the CLI's own fields).
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ModuleManifest {
    /// go.mod's `go` line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested: Option<String>,
    /// The Go a build uses, e.g. `1.26.8`.
    pub resolved: String,
    pub dependencies: Vec<Dependency>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Dependency {
    pub name: String,
    /// `direct`, or `transitive` for `// indirect` requirements.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub scopes: Vec<&'static str>,
    pub requested: String,
    pub resolved: String,
    pub source: &'static str,
    pub source_url: &'static str,
}

/// The manifest of the options' entrypoint; `None` when it has no go.mod
/// (as the reference, which reports only a module's manifest).
pub fn module_manifest(options: &BuildOptions) -> Result<Option<ModuleManifest>> {
    let env = options.build_env();
    let (_, _, layout) = session::locate(options, &env)?;
    let Some(go_mod) = layout
        .go_mod()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|text| ModFile::parse(&text))
    else {
        return Ok(None);
    };
    let resolved =
        toolchain::version_for(layout.go_mod(), layout.go_work(), &options.work_path, &env)?;
    Ok(Some(ModuleManifest {
        requested: go_mod.go.clone(),
        resolved,
        dependencies: dependencies(&go_mod),
    }))
}

/// go.mod's requirements after its replacements, without the module
/// itself: direct ones first, then `// indirect` ones, each sorted by name.
/// A replacement by a local directory drops the requirement; an exact
/// `old version` replacement wins over a path-only one.
fn dependencies(go_mod: &ModFile) -> Vec<Dependency> {
    let replaces = go_mod.replacements();
    let mut deps: Vec<(bool, Dependency)> = go_mod
        .requires
        .iter()
        .filter(|r| go_mod.module.as_deref() != Some(r.path.as_str()))
        .filter_map(|r| replaced(r, &replaces).map(|(name, version)| (r.indirect, name, version)))
        .map(|(indirect, name, version)| {
            (
                indirect,
                Dependency {
                    name,
                    kind: if indirect { "transitive" } else { "direct" },
                    scopes: vec!["prod"],
                    // As the reference: what is used, after replacement.
                    requested: version.clone(),
                    resolved: version,
                    source: "registry",
                    source_url: MODULE_PROXY,
                },
            )
        })
        .collect();
    deps.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    deps.into_iter().map(|(_, d)| d).collect()
}

/// The name and version a requirement resolves to, `None` when a local
/// directory replaces it.
fn replaced(require: &Require, replaces: &[Replace]) -> Option<(String, String)> {
    let exact = replaces.iter().find(|r| {
        r.old_path == require.path && r.old_version.as_deref() == Some(require.version.as_str())
    });
    let any = replaces
        .iter()
        .find(|r| r.old_path == require.path && r.old_version.is_none());
    match exact.or(any) {
        None => Some((require.path.clone(), require.version.clone())),
        Some(Replace {
            new_version: None, ..
        }) => None,
        Some(Replace {
            new_path,
            new_version: Some(version),
            ..
        }) => Some((new_path.clone(), version.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_after_replacements_direct_first() {
        let go_mod = ModFile::parse(
            "module example.com/app\n\ngo 1.26\n\nrequire (\n\tgolang.org/x/text v0.14.0 // indirect\n\tgithub.com/z/z v1.0.0\n\tgithub.com/a/a v1.2.0\n\texample.com/libx v0.0.0\n\texample.com/old v1.0.0\n\texample.com/pinned v1.0.0\n)\n\nreplace example.com/libx => ../libx\nreplace example.com/old => example.com/new v2.0.0\nreplace example.com/pinned v1.0.0 => example.com/exact v1.0.1\nreplace example.com/pinned => example.com/loose v9.0.0\n",
        );
        let deps = dependencies(&go_mod);
        let names: Vec<_> = deps
            .iter()
            .map(|d| (d.name.as_str(), d.kind, d.resolved.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("example.com/exact", "direct", "v1.0.1"),
                ("example.com/new", "direct", "v2.0.0"),
                ("github.com/a/a", "direct", "v1.2.0"),
                ("github.com/z/z", "direct", "v1.0.0"),
                ("golang.org/x/text", "transitive", "v0.14.0"),
            ]
        );
        let json = serde_json::to_value(&deps[4]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"name": "golang.org/x/text", "type": "transitive", "scopes": ["prod"],
                "requested": "v0.14.0", "resolved": "v0.14.0", "source": "registry",
                "sourceUrl": "https://proxy.golang.org"})
        );
    }
}
