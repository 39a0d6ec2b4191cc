//! The generated `main` that wraps a handler: which template, what it
//! needs from the module graph, and filling it in.

use crate::assets;
use crate::compile::vendor::VendoredModule;
use crate::gomod::quote;

/// Directory (virtual, inside the user's module) of the generated main.
pub const MAIN_DIR: &str = "__vc_go_main__";
/// File name of the generated main.
pub const MAIN_FILE: &str = "main__vc__go__.go";

/// Which generated `main` wraps the handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// AWS Lambda runtime loop through go-bridge (deployed functions).
    Lambda,
    /// A local HTTP server that reports its port (`vercel dev`).
    Dev,
}

impl Template {
    pub fn source(self) -> &'static str {
        match self {
            Template::Lambda => assets::HANDLER_MAIN_TEMPLATE,
            Template::Dev => assets::DEV_MAIN_TEMPLATE,
        }
    }

    /// Modules the template imports, with their versions.
    pub fn requirements(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Template::Lambda => assets::BRIDGE_REQUIREMENTS,
            Template::Dev => &[],
        }
    }

    /// Modules the template imports, as packages to vendor.
    pub fn vendor_modules(self) -> &'static [VendoredModule] {
        match self {
            Template::Lambda => assets::BRIDGE_VENDOR,
            Template::Dev => &[],
        }
    }

    /// go.sum lines of [`Template::requirements`].
    pub fn go_sum(self) -> &'static str {
        match self {
            Template::Lambda => assets::BRIDGE_GO_SUM,
            Template::Dev => "",
        }
    }

    /// The generated main calling `function`, imported from `import_path`;
    /// without one the handler lives in the main package itself (a legacy
    /// `package main` entry without go.mod).
    pub fn render(self, import_path: Option<&str>, function: &str) -> String {
        render(self.source(), import_path, function)
    }
}

fn render(template: &str, import_path: Option<&str>, function: &str) -> String {
    let (import, call) = match import_path {
        Some(path) => (
            format!("handler {}", quote(path)),
            format!("handler.{function}"),
        ),
        None => (String::new(), function.to_string()),
    };
    template
        .replace("__VC_HANDLER_IMPORT__", &import)
        .replace("__VC_HANDLER_FUNC__", &call)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_main_with_and_without_import() {
        let t = "import (\n\t__VC_HANDLER_IMPORT__\n)\nx(__VC_HANDLER_FUNC__)";
        assert_eq!(
            render(t, Some("example.com/app/api"), "H_api"),
            "import (\n\thandler \"example.com/app/api\"\n)\nx(handler.H_api)"
        );
        assert_eq!(render(t, None, "H"), "import (\n\t\n)\nx(H)");
    }
}
