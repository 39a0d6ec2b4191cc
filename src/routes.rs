//! The routes a standalone server's build returns: every request path that
//! no static file claims goes to the server's function, with its original
//! path (the function sees `/a/b?x=1`, not the function's own path).

use serde::Serialize;

use crate::options::BuildOptions;

/// One entry of the Build Output API's `routes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Route {
    /// `{ "handle": "filesystem" }`: static files are served first.
    Handle { handle: String },
    /// `{ "src", "dest", "transforms" }`.
    Rewrite {
        src: String,
        dest: String,
        transforms: Vec<Transform>,
    },
}

/// A request transform, e.g. `request.path` `set` `/$1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transform {
    #[serde(rename = "type")]
    pub kind: String,
    pub op: String,
    pub args: String,
}

/// The routes of a standalone build, or `None` when the CLI owns the route
/// table: a service of the first services layout (it has a `type`), whose
/// routes — route prefix included — the CLI writes itself.
pub fn standalone_routes(options: &BuildOptions) -> Option<Vec<Route>> {
    let service = options.service.as_ref();
    if service.is_some_and(|s| s.name.is_some() && s.kind.is_some()) {
        return None;
    }
    let function = if service.is_some() {
        // The second services layout writes each service's function as `index`.
        "index".to_string()
    } else {
        function_path(
            &options.entrypoint,
            options.config().zero_config.unwrap_or(false),
        )
    };
    Some(vec![
        Route::Handle {
            handle: "filesystem".to_string(),
        },
        Route::Rewrite {
            src: "/(.*)".to_string(),
            dest: format!("/{function}"),
            transforms: vec![Transform {
                kind: "request.path".to_string(),
                op: "set".to_string(),
                args: "/$1".to_string(),
            }],
        },
    ])
}

/// Where the CLI writes a version-3 build's function (`functions/<path>.func`):
/// the build's `src` as given, without its extension for zero-config builds.
pub fn function_path(entrypoint: &str, zero_config: bool) -> String {
    let src = entrypoint.replace('\\', "/");
    let src = src.trim_start_matches("./");
    if !zero_config {
        return src.to_string();
    }
    let name_start = src.rfind('/').map_or(0, |i| i + 1);
    match src[name_start..].rfind('.') {
        Some(dot) if dot > 0 => src[..name_start + dot].to_string(),
        _ => src.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::FromJson;

    fn options(json: &str) -> BuildOptions {
        BuildOptions::from_json(json).unwrap()
    }

    fn dest(routes: &[Route]) -> &str {
        match &routes[1] {
            Route::Rewrite { dest, .. } => dest,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn builds_entry_routes_everything_to_the_entrypoint_function() {
        let routes = standalone_routes(&options(
            r#"{"entrypoint":"main.go","workPath":"/w","config":{"framework":"go"}}"#,
        ))
        .unwrap();
        let json = serde_json::to_value(&routes).unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                {"handle": "filesystem"},
                {"src": "/(.*)", "dest": "/main.go",
                 "transforms": [{"type": "request.path", "op": "set", "args": "/$1"}]}
            ])
        );
    }

    #[test]
    fn zero_config_and_services() {
        let zero = standalone_routes(&options(
            r#"{"entrypoint":"index.go","workPath":"/w","config":{"framework":"go","zeroConfig":true}}"#,
        ))
        .unwrap();
        assert_eq!(dest(&zero), "/index");
        let v2 = standalone_routes(&options(
            r#"{"entrypoint":"cmd/api/main.go","workPath":"/w","config":{"framework":"services"},
                "service":{"name":"api","routePrefix":"api"}}"#,
        ))
        .unwrap();
        assert_eq!(dest(&v2), "/index");
        let v1 = standalone_routes(&options(
            r#"{"entrypoint":"main.go","workPath":"/w","config":{"framework":"go"},
                "service":{"name":"api","type":"web","routePrefix":"api"}}"#,
        ));
        assert_eq!(v1, None);
    }

    #[test]
    fn function_paths() {
        assert_eq!(function_path("cmd/api/main.go", false), "cmd/api/main.go");
        assert_eq!(function_path("cmd/api/main.go", true), "cmd/api/main");
        assert_eq!(function_path("./main.go", true), "main");
        assert_eq!(function_path("a.b/server", true), "a.b/server");
    }
}
