//! supervisorctl's reading of a reply: HTTP head and framing (length, chunked, until close),
//! the XML-RPC response or fault, then the reply shapes its commands expect.
#![no_main]

use std::io::{self, Read, Write};

use libfuzzer_sys::fuzz_target;
use supervisor::ctl::client::{call_over, Rows, Server};
use supervisor::ctl::reply::{Changes, ConfigInfo, ProcessInfo, ProcessResult, PROCESS_INFO_KEYS};
use supervisor::rpc::codec::{parse_method_response, parse_struct_rows, Answer};

/// The server's side of the connection: it answers `reply`, whatever was asked.
struct Canned<'a> {
    reply: &'a [u8],
}

impl Read for Canned<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reply.read(buf)
    }
}

impl Write for Canned<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let server = Server {
        url: "unix:///fuzz.sock".to_string(),
        username: Some("user".to_string()),
        password: Some("123".to_string()),
    };
    let reply = call_over(
        &server,
        "supervisor.getAllProcessInfo",
        Vec::new(),
        "localhost",
        || Ok(Canned { reply: data }),
    );
    match reply {
        Ok(value) => {
            let _ = ProcessInfo::list(&value);
            let _ = ProcessResult::list(&value);
            let _ = ConfigInfo::list(&value);
            let _ = Changes::from_value(&value);
        }
        Err(e) => {
            let _ = (e.to_string(), e.fault_code(), e.is_unauthorized());
        }
    }
    // The table's way of reading a body (members picked out of the structs as they are
    // read) agrees with reading the whole value; the body is what follows the HTTP head.
    let body = data
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .and_then(|at| data.get(at + 4..))
        .unwrap_or(data);
    if let Some(rows) = parse_struct_rows(body, &PROCESS_INFO_KEYS) {
        let Ok(Answer::Value(value)) = parse_method_response(body) else {
            panic!("rows read from a body that is not a value");
        };
        assert_eq!(
            Rows::Rows(rows.clone()),
            Rows::from_value(value, &PROCESS_INFO_KEYS)
        );
        let _ = ProcessInfo::from_rows(Rows::Rows(rows));
    }
});
