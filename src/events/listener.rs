//! The event-listener protocol over a listener's stdout bytes (reference §6.3).
//!
//! A pure state machine: ACKNOWLEDGED → `READY\n` → READY → (envelope written) → BUSY →
//! `RESULT <n>\n` + n bytes → ACKNOWLEDGED, UNKNOWN on any violation until respawn. It holds
//! the event in flight so a rejection or a death while BUSY hands it back for rebuffering.
//! It must not read pipes, write envelopes or log: log lines are returned in order.
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use crate::logging::level::Level;
use crate::pytext;
use crate::states::ListenerState;

const READY_TOKEN: &[u8] = b"READY\n";
/// `RESULT ` is skipped, not checked, as the reference does.
const RESULT_PREFIX_LEN: usize = 7;
/// A real result line is about 10 bytes. Past this without a newline the listener is
/// broken: a bad result line (D5: bad input must not grow memory without bound; the
/// reference buffers forever).
const MAX_RESULT_LINE: usize = 1024;

/// What a chunk of listener output means, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenerOutput<E> {
    /// A line for the activity log.
    Log(Level, String),
    /// ACKNOWLEDGED → READY: the listener may be sent an event.
    Ready,
    /// The event in flight is done: `accepted` by the default handler (body `OK`), or
    /// rejected (any other body, or a bad result line) and to be rebuffered.
    Result { accepted: bool, event: E },
}

#[derive(Debug)]
enum Phase<E> {
    Acknowledged,
    Ready,
    /// `body` is `None` until the result line has been read.
    Busy {
        event: E,
        body: Option<Body>,
    },
    Unknown,
}

impl<E> Phase<E> {
    fn state(&self) -> ListenerState {
        match self {
            Phase::Acknowledged => ListenerState::Acknowledged,
            Phase::Ready => ListenerState::Ready,
            Phase::Busy { .. } => ListenerState::Busy,
            Phase::Unknown => ListenerState::Unknown,
        }
    }
}

/// The result body being read: only whether it is exactly `OK` matters, so at most two
/// bytes are kept however long the announced body is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Body {
    len: usize,
    seen: usize,
    head: Vec<u8>,
}

impl Body {
    fn accepted(&self) -> bool {
        self.len == 2 && self.head == b"OK"
    }
}

/// The protocol state of one listener process; `E` is the caller's in-flight event.
#[derive(Debug)]
pub struct ListenerProtocol<E> {
    name: String,
    phase: Phase<E>,
    buffer: Vec<u8>,
}

impl<E> ListenerProtocol<E> {
    /// A freshly spawned listener `name` (the process name used in log lines).
    pub fn new(name: &str) -> ListenerProtocol<E> {
        ListenerProtocol {
            name: name.to_string(),
            phase: Phase::Acknowledged,
            buffer: Vec::new(),
        }
    }

    pub fn state(&self) -> ListenerState {
        self.phase.state()
    }

    /// An envelope carrying `event` was written: READY → BUSY (the reference logs no
    /// transition line here). Gives the event back if the listener was not READY.
    pub fn event_sent(&mut self, event: E) -> Result<(), E> {
        match self.phase {
            Phase::Ready => {
                self.phase = Phase::Busy { event, body: None };
                Ok(())
            }
            _ => Err(event),
        }
    }

    /// The process exited or was respawned: back to ACKNOWLEDGED with nothing buffered.
    /// Returns the event in flight if it died while BUSY: it counts as rejected.
    pub fn reset(&mut self) -> Option<E> {
        self.buffer.clear();
        match std::mem::replace(&mut self.phase, Phase::Acknowledged) {
            Phase::Busy { event, .. } => Some(event),
            _ => None,
        }
    }

    /// Processes bytes read from the listener's stdout; chunks may split or join messages
    /// anywhere (`RESULT 2\nOKREADY\n` in one read is a result then READY).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<ListenerOutput<E>> {
        let mut out = Vec::new();
        self.buffer.extend_from_slice(bytes);
        while self.step(&mut out) {}
        out
    }

    /// One decision on the buffered bytes; false when more input is needed.
    fn step(&mut self, out: &mut Vec<ListenerOutput<E>>) -> bool {
        match &mut self.phase {
            Phase::Unknown => {
                self.buffer.clear();
                false
            }
            Phase::Acknowledged => {
                if self.buffer.len() < READY_TOKEN.len() {
                    return false;
                }
                if self.buffer.starts_with(READY_TOKEN) {
                    self.buffer.drain(..READY_TOKEN.len());
                    self.change(Phase::Ready, out);
                    out.push(ListenerOutput::Ready);
                    true
                } else {
                    self.buffer.clear();
                    self.change(Phase::Unknown, out);
                    false
                }
            }
            Phase::Ready => {
                if self.buffer.is_empty() {
                    return false;
                }
                // Strict: a READY listener has nothing to say.
                self.buffer.clear();
                self.change(Phase::Unknown, out);
                false
            }
            Phase::Busy {
                body: slot @ None, ..
            } => {
                let line = match self.buffer.iter().position(|b| *b == b'\n') {
                    Some(pos) => {
                        let mut line: Vec<u8> = self.buffer.drain(..=pos).collect();
                        line.pop();
                        line
                    }
                    None if self.buffer.len() > MAX_RESULT_LINE => std::mem::take(&mut self.buffer),
                    None => return false,
                };
                match result_len(&line) {
                    Some(len) => {
                        *slot = Some(Body {
                            len,
                            seen: 0,
                            head: Vec::new(),
                        });
                        true
                    }
                    None => {
                        out.push(ListenerOutput::Log(
                            Level::Warn,
                            format!(
                                "{}: bad result line: '{}'",
                                self.name,
                                String::from_utf8_lossy(&line)
                            ),
                        ));
                        self.buffer.clear();
                        if let Phase::Busy { event, .. } = self.change(Phase::Unknown, out) {
                            out.push(ListenerOutput::Result {
                                accepted: false,
                                event,
                            });
                        }
                        false
                    }
                }
            }
            Phase::Busy {
                body: Some(body), ..
            } => {
                let take = body.len.saturating_sub(body.seen).min(self.buffer.len());
                let room = 2usize.saturating_sub(body.head.len()).min(take);
                body.head.extend(self.buffer.iter().take(room));
                body.seen = body.seen.saturating_add(take);
                self.buffer.drain(..take);
                // DIVERGENCE(new, no Q number yet): `RESULT 0\n` completes at once; the
                // reference only notices an empty body when more output arrives.
                if body.seen < body.len {
                    return false;
                }
                let accepted = body.accepted();
                let (level, verb) = if accepted {
                    (Level::Debug, "processed")
                } else {
                    (Level::Warn, "rejected")
                };
                out.push(ListenerOutput::Log(
                    level,
                    format!("{}: event was {verb}", self.name),
                ));
                if let Phase::Busy { event, .. } = self.change(Phase::Acknowledged, out) {
                    out.push(ListenerOutput::Result { accepted, event });
                }
                true
            }
        }
    }

    /// Moves to `new`, logging the transition as the reference does; returns the old phase.
    fn change(&mut self, new: Phase<E>, out: &mut Vec<ListenerOutput<E>>) -> Phase<E> {
        let (from, to) = (self.phase.state(), new.state());
        out.push(ListenerOutput::Log(
            Level::Debug,
            format!("{}: {} -> {}", self.name, from.name(), to.name()),
        ));
        if to == ListenerState::Unknown {
            out.push(ListenerOutput::Log(
                Level::Warn,
                format!(
                    "{}: has entered the UNKNOWN state and will no longer receive events, \
                     this usually indicates the process violated the eventlistener protocol",
                    self.name
                ),
            ));
        }
        std::mem::replace(&mut self.phase, new)
    }
}

/// The body length announced by a result line: Python `int()` of what follows the first
/// seven bytes.
// DIVERGENCE(new, no Q number yet): a negative length is a bad result line; the reference
// accepts it and then recurses until Python's recursion limit kills the dispatcher.
fn result_len(line: &[u8]) -> Option<usize> {
    let digits = std::str::from_utf8(line.get(RESULT_PREFIX_LEN..)?).ok()?;
    usize::try_from(pytext::parse_int(digits)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ListenerOutput::{Log, Ready, Result as Res};

    type Out = ListenerOutput<u32>;

    fn debug(s: &str) -> Out {
        Log(Level::Debug, s.to_string())
    }

    fn warn(s: &str) -> Out {
        Log(Level::Warn, s.to_string())
    }

    const UNKNOWN_WARN: &str = "lis: has entered the UNKNOWN state and will no longer receive \
        events, this usually indicates the process violated the eventlistener protocol";

    fn ready() -> ListenerProtocol<u32> {
        let mut l = ListenerProtocol::new("lis");
        assert_eq!(l.feed(b"READY\n").len(), 2);
        l
    }

    fn busy(event: u32) -> ListenerProtocol<u32> {
        let mut l = ready();
        assert_eq!(l.event_sent(event), Ok(()));
        l
    }

    #[test]
    fn acknowledged_to_ready() {
        let mut l = ListenerProtocol::<u32>::new("lis");
        assert_eq!(l.state(), ListenerState::Acknowledged);
        assert_eq!(
            l.feed(b"READY\n"),
            [debug("lis: ACKNOWLEDGED -> READY"), Ready]
        );
        assert_eq!(l.state(), ListenerState::Ready);
    }

    #[test]
    fn ready_token_split_across_reads() {
        let mut l = ListenerProtocol::<u32>::new("lis");
        assert!(l.feed(b"REA").is_empty());
        assert!(l.feed(b"DY").is_empty());
        assert_eq!(l.feed(b"\n"), [debug("lis: ACKNOWLEDGED -> READY"), Ready]);
    }

    #[test]
    fn acknowledged_garbage_waits_for_six_bytes_then_unknown() {
        let mut l = ListenerProtocol::<u32>::new("lis");
        assert!(l.feed(b"hello").is_empty());
        assert_eq!(l.state(), ListenerState::Acknowledged);
        assert_eq!(
            l.feed(b"!READY\n"),
            [debug("lis: ACKNOWLEDGED -> UNKNOWN"), warn(UNKNOWN_WARN)]
        );
        assert_eq!(l.state(), ListenerState::Unknown);
        // Terminal until reset: everything is ignored.
        assert!(l.feed(b"READY\n").is_empty());
        assert_eq!(l.event_sent(1), Err(1));
        assert_eq!(l.reset(), None);
        assert_eq!(l.state(), ListenerState::Acknowledged);
        assert_eq!(l.feed(b"READY\n").len(), 2);
    }

    #[test]
    fn output_while_ready_is_a_violation() {
        let mut l = ready();
        assert_eq!(
            l.feed(b"x"),
            [debug("lis: READY -> UNKNOWN"), warn(UNKNOWN_WARN)]
        );
        let mut l = ListenerProtocol::<u32>::new("lis");
        assert_eq!(
            l.feed(b"READY\nREADY\n"),
            [
                debug("lis: ACKNOWLEDGED -> READY"),
                Ready,
                debug("lis: READY -> UNKNOWN"),
                warn(UNKNOWN_WARN)
            ]
        );
    }

    #[test]
    fn event_sent_only_when_ready() {
        let mut l = ListenerProtocol::new("lis");
        assert_eq!(l.event_sent(7), Err(7));
        l.feed(b"READY\n");
        assert_eq!(l.event_sent(7), Ok(()));
        assert_eq!(l.state(), ListenerState::Busy);
        assert_eq!(l.event_sent(8), Err(8));
    }

    #[test]
    fn ok_result_then_ready_in_one_read() {
        let mut l = busy(7);
        assert_eq!(
            l.feed(b"RESULT 2\nOKREADY\n"),
            [
                debug("lis: event was processed"),
                debug("lis: BUSY -> ACKNOWLEDGED"),
                Res {
                    accepted: true,
                    event: 7
                },
                debug("lis: ACKNOWLEDGED -> READY"),
                Ready,
            ]
        );
        assert_eq!(l.state(), ListenerState::Ready);
    }

    #[test]
    fn fail_result_is_a_rejection() {
        let mut l = busy(7);
        assert_eq!(
            l.feed(b"RESULT 4\nFAIL"),
            [
                warn("lis: event was rejected"),
                debug("lis: BUSY -> ACKNOWLEDGED"),
                Res {
                    accepted: false,
                    event: 7
                },
            ]
        );
        assert_eq!(l.state(), ListenerState::Acknowledged);
    }

    #[test]
    fn any_body_but_ok_rejects() {
        for body in [
            &b"RESULT 3\nOKK"[..],
            b"RESULT 2\nok",
            b"RESULT 1\nO",
            b"RESULT 0\n",
        ] {
            let mut l = busy(1);
            let out = l.feed(body);
            assert!(
                out.contains(&Res {
                    accepted: false,
                    event: 1
                }),
                "{out:?}"
            );
        }
    }

    #[test]
    fn result_split_at_every_byte() {
        let msg = b"RESULT 2\nOKREADY\n";
        for cut in 0..=msg.len() {
            let mut l = busy(3);
            let mut out = l.feed(&msg[..cut]);
            out.extend(l.feed(&msg[cut..]));
            assert_eq!(
                out,
                [
                    debug("lis: event was processed"),
                    debug("lis: BUSY -> ACKNOWLEDGED"),
                    Res {
                        accepted: true,
                        event: 3
                    },
                    debug("lis: ACKNOWLEDGED -> READY"),
                    Ready,
                ],
                "cut at {cut}"
            );
        }
        let mut l = busy(3);
        let out: Vec<Out> = msg.iter().flat_map(|b| l.feed(&[*b])).collect();
        assert_eq!(out.len(), 5);
    }

    #[test]
    fn empty_body_completes_without_more_output() {
        // DIVERGENCE(new): the reference stays BUSY until the next byte arrives.
        let mut l = busy(2);
        assert_eq!(
            l.feed(b"RESULT 0\n"),
            [
                warn("lis: event was rejected"),
                debug("lis: BUSY -> ACKNOWLEDGED"),
                Res {
                    accepted: false,
                    event: 2
                },
            ]
        );
    }

    #[test]
    fn result_prefix_is_not_checked_and_length_is_python_int() {
        let mut l = busy(1);
        let out = l.feed(b"XXXXXXX 2 \r\nOK");
        assert!(out.contains(&Res {
            accepted: true,
            event: 1
        }));
        let mut l = busy(1);
        let out = l.feed(b"RESULT +1_0\nOK12345678");
        assert!(out.contains(&Res {
            accepted: false,
            event: 1
        }));
        assert_eq!(l.state(), ListenerState::Acknowledged);
    }

    #[test]
    fn long_body_is_consumed_without_keeping_it() {
        let mut l = busy(1);
        assert!(l.feed(b"RESULT 100000\n").is_empty());
        for _ in 0..99 {
            assert!(l.feed(&[b'a'; 1000]).is_empty());
        }
        let Phase::Busy { body: Some(b), .. } = &l.phase else {
            panic!("not reading a body")
        };
        assert_eq!((b.seen, b.head.len()), (99000, 2));
        let out = l.feed(&[b'a'; 1000]);
        assert_eq!(out.len(), 3);
        assert_eq!(l.state(), ListenerState::Acknowledged);
    }

    #[test]
    fn bad_result_line_rejects_and_goes_unknown() {
        let mut l = busy(9);
        assert_eq!(
            l.feed(b"GARBAGE\nREADY\n"),
            [
                warn("lis: bad result line: 'GARBAGE'"),
                debug("lis: BUSY -> UNKNOWN"),
                warn(UNKNOWN_WARN),
                Res {
                    accepted: false,
                    event: 9
                },
            ]
        );
        assert_eq!(l.state(), ListenerState::Unknown);
        // DIVERGENCE(new): a negative length is a bad line too.
        for line in [
            &b"RESULT -1\n"[..],
            b"RESULT\n",
            b"RESULT 1x\n",
            b"RESULT \xff\n",
        ] {
            let mut l = busy(9);
            let out = l.feed(line);
            assert!(
                matches!(&out[0], Log(Level::Warn, t) if t.starts_with("lis: bad result line: 'RESULT"))
            );
            assert_eq!(l.state(), ListenerState::Unknown, "{line:?}");
            assert_eq!(
                out.last(),
                Some(&Res {
                    accepted: false,
                    event: 9
                })
            );
        }
    }

    #[test]
    fn endless_result_line_is_bounded() {
        let mut l = busy(4);
        assert!(l.feed(&[b'R'; MAX_RESULT_LINE]).is_empty());
        let out = l.feed(b"R");
        assert_eq!(out.len(), 4);
        assert_eq!(l.state(), ListenerState::Unknown);
        assert!(l.buffer.is_empty());
    }

    #[test]
    fn death_while_busy_returns_the_event() {
        let mut l = busy(5);
        l.feed(b"RESULT 2\nO");
        assert_eq!(l.reset(), Some(5));
        assert_eq!(l.state(), ListenerState::Acknowledged);
        // Leftover bytes of the dead process do not leak into the new one.
        assert_eq!(l.feed(b"READY\n").len(), 2);
        let mut l = ready();
        assert_eq!(l.reset(), None);
    }
}
