//! The server's `<methodCall>` parser on arbitrary bodies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use supervisor::rpc::codec::parse_method_call;

fuzz_target!(|data: &[u8]| {
    let _ = parse_method_call(data);
});
