//! Writing XML-RPC documents as Python's `xmlrpc.client.dumps` does, byte for byte: the
//! daemon's responses and faults, supervisorctl's calls.

use crate::rpc::Value;

use super::Fault;

pub(super) const RESPONSE_START: &str = "<?xml version='1.0'?>\n<methodResponse>\n";
pub(super) const RESPONSE_END: &str = "</methodResponse>\n";

/// A successful `<methodResponse>` carrying `value`, as Python's marshaller writes it.
///
/// # Compatibility
///
/// Python's layout, escaping (`&`, `<`, `>`) and float `repr`; `Value::Int64` within 32 bits is
/// written as `<int>`, beyond as `<i8>` (D6: the reference fails there, the stock client reads
/// it). `Value::Nil` is `<nil/>` (never produced by Supervisor's methods).
pub fn write_response(value: &Value) -> Vec<u8> {
    let mut out = String::from(RESPONSE_START);
    out.push_str("<params>\n<param>\n");
    write_value(&mut out, value);
    out.push_str("</param>\n</params>\n");
    out.push_str(RESPONSE_END);
    out.into_bytes()
}

/// [`write_response`] of an owned value: an answer written straight from the model
/// ([`Value::Encoded`]) is finished in place rather than copied.
pub fn into_response(value: Value) -> Vec<u8> {
    match value {
        Value::Encoded(e) => e.into_response(),
        other => write_response(&other),
    }
}

/// [`into_response`] that leaves an answer written from the model where it is: the document
/// starts at the returned offset, and the bytes before it (none for other values) are free
/// for the HTTP head.
pub fn into_response_with_room(value: Value) -> (Vec<u8>, usize) {
    match value {
        Value::Encoded(e) => e.into_response_with_room(),
        other => (write_response(&other), 0),
    }
}

/// A fault `<methodResponse>` (HTTP 200), as Python's marshaller writes it.
pub fn write_fault(fault: &Fault) -> Vec<u8> {
    let mut out = String::from(RESPONSE_START);
    out.push_str("<fault>\n");
    write_value(&mut out, &fault.to_value());
    out.push_str("</fault>\n");
    out.push_str(RESPONSE_END);
    out.into_bytes()
}

/// A `<methodCall>`, as Python's `xmlrpc.client.dumps(params, method)` writes it.
pub fn write_method_call(method: &str, params: &[Value]) -> Vec<u8> {
    let mut out = String::from("<?xml version='1.0'?>\n<methodCall>\n<methodName>");
    escape_into(&mut out, method);
    out.push_str("</methodName>\n<params>\n");
    for param in params {
        out.push_str("<param>\n");
        write_value(&mut out, param);
        out.push_str("</param>\n");
    }
    out.push_str("</params>\n</methodCall>\n");
    out.into_bytes()
}

pub(super) fn write_value(out: &mut String, value: &Value) {
    if let Value::Encoded(e) = value {
        out.push_str(e.as_str());
        return;
    }
    out.push_str("<value>");
    match value {
        Value::Int(n) => push_int(out, "int", i64::from(*n)),
        Value::Int64(n) => push_int(
            out,
            if i32::try_from(*n).is_ok() {
                "int"
            } else {
                "i8"
            },
            *n,
        ),
        Value::Bool(b) => push_tagged(out, "boolean", if *b { "1" } else { "0" }),
        Value::String(s) => {
            out.push_str("<string>");
            escape_into(out, s);
            out.push_str("</string>");
        }
        Value::Double(d) => push_tagged(out, "double", &crate::pytext::float_repr(*d)),
        // Supervisor never sends dates; the text as received is written back.
        Value::DateTime(date) => {
            out.push_str("<dateTime.iso8601>");
            escape_into(out, &date.to_string());
            out.push_str("</dateTime.iso8601>");
        }
        Value::Base64(bytes) => {
            out.push_str("<base64>\n");
            push_base64_lines(out, bytes);
            out.push_str("</base64>");
        }
        Value::Struct(members) => {
            out.push_str("<struct>\n");
            for (name, member) in members {
                out.push_str("<member>\n<name>");
                escape_into(out, name);
                out.push_str("</name>\n");
                write_value(out, member);
                out.push_str("</member>\n");
            }
            out.push_str("</struct>");
        }
        Value::Array(items) => {
            out.push_str("<array><data>\n");
            for item in items {
                write_value(out, item);
            }
            out.push_str("</data></array>");
        }
        Value::Nil => out.push_str("<nil/>"),
        Value::Encoded(_) => {}
    }
    out.push_str("</value>\n");
}

/// `<tag>n</tag>`, the digits made on the stack (no String and no formatter per number:
/// answers carry thousands of them).
pub(super) fn push_int(out: &mut String, tag: &str, n: i64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    while let Some(slot) = at.checked_sub(1).and_then(|i| digits.get_mut(i)) {
        *slot = b'0' + (rest % 10) as u8;
        at -= 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.push('<');
    out.push_str(tag);
    out.push('>');
    if n < 0 {
        out.push('-');
    }
    out.push_str(std::str::from_utf8(digits.get(at..).unwrap_or_default()).unwrap_or_default());
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

fn push_tagged(out: &mut String, tag: &str, text: &str) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
    out.push_str(text);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// The ASCII bytes [`escape_into`] cannot copy as they are, as a bit set: `&`, `<`, `>` and
/// the control characters XML forbids.
const SPECIAL_ASCII: u128 = {
    let mut set = 0u128;
    let mut b = 0u8;
    while b < 0x80 {
        if matches!(b, b'&' | b'<' | b'>' | 0..=8 | 0x0b | 0x0c | 0x0e..=0x1f) {
            set |= 1 << b;
        }
        b += 1;
    }
    set
};

/// True for a byte copied as it is. 0xEF leads U+FFFE/U+FFFF (and other text, which then
/// takes the slow path).
fn plain(b: u8) -> bool {
    if b < 0x80 {
        SPECIAL_ASCII >> b & 1 == 0
    } else {
        b != 0xef
    }
}

/// Python's `escape`: `&`, `<`, `>`.
pub(super) fn escape_into(out: &mut String, text: &str) {
    // Fast path: most text (names, states, descriptions) needs no escaping at all (answers
    // carry megabytes of it).
    if text.bytes().all(plain) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // DIVERGENCE(D5): Python writes these raw and its own client then fails to parse
            // the whole response (no XML 1.0 document may contain them, not even as character
            // references); child output containing them becomes U+FFFD instead.
            '\u{0}'..='\u{8}'
            | '\u{b}'
            | '\u{c}'
            | '\u{e}'..='\u{1f}'
            | '\u{fffe}'
            | '\u{ffff}' => {
                out.push('\u{fffd}');
            }
            c => out.push(c),
        }
    }
}

/// `base64.encodebytes`: lines of 76 characters, each ended by a newline.
fn push_base64_lines(out: &mut String, bytes: &[u8]) {
    // 57 input bytes make exactly one 76-character line.
    for piece in bytes.chunks(57) {
        out.push_str(&base64::encode(piece));
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::faults::FaultCode;
    use std::collections::BTreeMap;

    fn s(text: &str) -> Value {
        Value::String(text.to_string())
    }

    // -- writing -----------------------------------------------------------------------------

    fn written(value: &Value) -> String {
        String::from_utf8(write_response(value)).unwrap()
    }

    #[test]
    fn get_state_response_matches_reference_bytes() {
        let mut state = BTreeMap::new();
        state.insert("statecode".to_string(), Value::Int(1));
        state.insert("statename".to_string(), s("RUNNING"));
        // Captured from the reference's POST /RPC2 supervisor.getState.
        assert_eq!(
            written(&Value::Struct(state)),
            "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><struct>\n<member>\n\
             <name>statecode</name>\n<value><int>1</int></value>\n</member>\n<member>\n<name>statename</name>\n\
             <value><string>RUNNING</string></value>\n</member>\n</struct></value>\n</param>\n</params>\n\
             </methodResponse>\n"
        );
    }

    #[test]
    fn fault_matches_reference_bytes() {
        assert_eq!(
            String::from_utf8(write_fault(&Fault::with_detail(FaultCode::BadName, "nosuch"))).unwrap(),
            "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n\
             <name>faultCode</name>\n<value><int>10</int></value>\n</member>\n<member>\n\
             <name>faultString</name>\n<value><string>BAD_NAME: nosuch</string></value>\n</member>\n\
             </struct></value>\n</fault>\n</methodResponse>\n"
        );
    }

    #[test]
    fn python_marshaller_layout_for_every_type() {
        // python3 -c 'import xmlrpc.client as x; print(repr(x.dumps(([1,True,"a<&>\"'"'"' é\n\t",1.5,1e300,-0.0,{"a":{},"b":[]},x.Binary(b"hi"),2**31-1],),methodresponse=True)))'
        let mut members = BTreeMap::new();
        members.insert("a".to_string(), Value::Struct(BTreeMap::new()));
        members.insert("b".to_string(), Value::Array(vec![]));
        let value = Value::Array(vec![
            Value::Int(1),
            Value::Bool(true),
            s("a<&>\"' é\n\t"),
            Value::Double(1.5),
            Value::Double(1e300),
            Value::Double(-0.0),
            Value::Struct(members),
            Value::Base64(b"hi".to_vec()),
            Value::Int64(2_147_483_647),
        ]);
        assert_eq!(
            written(&value),
            "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n\
             <value><int>1</int></value>\n<value><boolean>1</boolean></value>\n\
             <value><string>a&lt;&amp;&gt;\"' é\n\t</string></value>\n<value><double>1.5</double></value>\n\
             <value><double>1e+300</double></value>\n<value><double>-0.0</double></value>\n\
             <value><struct>\n<member>\n<name>a</name>\n<value><struct>\n</struct></value>\n</member>\n\
             <member>\n<name>b</name>\n<value><array><data>\n</data></array></value>\n</member>\n\
             </struct></value>\n<value><base64>\naGk=\n</base64></value>\n<value><int>2147483647</int></value>\n\
             </data></array></value>\n</param>\n</params>\n</methodResponse>\n"
        );
    }

    #[test]
    fn big_integers_are_i8() {
        assert!(
            written(&Value::Int64(3_000_000_000)).contains("<value><i8>3000000000</i8></value>\n")
        );
        assert!(written(&Value::Int64(-2_147_483_648))
            .contains("<value><int>-2147483648</int></value>\n"));
        assert!(written(&Value::Int64(i64::MIN)).contains("<i8>-9223372036854775808</i8>"));
    }

    #[test]
    fn integers_written_in_place() {
        for (n, text) in [
            (0, "0"),
            (7, "7"),
            (-1, "-1"),
            (10, "10"),
            (i32::MAX, "2147483647"),
        ] {
            assert!(written(&Value::Int(n)).contains(&format!("<value><int>{text}</int></value>")));
        }
        assert!(written(&Value::Int(i32::MIN)).contains("<int>-2147483648</int>"));
        assert!(written(&Value::Int64(i64::MAX)).contains("<i8>9223372036854775807</i8>"));
    }

    #[test]
    fn nil_and_empty_string() {
        assert!(written(&Value::Nil).contains("<param>\n<value><nil/></value>\n</param>"));
        assert!(written(&s("")).contains("<value><string></string></value>\n"));
    }

    #[test]
    fn base64_lines_wrap_at_76() {
        let text = written(&Value::Base64(vec![7u8; 100]));
        let body = text
            .split("<base64>\n")
            .nth(1)
            .unwrap()
            .split("</base64>")
            .next()
            .unwrap();
        let lines: Vec<&str> = body.split_terminator('\n').collect();
        assert_eq!(
            lines.iter().map(|l| l.len()).collect::<Vec<_>>(),
            vec![76, 60]
        );
        assert_eq!(base64::decode(lines.concat()).unwrap(), vec![7u8; 100]);
        assert!(written(&Value::Base64(vec![])).contains("<base64>\n</base64>"));
    }

    #[test]
    fn invalid_xml_characters_become_replacement() {
        // DIVERGENCE(D5): Python would write them raw and its client could not parse the answer.
        let text = written(&s("a\u{0}b\u{1b}[0mc\rd\u{fffe}"));
        assert!(
            text.contains("<string>a\u{fffd}b\u{fffd}[0mc\rd\u{fffd}</string>"),
            "{text}"
        );
    }

    #[test]
    fn plain_bytes_are_the_ones_copied_as_they_are() {
        for b in 0..=u8::MAX {
            let special =
                matches!(b, b'&' | b'<' | b'>' | 0..=8 | 0x0b | 0x0c | 0x0e..=0x1f | 0xef);
            assert_eq!(plain(b), !special, "{b:#x}");
        }
    }

    #[test]
    fn struct_member_names_are_escaped() {
        let mut members = BTreeMap::new();
        members.insert("a<b".to_string(), Value::Int(1));
        assert!(written(&Value::Struct(members)).contains("<name>a&lt;b</name>"));
    }

    #[test]
    fn method_call_matches_python_bytes() {
        // python3 -c 'import xmlrpc.client as x; print(repr(x.dumps(("foo", 3), "supervisor.x")))'
        assert_eq!(
            String::from_utf8(write_method_call("supervisor.x", &[s("foo"), Value::Int(3)]))
                .unwrap(),
            "<?xml version='1.0'?>\n<methodCall>\n<methodName>supervisor.x</methodName>\n<params>\n\
             <param>\n<value><string>foo</string></value>\n</param>\n<param>\n<value><int>3</int></value>\n\
             </param>\n</params>\n</methodCall>\n"
        );
    }
}
