//! What one XML-RPC call body may cost to parse (D9), checked before parsing.
//!
//! Parsing time grows with the number of elements far more than with the text, so the
//! body size alone cannot bound it: a 1 MiB string parses at once, 1 MiB of `<int>`
//! elements holds the loop for a long time. Counting `<` is a pass over the bytes.

/// Most `<` in one call body: a `system.multicall` of the most calls it takes
/// ([`super::pending::MAX_MULTICALL_CALLS`], 26 tags each as Python's client writes them
/// with one string parameter) and change.
pub const MAX_MARKUP: usize = 32 * 1024;

/// The number of `<` in `body`, or `Err` with it once it is over [`MAX_MARKUP`].
///
/// # Errors
/// The count so far, past the limit.
pub fn check_markup(body: &[u8]) -> Result<usize, usize> {
    let n = body.iter().filter(|b| **b == b'<').count();
    if n > MAX_MARKUP {
        Err(n)
    } else {
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_tags_not_text() {
        assert_eq!(check_markup(b"<a>text</a>"), Ok(2));
        let text = format!("<s>{}</s>", "x".repeat(1 << 20));
        assert_eq!(check_markup(text.as_bytes()), Ok(2));
        let ints = "<value><int>1</int></value>".repeat(MAX_MARKUP / 4 + 1);
        assert_eq!(check_markup(ints.as_bytes()), Err(MAX_MARKUP + 4));
    }
}
