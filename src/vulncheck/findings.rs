//! What `govulncheck -format json` says: a stream of JSON messages
//! (`config`, `progress`, `SBOM`, `osv`, `finding`). A finding comes at
//! three levels for one vulnerability — the module version is linked, the
//! vulnerable package is, the vulnerable function is — and only the last
//! one means the program holds the vulnerable code: those are reported.

use std::collections::BTreeMap;

use serde::Deserialize;

/// A known vulnerability whose code is in a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The database's id, e.g. `GO-2024-2687`.
    pub id: String,
    /// The module holding the vulnerable code (`stdlib` for Go's standard
    /// library, as the database names it).
    pub module: String,
    /// Its version in the program.
    pub version: String,
    /// The first version without the vulnerability, if there is one.
    pub fixed: Option<String>,
    /// The vulnerable functions found in the program, e.g. `uuid.NewMD5`
    /// (`pkg.Type.Method` for methods), sorted.
    pub symbols: Vec<String>,
    pub advisory: Advisory,
}

/// The database entry (OSV) of a vulnerability.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Advisory {
    pub summary: String,
    pub details: String,
    /// The same vulnerability in other databases (CVE, GHSA ids).
    pub aliases: Vec<String>,
    /// RFC 3339 times, as the database gives them.
    pub published: Option<String>,
    pub modified: Option<String>,
    /// The entry's page, then its references.
    pub urls: Vec<String>,
}

/// A finding as the tests of several modules use it: GO-2099-0001 in
/// github.com/google/uuid v1.6.0's `NewMD5`, fixed in v1.6.1.
#[cfg(test)]
pub fn example() -> Finding {
    Finding {
        id: "GO-2099-0001".into(),
        module: "github.com/google/uuid".into(),
        version: "v1.6.0".into(),
        fixed: Some("v1.6.1".into()),
        symbols: vec!["uuid.NewMD5".into()],
        advisory: Advisory {
            summary: "NewMD5 is bad".into(),
            aliases: vec!["CVE-2099-0001".into()],
            urls: vec!["https://pkg.go.dev/vuln/GO-2099-0001".into()],
            ..Default::default()
        },
    }
}

#[derive(Deserialize)]
struct Message {
    osv: Option<Osv>,
    finding: Option<RawFinding>,
}

#[derive(Deserialize)]
struct Osv {
    id: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    details: String,
    #[serde(default)]
    aliases: Vec<String>,
    published: Option<String>,
    modified: Option<String>,
    #[serde(default)]
    references: Vec<Reference>,
    database_specific: Option<DatabaseSpecific>,
}

#[derive(Deserialize)]
struct Reference {
    url: String,
}

#[derive(Deserialize)]
struct DatabaseSpecific {
    url: Option<String>,
}

#[derive(Deserialize)]
struct RawFinding {
    osv: String,
    fixed_version: Option<String>,
    #[serde(default)]
    trace: Vec<Frame>,
}

#[derive(Deserialize)]
struct Frame {
    module: String,
    version: Option<String>,
    package: Option<String>,
    function: Option<String>,
    receiver: Option<String>,
}

/// The findings in govulncheck's JSON output, one per vulnerability and
/// module, sorted by id; `Err` when the output is not that stream.
pub fn parse(output: &str) -> Result<Vec<Finding>, String> {
    let mut advisories = BTreeMap::new();
    let mut found: BTreeMap<(String, String), Finding> = BTreeMap::new();
    for message in serde_json::Deserializer::from_str(output).into_iter::<Message>() {
        let message = message.map_err(|e| format!("unreadable govulncheck output: {e}"))?;
        if let Some(osv) = message.osv {
            advisories.insert(osv.id.clone(), advisory(osv));
        }
        let Some(raw) = message.finding else {
            continue;
        };
        // The frame nearest the vulnerable code comes first.
        let Some(frame) = raw.trace.first() else {
            continue;
        };
        let Some(function) = frame.function.as_deref().filter(|f| !f.is_empty()) else {
            continue;
        };
        let finding = found
            .entry((raw.osv.clone(), frame.module.clone()))
            .or_insert_with(|| Finding {
                id: raw.osv.clone(),
                module: frame.module.clone(),
                version: frame.version.clone().unwrap_or_default(),
                fixed: raw.fixed_version.clone().filter(|v| !v.is_empty()),
                symbols: Vec::new(),
                advisory: Advisory::default(),
            });
        let symbol = symbol_name(
            frame.package.as_deref(),
            frame.receiver.as_deref(),
            function,
        );
        if !finding.symbols.contains(&symbol) {
            finding.symbols.push(symbol);
        }
    }
    let mut findings: Vec<Finding> = found.into_values().collect();
    for finding in &mut findings {
        finding.symbols.sort();
        if let Some(advisory) = advisories.get(&finding.id) {
            finding.advisory = advisory.clone();
        }
    }
    Ok(findings)
}

fn advisory(osv: Osv) -> Advisory {
    let mut urls: Vec<String> = osv
        .database_specific
        .and_then(|d| d.url)
        .into_iter()
        .chain(osv.references.into_iter().map(|r| r.url))
        .filter(|u| !u.is_empty())
        .collect();
    urls.dedup();
    Advisory {
        summary: osv.summary,
        details: osv.details,
        aliases: osv.aliases,
        published: osv.published.filter(|t| is_set(t)),
        modified: osv.modified.filter(|t| is_set(t)),
        urls,
    }
}

/// Go writes a missing time as its zero value.
fn is_set(time: &str) -> bool {
    !time.starts_with("0001-01-01")
}

/// `uuid.NewMD5`, `http.Request.ParseForm`: the package's last element,
/// the receiver type (without `*`) and the function.
fn symbol_name(package: Option<&str>, receiver: Option<&str>, function: &str) -> String {
    let package = package
        .and_then(|p| p.rsplit('/').next())
        .filter(|p| !p.is_empty());
    let receiver = receiver
        .map(|r| r.trim_start_matches('*'))
        .filter(|r| !r.is_empty());
    [package, receiver, Some(function)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// govulncheck v1.9.0's output for a program that links
    /// github.com/google/uuid v1.6.0 and calls uuid.NewMD5, against a
    /// database with one entry for NewMD5 and one for NewRandomFromReader.
    const OUTPUT: &str = r#"{"config":{"protocol_version":"v1.0.0","scanner_name":"govulncheck","scanner_version":"v1.9.0","db":"file:///db","scan_level":"symbol","scan_mode":"binary"}}
{"progress":{"message":"Scanning your binary for known vulnerabilities..."}}
{"SBOM":{"go_version":"go1.26.8","modules":[{"path":"github.com/google/uuid","version":"v1.6.0"}]}}
{"osv":{"schema_version":"1.3.1","id":"GO-2099-0001","modified":"2099-01-02T00:00:00Z","published":"2099-01-01T00:00:00Z","aliases":["CVE-2099-0001"],"summary":"NewMD5 is bad","details":"Details.","affected":[],"references":[{"type":"FIX","url":"https://example.com/fix"}],"database_specific":{"url":"https://pkg.go.dev/vuln/GO-2099-0001"}}}
{"osv":{"id":"GO-2099-0002","modified":"0001-01-01T00:00:00Z","published":"0001-01-01T00:00:00Z","details":"","affected":[]}}
{"finding":{"osv":"GO-2099-0001","fixed_version":"v1.6.1","trace":[{"module":"github.com/google/uuid","version":"v1.6.0"}]}}
{"finding":{"osv":"GO-2099-0002","fixed_version":"v1.6.1","trace":[{"module":"github.com/google/uuid","version":"v1.6.0"}]}}
{"finding":{"osv":"GO-2099-0002","fixed_version":"v1.6.1","trace":[{"module":"github.com/google/uuid","version":"v1.6.0","package":"github.com/google/uuid"}]}}
{"finding":{"osv":"GO-2099-0001","fixed_version":"v1.6.1","trace":[{"module":"github.com/google/uuid","version":"v1.6.0","package":"github.com/google/uuid","function":"NewMD5"}]}}
{"finding":{"osv":"GO-2099-0001","fixed_version":"v1.6.1","trace":[{"module":"github.com/google/uuid","version":"v1.6.0","package":"github.com/google/uuid","function":"String","receiver":"*UUID"}]}}
"#;

    #[test]
    fn reports_only_vulnerable_code_in_the_program() {
        let findings = parse(OUTPUT).unwrap();
        assert_eq!(findings.len(), 1, "{findings:?}");
        let f = &findings[0];
        assert_eq!(f.id, "GO-2099-0001");
        assert_eq!(
            (f.module.as_str(), f.version.as_str()),
            ("github.com/google/uuid", "v1.6.0")
        );
        assert_eq!(f.fixed.as_deref(), Some("v1.6.1"));
        assert_eq!(f.symbols, vec!["uuid.NewMD5", "uuid.UUID.String"]);
        assert_eq!(f.advisory.summary, "NewMD5 is bad");
        assert_eq!(f.advisory.aliases, vec!["CVE-2099-0001"]);
        assert_eq!(
            f.advisory.urls,
            vec![
                "https://pkg.go.dev/vuln/GO-2099-0001",
                "https://example.com/fix"
            ]
        );
        assert_eq!(
            f.advisory.published.as_deref(),
            Some("2099-01-01T00:00:00Z")
        );
    }

    #[test]
    fn zero_times_are_absent_and_garbage_is_an_error() {
        let out = r#"{"osv":{"id":"X","published":"0001-01-01T00:00:00Z","details":""}}"#;
        let osv: Message = serde_json::from_str(out).unwrap();
        assert_eq!(advisory(osv.osv.unwrap()).published, None);
        assert!(parse("{\"config\":{}}\nnot json").is_err());
        assert_eq!(parse("").unwrap(), Vec::new());
    }
}
