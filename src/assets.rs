//! The builder's Go sources, embedded into the binary: the npm package ships
//! no `.go` files (they would break `go mod tidy` in users' modules).

/// The analyzer (`go/analyze`), compiled on first use.
pub const ANALYZER_MAIN: &str = include_str!("../go/analyze/main.go");

/// The standalone proxy (`go/executable`): speaks the platform's IPC
/// protocol and forwards requests to the user's server.
pub const EXECUTABLE_MAIN: &str = include_str!("../go/executable/main.go");

/// The generated `main` of a deployed handler (AWS Lambda runtime + go-bridge).
pub const HANDLER_MAIN_TEMPLATE: &str = include_str!("../go/templates/handler_main.go.tmpl");

/// The generated `main` of a dev server: serves the handler on a free port
/// and reports it on fd 3 (or `VERCEL_DEV_PORT_FILE`).
pub const DEV_MAIN_TEMPLATE: &str = include_str!("../go/templates/dev_main.go.tmpl");

/// The modules every generated handler main needs, pinned so builds are
/// reproducible and resolving them needs no version lookup.
pub const BRIDGE_REQUIREMENTS: &[(&str, &str)] = &[
    (
        "github.com/vercel/go-bridge",
        "v0.0.0-20221108222652-296f4c6bdb6d",
    ),
    ("github.com/aws/aws-lambda-go", "v1.55.1"),
];

/// go.sum lines for [`BRIDGE_REQUIREMENTS`] and their module graph.
pub const BRIDGE_GO_SUM: &str = include_str!("../go/templates/bridge.go.sum");
