//! Signatures over cache records: HMAC-SHA256 under the key in
//! `GO_BUILDER_CACHE_SIGNING_KEY`, as Turborepo signs its remote-cache
//! artifacts. A record whose signature does not verify is not the builder's
//! own, whatever it says: callers treat it as a miss.
//!
//! The key lives in the environment only; nothing here writes it anywhere.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::env::Env;
use crate::fingerprint::hex;

/// The variable holding the signing key (any non-empty string).
pub const SIGNING_KEY_ENV: &str = "GO_BUILDER_CACHE_SIGNING_KEY";

type HmacSha256 = Hmac<Sha256>;

/// A signing key taken from the environment.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// The key `env` sets, if any.
    pub fn from_env(env: &Env) -> Option<SigningKey> {
        env.non_empty(SIGNING_KEY_ENV)
            .map(|k| SigningKey(k.as_bytes().to_vec()))
    }

    /// The hex HMAC-SHA256 of `parts`, each length-prefixed so that no two
    /// different sequences of parts sign alike.
    pub fn sign(&self, parts: &[&[u8]]) -> String {
        hex(&self.mac(parts).finalize().into_bytes())
    }

    /// Whether `signature` (hex) is the HMAC of `parts`, compared in
    /// constant time.
    pub fn verify(&self, parts: &[&[u8]], signature: &str) -> bool {
        match unhex(signature) {
            Some(bytes) => self.mac(parts).verify_slice(&bytes).is_ok(),
            None => false,
        }
    }

    fn mac(&self, parts: &[&[u8]]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes keys of every length");
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::env;

    #[test]
    fn signs_and_verifies_with_the_same_key_only() {
        let key = SigningKey::from_env(&env(&[(SIGNING_KEY_ENV, "secret")])).unwrap();
        let other = SigningKey::from_env(&env(&[(SIGNING_KEY_ENV, "other")])).unwrap();
        let sig = key.sign(&[b"key", b"digest"]);
        assert_eq!(sig.len(), 64);
        assert!(key.verify(&[b"key", b"digest"], &sig));
        assert!(!other.verify(&[b"key", b"digest"], &sig));
        assert!(!key.verify(&[b"key", b"digest2"], &sig));
        assert!(!key.verify(&[b"keyd", b"igest"], &sig), "parts are framed");
        assert!(!key.verify(&[b"key", b"digest"], "zz"));
        assert!(!key.verify(&[b"key", b"digest"], ""));
        assert!(SigningKey::from_env(&env(&[(SIGNING_KEY_ENV, "")])).is_none());
    }

    #[test]
    fn known_vector() {
        // RFC 4231, test case 2: the primitive under the framing.
        let key = SigningKey(b"Jefe".to_vec());
        let mut mac = HmacSha256::new_from_slice(&key.0).unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
