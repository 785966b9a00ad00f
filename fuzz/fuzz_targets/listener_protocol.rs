//! The event listener protocol on arbitrary listener output, cut into arbitrary reads; an
//! event is sent whenever the listener becomes READY, as the pool does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use supervisor::events::listener::{ListenerOutput, ListenerProtocol};

fuzz_target!(|data: &[u8]| {
    let Some((&split, stream)) = data.split_first() else {
        return;
    };
    let step = usize::from(split % 32) + 1;
    let mut listener = ListenerProtocol::<usize>::new("fuzz");
    let mut in_flight = 0usize;
    for (n, chunk) in stream.chunks(step).enumerate() {
        for out in listener.feed(chunk) {
            match out {
                ListenerOutput::Ready => {
                    if listener.event_sent(n).is_ok() {
                        in_flight += 1;
                    }
                }
                ListenerOutput::Result { .. } => {
                    // Every result gives back an event that was sent and not yet returned.
                    assert!(in_flight > 0, "a result without an event in flight");
                    in_flight -= 1;
                }
                ListenerOutput::Log(..) => {}
            }
        }
        assert!(in_flight <= 1, "more than one event in flight");
    }
    if listener.reset().is_some() {
        assert_eq!(
            in_flight, 1,
            "reset gave back an event that was not in flight"
        );
    }
});
