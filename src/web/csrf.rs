//! The per-daemon token every state-changing form carries (D5, D8).
//!
//! It is drawn once at start from the kernel's random source and compared in constant time.
//! A page of another site cannot read it (the same-origin policy keeps our pages from it), so
//! it cannot forge a form that passes, even though the browser would add the Basic
//! credentials on its own.

/// Random bytes in a token (128 bits).
const BYTES: usize = 16;

/// The token, as the lower-case hex text the forms carry.
#[derive(Debug, Clone)]
pub struct CsrfToken(String);

impl CsrfToken {
    /// A fresh token from the kernel's random source.
    pub fn generate() -> CsrfToken {
        let mut bytes = [0u8; BYTES];
        crate::sys::random_bytes(&mut bytes);
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
