//! The modules a Go program was built from, as Go itself records them in
//! the program (`go version -m`): the `.go.buildinfo` blob of Go ≥ 1.18,
//! found through the ELF section table (or, in any other format, by its
//! 16-byte-aligned magic).

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

const MAGIC: &[u8] = b"\xff Go buildinf:";
/// Go ≥ 1.18: the strings follow the header inline.
const FLAG_INLINE: u8 = 2;
const SECTION: &[u8] = b".go.buildinfo";

/// One `dep` line, with its `=>` replacement if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dep {
    pub path: String,
    pub version: String,
    /// The replacement's path (a module path, or a directory) and version
    /// (empty for a directory).
    pub replaced_by: Option<(String, String)>,
}

impl Dep {
    /// A module the build read from a directory of the user's (a directory
    /// replacement, or a workspace module).
    pub fn is_local(&self) -> bool {
        match &self.replaced_by {
            Some((path, version)) => {
                version.is_empty() || version == "(devel)" || looks_like_dir(path)
            }
            None => self.version == "(devel)" || self.version.is_empty(),
        }
    }

    /// The module path and version whose files the build read.
    pub fn source(&self) -> (&str, &str) {
        match &self.replaced_by {
            Some((path, version)) => (path, version),
            None => (&self.path, &self.version),
        }
    }
}

fn looks_like_dir(path: &str) -> bool {
    path.starts_with('.') || path.starts_with('/') || path.contains('\\')
}

/// The `dep` lines of `program`'s build info; `None` when it has none this
/// reader understands (another format, an older Go).
pub fn deps(program: &Path) -> Option<Vec<Dep>> {
    let mut file = std::fs::File::open(program).ok()?;
    let blob = match elf_section(&mut file) {
        Some(bytes) => bytes,
        None => {
            let mut all = Vec::new();
            file.seek(SeekFrom::Start(0)).ok()?;
            file.read_to_end(&mut all).ok()?;
            let at = (0..all.len().saturating_sub(MAGIC.len()))
                .step_by(16)
                .find(|&i| all[i..].starts_with(MAGIC))?;
            all.split_off(at)
        }
    };
    parse_blob(&blob)
}

fn parse_blob(blob: &[u8]) -> Option<Vec<Dep>> {
    if !blob.starts_with(MAGIC) || blob.len() < 32 || blob[15] & FLAG_INLINE == 0 {
        return None;
    }
    let mut rest = &blob[32..];
    let _version = read_string(&mut rest)?;
    let modinfo = read_string(&mut rest)?;
    let modinfo = strip_sentinels(modinfo);
    Some(parse_modinfo(&String::from_utf8_lossy(modinfo)))
}

fn read_string<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (len, used) = uvarint(rest)?;
    let len = usize::try_from(len).ok()?;
    let bytes = rest.get(used..used.checked_add(len)?)?;
    *rest = &rest[used + len..];
    Some(bytes)
}

fn uvarint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return Some((value, i + 1));
        }
    }
    None
}

/// The module info string is wrapped in 16-byte sentinels.
fn strip_sentinels(modinfo: &[u8]) -> &[u8] {
    if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        &modinfo[16..modinfo.len() - 16]
    } else {
        modinfo
    }
}

fn parse_modinfo(text: &str) -> Vec<Dep> {
    let mut deps: Vec<Dep> = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["dep", path, rest @ ..] => deps.push(Dep {
                path: path.to_string(),
                version: rest.first().unwrap_or(&"").to_string(),
                replaced_by: None,
            }),
            ["=>", path, rest @ ..] => {
                if let Some(last) = deps.last_mut() {
                    last.replaced_by =
                        Some((path.to_string(), rest.first().unwrap_or(&"").to_string()));
                }
            }
            _ => {}
        }
    }
    deps
}

/// The bytes of the `.go.buildinfo` section of a little-endian ELF64 file.
fn elf_section(file: &mut std::fs::File) -> Option<Vec<u8>> {
    let mut header = [0u8; 64];
    file.read_exact(&mut header).ok()?;
    if &header[..4] != b"\x7fELF" || header[4] != 2 || header[5] != 1 {
        return None;
    }
    let u16_at = |b: &[u8], at: usize| u16::from_le_bytes([b[at], b[at + 1]]);
    let u32_at =
        |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or([0; 4]));
    let u64_at =
        |b: &[u8], at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or([0; 8]));
    let shoff = u64_at(&header, 0x28);
    let entsize = usize::from(u16_at(&header, 0x3a));
    let count = usize::from(u16_at(&header, 0x3c));
    let names_index = usize::from(u16_at(&header, 0x3e));
    if entsize < 64 || count == 0 || names_index >= count || count > 4096 {
        return None;
    }
    let mut table = vec![0u8; entsize * count];
    file.seek(SeekFrom::Start(shoff)).ok()?;
    file.read_exact(&mut table).ok()?;
    let section = |i: usize| {
        let s = &table[i * entsize..(i + 1) * entsize];
        (u32_at(s, 0) as usize, u64_at(s, 24), u64_at(s, 32))
    };
    let mut read_at = |offset: u64, size: u64| -> Option<Vec<u8>> {
        let mut bytes = vec![0u8; usize::try_from(size).ok().filter(|s| *s <= 1 << 24)?];
        file.seek(SeekFrom::Start(offset)).ok()?;
        file.read_exact(&mut bytes).ok()?;
        Some(bytes)
    };
    let (_, names_offset, names_size) = section(names_index);
    let names = read_at(names_offset, names_size)?;
    let found = (0..count).find(|&i| {
        let (name, _, _) = section(i);
        names
            .get(name..)
            .is_some_and(|n| n.starts_with(SECTION) && n.get(SECTION.len()) == Some(&0))
    })?;
    let (_, offset, size) = section(found);
    read_at(offset, size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dep_and_replacement_lines() {
        let text = "path\texample.com/app/__vc_go_main__/m\nmod\texample.com/app\t(devel)\t\n\
dep\tgithub.com/aws/aws-lambda-go\tv1.55.1\th1:x=\n\
dep\texample.com/shared\tv0.0.0\n=>\t../shared\t\t\n\
dep\texample.com/fork\tv1.0.0\n=>\texample.com/fork2\tv1.2.0\th1:y=\n\
build\tCGO_ENABLED=0\n";
        let deps = parse_modinfo(text);
        assert_eq!(deps.len(), 3);
        assert_eq!(
            deps[0].source(),
            ("github.com/aws/aws-lambda-go", "v1.55.1")
        );
        assert!(!deps[0].is_local());
        assert!(deps[1].is_local());
        assert_eq!(deps[2].source(), ("example.com/fork2", "v1.2.0"));
        assert!(!deps[2].is_local());
    }

    #[test]
    fn reads_a_blob() {
        let modinfo = format!(
            "{}dep\tx.com/y\tv1.0.0\th1:z=\n{}",
            "0".repeat(16),
            "1".repeat(16)
        );
        let mut blob = MAGIC.to_vec();
        blob.extend([8, FLAG_INLINE]);
        blob.resize(32, 0);
        blob.push(4);
        blob.extend(b"go1x");
        blob.push(modinfo.len() as u8);
        blob.extend(modinfo.as_bytes());
        let deps = parse_blob(&blob).unwrap();
        assert_eq!(deps[0].path, "x.com/y");
        assert!(parse_blob(b"nothing").is_none());
    }
}
