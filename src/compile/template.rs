//! The generated `main` that wraps a handler: which template, what it
//! needs from the module graph, and filling it in.

use crate::assets;
use crate::assets::VendoredModule;
use crate::gomod::quote;

/// Directory (virtual, inside the user's module) of the generated main.
pub const MAIN_DIR: &str = "__vc_go_main__";
/// File name of the generated main.
pub const MAIN_FILE: &str = "main__vc__go__.go";
/// Module path of the generated mains when they form a module of their own
/// (inside a go.work).
pub const MAIN_MODULE: &str = "vc-go-main";
/// Module path of a handler built without a go.mod, in a module of its own.
pub const DETACHED_MODULE: &str = "vc-go-handler";
/// The environment variable naming, in a function whose program serves
/// several functions (the handlers of one package, built in one pass), the
/// entrypoint of the function it runs as.
pub const FUNCTION_ENV: &str = "GO_BUILDER_FUNCTION";

/// The most characters of an entrypoint's slug a [`main_name`] keeps:
/// with the hash, the `_package_` prefix of a shared main and a suffix of a
/// kept program's side files (`.lock`, `.record`, …), a name stays far
/// under the 255 bytes file systems allow in one name.
const MAIN_NAME_SLUG_MAX: usize = 96;

/// The directory name of an entrypoint's generated main: its slug (Go
/// identifier characters only, at most [`MAIN_NAME_SLUG_MAX`] of them: a
/// readable prefix) and a short hash of the whole entrypoint, so two
/// entrypoints never share one, however deep. `go build -o <dir>/` names
/// the program so, and a kept program's side files add a suffix.
pub fn main_name(entrypoint: &str) -> String {
    let slug: String = crate::handler_name::entrypoint_slug(entrypoint)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(MAIN_NAME_SLUG_MAX)
        .collect();
    let mut hash = crate::fingerprint::Fingerprint::new();
    hash.value("entrypoint", entrypoint);
    format!("{slug}_{}", &hash.finish()[..8])
}

/// How the name of a program serving several handlers begins.
pub const SHARED_PREFIX: &str = "_package_";

/// The directory name of the generated main serving every handler of the
/// package in `dir` (relative to the work path): never an entrypoint's
/// [`main_name`], whose slug never starts with `_`.
pub fn shared_main_name(dir: &str) -> String {
    format!("{SHARED_PREFIX}{}", main_name(&format!("{dir}/")))
}

/// Which generated `main` wraps the handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// AWS Lambda runtime loop through go-bridge (deployed functions).
    Lambda,
    /// A net/http server of the handler: on `$PORT` behind the proxy (a
    /// function that streams its response), else on a port it reports (a
    /// dev server).
    Http,
}

impl Template {
    pub fn source(self) -> &'static str {
        match self {
            Template::Lambda => assets::HANDLER_MAIN_TEMPLATE,
            Template::Http => assets::HTTP_MAIN_TEMPLATE,
        }
    }

    /// Modules the template imports, with their versions.
    pub fn requirements(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Template::Lambda => assets::BRIDGE_REQUIREMENTS,
            Template::Http => &[],
        }
    }

    /// Modules the template imports, as packages to vendor.
    pub fn vendor_modules(self) -> &'static [VendoredModule] {
        match self {
            Template::Lambda => assets::BRIDGE_VENDOR,
            Template::Http => &[],
        }
    }

    /// Build tags the program is built with: the Lambda runtime loop needs
    /// no RPC mode (`lambda.norpc`, aws-lambda-go's advice for custom
    /// runtimes: a smaller binary).
    pub fn tags(self) -> Vec<&'static str> {
        match self {
            Template::Lambda => vec!["lambda.norpc"],
            Template::Http => Vec::new(),
        }
    }

    /// go.sum lines of [`Template::requirements`].
    pub fn go_sum(self) -> &'static str {
        match self {
            Template::Lambda => assets::BRIDGE_GO_SUM,
            Template::Http => "",
        }
    }

    /// The generated main calling `function`, imported from `import_path`;
    /// without one the handler lives in the main package itself (a legacy
    /// `package main` entry without go.mod).
    pub fn render(self, import_path: Option<&str>, function: &str) -> String {
        fill(
            self.source(),
            import_path,
            &qualified(import_path, function),
        )
    }

    /// The generated main of several handlers of one package, given as
    /// (entrypoint, function): the function's [`FUNCTION_ENV`] picks the
    /// handler it serves. Only the Lambda template imports what this needs.
    pub fn render_shared(self, import_path: Option<&str>, functions: &[(&str, &str)]) -> String {
        let mut main = fill(self.source(), import_path, "vcHandlerOfThisFunction()");
        main.push_str(&handler_switch(import_path, functions));
        main
    }
}

fn qualified(import_path: Option<&str>, function: &str) -> String {
    match import_path {
        Some(_) => format!("handler.{function}"),
        None => function.to_string(),
    }
}

fn fill(template: &str, import_path: Option<&str>, call: &str) -> String {
    let import = import_path
        .map(|path| format!("handler {}", quote(path)))
        .unwrap_or_default();
    template
        .replace("__VC_HANDLER_IMPORT__", &import)
        .replace("__VC_HANDLER_FUNC__", call)
}

/// The Go function that returns the handler [`FUNCTION_ENV`] names.
fn handler_switch(import_path: Option<&str>, functions: &[(&str, &str)]) -> String {
    let mut cases = String::new();
    for (entrypoint, function) in functions {
        cases.push_str(&format!(
            "\tcase {}:\n\t\treturn {}\n",
            quote(entrypoint),
            qualified(import_path, function)
        ));
    }
    format!(
        "\n// vcHandlerOfThisFunction returns the handler of the function this program\n\
         // runs as: one program serves several functions of one package, and each\n\
         // function's environment names its entrypoint in {FUNCTION_ENV}.\n\
         func vcHandlerOfThisFunction() func(http.ResponseWriter, *http.Request) {{\n\
         \tswitch os.Getenv(\"{FUNCTION_ENV}\") {{\n{cases}\t}}\n\
         \tpanic(\"{FUNCTION_ENV} names none of the functions this program serves: \" + os.Getenv(\"{FUNCTION_ENV}\"))\n}}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_names_are_distinct_and_safe() {
        let a = main_name("api/a-b.go");
        let b = main_name("api/a_b.go");
        assert_ne!(a, b);
        assert!(a.starts_with("api_a_b_go_"));
        assert!(main_name("api/[id] é.go")
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_'));
    }

    #[test]
    fn main_names_of_deep_entrypoints_are_bounded_and_distinct() {
        let deep = |leaf: &str| format!("{}{leaf}", "abcde/".repeat(45));
        let (a, b) = (main_name(&deep("a.go")), main_name(&deep("b.go")));
        assert_ne!(a, b);
        assert_eq!(a.len(), MAIN_NAME_SLUG_MAX + 9);
        assert!(a.starts_with("abcde_abcde_"));
        let shared = shared_main_name(&deep("x"));
        assert!(shared.len() + 100 < 255, "{} bytes", shared.len());
        // Short entrypoints keep their whole slug.
        assert!(main_name("api/index.go").starts_with("api_index_go_"));
    }

    #[test]
    fn renders_main_with_and_without_import() {
        let t = "import (\n\t__VC_HANDLER_IMPORT__\n)\nx(__VC_HANDLER_FUNC__)";
        assert_eq!(
            fill(
                t,
                Some("example.com/app/api"),
                &qualified(Some("x"), "H_api")
            ),
            "import (\n\thandler \"example.com/app/api\"\n)\nx(handler.H_api)"
        );
        assert_eq!(
            fill(t, None, &qualified(None, "H")),
            "import (\n\t\n)\nx(H)"
        );
    }

    #[test]
    fn a_shared_main_picks_the_handler_its_function_names() {
        let main = Template::Lambda.render_shared(
            Some("example.com/app/api"),
            &[("api/a.go", "A_api_a"), ("api/b.go", "B_api_b")],
        );
        assert!(main.contains("handler \"example.com/app/api\""));
        assert!(main.contains("http.HandlerFunc(vcHandlerOfThisFunction())"));
        assert!(main.contains("\tcase \"api/a.go\":\n\t\treturn handler.A_api_a\n"));
        assert!(main.contains("\tcase \"api/b.go\":\n\t\treturn handler.B_api_b\n"));
        assert!(main.contains("switch os.Getenv(\"GO_BUILDER_FUNCTION\")"));
        assert_ne!(shared_main_name("api"), main_name("api/"));
        assert!(shared_main_name("api").starts_with("_package_api_"));
    }
}
