//! Reporter identity (举报人) is replaced at ingest by a keyed hash
//! (HMAC-SHA-256), so the same person links across petitions while the raw
//! name, id number or phone is never stored, logged or printed.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The keyed hasher. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct Pseudonymiser {
    /// The HMAC with the key already absorbed: each identity starts from a copy.
    keyed: Hmac<Sha256>,
}

impl std::fmt::Debug for Pseudonymiser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymiser(<key hidden>)")
    }
}

/// Keys shorter than this are refused.
pub const MIN_KEY_BYTES: usize = 16;

impl Pseudonymiser {
    pub fn new(key: &[u8]) -> Option<Self> {
        let key = key.trim_ascii();
        (key.len() >= MIN_KEY_BYTES).then(|| Self {
            keyed: <Hmac<Sha256> as Mac>::new_from_slice(key)
                .unwrap_or_else(|_| unreachable!("HMAC takes any key length")),
        })
    }

    /// `rk_` and the first 16 bytes of the HMAC, hex. Identities are
    /// compared after folding full-width characters and whitespace.
    pub fn key_of(&self, identity: &str) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let half = super::coerce::half_width(identity);
        let mut mac = self.keyed.clone();
        // Words joined by one space, as `split_whitespace().join(" ")`.
        for (i, word) in half.split_whitespace().enumerate() {
            if i > 0 {
                mac.update(b" ");
            }
            mac.update(word.as_bytes());
        }
        let bytes = mac.finalize().into_bytes();
        let mut out = String::with_capacity(3 + 32);
        out.push_str("rk_");
        for b in &bytes[..16] {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_identity_same_key_different_key_different_hash() {
        let p = Pseudonymiser::new(b"0123456789abcdef-test").expect("long enough");
        let a = p.key_of("王伟 13800000000");
        assert_eq!(a, p.key_of("王伟　１３８００００００００"));
        assert!(a.starts_with("rk_") && a.len() == 35);
        assert!(!a.contains("王伟"));
        let q = Pseudonymiser::new(b"another-key-0123456789").expect("long enough");
        assert_ne!(a, q.key_of("王伟 13800000000"));
        assert!(Pseudonymiser::new(b"short").is_none());
        assert!(!format!("{p:?}").contains("0123"));
    }
}
