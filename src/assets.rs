//! The builder's Go sources, embedded into the binary: the npm package ships
//! no `.go` files (they would break `go mod tidy` in users' modules).

/// The `(name, contents)` of the named files of `go/<dir>`: each file is
/// embedded under its own name.
macro_rules! go_files {
    ($dir:literal: $($name:literal),+ $(,)?) => {
        &[$(($name, include_str!(concat!("../go/", $dir, "/", $name)))),+]
    };
}

/// The analyzer (`go/analyze`), compiled on first use.
pub const ANALYZER_FILES: &[(&str, &str)] = go_files!("analyze":
    "main.go",
    "output.go",
    "analyzer.go",
    "files.go",
    "siblings.go",
    "handler.go",
    "rename_offsets.go",
    "ignored.go",
    "streaming.go",
    "module_imports.go",
);

/// The standalone proxy (`go/executable`): speaks the platform's IPC
/// protocol and forwards requests to the user's server (in dev too).
pub const EXECUTABLE_FILES: &[(&str, &str)] = go_files!("executable":
    "main.go",
    "ipc.go",
    "user_server.go",
    "supervisor.go",
    "error_page.go",
    "proxy.go",
    "rules.go",
    "control.go",
    "debugger.go",
    "debuggee_linux.go",
    "pdeathsig_linux.go",
);

/// The generated `main` of a deployed handler (AWS Lambda runtime + go-bridge).
pub const HANDLER_MAIN_TEMPLATE: &str = include_str!("../go/templates/handler_main.go.tmpl");

/// The generated `main` that serves a handler with net/http: on `$PORT`
/// (a streaming function behind the proxy), else on a free port reported
/// on fd 3 or in `VERCEL_DEV_PORT_FILE` (a dev server).
pub const HTTP_MAIN_TEMPLATE: &str = include_str!("../go/templates/http_main.go.tmpl");

/// The modules every generated handler main needs, pinned so builds are
/// reproducible and resolving them needs no version lookup.
///
/// aws-lambda-go is the newest release whose go.mod asks for no more than
/// `go 1.12`: with a newer one (`go 1.18`, `go 1.26`) `go build -mod=mod`
/// would raise the user's `go` line and change their language semantics
/// (e.g. 1.22's per-iteration loop variables).
pub const BRIDGE_REQUIREMENTS: &[(&str, &str)] = &[
    (GO_BRIDGE.path, GO_BRIDGE.version),
    (AWS_LAMBDA_GO.path, AWS_LAMBDA_GO.version),
];

const GO_BRIDGE: VendoredModule = VendoredModule {
    path: "github.com/vercel/go-bridge",
    version: "v0.0.0-20221108222652-296f4c6bdb6d",
    packages: &["go/bridge"],
};

const AWS_LAMBDA_GO: VendoredModule = VendoredModule {
    path: "github.com/aws/aws-lambda-go",
    version: "v1.28.0",
    packages: &[
        "events",
        "lambda",
        "lambda/handlertrace",
        "lambda/messages",
        "lambdacontext",
    ],
};

/// The packages of [`BRIDGE_REQUIREMENTS`] the Lambda main imports
/// (transitively), for vendored builds.
pub const BRIDGE_VENDOR: &[VendoredModule] = &[GO_BRIDGE, AWS_LAMBDA_GO];

/// go.sum lines for [`BRIDGE_REQUIREMENTS`] and their module graph.
pub const BRIDGE_GO_SUM: &str = include_str!("../go/templates/bridge.go.sum");

/// The module that pins govulncheck (`golang.org/x/vuln`) and its module
/// graph, built into the builder's cache when a build asks for a
/// vulnerability scan.
pub const GOVULNCHECK_GO_MOD: &str = include_str!("../go/tools/govulncheck/go.mod");

/// go.sum of [`GOVULNCHECK_GO_MOD`]: Go checks every module it downloads
/// against it.
pub const GOVULNCHECK_GO_SUM: &str = include_str!("../go/tools/govulncheck/go.sum");

/// The module Delve (the debugger of `GO_BUILDER_DEBUG=1`) is built in:
/// github.com/go-delve/delve pinned, with its whole module graph.
pub const DELVE_GO_MOD: &str = include_str!("../go/tools/delve/go.mod");

/// go.sum of [`DELVE_GO_MOD`]: Go verifies every module it downloads for it.
pub const DELVE_GO_SUM: &str = include_str!("../go/tools/delve/go.sum");

/// A module the generated main needs, with the packages it imports from it.
pub struct VendoredModule {
    pub path: &'static str,
    pub version: &'static str,
    pub packages: &'static [&'static str],
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The programs' embedded files are exactly the directory's `.go` files
    /// but its tests: a file added there and not here would compile in
    /// go/'s own tests and in the prebuilt helpers, but not from the
    /// embedded sources.
    #[test]
    fn embedded_programs_are_their_directories_without_tests() {
        for (dir, files) in [
            ("analyze", ANALYZER_FILES),
            ("executable", EXECUTABLE_FILES),
        ] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("go")
                .join(dir);
            let mut on_disk: Vec<String> = std::fs::read_dir(&path)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|name| name.ends_with(".go") && !name.ends_with("_test.go"))
                .collect();
            on_disk.sort();
            let mut embedded: Vec<String> =
                files.iter().map(|(name, _)| name.to_string()).collect();
            embedded.sort();
            assert_eq!(embedded, on_disk, "go/{dir}");
        }
    }
}
