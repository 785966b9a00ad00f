//! The per-daemon token every state-changing form carries (D5, D8).
//!
//! It is drawn once at start from the kernel's random source and compared in constant time.
//! A page of another site cannot read it (the same-origin policy keeps our pages from it), so
//! it cannot forge a form that passes, even though the browser would add the Basic
//! credentials on its own.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Read;

/// Random bytes in a token (128 bits).
const BYTES: usize = 16;

/// The token, as the lower-case hex text the forms carry.
#[derive(Debug, Clone)]
pub struct CsrfToken(String);

impl CsrfToken {
    /// A fresh token from `/dev/urandom`.
    pub fn generate() -> CsrfToken {
        let mut bytes = [0u8; BYTES];
        let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
        if read.is_err() {
            // Without /dev (a bare chroot): SipHash keyed by the random keys std draws from
            // getrandom(2) for hash maps is still unpredictable from outside.
            for (i, chunk) in bytes.chunks_mut(8).enumerate() {
                let mut h = RandomState::new().build_hasher();
                h.write_usize(i);
                for (b, v) in chunk.iter_mut().zip(h.finish().to_le_bytes()) {
                    *b = v;
                }
            }
        }
        CsrfToken(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `given` is the token. The time taken does not depend on where the first
    /// difference is (the length is no secret: every token has the same).
    pub fn matches(&self, given: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), given.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
        std::hint::black_box(diff) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex_of_fixed_length() {
        let (a, b) = (CsrfToken::generate(), CsrfToken::generate());
        assert_eq!(a.as_str().len(), 2 * BYTES);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.as_str(), b.as_str());
    }

    #[test]
    fn only_the_exact_token_matches() {
        let t = CsrfToken("00ff".into());
        assert!(t.matches("00ff"));
        for wrong in ["", "00f", "00ff0", "00fe", "10ff", "00FF"] {
            assert!(!t.matches(wrong), "{wrong}");
        }
    }
}
