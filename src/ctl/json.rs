//! `supervisorctl --json`: a small JSON writer and the one document an action fills.
//!
//! The document is `{"version": 1, "action": ..., "exit_status": ..., <action keys>,
//! "messages": [...]}`; process records carry the XML-RPC struct's own field names
//! (`getProcessInfo`'s, `getAllConfigInfo`'s, the result structs'). Text that the text form
//! would print and that has no record of its own goes to `messages`. Data and rendering only:
//! it must not talk to the server or print.

use std::fmt::Write;

use crate::rpc::Value;

/// The document format's version: bumped only if a key changes meaning.
pub const FORMAT_VERSION: i64 = 1;

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    /// Keys in the order they are written.
    Object(Vec<(String, Json)>),
}

impl Json {
    pub fn str(s: &str) -> Json {
        Json::Str(s.to_string())
    }

    /// An object from literal pairs.
    pub fn object<const N: usize>(pairs: [(&str, Json); N]) -> Json {
        Json::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    /// A list of names.
    pub fn names(names: &[String]) -> Json {
        Json::Array(names.iter().map(|n| Json::str(n)).collect())
    }

    /// An XML-RPC value as JSON: structs become objects (keys sorted, as XML-RPC structs
    /// carry no order), dates and base64 become strings.
    pub fn from_value(v: &Value) -> Json {
        match v {
            Value::Int(n) => Json::Int(i64::from(*n)),
            Value::Int64(n) => Json::Int(*n),
            Value::Bool(b) => Json::Bool(*b),
            Value::String(s) => Json::Str(s.clone()),
            Value::Double(f) => Json::Float(*f),
            Value::DateTime(t) => Json::Str(t.to_string()),
            Value::Base64(b) => Json::Str(base64::encode(b)),
            Value::Array(items) => Json::Array(items.iter().map(Json::from_value).collect()),
            Value::Struct(fields) => Json::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), Json::from_value(v)))
                    .collect(),
            ),
            Value::Nil => Json::Null,
            // Only the daemon writes these; read back, it is the value it encodes.
            Value::Encoded(e) => e.decode().map_or(Json::Null, |v| Json::from_value(&v)),
        }
    }

    /// Appends the compact form to `out`.
    pub fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(n) => {
                let _ = write!(out, "{n}");
            }
            // JSON has no NaN or infinity.
            Json::Float(f) if !f.is_finite() => out.push_str("null"),
            Json::Float(f) => {
                let _ = write!(out, "{f:?}");
            }
            Json::Str(s) => write_str(s, out),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// The value under `key` of an object.
    fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        match self {
            Json::Object(fields) => fields.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// A JSON string literal: quotes, backslashes and control characters escaped.
fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The document of one action.
#[derive(Debug)]
pub struct Doc {
    action: String,
    /// The action's keys, in the order first set.
    fields: Json,
    messages: Vec<String>,
    error: Option<String>,
}

impl Doc {
    pub fn new(action: &str) -> Doc {
        Doc {
            action: action.to_string(),
            fields: Json::Object(Vec::new()),
            messages: Vec::new(),
            error: None,
        }
    }

    /// Sets `key` (replacing an earlier value).
    pub fn set(&mut self, key: &str, value: Json) {
        match self.fields.get_mut(key) {
            Some(slot) => *slot = value,
            None => {
                if let Json::Object(fields) = &mut self.fields {
                    fields.push((key.to_string(), value));
                }
            }
        }
    }

    /// Appends `item` to the array under `key`, creating it.
    pub fn push(&mut self, key: &str, item: Json) {
        if self.fields.get_mut(key).is_none() {
            self.set(key, Json::Array(Vec::new()));
        }
        if let Some(Json::Array(items)) = self.fields.get_mut(key) {
            items.push(item);
        }
    }

    /// A line the text form prints that has no record of its own.
    pub fn message(&mut self, line: &str) {
        self.messages.push(line.to_string());
    }

    /// The error that ended the action.
    pub fn fail(&mut self, error: &str) {
        self.error = Some(error.to_string());
    }

    /// The whole document on one line, newline-terminated.
    pub fn render(self, exit_status: i32) -> String {
        let mut top = vec![
            ("version".to_string(), Json::Int(FORMAT_VERSION)),
            ("action".to_string(), Json::Str(self.action)),
            ("exit_status".to_string(), Json::Int(i64::from(exit_status))),
        ];
        if let Json::Object(fields) = self.fields {
            top.extend(fields);
        }
        top.push((
            "messages".to_string(),
            Json::Array(self.messages.into_iter().map(Json::Str).collect()),
        ));
        if let Some(error) = self.error {
            top.push(("error".to_string(), Json::Str(error)));
        }
        let mut out = String::new();
        Json::Object(top).write(&mut out);
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn compact(j: &Json) -> String {
        let mut s = String::new();
        j.write(&mut s);
        s
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(
            compact(&Json::str("a\"b\\c\n\t\u{1}é")),
            r#""a\"b\\c\n\t\u0001é""#
        );
    }

    #[test]
    fn xmlrpc_values_map_to_json() {
        let mut fields = BTreeMap::new();
        fields.insert("pid".to_string(), Value::Int(7));
        fields.insert("name".to_string(), Value::String("x".into()));
        fields.insert("big".to_string(), Value::Int64(3_000_000_000));
        fields.insert("ok".to_string(), Value::Bool(true));
        fields.insert("f".to_string(), Value::Double(1.5));
        fields.insert("nan".to_string(), Value::Double(f64::NAN));
        fields.insert("raw".to_string(), Value::Base64(b"hi".to_vec()));
        let v = Value::Array(vec![Value::Struct(fields), Value::Nil]);
        assert_eq!(
            compact(&Json::from_value(&v)),
            r#"[{"big":3000000000,"f":1.5,"name":"x","nan":null,"ok":true,"pid":7,"raw":"aGk="},null]"#
        );
    }

    #[test]
    fn document_layout() {
        let mut d = Doc::new("start");
        d.push("results", Json::object([("name", Json::str("a"))]));
        d.push("results", Json::object([("name", Json::str("b"))]));
        d.set("x", Json::Int(1));
        d.set("x", Json::Int(2));
        d.message("hello");
        assert_eq!(
            d.render(7),
            "{\"version\":1,\"action\":\"start\",\"exit_status\":7,\"results\":[{\"name\":\"a\"},\
             {\"name\":\"b\"}],\"x\":2,\"messages\":[\"hello\"]}\n"
        );
        let mut d = Doc::new("tail");
        d.fail("no");
        assert_eq!(
            d.render(2),
            "{\"version\":1,\"action\":\"tail\",\"exit_status\":2,\"messages\":[],\"error\":\"no\"}\n"
        );
    }
}
