//! Reading XML-RPC documents on quick-xml: the daemon's `<methodCall>` bodies and
//! supervisorctl's `<methodResponse>` replies, with one set of value rules for both.
//!
//! quick-xml never expands entities: a DOCTYPE is refused outright and an undefined
//! `&name;` is an error, so no entity trick can reach the values.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::rpc::Value;
use quick_xml::events::{BytesRef, Event};
use quick_xml::Reader;

use super::{unmarshallable, CallError, MAX_BODY_BYTES, MAX_DEPTH};

/// Parses a `<methodCall>` body into the method name (as sent, not trimmed) and its params.
///
/// Values: an untyped `<value>` is a string with its whitespace kept; `<int>`/`<i4>`/`<i8>`
/// become `Value::Int` when they fit 32 bits and `Value::Int64` otherwise; `<boolean>` is `0` or
/// `1`; `<string>`, `<double>`, `<array>`, `<struct>` and `<nil/>` as usual; `<base64>` is
/// decoded (whitespace allowed) to a `Value::String`, as Supervisor's own parser turns it into
/// text, so it must be UTF-8; `<dateTime.iso8601>` is kept as `Value::DateTime` (Supervisor's
/// methods never take one; an unparseable date is refused, as the reference does). `<params>`
/// is optional.
///
/// # Errors
///
/// [`CallError::Unmarshallable`] for anything that is not a well-formed call within the D5
/// limits; [`CallError::NoMethodName`] for a well-formed document without a non-empty
/// `<methodName>`.
pub fn parse_method_call(body: &[u8]) -> Result<(String, Vec<Value>), CallError> {
    // DIVERGENCE(D5): the reference parses bodies of any size, any depth, with a DOCTYPE.
    if body.len() > MAX_BODY_BYTES {
        return Err(unmarshallable("body larger than 16 MiB"));
    }
    let text = std::str::from_utf8(body).map_err(|_| unmarshallable("body is not UTF-8"))?;
    // A request is held to XML 1.0's characters, as expat holds the reference to them.
    if text.bytes().any(forbidden_byte) || text.contains(['\u{fffe}', '\u{ffff}']) {
        return Err(unmarshallable("a character XML does not allow"));
    }
    Parser::new(text, true).method_call()
}

/// What a `<methodResponse>` carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Value(Value),
    Fault { code: i64, string: String },
}

/// Parses a `<methodResponse>` (supervisorctl's side). Same value rules as
/// [`parse_method_call`], but lenient about characters: log text with ANSI escapes, NULs or
/// invalid UTF-8 is read (invalid UTF-8 as U+FFFD) where the reference's expat would fail the
/// whole reply.
///
/// # Errors
///
/// [`CallError::Unmarshallable`] for anything that is not a well-formed response with one
/// value or one fault struct.
pub fn parse_method_response(body: &[u8]) -> Result<Answer, CallError> {
    // Validating first is much faster than the lossy scan, which is kept for bad bytes.
    let text = match std::str::from_utf8(body) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(body),
    };
    Parser::new(&text, false).method_response()
}

/// One struct of an array answer, reduced to the members asked for (`None` when absent).
pub type Row = Vec<Option<Value>>;

/// [`parse_method_response`] of an answer that is an array of structs, keeping of each
/// struct only the members named in `keys`, in that order: no tree of structs is built (at
/// 10,000 processes the tree was most of supervisorctl's time). The other members are read
/// and checked as usual, then dropped.
///
/// `None` when the body is anything else, a fault or unreadable: [`parse_method_response`]
/// then says what it is.
pub fn parse_struct_rows(body: &[u8], keys: &[&str]) -> Option<Vec<Row>> {
    let text = match std::str::from_utf8(body) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(body),
    };
    Parser::new(&text, false).struct_rows(keys).ok().flatten()
}

/// XML 1.0 allows only tab, newline and carriage return below space (nor U+FFFE, U+FFFF).
fn forbidden_byte(b: u8) -> bool {
    b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')
}

fn forbidden_char(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{fffe}' | '\u{ffff}')
}

/// The element names XML-RPC uses; anything else is kept for the error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    MethodCall,
    MethodResponse,
    MethodName,
    Params,
    Param,
    Fault,
    Value,
    Int,
    Boolean,
    String,
    Double,
    DateTime,
    Base64,
    Nil,
    Array,
    Data,
    Struct,
    Member,
    Name,
    Other,
}

impl Tag {
    /// Classifies on the local name, so `<ex:nil>` is `<nil>`.
    fn of(qualified: &[u8]) -> Tag {
        let local = match qualified.iter().position(|b| *b == b':') {
            Some(colon) => qualified.get(colon + 1..).unwrap_or_default(),
            None => qualified,
        };
        match local {
            b"methodCall" => Tag::MethodCall,
            b"methodResponse" => Tag::MethodResponse,
            b"methodName" => Tag::MethodName,
            b"params" => Tag::Params,
            b"param" => Tag::Param,
            b"fault" => Tag::Fault,
            b"value" => Tag::Value,
            b"int" | b"i4" | b"i8" => Tag::Int,
            b"boolean" => Tag::Boolean,
            b"string" => Tag::String,
            b"double" => Tag::Double,
            b"dateTime.iso8601" => Tag::DateTime,
            b"base64" => Tag::Base64,
            b"nil" => Tag::Nil,
            b"array" => Tag::Array,
            b"data" => Tag::Data,
            b"struct" => Tag::Struct,
            b"member" => Tag::Member,
            b"name" => Tag::Name,
            _ => Tag::Other,
        }
    }
}

/// One structural item of the document.
enum Item<'a> {
    Start(Tag),
    End,
    Text(Cow<'a, str>),
    Eof,
}

struct Parser<'a> {
    reader: Reader<&'a [u8]>,
    depth: usize,
    /// Requests: refuse characters XML forbids (also as `&#n;`). Replies: keep them.
    strict: bool,
    /// The name of the last start tag, for error messages.
    last_name: Vec<u8>,
}

fn is_blank(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

fn xml_error(e: impl std::fmt::Display) -> CallError {
    unmarshallable(e.to_string())
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, strict: bool) -> Parser<'a> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = Reader::from_str(text);
        let config = reader.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        config.check_comments = true;
        config.trim_text(false);
        Parser {
            reader,
            depth: 0,
            strict,
            last_name: Vec::new(),
        }
    }

    fn unexpected(&self) -> CallError {
        unmarshallable(format!(
            "unexpected <{}>",
            String::from_utf8_lossy(&self.last_name)
        ))
    }

    /// Bad content in the type element just opened.
    fn bad(&self, what: &str) -> CallError {
        unmarshallable(format!(
            "invalid <{}> value {what:?}",
            String::from_utf8_lossy(&self.last_name)
        ))
    }

    fn next(&mut self) -> Result<Item<'a>, CallError> {
        loop {
            return Ok(match self.reader.read_event().map_err(xml_error)? {
                Event::Start(start) => {
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return Err(unmarshallable("nesting deeper than 64 elements"));
                    }
                    let name = start.name();
                    self.last_name.clear();
                    self.last_name.extend_from_slice(name.as_ref());
                    Item::Start(Tag::of(name.as_ref()))
                }
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    Item::End
                }
                Event::Text(text) => Item::Text(text.xml10_content().map_err(xml_error)?),
                Event::CData(data) => Item::Text(match data.into_inner() {
                    Cow::Borrowed(bytes) => {
                        Cow::Borrowed(std::str::from_utf8(bytes).map_err(xml_error)?)
                    }
                    Cow::Owned(bytes) => Cow::Owned(String::from_utf8(bytes).map_err(xml_error)?),
                }),
                Event::GeneralRef(reference) => Item::Text(self.resolve(&reference)?),
                // DIVERGENCE(D5): no DTD, so no entity declaration, internal or external.
                Event::DocType(_) => {
                    return Err(unmarshallable(
                        "DOCTYPE and entity declarations are refused",
                    ))
                }
                Event::Eof => Item::Eof,
                // Empty elements arrive as Start + End (expand_empty_elements).
                Event::Empty(_) | Event::Decl(_) | Event::PI(_) | Event::Comment(_) => continue,
            });
        }
    }

    /// The five predefined entities and character references; nothing else exists.
    fn resolve(&self, reference: &BytesRef<'_>) -> Result<Cow<'a, str>, CallError> {
        if let Some(c) = reference.resolve_char_ref().map_err(xml_error)? {
            if self.strict && forbidden_char(c) {
                return Err(unmarshallable("character reference not allowed in XML"));
            }
            return Ok(Cow::Owned(c.to_string()));
        }
        Ok(Cow::Borrowed(match reference.as_ref() {
            b"amp" => "&",
            b"lt" => "<",
            b"gt" => ">",
            b"quot" => "\"",
            b"apos" => "'",
            other => {
                return Err(unmarshallable(format!(
                    "undefined entity &{};",
                    String::from_utf8_lossy(other)
                )))
            }
        }))
    }

    /// The next start tag or end tag, skipping blank text; other text is an error.
    fn next_tag(&mut self) -> Result<Item<'a>, CallError> {
        loop {
            match self.next()? {
                Item::Text(text) if is_blank(&text) => continue,
                Item::Text(_) => return Err(unmarshallable("unexpected text")),
                Item::Eof => return Err(unmarshallable("unexpected end of document")),
                tag => return Ok(tag),
            }
        }
    }

    fn expect_start(&mut self, wanted: Tag) -> Result<(), CallError> {
        match self.next_tag()? {
            Item::Start(tag) if tag == wanted => Ok(()),
            Item::Start(_) => Err(self.unexpected()),
            _ => Err(unmarshallable(format!("expected {wanted:?}"))),
        }
    }

    fn expect_end(&mut self) -> Result<(), CallError> {
        match self.next_tag()? {
            Item::End => Ok(()),
            _ => Err(unmarshallable("expected an end tag")),
        }
    }

    /// The text of an element without children, up to its end tag.
    fn text_content(&mut self) -> Result<Cow<'a, str>, CallError> {
        let mut content: Option<Cow<'a, str>> = None;
        loop {
            match self.next()? {
                Item::Text(text) => match &mut content {
                    None => content = Some(text),
                    Some(all) => all.to_mut().push_str(&text),
                },
                Item::End => return Ok(content.unwrap_or_default()),
                Item::Start(_) => return Err(self.unexpected()),
                Item::Eof => return Err(unmarshallable("unexpected end of document")),
            }
        }
    }

    fn method_call(mut self) -> Result<(String, Vec<Value>), CallError> {
        let Item::Start(root) = self.next_tag()? else {
            return Err(unmarshallable("no root element"));
        };
        if root != Tag::MethodCall {
            // COMPAT: the reference parses any well-formed document and then finds no method
            // name, so it logs "no method name" for, e.g., a <methodResponse>.
            self.skip_children()?;
            self.expect_eof()?;
            return Err(CallError::NoMethodName);
        }
        let mut name = None;
        let mut params = None;
        loop {
            match self.next_tag()? {
                Item::Start(Tag::MethodName) if name.is_none() => {
                    name = Some(self.text_content()?.into_owned());
                }
                Item::Start(Tag::Params) if params.is_none() => {
                    params = Some(self.params()?);
                }
                Item::Start(_) => return Err(self.unexpected()),
                _ => break,
            }
        }
        self.expect_eof()?;
        match name {
            Some(name) if !name.is_empty() => Ok((name, params.unwrap_or_default())),
            _ => Err(CallError::NoMethodName),
        }
    }

    fn method_response(mut self) -> Result<Answer, CallError> {
        self.expect_start(Tag::MethodResponse)?;
        let answer = match self.next_tag()? {
            Item::Start(Tag::Params) => {
                let mut params = self.params()?;
                if params.len() != 1 {
                    return Err(unmarshallable("a response carries exactly one value"));
                }
                Answer::Value(params.remove(0))
            }
            Item::Start(Tag::Fault) => {
                self.expect_start(Tag::Value)?;
                let fault = self.value()?;
                self.expect_end()?;
                fault_of(fault)?
            }
            Item::Start(_) => return Err(self.unexpected()),
            _ => return Err(unmarshallable("empty response")),
        };
        self.expect_end()?;
        self.expect_eof()?;
        Ok(answer)
    }

    /// See [`parse_struct_rows`]; `Ok(None)` for any other shape.
    fn struct_rows(mut self, keys: &[&str]) -> Result<Option<Vec<Row>>, CallError> {
        self.expect_start(Tag::MethodResponse)?;
        self.expect_start(Tag::Params)?;
        self.expect_start(Tag::Param)?;
        self.expect_start(Tag::Value)?;
        self.expect_start(Tag::Array)?;
        self.expect_start(Tag::Data)?;
        let mut rows = Vec::new();
        loop {
            match self.next_tag()? {
                Item::Start(Tag::Value) => {}
                Item::Start(_) => return Ok(None),
                _ => break,
            }
            self.expect_start(Tag::Struct)?;
            let mut row: Row = vec![None; keys.len()];
            loop {
                match self.next_tag()? {
                    Item::Start(Tag::Member) => {}
                    Item::Start(_) => return Ok(None),
                    _ => break,
                }
                self.expect_start(Tag::Name)?;
                let name = self.text_content()?;
                self.expect_start(Tag::Value)?;
                let value = self.value()?;
                // As a struct: the last member of a name wins.
                if let Some(slot) = keys
                    .iter()
                    .position(|k| *k == name)
                    .and_then(|i| row.get_mut(i))
                {
                    *slot = Some(value);
                }
                self.expect_end()?;
            }
            self.expect_end()?;
            rows.push(row);
        }
        // </array>, </value>, </param>, then exactly one param.
        self.expect_end()?;
        self.expect_end()?;
        self.expect_end()?;
        if !matches!(self.next_tag()?, Item::End) {
            return Ok(None);
        }
        self.expect_end()?;
        self.expect_eof()?;
        Ok(Some(rows))
    }

    fn skip_children(&mut self) -> Result<(), CallError> {
        let mut open = 1usize;
        while open > 0 {
            match self.next()? {
                Item::Start(_) => open += 1,
                Item::End => open -= 1,
                Item::Text(_) => {}
                Item::Eof => return Err(unmarshallable("unexpected end of document")),
            }
        }
        Ok(())
    }

    fn expect_eof(&mut self) -> Result<(), CallError> {
        loop {
            match self.next()? {
                Item::Eof => return Ok(()),
                Item::Text(text) if is_blank(&text) => {}
                _ => return Err(unmarshallable("content after the root element")),
            }
        }
    }

    fn params(&mut self) -> Result<Vec<Value>, CallError> {
        let mut params = Vec::new();
        loop {
            match self.next_tag()? {
                Item::Start(Tag::Param) => {
                    self.expect_start(Tag::Value)?;
                    params.push(self.value()?);
                    self.expect_end()?;
                }
                Item::Start(_) => return Err(self.unexpected()),
                _ => return Ok(params),
            }
        }
    }

    /// A value, its `<value>` start tag already read, up to and including `</value>`.
    fn value(&mut self) -> Result<Value, CallError> {
        let mut text: Option<Cow<'a, str>> = None;
        loop {
            match self.next()? {
                Item::Text(more) => match &mut text {
                    None => text = Some(more),
                    Some(all) => all.to_mut().push_str(&more),
                },
                Item::End => return Ok(Value::String(text.unwrap_or_default().into_owned())),
                Item::Start(tag) if text.as_deref().is_none_or(is_blank) => {
                    let value = self.typed(tag)?;
                    self.expect_end()?;
                    return Ok(value);
                }
                Item::Start(_) => return Err(unmarshallable("text beside a typed value")),
                Item::Eof => return Err(unmarshallable("unexpected end of document")),
            }
        }
    }

    /// The content of a type element, up to and including its end tag.
    fn typed(&mut self, tag: Tag) -> Result<Value, CallError> {
        Ok(match tag {
            Tag::Int => {
                let text = self.text_content()?;
                // Python's `int(data)`, as xmlrpc.client reads it (`<int>1_000</int>` too).
                let n = crate::pytext::parse_int(&text).ok_or_else(|| self.bad(&text))?;
                i32::try_from(n).map_or(Value::Int64(n), Value::Int)
            }
            Tag::Boolean => match self.text_content()?.trim() {
                "0" => Value::Bool(false),
                "1" => Value::Bool(true),
                other => return Err(self.bad(other)),
            },
            Tag::String => Value::String(self.text_content()?.into_owned()),
            Tag::Double => {
                let text = self.text_content()?;
                Value::Double(text.trim().parse().map_err(|_| self.bad(&text))?)
            }
            Tag::DateTime => {
                let text = self.text_content()?;
                Value::DateTime(text.trim().parse().map_err(|_| self.bad(&text))?)
            }
            Tag::Base64 => {
                let text = self.text_content()?;
                Value::String(decode_base64_text(&text).ok_or_else(|| self.bad(&text))?)
            }
            Tag::Nil => {
                self.expect_end()?;
                Value::Nil
            }
            Tag::Array => {
                self.expect_start(Tag::Data)?;
                let mut items = Vec::new();
                loop {
                    match self.next_tag()? {
                        Item::Start(Tag::Value) => items.push(self.value()?),
                        Item::Start(_) => return Err(self.unexpected()),
                        _ => break,
                    }
                }
                self.expect_end()?;
                Value::Array(items)
            }
            Tag::Struct => {
                let mut members = BTreeMap::new();
                loop {
                    match self.next_tag()? {
                        Item::Start(Tag::Member) => {
                            self.expect_start(Tag::Name)?;
                            let name = self.text_content()?.into_owned();
                            self.expect_start(Tag::Value)?;
                            members.insert(name, self.value()?);
                            self.expect_end()?;
                        }
                        Item::Start(_) => return Err(self.unexpected()),
                        _ => break,
                    }
                }
                Value::Struct(members)
            }
            _ => {
                return Err(unmarshallable(format!(
                    "unknown value type <{}>",
                    String::from_utf8_lossy(&self.last_name)
                )))
            }
        })
    }
}

/// A fault's `{faultCode, faultString}` struct.
fn fault_of(value: Value) -> Result<Answer, CallError> {
    let Value::Struct(mut members) = value else {
        return Err(unmarshallable("a fault is a struct"));
    };
    let code = match members.remove("faultCode") {
        Some(Value::Int(code)) => i64::from(code),
        Some(Value::Int64(code)) => code,
        _ => return Err(unmarshallable("a fault needs an integer faultCode")),
    };
    match members.remove("faultString") {
        Some(Value::String(string)) => Ok(Answer::Fault { code, string }),
        _ => Err(unmarshallable("a fault needs a faultString")),
    }
}

/// Decodes `<base64>` content (Python wraps it at 76 columns) into UTF-8 text.
fn decode_base64_text(text: &str) -> Option<String> {
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    String::from_utf8(base64::decode(compact).ok()?).ok()
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
