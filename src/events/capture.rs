//! Capture mode for one output channel: text between `<!--XSUPERVISOR:BEGIN-->` and
//! `<!--XSUPERVISOR:END-->` becomes a PROCESS_COMMUNICATION event (reference §6.4).
//!
//! A pure byte scanner. It splits output into what goes to the normal log and what was
//! captured, and must not write logs, strip ANSI escapes or build events: the caller does
//! (stripping both kinds of output when `strip_ansi` is on, as the reference does).
//! Captured bytes never appear in `Log` output; decisions Q4 (no PROCESS_LOG event for
//! captured text) then follows from the caller sending PROCESS_LOG for `Log` data only.
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use crate::events::payload::Channel;
use crate::pytext;

pub const BEGIN_TOKEN: &[u8] = b"<!--XSUPERVISOR:BEGIN-->";
pub const END_TOKEN: &[u8] = b"<!--XSUPERVISOR:END-->";

/// A piece of scanned output, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureOutput {
    /// Ordinary output: child log, activity-log copy, PROCESS_LOG event.
    Log(Vec<u8>),
    /// A complete captured block: the data of a `PROCESS_COMMUNICATION_<CHANNEL>` event.
    Comm(Vec<u8>),
}

/// DEBG text after a PROCESS_COMMUNICATION event was emitted.
pub fn comm_event_text(process: &str, channel: Channel) -> String {
    format!(
        "{} {} emitted a comm event",
        pytext::repr(process),
        channel.name()
    )
}

/// The scanner of one channel of one process run.
#[derive(Debug, Clone)]
pub struct Capture {
    /// `<channel>_capture_maxbytes`; 0 turns capture mode off (all output is `Log`).
    maxbytes: usize,
    capturing: bool,
    /// A possible partial token at the end of the output seen so far.
    pending: Vec<u8>,
    captured: Vec<u8>,
}

impl Capture {
    pub fn new(maxbytes: u64) -> Capture {
        Capture {
            maxbytes: usize::try_from(maxbytes).unwrap_or(usize::MAX),
            capturing: false,
            pending: Vec::new(),
            captured: Vec::new(),
        }
    }

    /// True between a begin token and its end token.
    pub fn is_capturing(&self) -> bool {
        self.capturing
    }

    /// Scans one read of output.
    // DIVERGENCE(Q5): the reference holds back all pending output while it is no longer
    // than the token searched for (so a short last line, or an end token arriving alone,
    // waits for more output); only a possible partial token is held back here.
    pub fn feed(&mut self, data: &[u8]) -> Vec<CaptureOutput> {
        let mut out = Vec::new();
        if self.maxbytes == 0 {
            if !data.is_empty() {
                out.push(CaptureOutput::Log(data.to_vec()));
            }
            return out;
        }
        let mut input = std::mem::take(&mut self.pending);
        input.extend_from_slice(data);
        let mut rest = input.as_slice();
        loop {
            let token = if self.capturing {
                END_TOKEN
            } else {
                BEGIN_TOKEN
            };
            match find(rest, token) {
                Some(at) => {
                    let (before, after) = rest.split_at(at);
                    self.take(before, &mut out);
                    self.toggle(&mut out);
                    rest = after.get(token.len()..).unwrap_or_default();
                }
                None => {
                    let (now, held) =
                        rest.split_at(rest.len().saturating_sub(partial_token_len(rest, token)));
                    self.take(now, &mut out);
                    self.pending = held.to_vec();
                    return out;
                }
            }
        }
    }

    /// The process exited: everything still held comes out as `Log`, including an
    /// unterminated capture (its begin token is not repeated). The scanner is then fresh.
    // DIVERGENCE(Q5): the reference loses held-back output at exit; nothing is lost here.
    pub fn finish(&mut self) -> Vec<CaptureOutput> {
        let mut rest = std::mem::take(&mut self.captured);
        rest.append(&mut self.pending);
        self.capturing = false;
        if rest.is_empty() {
            Vec::new()
        } else {
            vec![CaptureOutput::Log(rest)]
        }
    }

    fn take(&mut self, bytes: &[u8], out: &mut Vec<CaptureOutput>) {
        if bytes.is_empty() {
            return;
        }
        if !self.capturing {
            out.push(CaptureOutput::Log(bytes.to_vec()));
            return;
        }
        // The reference's bound (BoundIO): a write that would exceed maxbytes first drops
        // as many bytes as it writes from the front, so the buffer never grows beyond
        // max(maxbytes, largest write).
        if self.captured.len().saturating_add(bytes.len()) > self.maxbytes {
            let drop = bytes.len().min(self.captured.len());
            self.captured.drain(..drop);
        }
        self.captured.extend_from_slice(bytes);
    }

    fn toggle(&mut self, out: &mut Vec<CaptureOutput>) {
        if self.capturing {
            out.push(CaptureOutput::Comm(std::mem::take(&mut self.captured)));
        }
        self.capturing = !self.capturing;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The length of the longest proper prefix of `token` that `data` ends with
/// (medusa's `find_prefix_at_end`).
fn partial_token_len(data: &[u8], token: &[u8]) -> usize {
    (1..token.len())
        .rev()
        .find(|l| token.get(..*l).is_some_and(|p| data.ends_with(p)))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaptureOutput::{Comm, Log};

    fn log(s: &str) -> CaptureOutput {
        Log(s.as_bytes().to_vec())
    }

    fn comm(s: &str) -> CaptureOutput {
        Comm(s.as_bytes().to_vec())
    }

    const SAMPLE: &str =
        "before<!--XSUPERVISOR:BEGIN-->captured payload\nline2<!--XSUPERVISOR:END-->after\n";

    /// Joins adjacent `Log` pieces, since read boundaries may split them differently.
    fn merged(out: Vec<CaptureOutput>) -> Vec<CaptureOutput> {
        let mut res: Vec<CaptureOutput> = Vec::new();
        for o in out {
            match (res.last_mut(), o) {
                (Some(Log(prev)), Log(more)) => prev.extend(more),
                (_, o) => res.push(o),
            }
        }
        res
    }

    #[test]
    fn verified_sample_in_one_read() {
        let mut c = Capture::new(1024 * 1024);
        assert_eq!(
            c.feed(SAMPLE.as_bytes()),
            // The reference loses "after\n" (Q5); here it is logged.
            [
                log("before"),
                comm("captured payload\nline2"),
                log("after\n")
            ]
        );
        assert!(c.finish().is_empty());
    }

    #[test]
    fn any_split_gives_the_same_result() {
        let bytes = SAMPLE.as_bytes();
        for cut in 0..=bytes.len() {
            let mut c = Capture::new(100);
            let mut out = c.feed(&bytes[..cut]);
            out.extend(c.feed(&bytes[cut..]));
            out.extend(c.finish());
            assert_eq!(
                merged(out),
                [
                    log("before"),
                    comm("captured payload\nline2"),
                    log("after\n")
                ],
                "cut at {cut}"
            );
        }
        let mut c = Capture::new(100);
        let mut out: Vec<CaptureOutput> = bytes.iter().flat_map(|b| c.feed(&[*b])).collect();
        out.extend(c.finish());
        assert_eq!(
            merged(out),
            [
                log("before"),
                comm("captured payload\nline2"),
                log("after\n")
            ]
        );
    }

    #[test]
    fn partial_token_is_held_back_until_decided() {
        let mut c = Capture::new(100);
        assert_eq!(c.feed(b"abc<!--XSUP"), [log("abc")]);
        assert_eq!(c.feed(b"ERVISOR:BEGIN-->x"), []);
        assert!(c.is_capturing());
        assert_eq!(c.feed(b"<!--XSUPERVISOR:E"), []);
        assert_eq!(c.feed(b"ND-->"), [comm("x")]);
        assert!(!c.is_capturing());
        // A prefix that turns out to be ordinary text.
        assert_eq!(c.feed(b"<!--X"), []);
        assert_eq!(c.feed(b"yz"), [log("<!--Xyz")]);
    }

    #[test]
    fn short_output_is_not_held_back() {
        // DIVERGENCE(Q5): the reference keeps "short\n" (not longer than the begin
        // token) until more output arrives.
        let mut c = Capture::new(100);
        assert_eq!(c.feed(b"short\n"), [log("short\n")]);
        // An end token arriving alone completes the event at once.
        c.feed(BEGIN_TOKEN);
        c.feed(b"data");
        assert_eq!(c.feed(END_TOKEN), [comm("data")]);
    }

    #[test]
    fn finish_flushes_everything_held() {
        // DIVERGENCE(Q5): nothing is lost at exit.
        let mut c = Capture::new(100);
        assert_eq!(c.feed(b"tail<!--"), [log("tail")]);
        assert_eq!(c.finish(), [log("<!--")]);
        let mut c = Capture::new(100);
        c.feed(b"x<!--XSUPERVISOR:BEGIN-->unterminated<!--XSUP");
        assert_eq!(c.finish(), [log("unterminated<!--XSUP")]);
        assert!(!c.is_capturing());
        assert_eq!(c.feed(b"next run"), [log("next run")]);
    }

    #[test]
    fn several_blocks_and_empty_block_in_one_read() {
        let mut c = Capture::new(100);
        let data = b"a<!--XSUPERVISOR:BEGIN-->1<!--XSUPERVISOR:END-->b\
                     <!--XSUPERVISOR:BEGIN--><!--XSUPERVISOR:END-->c";
        assert_eq!(
            c.feed(data),
            [log("a"), comm("1"), log("b"), comm(""), log("c")]
        );
    }

    #[test]
    fn captured_text_never_reaches_log() {
        let mut c = Capture::new(100);
        let out = c.feed(b"<!--XSUPERVISOR:BEGIN-->secret\n<!--XSUPERVISOR:END-->");
        assert_eq!(out, [comm("secret\n")]);
        // An end token outside capture mode is ordinary text.
        assert_eq!(
            c.feed(b"<!--XSUPERVISOR:END-->\n"),
            [log("<!--XSUPERVISOR:END-->\n")]
        );
    }

    #[test]
    fn capture_buffer_drops_from_the_front_like_boundio() {
        // BoundIO(10): write 8 then 4 gives "5678abcd" (verified in the reference).
        let mut c = Capture::new(10);
        c.feed(b"<!--XSUPERVISOR:BEGIN-->12345678");
        c.feed(b"abcd");
        assert_eq!(c.feed(END_TOKEN), [comm("5678abcd")]);
        // One write larger than the bound is kept whole, as in the reference.
        c.feed(b"<!--XSUPERVISOR:BEGIN-->12345678901234");
        assert_eq!(c.feed(END_TOKEN), [comm("12345678901234")]);
    }

    #[test]
    fn maxbytes_zero_passes_everything_through() {
        let mut c = Capture::new(0);
        assert_eq!(
            c.feed(b"<!--XSUPERVISOR:BEGIN-->x<!--XSUP"),
            [log("<!--XSUPERVISOR:BEGIN-->x<!--XSUP")]
        );
        assert!(c.feed(b"").is_empty());
        assert!(c.finish().is_empty());
    }

    #[test]
    fn comm_event_text_is_repr_quoted() {
        assert_eq!(
            comm_event_text("comm", Channel::Stdout),
            "'comm' stdout emitted a comm event"
        );
    }
}
