//! Request-target helpers: splitting a target into path and query, percent-decoding, query-string
//! parsing and percent-encoding, with the semantics of Python's `urllib.parse` that Supervisor
//! (medusa and `web.py`) relies on.
//!
//! Pure string functions; no routing decisions are made here.

/// Splits a request-target into its path and its query (without the `?`).
///
/// Like medusa's `split_uri`, `;params` and `#fragment` are not part of the path, and the query
/// stops at `#`. An absolute-form target (`http://host/path`) is reduced to its path.
pub fn split_target(target: &str) -> (&str, Option<&str>) {
    let target = strip_scheme_and_authority(target);
    let (before_fragment, _) = target.split_once('#').unwrap_or((target, ""));
    let (path, query) = match before_fragment.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (before_fragment, None),
    };
    let path = path.split_once(';').map_or(path, |(path, _)| path);
    (path, query)
}

fn strip_scheme_and_authority(target: &str) -> &str {
    for scheme in ["http://", "https://"] {
        let rest = target
            .get(..scheme.len())
            .filter(|head| head.eq_ignore_ascii_case(scheme))
            .and_then(|_| target.get(scheme.len()..));
        if let Some(rest) = rest {
            return rest
                .find('/')
                .and_then(|slash| rest.get(slash..))
                .unwrap_or("/");
        }
    }
    target
}

/// Percent-decodes `s` like Python's `urllib.parse.unquote`.
///
/// `%XX` escapes become bytes; malformed escapes stay as they are; the bytes are read as UTF-8
/// with invalid sequences replaced by U+FFFD (Python's `errors='replace'`). `+` is kept.
pub fn unquote(s: &str) -> String {
    String::from_utf8_lossy(&percent_decode(s.as_bytes())).into_owned()
}

/// Like [`unquote`], but `+` means a space first (`urllib.parse.unquote_plus`, used for query
/// strings and form bodies).
pub fn unquote_plus(s: &str) -> String {
    let spaced: Vec<u8> = s
        .bytes()
        .map(|b| if b == b'+' { b' ' } else { b })
        .collect();
    String::from_utf8_lossy(&percent_decode(&spaced)).into_owned()
}

fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex_value);
            let lo = bytes.get(i + 2).copied().and_then(hex_value);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Parses a query string or an `application/x-www-form-urlencoded` body into decoded
/// `(name, value)` pairs, in order, as Python's `urllib.parse.parse_qsl(qs)` does.
///
/// # Compatibility
///
/// Pieces are separated by `&`; a piece without `=` and a piece with an empty value are
/// dropped (`keep_blank_values=False`); names and values are decoded with [`unquote_plus`].
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter_map(|piece| piece.split_once('='))
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| (unquote_plus(name), unquote_plus(value)))
        .collect()
}

/// The first value of `name` in `query` (Supervisor's web UI "ignores dupes" by keeping the
/// first one), decoded; `None` when absent or empty.
pub fn query_value(query: &str, name: &str) -> Option<String> {
    parse_query(query)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, value)| value)
}

/// Percent-encodes `s` like Python's `urllib.parse.quote(s)` (safe characters: ASCII letters,
/// digits, `_.-~` and `/`), as the web UI does for `Location:` messages and process links.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push('%');
            for nibble in [b >> 4, b & 0x0f] {
                out.push(
                    char::from_digit(u32::from(nibble), 16).map_or('?', |c| c.to_ascii_uppercase()),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // -- split_target ------------------------------------------------------------------------

    #[test]
    fn split_target_path_only() {
        assert_eq!(split_target("/RPC2"), ("/RPC2", None));
        assert_eq!(split_target("/"), ("/", None));
        assert_eq!(split_target(""), ("", None));
    }

    #[test]
    fn split_target_with_query_fragment_and_params() {
        assert_eq!(
            split_target("/index.html?processname=x&action=y"),
            ("/index.html", Some("processname=x&action=y"))
        );
        assert_eq!(split_target("/a?b#c"), ("/a", Some("b")));
        assert_eq!(split_target("/a#c?d"), ("/a", None));
        assert_eq!(split_target("/a;p?q"), ("/a", Some("q")));
        assert_eq!(split_target("/a?"), ("/a", Some("")));
    }

    #[test]
    fn split_target_absolute_form() {
        assert_eq!(split_target("http://host:9001/RPC2"), ("/RPC2", None));
        assert_eq!(split_target("HTTP://host/x?y=1"), ("/x", Some("y=1")));
        assert_eq!(split_target("http://host"), ("/", None));
    }

    // -- unquote -----------------------------------------------------------------------------

    #[test]
    fn unquote_decodes_escapes() {
        assert_eq!(
            unquote("/logtail/grp%3Aname/stderr"),
            "/logtail/grp:name/stderr"
        );
        assert_eq!(unquote("a%20b+c"), "a b+c");
        assert_eq!(unquote("%e2%82%ac"), "€");
    }

    #[test]
    fn unquote_keeps_malformed_escapes() {
        assert_eq!(unquote("100%"), "100%");
        assert_eq!(unquote("%zz%4"), "%zz%4");
        assert_eq!(unquote("%%41"), "%A");
    }

    #[test]
    fn unquote_replaces_invalid_utf8() {
        assert_eq!(unquote("a%ffb"), "a\u{fffd}b");
    }

    #[test]
    fn unquote_plus_turns_plus_into_space() {
        assert_eq!(unquote_plus("a+b%2Bc"), "a b+c");
    }

    // -- parse_query -------------------------------------------------------------------------

    #[test]
    fn parse_query_pairs_in_order() {
        assert_eq!(
            parse_query("processname=grp%3Ax&action=stop"),
            vec![
                ("processname".to_string(), "grp:x".to_string()),
                ("action".to_string(), "stop".to_string())
            ]
        );
    }

    #[test]
    fn parse_query_drops_blank_and_valueless_pieces() {
        assert_eq!(
            parse_query("a=&b&&c=1=2&d=x+y"),
            vec![
                ("c".to_string(), "1=2".to_string()),
                ("d".to_string(), "x y".to_string())
            ]
        );
        assert!(parse_query("").is_empty());
    }

    #[test]
    fn query_value_first_wins() {
        assert_eq!(query_value("a=1&a=2", "a").as_deref(), Some("1"));
        assert_eq!(query_value("a=1", "b"), None);
        assert_eq!(
            query_value("message=Process%20x%20started", "message").as_deref(),
            Some("Process x started")
        );
    }

    // -- quote -------------------------------------------------------------------------------

    #[test]
    fn quote_matches_python() {
        // python3 -c 'import urllib.parse as u; print(u.quote("Page refreshed at Sun Nov 22 04:27:48 2026"))'
        assert_eq!(
            quote("Page refreshed at Sun Nov 22 04:27:48 2026"),
            "Page%20refreshed%20at%20Sun%20Nov%2022%2004%3A27%3A48%202026"
        );
        assert_eq!(quote("grp:name/x_y.z-~"), "grp%3Aname/x_y.z-~");
        assert_eq!(quote("é&+?#%"), "%C3%A9%26%2B%3F%23%25");
    }

    #[test]
    fn quote_then_unquote_round_trips() {
        for s in ["", "a b", "grp:*", "€/x?y=z&w", "100%"] {
            assert_eq!(unquote(&quote(s)), s);
        }
    }
}
