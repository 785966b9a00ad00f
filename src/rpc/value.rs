//! The XML-RPC data model shared by the daemon and supervisorctl: what [`super::codec`] reads
//! and writes. The same variants the `xmlrpc` crate had, whose only remaining job this was.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// One XML-RPC value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `<int>` / `<i4>`.
    Int(i32),
    /// Beyond 32 bits: `<i8>` (an extension Python's client reads).
    Int64(i64),
    Bool(bool),
    String(String),
    Double(f64),
    /// `<dateTime.iso8601>`; Supervisor's methods never take or give one.
    DateTime(DateTime),
    Base64(Vec<u8>),
    Struct(BTreeMap<String, Value>),
    Array(Vec<Value>),
    /// `<nil/>`.
    Nil,
    /// A value the daemon wrote straight from its model ([`super::codec::Writer`]); never
    /// read from the wire.
    Encoded(super::codec::Encoded),
}

impl Value {
    /// The member `key` of a struct.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_struct()?.get(key)
    }

    /// An `Int` (not an `Int64`).
    pub fn as_i32(&self) -> Option<i32> {
        match self {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// Either integer.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(i64::from(*n)),
            Value::Int64(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_struct(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Struct(members) => Some(members),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }
}

impl From<i32> for Value {
    fn from(n: i32) -> Value {
        Value::Int(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

/// A `<dateTime.iso8601>` as sent: a date (`YYYYMMDD` or `YYYY-MM-DD`), `T`, a time
/// (`HH:MM:SS` or `HHMMSS`), optionally fractions and a zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateTime(String);

/// Not an ISO 8601 date and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadDateTime;

impl FromStr for DateTime {
    type Err = BadDateTime;

    fn from_str(text: &str) -> Result<DateTime, BadDateTime> {
        let (date, time) = text.split_once('T').ok_or(BadDateTime)?;
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        let date_ok = digits(date, 8)
            || matches!(date.split('-').collect::<Vec<_>>()[..], [y, m, d]
                if digits(y, 4) && digits(m, 2) && digits(d, 2));
        let clock_len = if time.get(2..3) == Some(":") { 8 } else { 6 };
        let (clock, rest) = time.split_at(clock_len.min(time.len()));
        let clock_ok =
            digits(&clock.replace(':', ""), 6) && (clock_len == 6 || clock.get(5..6) == Some(":"));
        let rest_ok = rest
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b',' | b':' | b'+' | b'-' | b'Z'));
        if date_ok && clock_ok && rest_ok {
            Ok(DateTime(text.to_string()))
        } else {
            Err(BadDateTime)
        }
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors() {
        let mut members = BTreeMap::new();
        members.insert("pid".to_string(), Value::Int(7));
        let v = Value::Struct(members);
        assert_eq!(v.get("pid").and_then(Value::as_i32), Some(7));
        assert_eq!(Value::Int64(1 << 40).as_i64(), Some(1 << 40));
        assert_eq!(Value::Int64(1).as_i32(), None);
        assert_eq!(Value::from("x").as_str(), Some("x"));
        assert_eq!(Value::from(true).as_bool(), Some(true));
        assert!(Value::Nil.as_array().is_none());
    }

    #[test]
    fn dates() {
        for good in [
            "20260102T03:04:05",
            "2026-01-02T03:04:05",
            "20260102T030405",
            "2026-01-02T03:04:05.123+01:00",
            "20260102T03:04:05Z",
        ] {
            let d: DateTime = good.parse().unwrap();
            assert_eq!(d.to_string(), good);
        }
        for bad in [
            "yesterday",
            "20260102",
            "2026012T03:04:05",
            "20260102T3:04:05",
            "20260102T03:04:05x",
        ] {
            assert!(bad.parse::<DateTime>().is_err(), "{bad}");
        }
    }
}
