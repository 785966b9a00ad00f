//! ANSI escape stripping for `strip_ansi=true` (reference §7.2).
//!
//! Pure bytes in, bytes out; applied by the caller to child logs, activity-log copies and
//! PROCESS_LOG data. It must not decide when stripping applies.

use std::borrow::Cow;

const ESCAPE_BEGIN: &[u8] = b"\x1b[";
const TERMINATORS: &[u8] = b"HfABCDRsuJKhlpm";

/// Removes every `ESC [` sequence up to and including the first byte of
/// `HfABCDRsuJKhlpm` (an unterminated one runs to the end of `data`). Anything else,
/// including other escapes such as `ESC ]`, is kept. Borrows when there is nothing to strip.
pub fn strip_ansi(data: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = find_escape(data) else {
        return Cow::Borrowed(data);
    };
    let mut out = Vec::with_capacity(data.len());
    let mut rest = data;
    let mut at = Some(first);
    while let Some(start) = at {
        out.extend_from_slice(rest.get(..start).unwrap_or_default());
        // Skip `ESC [` itself, then through the terminator.
        let body = rest.get(start + ESCAPE_BEGIN.len()..).unwrap_or_default();
        rest = match body.iter().position(|b| TERMINATORS.contains(b)) {
            Some(end) => body.get(end + 1..).unwrap_or_default(),
            None => &[],
        };
        at = find_escape(rest);
    }
    out.extend_from_slice(rest);
    Cow::Owned(out)
}

fn find_escape(data: &[u8]) -> Option<usize> {
    data.windows(ESCAPE_BEGIN.len())
        .position(|w| w == ESCAPE_BEGIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &[u8], want: &[u8]) {
        assert_eq!(
            &*strip_ansi(input),
            want,
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }

    #[test]
    fn same_results_as_the_reference() {
        // Expected values produced by supervisor.dispatchers.stripEscapes.
        check(b"\x1b[31mred\x1b[0m-plain\n", b"red-plain\n");
        check(b"a\x1b[1;2", b"a");
        check(b"a\x1b]0;x\x07b", b"a\x1b]0;x\x07b");
        check(b"\x1b[[m", b"");
        check(b"x\x1bq\x1b[Hy", b"x\x1bqy");
        check(b"\x1b[31;1mA\x1b[K", b"A");
    }

    #[test]
    fn every_terminator_ends_a_sequence() {
        for t in TERMINATORS {
            let input = [b'<', 0x1b, b'[', b'1', *t, b'>'];
            check(&input, b"<>");
        }
        // A sequence ignores a second ESC [ inside it.
        check(b"a\x1b[1\x1b[2mb", b"ab");
        // The byte right after ESC [ may itself terminate.
        check(b"a\x1b[mb", b"ab");
    }

    #[test]
    fn borrows_without_escape() {
        assert!(matches!(strip_ansi(b"plain \x1b text"), Cow::Borrowed(_)));
        assert!(matches!(strip_ansi(b""), Cow::Borrowed(_)));
        assert!(matches!(strip_ansi(b"\x1b[0m"), Cow::Owned(_)));
    }
}
