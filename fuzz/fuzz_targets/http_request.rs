//! HTTP request framing on an arbitrary byte stream, cut into arbitrary reads.
//!
//! The first byte picks the read size, so the same stream is framed across many splits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use supervisor::http::request::{Progress, RequestParser};

fuzz_target!(|data: &[u8]| {
    let Some((&split, stream)) = data.split_first() else {
        return;
    };
    let step = usize::from(split % 64) + 1;
    let mut parser = RequestParser::new();
    for chunk in stream.chunks(step) {
        parser.push(chunk);
        loop {
            match parser.poll() {
                Progress::NeedMore | Progress::SendContinue => break,
                Progress::Request(request) => {
                    let _ = (request.path(), request.query());
                }
                Progress::Reject(_) => {
                    // A reject is final: polling again must give it again, not loop or panic.
                    assert!(matches!(parser.poll(), Progress::Reject(_)));
                    return;
                }
            }
        }
        let _ = parser.is_idle();
    }
});
