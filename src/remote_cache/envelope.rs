//! The format of every object the builder writes to the bucket:
//!
//! ```text
//! acme-go-builder remote cache v1\n
//! {"kind":…,"size":…,"sha256":…,"meta":{…}}\n      the header
//! <hex HMAC-SHA256 of the object key and the header, or nothing>\n
//! <body>
//! ```
//!
//! The signature covers the object's key (so an object copied under
//! another key is not valid there) and the header's exact bytes; the header
//! carries the body's size and SHA-256, which the reader checks while the
//! body streams in. A reader takes nothing whose signature does not verify
//! under its own key: an unsigned object (written without a key) is never
//! read.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::fingerprint::hex;
use crate::signing::SigningKey;

const MAGIC: &[u8] = b"acme-go-builder remote cache v1\n";
/// The most the three lines before the body may take.
const MAX_PREAMBLE: usize = 64 * 1024;

/// What an object is and what its body must be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// `go` (an entry of Go's build cache) or `lambda` (a kept program).
    pub kind: String,
    pub size: u64,
    /// Hex SHA-256 of the body.
    pub sha256: String,
    /// What the kind records beside the body.
    #[serde(default)]
    pub meta: serde_json::Value,
}

impl Header {
    /// The header of `body`.
    pub fn of(kind: &str, body: &[u8], meta: serde_json::Value) -> Header {
        Header {
            kind: kind.to_string(),
            size: body.len() as u64,
            sha256: hex(&Sha256::digest(body)),
            meta,
        }
    }
}

/// The object holding `body` under `key`, signed with `signing` if any.
pub fn encode(key: &str, header: &Header, body: &[u8], signing: Option<&SigningKey>) -> Vec<u8> {
    let line = serde_json::to_vec(header).expect("a header serializes");
    let signature = signing
        .map(|k| k.sign(&[MAGIC, key.as_bytes(), &line]))
        .unwrap_or_default();
    let mut out = Vec::with_capacity(MAGIC.len() + line.len() + signature.len() + 2 + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&line);
    out.push(b'\n');
    out.extend_from_slice(signature.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

/// Why an object was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejected {
    NotOurs,
    BadSignature,
    WrongKind,
    TooLong,
    Truncated,
    BadDigest,
}

/// Reads an object as it streams in: checks the preamble and signature
/// before any body byte is passed on, then the body's size and digest.
pub struct Decoder<'a> {
    key: &'a str,
    kind: &'a str,
    signing: &'a SigningKey,
    preamble: Vec<u8>,
    header: Option<Header>,
    hasher: Sha256,
    seen: u64,
}

impl<'a> Decoder<'a> {
    /// A decoder for the object `key`, which must be of `kind` and signed
    /// with `signing`.
    pub fn new(key: &'a str, kind: &'a str, signing: &'a SigningKey) -> Self {
        Decoder {
            key,
            kind,
            signing,
            preamble: Vec::new(),
            header: None,
            hasher: Sha256::new(),
            seen: 0,
        }
    }

    /// The verified header, once the preamble has been read.
    pub fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    /// Takes the next chunk of the object; body bytes go to `body`.
    pub fn feed(
        &mut self,
        chunk: &[u8],
        body: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<(), Rejected> {
        if self.header.is_some() {
            return self.body(chunk, body);
        }
        self.preamble.extend_from_slice(chunk);
        let Some(end) = self.parse_preamble()? else {
            return Ok(());
        };
        let rest = self.preamble.split_off(end);
        self.preamble = Vec::new();
        self.body(&rest, body)
    }

    fn body(
        &mut self,
        bytes: &[u8],
        body: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<(), Rejected> {
        if bytes.is_empty() {
            return Ok(());
        }
        let size = self.header.as_ref().map_or(0, |h| h.size);
        self.seen += bytes.len() as u64;
        if self.seen > size {
            return Err(Rejected::TooLong);
        }
        self.hasher.update(bytes);
        body(bytes).map_err(|_| Rejected::Truncated)
    }

    /// The header, once the whole body has come and matches it.
    pub fn finish(self) -> Result<Header, Rejected> {
        let header = self.header.ok_or(Rejected::Truncated)?;
        if self.seen != header.size {
            return Err(Rejected::Truncated);
        }
        if hex(&self.hasher.finalize()) != header.sha256 {
            return Err(Rejected::BadDigest);
        }
        Ok(header)
    }

    /// Where the body starts, once the three preamble lines are complete
    /// and verified; `None` while more bytes are needed.
    fn parse_preamble(&mut self) -> Result<Option<usize>, Rejected> {
        let buf = &self.preamble;
        let common = buf.len().min(MAGIC.len());
        if buf[..common] != MAGIC[..common] {
            return Err(Rejected::NotOurs);
        }
        let mut lines = Vec::with_capacity(2);
        let mut start = MAGIC.len();
        while lines.len() < 2 {
            match buf
                .get(start..)
                .and_then(|b| b.iter().position(|&c| c == b'\n'))
            {
                Some(at) => {
                    lines.push(start..start + at);
                    start += at + 1;
                }
                None if buf.len() > MAX_PREAMBLE => return Err(Rejected::NotOurs),
                None => return Ok(None),
            }
        }
        let (header_line, signature) = (&buf[lines[0].clone()], &buf[lines[1].clone()]);
        let signature = std::str::from_utf8(signature).map_err(|_| Rejected::BadSignature)?;
        if !self
            .signing
            .verify(&[MAGIC, self.key.as_bytes(), header_line], signature)
        {
            return Err(Rejected::BadSignature);
        }
        let header: Header = serde_json::from_slice(header_line).map_err(|_| Rejected::NotOurs)?;
        if header.kind != self.kind {
            return Err(Rejected::WrongKind);
        }
        self.header = Some(header);
        Ok(Some(start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::SIGNING_KEY_ENV;
    use crate::test_support::env;

    fn key(k: &str) -> SigningKey {
        SigningKey::from_env(&env(&[(SIGNING_KEY_ENV, k)])).unwrap()
    }

    /// Decodes `object` fed in chunks of `step` bytes.
    fn decode(
        object: &[u8],
        name: &str,
        signing: &SigningKey,
        step: usize,
    ) -> Result<(Header, Vec<u8>), Rejected> {
        let mut decoder = Decoder::new(name, "go", signing);
        let mut body = Vec::new();
        for chunk in object.chunks(step) {
            decoder.feed(chunk, &mut |b| {
                body.extend_from_slice(b);
                Ok(())
            })?;
        }
        Ok((decoder.finish()?, body))
    }

    #[test]
    fn round_trips_in_any_chunking() {
        let k = key("secret");
        let body = b"compiled package".repeat(100);
        let header = Header::of("go", &body, serde_json::json!({"output": "ab"}));
        let object = encode("go/aa", &header, &body, Some(&k));
        for step in [1, 7, 64, object.len()] {
            let (h, b) = decode(&object, "go/aa", &k, step).unwrap();
            assert_eq!(h, header);
            assert_eq!(b, body);
        }
    }

    #[test]
    fn rejects_what_it_cannot_trust() {
        let k = key("secret");
        let body = b"bytes".to_vec();
        let header = Header::of("go", &body, serde_json::Value::Null);
        let object = encode("go/aa", &header, &body, Some(&k));
        let reject = |object: &[u8], name: &str, signing: &SigningKey| {
            decode(object, name, signing, 5).unwrap_err()
        };
        assert_eq!(
            reject(&object, "go/aa", &key("other")),
            Rejected::BadSignature
        );
        assert_eq!(reject(&object, "go/bb", &k), Rejected::BadSignature);
        let unsigned = encode("go/aa", &header, &body, None);
        assert_eq!(reject(&unsigned, "go/aa", &k), Rejected::BadSignature);
        let mut tampered = object.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(reject(&tampered, "go/aa", &k), Rejected::BadDigest);
        assert_eq!(
            reject(&object[..object.len() - 1], "go/aa", &k),
            Rejected::Truncated
        );
        let mut longer = object.clone();
        longer.push(b'x');
        assert_eq!(reject(&longer, "go/aa", &k), Rejected::TooLong);
        assert_eq!(reject(b"<Error/>", "go/aa", &k), Rejected::NotOurs);
        let lambda = encode(
            "go/aa",
            &Header::of("lambda", &body, serde_json::Value::Null),
            &body,
            Some(&k),
        );
        assert_eq!(reject(&lambda, "go/aa", &k), Rejected::WrongKind);
    }
}
