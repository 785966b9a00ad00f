//! A connection's queued output: bytes appended at the end, written from the front.
//!
//! What was written is only cut off the front once it is at least half the buffer, so a
//! 12 MB answer written to a slow reader in 200 kB pieces costs a linear number of byte moves
//! (cutting after every partial write moved the rest each time: quadratic).

/// Capacity an empty buffer keeps for the next answer; a larger one (after a large answer)
/// is given back rather than held per connection.
const KEEP: usize = 256 * 1024;

/// Output not yet written to the socket.
#[derive(Debug, Default)]
pub struct OutBuf {
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already written.
    sent: usize,
}

impl OutBuf {
    /// The bytes still to write.
    pub fn unsent(&self) -> &[u8] {
        self.buf.get(self.sent..).unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.buf.len().saturating_sub(self.sent)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Queues `bytes`, taking the vector as it is when nothing is pending.
    pub fn push(&mut self, bytes: Vec<u8>) {
        if self.is_empty() {
            self.buf = bytes;
            self.sent = 0;
        } else {
            self.buf.extend_from_slice(&bytes);
        }
    }

    /// Queues `bytes[start..]`, taking the vector as it is when nothing is pending.
    pub fn push_from(&mut self, bytes: Vec<u8>, start: usize) {
        if self.is_empty() {
            self.sent = start.min(bytes.len());
            self.buf = bytes;
        } else {
            self.buf
                .extend_from_slice(bytes.get(start..).unwrap_or_default());
        }
    }

    /// Marks `n` more bytes as written.
    pub fn consume(&mut self, n: usize) {
        self.sent = self.sent.saturating_add(n).min(self.buf.len());
        if self.sent == self.buf.len() {
            if self.buf.capacity() > KEEP {
                self.buf = Vec::new();
            } else {
                self.buf.clear();
            }
            self.sent = 0;
        } else if self.sent >= self.buf.len() / 2 {
            self.buf.drain(..self.sent);
            self.sent = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_from_the_front_in_order() {
        let mut out = OutBuf::default();
        assert!(out.is_empty());
        out.push(b"abcdef".to_vec());
        out.consume(2);
        assert_eq!(out.unsent(), b"cdef");
        out.push(b"gh".to_vec());
        assert_eq!((out.unsent(), out.len()), (&b"cdefgh"[..], 6));
        out.consume(5);
        assert_eq!(out.unsent(), b"h");
        out.consume(10);
        assert!(out.is_empty());
        out.push(b"ij".to_vec());
        assert_eq!(out.unsent(), b"ij");
    }

    #[test]
    fn a_buffer_is_taken_from_an_offset() {
        let mut out = OutBuf::default();
        out.push_from(b"    head body".to_vec(), 4);
        assert_eq!(out.unsent(), b"head body");
        out.push_from(b"xx more".to_vec(), 2);
        assert_eq!(out.unsent(), b"head body more");
        out.consume(14);
        assert!(out.is_empty());
        out.push_from(b"ab".to_vec(), 9);
        assert!(out.is_empty());
    }

    #[test]
    fn many_small_writes_of_a_big_answer_stay_linear() {
        let mut out = OutBuf::default();
        out.push(vec![7; 1 << 20]);
        let mut seen = 0;
        while !out.is_empty() {
            let n = out.unsent().len().min(1000);
            seen += n;
            out.consume(n);
            // the written part never exceeds half the buffer
            assert!(out.sent <= out.buf.len() / 2 + 1000);
        }
        assert_eq!(seen, 1 << 20);
    }
}
