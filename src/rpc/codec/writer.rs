//! Writing XML-RPC values straight from the daemon's model, without a [`Value`] tree: the
//! answers proportional to the number of processes (`getAllProcessInfo`, `getAllConfigInfo`)
//! cost a tree of thousands of structs to build, encode and drop; written directly they cost
//! the bytes alone (D9). The bytes are exactly what [`super::write_response`] writes for the
//! equivalent `Value`.

use crate::rpc::Value;

use super::encode::{escape_into, push_int, write_value, RESPONSE_END, RESPONSE_START};

/// What comes before the answer's value in a `<methodResponse>`.
const PARAMS_START: &str = "<params>\n<param>\n";
/// Room left before the document for the HTTP head, so a large answer goes out without
/// being copied behind its head (a 25 MB copy held the loop for milliseconds).
pub const HEAD_ROOM: usize = 256;
/// What follows it.
const PARAMS_END: &str = "</param>\n</params>\n";

/// One `<value>…</value>\n` element written by a [`Writer`], carried as [`Value::Encoded`]
/// and copied as it is into the answer (alone, or as one result of a `system.multicall`).
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    /// [`HEAD_ROOM`] spaces, the `<methodResponse>` head, then the value: an answer of this
    /// value alone is finished in place, without copying the value.
    text: String,
}

impl Encoded {
    /// The `<value>` element.
    pub fn as_str(&self) -> &str {
        self.text.get(head_len()..).unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.as_str().len()
    }

    pub fn is_empty(&self) -> bool {
        self.as_str().is_empty()
    }

    /// The whole `<methodResponse>` answering this value.
    pub fn into_response(self) -> Vec<u8> {
        let (mut bytes, room) = self.into_response_with_room();
        bytes.drain(..room);
        bytes
    }

    /// [`Encoded::into_response`] without copying: the document starts at the returned
    /// offset ([`HEAD_ROOM`]); the bytes before it are free for the HTTP head.
    pub fn into_response_with_room(mut self) -> (Vec<u8>, usize) {
        self.text.push_str(PARAMS_END);
        self.text.push_str(RESPONSE_END);
        (self.text.into_bytes(), HEAD_ROOM)
    }

    /// The value it encodes, read back with the codec (as a client would read it).
    ///
    /// # Errors
    /// Never for what a [`Writer`] wrote; the decoder's error otherwise.
    pub fn decode(&self) -> Result<Value, super::CallError> {
        let body = self.clone().into_response();
        match super::parse_method_response(&body)? {
            super::Answer::Value(v) => Ok(v),
            super::Answer::Fault { .. } => Err(super::unmarshallable("a fault")),
        }
    }
}

fn head_len() -> usize {
    HEAD_ROOM + RESPONSE_START.len() + PARAMS_START.len()
}

/// Writes one value (usually an array of structs) piece by piece. Struct members must be
/// written in name order: [`Value::Struct`] is a sorted map, and the bytes must be the ones
/// its encoding gives.
#[derive(Debug)]
pub struct Writer {
    text: String,
}

impl Default for Writer {
    fn default() -> Self {
        Writer::with_capacity(0)
    }
}

impl Writer {
    /// A writer whose value will take about `bytes`.
    pub fn with_capacity(bytes: usize) -> Writer {
        let mut text = String::with_capacity(head_len().saturating_add(bytes));
        text.extend(std::iter::repeat_n(' ', HEAD_ROOM));
        text.push_str(RESPONSE_START);
        text.push_str(PARAMS_START);
        Writer { text }
    }

    /// Bytes of the value written so far.
    pub fn len(&self) -> usize {
        self.text.len().saturating_sub(head_len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn finish(self) -> Encoded {
        Encoded { text: self.text }
    }

    pub fn begin_array(&mut self) {
        self.text.push_str("<value><array><data>\n");
    }

    pub fn end_array(&mut self) {
        self.text.push_str("</data></array></value>\n");
    }

    pub fn begin_struct(&mut self) {
        self.text.push_str("<value><struct>\n");
    }

    pub fn end_struct(&mut self) {
        self.text.push_str("</struct></value>\n");
    }

    /// Opens a struct member; its value follows, then [`end_member`](Self::end_member).
    pub fn begin_member(&mut self, name: &str) {
        self.text.push_str("<member>\n<name>");
        escape_into(&mut self.text, name);
        self.text.push_str("</name>\n");
    }

    pub fn end_member(&mut self) {
        self.text.push_str("</member>\n");
    }

    /// `<int>` within 32 bits, `<i8>` beyond (as `Value::Int64`, D6).
    pub fn int(&mut self, n: i64) {
        let tag = if i32::try_from(n).is_ok() {
            "int"
        } else {
            "i8"
        };
        self.text.push_str("<value>");
        push_int(&mut self.text, tag, n);
        self.text.push_str("</value>\n");
    }

    pub fn string(&mut self, s: &str) {
        self.text.push_str("<value><string>");
        escape_into(&mut self.text, s);
        self.text.push_str("</string></value>\n");
    }

    pub fn boolean(&mut self, b: bool) {
        self.text.push_str(if b {
            "<value><boolean>1</boolean></value>\n"
        } else {
            "<value><boolean>0</boolean></value>\n"
        });
    }

    /// Any value, as [`super::write_response`] writes it.
    pub fn value(&mut self, v: &Value) {
        write_value(&mut self.text, v);
    }

    pub fn int_member(&mut self, name: &str, n: i64) {
        self.begin_member(name);
        self.int(n);
        self.end_member();
    }

    pub fn string_member(&mut self, name: &str, s: &str) {
        self.begin_member(name);
        self.string(s);
        self.end_member();
    }

    pub fn bool_member(&mut self, name: &str, b: bool) {
        self.begin_member(name);
        self.boolean(b);
        self.end_member();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::codec::write_response;
    use std::collections::BTreeMap;

    /// Every piece written as the equivalent `Value` is written, member names escaped.
    #[test]
    fn same_bytes_as_the_value_encoding() {
        let odd = "a<b&c>\u{e9}\u{1}";
        let mut w = Writer::default();
        w.begin_array();
        w.begin_struct();
        w.string_member(odd, odd);
        w.int_member("big", 3_000_000_000);
        w.bool_member("f", false);
        w.int_member("n", -7);
        w.bool_member("t", true);
        w.begin_member("v");
        w.value(&Value::Array(vec![
            Value::Int(1),
            Value::String(String::new()),
        ]));
        w.end_member();
        w.end_struct();
        w.string("");
        w.end_array();
        let encoded = w.finish();

        let mut members = BTreeMap::new();
        members.insert("big".to_string(), Value::Int64(3_000_000_000));
        members.insert("f".to_string(), Value::Bool(false));
        members.insert("n".to_string(), Value::Int(-7));
        members.insert(odd.to_string(), Value::String(odd.into()));
        members.insert("t".to_string(), Value::Bool(true));
        members.insert(
            "v".to_string(),
            Value::Array(vec![Value::Int(1), Value::String(String::new())]),
        );
        let value = Value::Array(vec![Value::Struct(members), Value::String(String::new())]);
        let expected = write_response(&value);
        assert_eq!(
            String::from_utf8(encoded.clone().into_response()).unwrap(),
            String::from_utf8(expected.clone()).unwrap()
        );
        // Carried inside a value (a multicall result), it is written as it is.
        assert_eq!(
            write_response(&Value::Array(vec![Value::Encoded(encoded.clone())])),
            write_response(&Value::Array(vec![value.clone()]))
        );
        let mut invalid_replaced = value;
        if let Value::Array(items) = &mut invalid_replaced {
            if let Some(Value::Struct(m)) = items.first_mut() {
                let fixed = "a<b&c>\u{e9}\u{fffd}".to_string();
                let v = m.remove(odd).unwrap();
                assert_eq!(v, Value::String(odd.into()));
                m.insert(fixed.clone(), Value::String(fixed));
            }
        }
        assert_eq!(encoded.decode().unwrap(), invalid_replaced);
        assert!(Writer::default().finish().is_empty());
        // The same document after the room left for the HTTP head.
        let (bytes, room) = encoded.into_response_with_room();
        assert_eq!((room, bytes.get(room..)), (HEAD_ROOM, Some(&expected[..])));
    }
}
