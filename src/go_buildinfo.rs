//! The build information Go embeds in every program it links: the Go
//! version, the main package, the modules linked (with their versions,
//! `h1:` checksums and replacements) and the build settings — what
//! `go version -m` prints, and `runtime/debug.ReadBuildInfo` returns.
//!
//! Read from the program's bytes, without running anything: the ELF
//! section `.go.buildinfo` (located with the `object` crate) holds a
//! 32-byte header and, since Go 1.18, the version and the module
//! information as length-prefixed strings, the latter in
//! `runtime/debug.BuildInfo`'s text form. Programs linked by an older Go
//! store pointers instead; for those [`read_with_go`] asks the Go that
//! built them (`go version -m`).

use std::path::Path;

use object::{Object, ObjectSection};

use crate::env::Env;
use crate::error::{Error, Result};
use crate::exec;
use crate::toolchain::GoToolchain;

/// A module as the build information records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    pub path: String,
    /// A semantic version, or `(devel)` for the main module and local
    /// directories.
    pub version: String,
    /// The `h1:` checksum (go.sum's), when Go recorded one.
    pub sum: Option<String>,
    /// What a `replace` directive put in its place.
    pub replace: Option<Box<Module>>,
}

/// What Go recorded about how a program was built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildInfo {
    /// The Go that linked it, e.g. `go1.26.8`.
    pub go_version: String,
    /// The import path of its main package.
    pub path: String,
    /// The main module (absent for a program built outside a module).
    pub main: Option<Module>,
    /// Every other module linked into it, in Go's order (sorted by path).
    pub deps: Vec<Module>,
    /// The build settings (`-ldflags`, `-tags`, `CGO_ENABLED`, `GOOS`, …),
    /// in Go's order.
    pub settings: Vec<(String, String)>,
}

impl Module {
    /// Whether this module (a `replace` target) is a directory, not a
    /// module path: `./x`, `../x`, `/abs`, `\\share` or `C:\x`.
    pub fn is_directory(&self) -> bool {
        let path = &self.path;
        path.starts_with('.')
            || path.starts_with('/')
            || path.starts_with('\\')
            || path.as_bytes().get(1) == Some(&b':')
    }
}

impl BuildInfo {
    /// The value of the build setting `key`.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// What a program's bytes say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The build information, read from the bytes.
    Info(BuildInfo),
    /// A Go program in the pre-1.18 layout: ask its Go ([`read_with_go`]).
    OldLayout,
    /// Not a Go program Go recorded build information in.
    None,
}

/// What a program says of itself: its build information and whether it
/// still has its symbol table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    pub found: Found,
    /// Whether the program (ELF) still has its symbol table: a program
    /// linked with `-ldflags=-s` does not, which limits what a binary scan
    /// can tell (see [`crate::vulncheck`]).
    pub symbol_table: bool,
}

/// [`Inspected`] for the program at `path`, reading only its headers and
/// its `.go.buildinfo` section, not its megabytes of code.
pub fn inspect_file(path: &Path) -> std::io::Result<Inspected> {
    let cache = object::ReadCache::new(std::fs::File::open(path)?);
    Ok(inspect(&cache))
}

fn inspect<'data, R: object::ReadRef<'data>>(program: R) -> Inspected {
    let Ok(file) = object::File::parse(program) else {
        return Inspected {
            found: Found::None,
            symbol_table: false,
        };
    };
    let found = file
        .section_by_name(".go.buildinfo")
        .and_then(|s| s.data().ok())
        .map_or(Found::None, decode_section);
    Inspected {
        found,
        symbol_table: file.symbol_table().is_some(),
    }
}

const MAGIC: &[u8] = b"\xff Go buildinf:";
const HEADER_SIZE: usize = 32;
/// Header flag: the strings follow the header (Go 1.18 and later).
const FLAG_INLINE_STRINGS: u8 = 0x2;

/// Decodes the `.go.buildinfo` section (as `debug/buildinfo` does).
fn decode_section(data: &[u8]) -> Found {
    if data.len() < HEADER_SIZE || !data.starts_with(MAGIC) {
        return Found::None;
    }
    if data[15] & FLAG_INLINE_STRINGS == 0 {
        return Found::OldLayout;
    }
    let Some((version, rest)) = length_prefixed(&data[HEADER_SIZE..]) else {
        return Found::None;
    };
    let modinfo = length_prefixed(rest).map(|(m, _)| m).unwrap_or_default();
    let version = String::from_utf8_lossy(version).into_owned();
    if version.is_empty() {
        return Found::None;
    }
    let mut info = parse(&String::from_utf8_lossy(strip_sentinels(modinfo)));
    info.go_version = version;
    Found::Info(info)
}

/// A string stored as its length (unsigned varint) and bytes, and what
/// follows it.
fn length_prefixed(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut len: u64 = 0;
    for (i, byte) in data.iter().enumerate().take(10) {
        len |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            let start = i + 1;
            let end = start.checked_add(usize::try_from(len).ok()?)?;
            return (end <= data.len()).then(|| (&data[start..end], &data[end..]));
        }
    }
    None
}

/// The module information without the 16-byte markers Go puts around it.
fn strip_sentinels(modinfo: &[u8]) -> &[u8] {
    if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        &modinfo[16..modinfo.len() - 16]
    } else {
        &[]
    }
}

/// Parses the text form of `runtime/debug.BuildInfo` (what
/// `debug.ParseBuildInfo` reads): `path`, `mod`, `dep`, `=>` and `build`
/// lines, tab-separated. Unknown lines are skipped.
pub fn parse(text: &str) -> BuildInfo {
    let mut info = BuildInfo::default();
    // Which module a `=>` line replaces: the main module, or a dependency.
    enum Last {
        Nothing,
        Main,
        Dep,
    }
    let mut last = Last::Nothing;
    for line in text.lines() {
        let Some((word, rest)) = line.split_once('\t') else {
            continue;
        };
        match word {
            "go" => info.go_version = rest.to_string(),
            "path" => info.path = rest.to_string(),
            "mod" => {
                info.main = Some(module(rest));
                last = Last::Main;
            }
            "dep" => {
                info.deps.push(module(rest));
                last = Last::Dep;
            }
            "=>" => {
                let replaced = match last {
                    Last::Main => info.main.as_mut(),
                    Last::Dep => info.deps.last_mut(),
                    Last::Nothing => None,
                };
                if let Some(replaced) = replaced {
                    replaced.replace = Some(Box::new(module(rest)));
                }
                last = Last::Nothing;
            }
            "build" => {
                if let Some(setting) = setting(rest) {
                    info.settings.push(setting);
                }
            }
            _ => {}
        }
    }
    info
}

/// `path<TAB>version[<TAB>sum]`.
fn module(columns: &str) -> Module {
    let mut parts = columns.split('\t');
    let path = parts.next().unwrap_or_default().to_string();
    let version = parts.next().unwrap_or_default().to_string();
    let sum = parts.next().filter(|s| !s.is_empty()).map(str::to_string);
    Module {
        path,
        version,
        sum,
        replace: None,
    }
}

/// `key=value`, where Go quotes a key or value holding spaces, tabs,
/// quotes, newlines or `=` (a key).
fn setting(kv: &str) -> Option<(String, String)> {
    let (key, raw_value) = if kv.starts_with('"') || kv.starts_with('`') {
        let end = quoted_len(kv)?;
        let rest = kv[end..].strip_prefix('=')?;
        (unquote(&kv[..end]), rest)
    } else {
        let (key, value) = kv.split_once('=')?;
        (key.to_string(), value)
    };
    let value = if raw_value.starts_with('"') || raw_value.starts_with('`') {
        unquote(raw_value)
    } else {
        raw_value.to_string()
    };
    (!key.is_empty()).then_some((key, value))
}

/// The length of the quoted string `text` starts with (quotes included).
fn quoted_len(text: &str) -> Option<usize> {
    let quote = text.chars().next()?;
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            '\\' if quote == '"' && !escaped => escaped = true,
            c if c == quote && !escaped => return Some(i + 1),
            _ => escaped = false,
        }
    }
    None
}

/// A string Go quoted with `strconv.Quote` (a JSON string for everything
/// but control characters and invalid UTF-8, which build settings do not
/// hold), or with backquotes. What cannot be decoded is kept as written.
fn unquote(quoted: &str) -> String {
    if let Some(raw) = quoted.strip_prefix('`').and_then(|q| q.strip_suffix('`')) {
        return raw.to_string();
    }
    serde_json::from_str(quoted).unwrap_or_else(|_| quoted.to_string())
}

/// The build information of `program` as printed by `go version -m` of
/// `go` (for programs in the pre-1.18 layout, which only Go reads).
pub async fn read_with_go(go: &GoToolchain, program: &Path, env: &Env) -> Result<BuildInfo> {
    let args = exec::args(["version".as_ref(), "-m".as_ref(), program.as_os_str()]);
    let cwd = program.parent().unwrap_or(Path::new("."));
    let out = exec::run(&go.go, &args, cwd, &go.command_env(env)).await?;
    if !out.success {
        return Err(Error::Internal(format!(
            "`go version -m` could not read {}: {}",
            program.display(),
            out.combined()
        )));
    }
    Ok(parse_go_version_output(&out.stdout))
}

/// `go version -m` output: `<file>: <go version>`, then the module
/// information, each line indented by a tab.
fn parse_go_version_output(stdout: &str) -> BuildInfo {
    let mut lines = stdout.lines();
    let version = lines
        .next()
        .and_then(|l| l.rsplit_once(": "))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let body: Vec<&str> = lines.filter_map(|l| l.strip_prefix('\t')).collect();
    let mut info = parse(&body.join("\n"));
    info.go_version = version;
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODINFO: &str = "path\texample.com/site/__vc_go_main__\nmod\texample.com/site\t(devel)\t\ndep\tgithub.com/google/uuid\tv1.6.0\th1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=\ndep\texample.com/old\tv1.0.0\n=>\texample.com/new\tv2.0.0\th1:abc=\ndep\texample.com/libx\tv0.0.0\n=>\t../libx\t(devel)\t\nbuild\t-buildmode=exe\nbuild\t-ldflags=\"-s -w\"\nbuild\t-tags=lambda.norpc\nbuild\tCGO_ENABLED=0\nbuild\tGOOS=linux\n";

    #[test]
    fn parses_modules_replacements_and_settings() {
        let info = parse(MODINFO);
        assert_eq!(info.path, "example.com/site/__vc_go_main__");
        let main = info.main.as_ref().unwrap();
        assert_eq!(
            (main.path.as_str(), main.version.as_str()),
            ("example.com/site", "(devel)")
        );
        assert_eq!(main.sum, None);
        assert_eq!(info.deps.len(), 3);
        assert_eq!(
            info.deps[0].sum.as_deref(),
            Some("h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=")
        );
        let new = info.deps[1].replace.as_ref().unwrap();
        assert_eq!(
            (new.path.as_str(), new.version.as_str()),
            ("example.com/new", "v2.0.0")
        );
        assert_eq!(new.sum.as_deref(), Some("h1:abc="));
        let local = info.deps[2].replace.as_ref().unwrap();
        assert_eq!((local.path.as_str(), local.sum.as_ref()), ("../libx", None));
        assert_eq!(info.setting("-ldflags"), Some("-s -w"));
        assert_eq!(info.setting("-tags"), Some("lambda.norpc"));
        assert_eq!(info.setting("GOOS"), Some("linux"));
    }

    #[test]
    fn quoted_keys_and_values() {
        assert_eq!(
            setting("\"a=b\"=\"x \\\"y\\\"\""),
            Some(("a=b".to_string(), "x \"y\"".to_string()))
        );
        assert_eq!(
            setting("k=`raw v`"),
            Some(("k".to_string(), "raw v".to_string()))
        );
        assert_eq!(setting("novalue"), None);
        assert_eq!(setting("\"open=x"), None);
    }

    /// The section as Go 1.18+ writes it: magic, pointer size, flags,
    /// padding to 32 bytes, then the version and the sentinel-wrapped
    /// module information, each prefixed by its varint length.
    fn section(version: &str, modinfo: &str) -> Vec<u8> {
        let mut data = MAGIC.to_vec();
        data.push(8);
        data.push(FLAG_INLINE_STRINGS);
        data.resize(HEADER_SIZE, 0);
        let wrapped = [&[0x30u8; 16][..], modinfo.as_bytes(), &[0xf9; 16]].concat();
        for s in [version.as_bytes(), &wrapped] {
            let mut len = s.len();
            loop {
                let byte = (len & 0x7f) as u8;
                len >>= 7;
                data.push(if len > 0 { byte | 0x80 } else { byte });
                if len == 0 {
                    break;
                }
            }
            data.extend_from_slice(s);
        }
        data
    }

    #[test]
    fn decodes_the_section() {
        let Found::Info(info) = decode_section(&section("go1.26.8", MODINFO)) else {
            panic!("not decoded");
        };
        assert_eq!(info.go_version, "go1.26.8");
        assert_eq!(info.deps.len(), 3);
        // Over 127 bytes: a two-byte length.
        assert!(MODINFO.len() + 32 > 127);
    }

    #[test]
    fn old_layouts_and_garbage() {
        let mut old = section("go1.17", "");
        old[15] = 0;
        assert_eq!(decode_section(&old), Found::OldLayout);
        assert_eq!(decode_section(b"not a section"), Found::None);
        let mut truncated = section("go1.26.8", MODINFO);
        truncated.truncate(40);
        assert!(matches!(
            decode_section(&truncated),
            Found::Info(_) | Found::None
        ));
        assert_eq!(inspect(&b"\x7fELF garbage"[..]).found, Found::None);
        assert_eq!(inspect(&b""[..]).found, Found::None);
    }

    #[test]
    fn a_file_that_is_no_program_has_no_build_information() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server");
        std::fs::write(&path, b"#!/bin/sh\necho not go\n").unwrap();
        let inspected = inspect_file(&path).unwrap();
        assert_eq!(inspected.found, Found::None);
        assert!(!inspected.symbol_table);
        assert!(inspect_file(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn go_version_output() {
        let out = "/tmp/bootstrap: go1.17.13\n\tpath\texample.com/app\n\tmod\texample.com/app\t(devel)\t\n\tdep\tgithub.com/google/uuid\tv1.3.0\th1:x=\n";
        let info = parse_go_version_output(out);
        assert_eq!(info.go_version, "go1.17.13");
        assert_eq!(info.deps[0].path, "github.com/google/uuid");
    }
}
