//! The SBOM of a function: a CycloneDX 1.6 JSON document made from the
//! build information of the programs in its Lambda (the modules Go linked,
//! with their versions, `h1:` checksums and replacements, the Go version,
//! the build settings, the target), each program's SHA-256, the function's
//! name, entrypoint and Lambda facts, and — when a scan ran — the known
//! vulnerabilities found in the programs.
//!
//! A pure function of those inputs: no timestamp, no random serial number
//! (the serial number is derived from the rest of the document), no path
//! of the checkout. The same programs and function give the same bytes.

use std::collections::BTreeMap;

use base64::Engine;
use packageurl::PackageUrl;
use serde::Serialize;

use crate::fingerprint::hex;
use crate::go_buildinfo::{BuildInfo, Module};
use crate::vulncheck::{self, Finding};

/// The function an SBOM describes.
pub struct Function<'a> {
    /// As the CLI names it: the entrypoint without its extension.
    pub name: &'a str,
    /// The source file built (relative to the work path).
    pub entrypoint: &'a str,
    pub runtime: &'a str,
    pub handler: &'a str,
    pub architecture: &'a str,
    /// The Lambda's environment.
    pub environment: &'a BTreeMap<String, String>,
}

/// A program in the function's Lambda.
pub struct Program {
    /// Its file name in the Lambda.
    pub name: String,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
    /// What Go recorded in it (`None`: not a Go program with build info).
    pub build_info: Option<BuildInfo>,
    pub symbol_table: bool,
}

/// The document, pretty-printed JSON with a final newline.
pub fn document(
    function: &Function<'_>,
    programs: &[Program],
    scan: Option<&vulncheck::Report>,
) -> String {
    let mut bom = Bom::new(function, programs, scan);
    let unsigned = render(&bom);
    let serial = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, unsigned.as_bytes());
    bom.serial_number = Some(format!("urn:uuid:{serial}"));
    render(&bom)
}

fn render(bom: &Bom) -> String {
    let mut text = serde_json::to_string_pretty(bom).unwrap_or_default();
    text.push('\n');
    text
}

const SCHEMA: &str = "http://cyclonedx.org/schema/bom-1.6.schema.json";
/// The name the standard library has as a module (as `cyclonedx-gomod`
/// names it).
const STD: &str = "std";
/// What govulncheck calls the standard library.
const VULNDB_STD: &str = "stdlib";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bom {
    #[serde(rename = "$schema")]
    schema: &'static str,
    bom_format: &'static str,
    spec_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    serial_number: Option<String>,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
    dependencies: Vec<Dependency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vulnerabilities: Option<Vec<Vulnerability>>,
}

#[derive(Serialize)]
struct Metadata {
    tools: Tools,
    component: Component,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Serialize, Default)]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Hash {
    alg: &'static str,
    content: String,
}

#[derive(Serialize)]
struct Property {
    name: String,
    value: String,
}

fn property(name: impl Into<String>, value: impl Into<String>) -> Property {
    Property {
        name: name.into(),
        value: value.into(),
    }
}

#[derive(Serialize)]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(rename = "dependsOn")]
    depends_on: Vec<String>,
}

#[derive(Serialize)]
struct Vulnerability {
    id: String,
    source: Source,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    recommendation: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    advisories: Vec<Advisory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    published: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated: Option<String>,
    affects: Vec<Affects>,
    properties: Vec<Property>,
}

#[derive(Serialize, Default)]
struct Source {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Serialize)]
struct Reference {
    id: String,
    source: Source,
}

#[derive(Serialize)]
struct Advisory {
    url: String,
}

#[derive(Serialize)]
struct Affects {
    #[serde(rename = "ref")]
    reference: String,
    versions: Vec<AffectedVersion>,
}

#[derive(Serialize)]
struct AffectedVersion {
    version: String,
    status: &'static str,
}

impl Bom {
    fn new(function: &Function<'_>, programs: &[Program], scan: Option<&vulncheck::Report>) -> Bom {
        let function_ref = format!("function:{}", function.name);
        let mut components = Vec::new();
        // Modules by bom-ref: two programs built with the same Go share `std`.
        let mut modules: BTreeMap<String, Component> = BTreeMap::new();
        let mut dependencies = vec![Dependency {
            reference: function_ref.clone(),
            depends_on: programs.iter().map(program_ref).collect(),
        }];
        for program in programs {
            components.push(program_component(program));
            let linked = program
                .build_info
                .as_ref()
                .map(module_components)
                .unwrap_or_default();
            let mut refs: Vec<String> = linked.iter().filter_map(|c| c.bom_ref.clone()).collect();
            refs.sort();
            refs.dedup();
            dependencies.push(Dependency {
                reference: program_ref(program),
                depends_on: refs,
            });
            for component in linked {
                if let Some(bom_ref) = component.bom_ref.clone() {
                    modules.entry(bom_ref).or_insert(component);
                }
            }
        }
        let vulnerabilities = scan.map(|report| vulnerabilities(report, programs, &modules));
        components.extend(modules.into_values());
        Bom {
            schema: SCHEMA,
            bom_format: "CycloneDX",
            spec_version: "1.6",
            serial_number: None,
            version: 1,
            metadata: Metadata {
                tools: Tools {
                    components: tools(scan.is_some()),
                },
                component: function_component(function, function_ref),
            },
            components,
            dependencies,
            vulnerabilities,
        }
    }
}

fn tools(scanned: bool) -> Vec<Component> {
    let mut tools = vec![Component {
        kind: "application",
        name: "@acme/go-builder".to_string(),
        version: Some(env!("CARGO_PKG_VERSION").to_string()),
        ..Default::default()
    }];
    if scanned {
        tools.push(Component {
            kind: "application",
            group: Some("golang.org/x/vuln".to_string()),
            name: "govulncheck".to_string(),
            version: Some(vulncheck::tool::VERSION.to_string()),
            purl: go_purl("golang.org/x/vuln", vulncheck::tool::VERSION),
            ..Default::default()
        });
    }
    tools
}

fn function_component(function: &Function<'_>, bom_ref: String) -> Component {
    let mut properties = vec![
        property("vercel:function:entrypoint", function.entrypoint),
        property("vercel:function:runtime", function.runtime),
        property("vercel:function:handler", function.handler),
        property("vercel:function:architecture", function.architecture),
    ];
    for (key, value) in function.environment {
        properties.push(property(
            format!("vercel:function:environment:{key}"),
            value,
        ));
    }
    Component {
        kind: "application",
        bom_ref: Some(bom_ref),
        name: function.name.to_string(),
        description: Some(format!(
            "The function {} ({}), as built",
            function.name, function.entrypoint
        )),
        properties,
        ..Default::default()
    }
}

fn program_ref(program: &Program) -> String {
    format!("program:{}", program.name)
}

/// A program: its digest and how Go built it.
fn program_component(program: &Program) -> Component {
    let mut properties = Vec::new();
    if let Some(info) = &program.build_info {
        properties.push(property("cdx:gomod:build:env:GOVERSION", &info.go_version));
        for key in ["GOOS", "GOARCH", "CGO_ENABLED"] {
            if let Some(value) = info.setting(key) {
                properties.push(property(format!("cdx:gomod:build:env:{key}"), value));
            }
        }
        for tag in info
            .setting("-tags")
            .unwrap_or_default()
            .split(',')
            .filter(|t| !t.is_empty())
        {
            properties.push(property("cdx:gomod:build:tag", tag));
        }
        properties.push(property("go:buildinfo:path", &info.path));
        for (key, value) in &info.settings {
            properties.push(property(format!("go:buildinfo:setting:{key}"), value));
        }
    }
    properties.push(property(
        "go:program:symbol-table",
        program.symbol_table.to_string(),
    ));
    Component {
        kind: "application",
        bom_ref: Some(program_ref(program)),
        name: program.name.clone(),
        description: Some(match &program.build_info {
            Some(info) => format!("Go program {}, built with {}", info.path, info.go_version),
            None => "A program without Go build information".to_string(),
        }),
        hashes: vec![Hash {
            alg: "SHA-256",
            content: program.sha256.clone(),
        }],
        properties,
        ..Default::default()
    }
}

/// One component per module Go linked: the main module, each dependency
/// as linked (a replacement in place of what it replaces), and the
/// standard library.
fn module_components(info: &BuildInfo) -> Vec<Component> {
    let mut components = Vec::new();
    if let Some(main) = &info.main {
        let mut component = module_component(main);
        component
            .properties
            .push(property("go:module:main", "true"));
        components.push(component);
    }
    components.extend(info.deps.iter().map(module_component));
    components.push(Component {
        kind: "library",
        bom_ref: go_purl(STD, &info.go_version),
        name: STD.to_string(),
        version: Some(info.go_version.clone()),
        description: Some("The Go standard library".to_string()),
        scope: Some("required"),
        purl: go_purl(STD, &info.go_version),
        ..Default::default()
    });
    components
}

fn module_component(module: &Module) -> Component {
    let mut properties = Vec::new();
    let linked = match module.replace.as_deref() {
        Some(replacement) => {
            properties.push(property(
                "go:module:replaces",
                format!("{}@{}", module.path, module.version),
            ));
            if replacement.is_directory() {
                // The code of a directory of the project: its path (which
                // may name the checkout) is left out.
                properties.push(property("go:module:local-directory", "true"));
                Module {
                    path: module.path.clone(),
                    version: replacement.version.clone(),
                    sum: None,
                    replace: None,
                }
            } else {
                replacement.clone()
            }
        }
        None => module.clone(),
    };
    let mut hashes = Vec::new();
    if let Some(sum) = &linked.sum {
        if let Some(hex) = h1_hex(sum) {
            hashes.push(Hash {
                alg: "SHA-256",
                content: hex,
            });
        }
        properties.insert(0, property("go:module:sum", sum));
    }
    let purl = go_purl(&linked.path, &linked.version);
    Component {
        kind: "library",
        bom_ref: purl.clone(),
        name: linked.path.clone(),
        version: Some(linked.version.clone()),
        scope: Some("required"),
        hashes,
        purl,
        properties,
        ..Default::default()
    }
}

/// The SHA-256 an `h1:` checksum is (base64), in hex — as
/// `cyclonedx-gomod` reports module hashes.
fn h1_hex(sum: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(sum.strip_prefix("h1:")?)
        .ok()?;
    (bytes.len() == 32).then(|| hex(&bytes))
}

/// `pkg:golang/<module path>@<version>?type=module`.
fn go_purl(path: &str, version: &str) -> Option<String> {
    let (namespace, name) = match path.rsplit_once('/') {
        Some((namespace, name)) => (Some(namespace), name),
        None => (None, path),
    };
    let mut purl = PackageUrl::new("golang", name).ok()?;
    if let Some(namespace) = namespace {
        purl.with_namespace(namespace).ok()?;
    }
    purl.with_version(version).ok()?;
    purl.add_qualifier("type", "module").ok()?;
    Some(purl.to_string())
}

/// The scan's findings, one entry per vulnerability, affecting the module
/// components its code is in.
fn vulnerabilities(
    report: &vulncheck::Report,
    programs: &[Program],
    modules: &BTreeMap<String, Component>,
) -> Vec<Vulnerability> {
    let mut by_id: BTreeMap<&str, Vec<(&str, &Finding)>> = BTreeMap::new();
    for (program, findings) in &report.programs {
        for finding in findings {
            by_id
                .entry(finding.id.as_str())
                .or_default()
                .push((program.as_str(), finding));
        }
    }
    by_id
        .into_iter()
        .map(|(id, found)| vulnerability(id, &found, report, programs, modules))
        .collect()
}

fn vulnerability(
    id: &str,
    found: &[(&str, &Finding)],
    report: &vulncheck::Report,
    programs: &[Program],
    modules: &BTreeMap<String, Component>,
) -> Vulnerability {
    let first = found[0].1;
    let advisory = &first.advisory;
    let mut affects: Vec<Affects> = Vec::new();
    let mut properties = Vec::new();
    for (program, finding) in found {
        if let Some((reference, version)) = affected_component(finding, modules) {
            if !affects.iter().any(|a| a.reference == reference) {
                affects.push(Affects {
                    reference,
                    versions: vec![AffectedVersion {
                        version,
                        status: "affected",
                    }],
                });
            }
        }
        let symbol_table = programs
            .iter()
            .any(|p| p.name == *program && p.symbol_table);
        properties.push(property("go:vulncheck:program", *program));
        properties.push(property(
            "go:vulncheck:precision",
            if symbol_table { "function" } else { "module" },
        ));
        for symbol in &finding.symbols {
            properties.push(property("go:vulncheck:symbol", symbol));
        }
    }
    Vulnerability {
        id: id.to_string(),
        source: Source {
            name: Some(report.database.clone()),
            url: advisory.urls.first().cloned(),
        },
        references: advisory.aliases.iter().map(|a| alias(a)).collect(),
        description: Some(advisory.summary.clone()).filter(|s| !s.is_empty()),
        detail: Some(advisory.details.clone()).filter(|s| !s.is_empty()),
        recommendation: recommendation(first),
        advisories: advisory
            .urls
            .iter()
            .map(|url| Advisory { url: url.clone() })
            .collect(),
        published: advisory.published.clone(),
        updated: advisory.modified.clone(),
        affects,
        properties,
    }
}

/// The component (bom-ref, version) of the module a finding is in.
fn affected_component(
    finding: &Finding,
    modules: &BTreeMap<String, Component>,
) -> Option<(String, String)> {
    let wanted = |c: &&Component| {
        if finding.module == VULNDB_STD {
            c.name == STD
        } else {
            c.name == finding.module && c.version.as_deref() == Some(finding.version.as_str())
        }
    };
    let component = modules.values().find(wanted)?;
    Some((component.bom_ref.clone()?, component.version.clone()?))
}

fn recommendation(finding: &Finding) -> String {
    match (&finding.fixed, finding.module.as_str()) {
        (Some(fixed), VULNDB_STD) => {
            format!("Build with Go {} or newer", fixed.trim_start_matches('v'))
        }
        (Some(fixed), module) => format!("Upgrade {module} to {fixed} or newer"),
        (None, _) => "No fixed version is known".to_string(),
    }
}

/// A CVE or GHSA id with its page.
fn alias(id: &str) -> Reference {
    let (name, url) = if id.starts_with("CVE-") {
        ("NVD", format!("https://nvd.nist.gov/vuln/detail/{id}"))
    } else if id.starts_with("GHSA-") {
        (
            "GitHub Advisory Database",
            format!("https://github.com/advisories/{id}"),
        )
    } else {
        return Reference {
            id: id.to_string(),
            source: Source::default(),
        };
    };
    Reference {
        id: id.to_string(),
        source: Source {
            name: Some(name.to_string()),
            url: Some(url),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::go_buildinfo::parse;

    fn program() -> Program {
        let mut info = parse(
            "path\texample.com/site/api\nmod\texample.com/site\t(devel)\t\ndep\tgithub.com/google/uuid\tv1.6.0\th1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=\ndep\texample.com/old\tv1.0.0\n=>\texample.com/new\tv2.0.0+incompatible\th1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=\ndep\texample.com/libx\tv0.0.0\n=>\t/home/me/site/../libx\t(devel)\t\nbuild\t-tags=lambda.norpc\nbuild\tGOOS=linux\nbuild\tGOARCH=amd64\n",
        );
        info.go_version = "go1.26.8".to_string();
        Program {
            name: "bootstrap".to_string(),
            sha256: "ab".repeat(32),
            build_info: Some(info),
            symbol_table: false,
        }
    }

    fn function(environment: &BTreeMap<String, String>) -> Function<'_> {
        Function {
            name: "api/hello",
            entrypoint: "api/hello.go",
            runtime: "provided.al2023",
            handler: "bootstrap",
            architecture: "x86_64",
            environment,
        }
    }

    #[test]
    fn lists_the_linked_modules_and_no_checkout_path() {
        let env = BTreeMap::new();
        let text = document(&function(&env), &[program()], None);
        let bom: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(bom["specVersion"], "1.6");
        assert_eq!(bom["metadata"]["component"]["name"], "api/hello");
        let names: Vec<(&str, &str)> = bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap(),
                    c["version"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            names,
            vec![
                ("bootstrap", ""),
                ("example.com/libx", "(devel)"),
                ("example.com/new", "v2.0.0+incompatible"),
                ("example.com/site", "(devel)"),
                ("github.com/google/uuid", "v1.6.0"),
                ("std", "go1.26.8"),
            ]
        );
        let uuid = &bom["components"][4];
        assert_eq!(
            uuid["purl"],
            "pkg:golang/github.com/google/uuid@v1.6.0?type=module"
        );
        assert_eq!(
            uuid["hashes"][0]["content"],
            "348bda24330eb231c0f27d630212d2833ac0cf2d4782bfa136b6f9edefbde05d"
        );
        assert_eq!(
            bom["components"][2]["purl"],
            "pkg:golang/example.com/new@v2.0.0%2Bincompatible?type=module"
        );
        assert!(!text.contains("/home/me"), "{text}");
        assert!(bom.get("vulnerabilities").is_none());
        assert_eq!(
            bom["dependencies"][0],
            serde_json::json!({"ref": "function:api/hello", "dependsOn": ["program:bootstrap"]})
        );
    }

    #[test]
    fn the_same_inputs_give_the_same_bytes_and_serial() {
        let env = BTreeMap::from([(
            "GO_BUILDER_FUNCTION".to_string(),
            "api/hello.go".to_string(),
        )]);
        let a = document(&function(&env), &[program()], None);
        let b = document(&function(&env), &[program()], None);
        assert_eq!(a, b);
        let bom: serde_json::Value = serde_json::from_str(&a).unwrap();
        let serial = bom["serialNumber"].as_str().unwrap();
        assert!(
            serial.starts_with("urn:uuid:") && serial.len() == 45,
            "{serial}"
        );
        let other = document(&function(&BTreeMap::new()), &[program()], None);
        let other: serde_json::Value = serde_json::from_str(&other).unwrap();
        assert_ne!(other["serialNumber"], bom["serialNumber"]);
    }

    #[test]
    fn findings_become_vulnerabilities_of_their_module() {
        let env = BTreeMap::new();
        let finding = crate::vulncheck::findings::example();
        let std_finding = Finding {
            id: "GO-2099-0002".into(),
            module: "stdlib".into(),
            version: "v1.26.8".into(),
            fixed: Some("v1.26.9".into()),
            symbols: vec!["http.Serve".into()],
            advisory: Default::default(),
        };
        let report = vulncheck::Report {
            database: "https://vuln.go.dev".into(),
            scanner_version: "v1.9.0",
            programs: vec![("bootstrap".into(), vec![finding, std_finding])],
        };
        let text = document(&function(&env), &[program()], Some(&report));
        let bom: serde_json::Value = serde_json::from_str(&text).unwrap();
        let vulns = bom["vulnerabilities"].as_array().unwrap();
        assert_eq!(vulns.len(), 2);
        assert_eq!(vulns[0]["id"], "GO-2099-0001");
        assert_eq!(
            vulns[0]["affects"][0]["ref"],
            "pkg:golang/github.com/google/uuid@v1.6.0?type=module"
        );
        assert_eq!(
            vulns[0]["recommendation"],
            "Upgrade github.com/google/uuid to v1.6.1 or newer"
        );
        assert_eq!(vulns[0]["references"][0]["id"], "CVE-2099-0001");
        assert_eq!(
            vulns[1]["affects"][0]["ref"],
            "pkg:golang/std@go1.26.8?type=module"
        );
        assert_eq!(vulns[1]["recommendation"], "Build with Go 1.26.9 or newer");
        assert_eq!(
            bom["metadata"]["tools"]["components"][1]["name"],
            "govulncheck"
        );
    }
}
