//! Offset arithmetic of `read*Log` (`readFile`) and `tail*Log` (`tailFile`), and the
//! decoding of the bytes they return (reference §5.5).
//!
//! Pure: the caller stats the file, asks which byte range to read, reads it and decodes.
//! It must not open files or build XML-RPC faults.
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use std::fmt;

/// The `BAD_ARGUMENTS` fault of `read*Log`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadArguments;

impl fmt::Display for BadArguments {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BAD_ARGUMENTS")
    }
}

impl std::error::Error for BadArguments {}

/// `read*Log(offset, length)` on a file of `size` bytes: the byte range `(start, len)` to
/// read (`len` may be 0: an offset past the end reads nothing).
///
/// | offset | length | range |
/// |---|---|---|
/// | ≥ 0 | 0 | offset to the end |
/// | ≥ 0 | > 0 | up to `length` bytes from offset |
/// | < 0 | 0 | the last `|offset|` bytes (the whole file if smaller) |
/// | ≥ 0 | < 0 | BAD_ARGUMENTS |
/// | < 0 | ≠ 0 | BAD_ARGUMENTS |
///
/// # Errors
/// [`BadArguments`] for the two rejected rows.
pub fn read_range(size: u64, offset: i64, length: i64) -> Result<(u64, u64), BadArguments> {
    if offset < 0 {
        if length != 0 {
            return Err(BadArguments);
        }
        let back = offset.unsigned_abs();
        let start = size.saturating_sub(back);
        return Ok((start, back.min(size.saturating_sub(start))));
    }
    if length < 0 {
        return Err(BadArguments);
    }
    let start = offset.unsigned_abs();
    let available = size.saturating_sub(start);
    let len = if length == 0 {
        available
    } else {
        available.min(length.unsigned_abs())
    };
    Ok((start, len))
}

/// `tail*Log(offset, length)` on a file of `size` bytes: `(start, len, overflow)`; the
/// call then returns `[data, size, overflow]`.
///
/// Kept exactly as the reference computes it (decisions Q8): unless `offset ≥ size`
/// (nothing new) the range is the last `min(length, size)` bytes whatever the offset,
/// except when `offset + length == size`; `overflow` is `size > offset + length`.
pub fn tail_range(size: u64, offset: i64, length: i64) -> (u64, u64, bool) {
    // i128: offsets and lengths are client input; sums and differences of two 64-bit values
    // never reach the saturation bounds, which only keep the lint's proof local.
    let sz = i128::from(size);
    let mut offset = i128::from(offset);
    let mut length = i128::from(length);
    let overflow = sz > offset.saturating_add(length);
    if overflow {
        offset = sz.saturating_sub(1);
    }
    if offset.saturating_add(length) > sz {
        if offset > sz.saturating_sub(1) {
            length = 0;
        }
        offset = sz.saturating_sub(length);
    }
    let start = offset.clamp(0, sz);
    let len = length.clamp(0, sz.saturating_sub(start));
    // Both are within 0..=size, so they fit in u64.
    let to_u64 = |v: i128| u64::try_from(v).unwrap_or(0);
    (to_u64(start), to_u64(len), overflow)
}

/// Log bytes as XML-RPC text.
// DIVERGENCE(Q7): the reference decodes strictly and answers HTTP 500 on invalid UTF-8 or
// a slice that cuts a character; every invalid or cut sequence becomes U+FFFD instead.
pub fn decode_lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 17-byte log of the reference's observations.
    const LOG: &[u8] = "hello cat\nhéllo\n".as_bytes();

    fn read(offset: i64, length: i64) -> Result<&'static [u8], BadArguments> {
        let (start, len) = read_range(LOG.len() as u64, offset, length)?;
        let start = usize::try_from(start).unwrap().min(LOG.len());
        Ok(&LOG[start..start + usize::try_from(len).unwrap()])
    }

    fn tail(offset: i64, length: i64) -> (&'static [u8], bool) {
        let (start, len, overflow) = tail_range(LOG.len() as u64, offset, length);
        let start = usize::try_from(start).unwrap();
        (&LOG[start..start + usize::try_from(len).unwrap()], overflow)
    }

    #[test]
    fn read_observed_cases() {
        assert_eq!(LOG.len(), 17);
        assert_eq!(read(0, 0), Ok(LOG));
        assert_eq!(read(0, 3), Ok(&b"hel"[..]));
        assert_eq!(read(2, 3), Ok(&b"llo"[..]));
        assert_eq!(read(-4, 0), Ok(&b"llo\n"[..]));
        assert_eq!(read(-4, 2), Err(BadArguments));
        assert_eq!(read(0, -2), Err(BadArguments));
        assert_eq!(read(1000, 10), Ok(&b""[..]));
        assert_eq!(read(-1000, 0), Ok(LOG));
        assert_eq!(read(5, 0), Ok(&LOG[5..]));
        assert_eq!(read(10, 1000), Ok(&LOG[10..]));
        assert_eq!(BadArguments.to_string(), "BAD_ARGUMENTS");
    }

    #[test]
    fn read_conformance_cases() {
        // 10 lines "L0\n".."L9\n" = 30 bytes.
        let size = 30;
        assert_eq!(read_range(size, 3, 6), Ok((3, 6)));
        assert_eq!(read_range(size, -6, 0), Ok((24, 6)));
        assert_eq!(read_range(size, 100, 0), Ok((100, 0)));
        assert_eq!(read_range(size, -6, 2), Err(BadArguments));
        assert_eq!(read_range(size, 0, -1), Err(BadArguments));
    }

    #[test]
    fn read_extremes_do_not_overflow() {
        let big = 3 * 1024 * 1024 * 1024 + 2;
        assert_eq!(read_range(big, -2, 0), Ok((big - 2, 2)));
        assert_eq!(read_range(big, i64::MIN, 0), Ok((0, big)));
        assert_eq!(
            read_range(big, i64::MAX, i64::MAX),
            Ok((i64::MAX as u64, 0))
        );
        assert_eq!(read_range(0, -5, 0), Ok((0, 0)));
    }

    #[test]
    fn tail_observed_cases() {
        assert_eq!(tail(0, 100), (LOG, false));
        assert_eq!(tail(5, 100), (LOG, false));
        assert_eq!(tail(100, 100), (&b""[..], false));
        assert_eq!(tail(-5, 3), (&b"lo\n"[..], true));
        // Slices that cut "é" are the caller's to decode (Q7).
        assert_eq!(tail(0, 5), (&LOG[12..], true));
    }

    #[test]
    fn tail_conformance_cases() {
        assert_eq!(tail_range(30, 0, 6), (24, 6, true));
        assert_eq!(tail_range(30, 30, 10), (30, 0, false));
        assert_eq!(tail_range(30, 24, 100), (0, 30, false));
        assert_eq!(tail_range(7, 0, 3), (4, 3, true));
        assert_eq!(tail_range(6, 0, 1000), (0, 6, false));
        assert_eq!(tail_range(13, 6, 1000), (0, 13, false));
        // NONE log: the caller answers ['', 0, False] without a file.
        assert_eq!(tail_range(0, 0, 100), (0, 0, false));
    }

    #[test]
    fn tail_quirks_kept() {
        // offset + length == size exactly: the range starts at offset.
        assert_eq!(tail_range(17, 7, 10), (7, 10, false));
        // Negative length: nothing, but overflow is reported.
        assert_eq!(tail_range(17, 0, -5), (16, 0, true));
        assert_eq!(tail_range(17, 17, 0), (17, 0, false));
    }

    #[test]
    fn tail_past_2gib() {
        let size = 3 * 1024 * 1024 * 1024 + 2;
        assert_eq!(tail_range(size, 0, 2), (size - 2, 2, true));
        assert_eq!(tail_range(size, i64::MAX, i64::MAX), (size, 0, false));
        assert_eq!(tail_range(size, i64::MIN, i64::MIN), (size - 1, 0, true));
    }

    #[test]
    fn decode_replaces_invalid_and_cut_sequences() {
        let log = b"bad:\xff:end\ncaf\xc3\xa9";
        assert_eq!(decode_lossy(log), "bad:\u{fffd}:end\ncaf\u{e9}");
        assert_eq!(decode_lossy(&log[..14]), "bad:\u{fffd}:end\ncaf\u{fffd}");
        assert_eq!(decode_lossy(&log[5..10]), ":end\n");
        assert_eq!(decode_lossy(b"\xa9tail"), "\u{fffd}tail");
    }
}
