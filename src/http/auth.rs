//! HTTP Basic authentication against the configured `username`/`password` (reference §5.1, D5).
//!
//! Mirrors medusa's `auth_handler` with Supervisor's `encrypted_dictionary_authorizer`
//! (`{SHA}` passwords). Pure: it decides, the connection answers (401 via
//! [`super::response::unauthorized`], 400 via [`super::response::error`]) and logs.

use sha1_smol::Sha1;

/// The outcome of checking one request's `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthResult {
    /// The credentials match: handle the request.
    Ok,
    /// Missing header, unsupported scheme or wrong credentials: answer 401.
    Unauthorized,
    /// A Basic token that is not base64 of UTF-8 text: answer 400.
    BadRequest,
}

/// Checks the value of the `Authorization` header (`None` when absent) against the configured
/// credentials. `password` is clear text, or `{SHA}` followed by the hex SHA-1 of the password.
///
/// # Compatibility
///
/// As medusa: the scheme is the text before the first space, compared case-insensitively; the
/// token is everything after it; the decoded text is split at its first `:`. Both the
/// username and the password are compared in constant time (D5).
pub fn check(header: Option<&str>, username: &str, password: &str) -> AuthResult {
    let Some((scheme, token)) = header.and_then(|h| h.split_once(' ')) else {
        return AuthResult::Unauthorized;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return AuthResult::Unauthorized;
    }
    let Some(decoded) = decode_token(token) else {
        return AuthResult::BadRequest;
    };
    // DIVERGENCE(D5): a token without `:` makes the reference fail with a 500; it is simply
    // not the right credentials.
    let Some((given_user, given_password)) = decoded.split_once(':') else {
        return AuthResult::Unauthorized;
    };
    let user_ok = digest_eq(given_user.as_bytes(), username.as_bytes());
    let password_ok = match password.strip_prefix("{SHA}") {
        Some(stored_hex) => {
            let given_hex = Sha1::from(given_password).digest().to_string();
            // DIVERGENCE(D5): the reference compares the stored hex as written, so an
            // upper-case hex digest never matches; hex case carries no meaning.
            digest_eq(
                given_hex.as_bytes(),
                stored_hex.to_ascii_lowercase().as_bytes(),
            )
        }
        None => digest_eq(given_password.as_bytes(), password.as_bytes()),
    };
    // `&` rather than `&&`: both comparisons always run.
    if user_ok & password_ok {
        AuthResult::Ok
    } else {
        AuthResult::Unauthorized
    }
}

/// Decodes a Basic token like Python's lenient `base64.decodebytes`: characters outside the
/// base64 alphabet are skipped, but the padding must be right; the result must be UTF-8.
fn decode_token(token: &str) -> Option<String> {
    let kept: Vec<u8> = token
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        .collect();
    if kept.len() % 4 != 0 {
        return None;
    }
    let bytes = base64::decode(&kept).ok()?;
    String::from_utf8(bytes).ok()
}

/// Constant-time equality that hides lengths too: compares SHA-1 digests of both sides,
/// folding every byte difference.
fn digest_eq(a: &[u8], b: &[u8]) -> bool {
    let da = Sha1::from(a).digest().bytes();
    let db = Sha1::from(b).digest().bytes();
    da.iter()
        .zip(db.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(credentials: &str) -> String {
        format!("Basic {}", base64::encode(credentials))
    }

    #[test]
    fn clear_text_password() {
        assert_eq!(check(Some(&basic("user:pw")), "user", "pw"), AuthResult::Ok);
        assert_eq!(
            check(Some(&basic("user:no")), "user", "pw"),
            AuthResult::Unauthorized
        );
        assert_eq!(
            check(Some(&basic("other:pw")), "user", "pw"),
            AuthResult::Unauthorized
        );
        assert_eq!(
            check(Some(&basic("user:pwx")), "user", "pw"),
            AuthResult::Unauthorized
        );
        assert_eq!(
            check(Some(&basic("user:")), "user", "pw"),
            AuthResult::Unauthorized
        );
    }

    #[test]
    fn password_may_contain_colons() {
        assert_eq!(check(Some(&basic("u:a:b")), "u", "a:b"), AuthResult::Ok);
        assert_eq!(
            check(Some(&basic("u:test:extra")), "u", "test"),
            AuthResult::Unauthorized
        );
    }

    #[test]
    fn sha_password() {
        let hex = Sha1::from("s3cret").digest().to_string();
        let stored = format!("{{SHA}}{hex}");
        assert_eq!(
            check(Some(&basic("iu:s3cret")), "iu", &stored),
            AuthResult::Ok
        );
        assert_eq!(
            check(Some(&basic("iu:wrong")), "iu", &stored),
            AuthResult::Unauthorized
        );
        // the hash itself is not the password
        assert_eq!(
            check(Some(&basic(&format!("iu:{hex}"))), "iu", &stored),
            AuthResult::Unauthorized
        );
        assert_eq!(
            check(Some(&basic(&format!("iu:{stored}"))), "iu", &stored),
            AuthResult::Unauthorized
        );
    }

    #[test]
    fn sha_of_known_password_matches_python() {
        // python3 -c 'import hashlib; print(hashlib.sha1(b"test").hexdigest())'
        let stored = "{SHA}a94a8fe5ccb19ba61c4c0873d391e987982fbbd3";
        assert_eq!(check(Some(&basic("u:test")), "u", stored), AuthResult::Ok);
    }

    #[test]
    fn sha_hex_compares_case_insensitively() {
        // DIVERGENCE(D5): the reference would refuse this upper-case stored digest.
        let stored = "{SHA}A94A8FE5CCB19BA61C4C0873D391E987982FBBD3";
        assert_eq!(check(Some(&basic("u:test")), "u", stored), AuthResult::Ok);
    }

    #[test]
    fn missing_or_unsupported_scheme_is_401() {
        assert_eq!(check(None, "u", "p"), AuthResult::Unauthorized);
        assert_eq!(check(Some("Basic"), "u", "p"), AuthResult::Unauthorized);
        assert_eq!(
            check(Some("Digest abc"), "u", "p"),
            AuthResult::Unauthorized
        );
        assert_eq!(check(Some(""), "u", "p"), AuthResult::Unauthorized);
    }

    #[test]
    fn scheme_is_case_insensitive_and_token_may_have_spaces() {
        let token = base64::encode("u:p");
        for header in [
            format!("basic {token}"),
            format!("BASIC {token}"),
            format!("Basic  {token}"),
        ] {
            assert_eq!(check(Some(&header), "u", "p"), AuthResult::Ok, "{header}");
        }
    }

    #[test]
    fn undecodable_token_is_400() {
        assert_eq!(check(Some("Basic abc"), "u", "p"), AuthResult::BadRequest);
        assert_eq!(check(Some("Basic a==="), "u", "p"), AuthResult::BadRequest);
        // valid base64 of bytes that are not UTF-8
        let not_utf8 = format!("Basic {}", base64::encode([0xff, 0xfe, b':', b'p']));
        assert_eq!(check(Some(&not_utf8), "u", "p"), AuthResult::BadRequest);
    }

    #[test]
    fn token_without_colon_is_401() {
        // DIVERGENCE(D5): the reference answers 500 here.
        assert_eq!(
            check(Some(&basic("utest")), "utest", ""),
            AuthResult::Unauthorized
        );
        assert_eq!(
            check(Some("Basic !!!!"), "u", "p"),
            AuthResult::Unauthorized
        );
    }

    #[test]
    fn non_alphabet_characters_are_skipped_like_python() {
        let token = base64::encode("u:p");
        let noisy = format!("Basic {}!{}", &token[..2], &token[2..]);
        assert_eq!(check(Some(&noisy), "u", "p"), AuthResult::Ok);
    }

    #[test]
    fn digest_eq_is_plain_equality() {
        assert!(digest_eq(b"", b""));
        assert!(digest_eq(b"abc", b"abc"));
        assert!(!digest_eq(b"abc", b"abd"));
        assert!(!digest_eq(b"abc", b"abcd"));
    }
}
