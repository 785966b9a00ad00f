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
mod tests {
    use super::*;
    use crate::rpc::codec::write_response;

    #[track_caller]
    fn call(body: &str) -> (String, Vec<Value>) {
        parse_method_call(body.as_bytes()).unwrap()
    }

    #[track_caller]
    fn params(values: &str) -> Vec<Value> {
        let body = format!(
            "<?xml version='1.0'?>\n<methodCall>\n<methodName>x.y</methodName>\n<params>\n{values}</params>\n</methodCall>\n"
        );
        call(&body).1
    }

    #[track_caller]
    fn one(value: &str) -> Value {
        let mut all = params(&format!("<param>{value}</param>\n"));
        assert_eq!(all.len(), 1);
        all.remove(0)
    }

    #[track_caller]
    fn refused(body: &str) -> CallError {
        parse_method_call(body.as_bytes()).unwrap_err()
    }

    #[track_caller]
    fn unmarshallable_call(body: &str) {
        let err = refused(body);
        assert!(
            matches!(err, CallError::Unmarshallable(_)),
            "{err:?} for {body}"
        );
    }

    fn s(text: &str) -> Value {
        Value::String(text.to_string())
    }

    fn wrap_value(value: &str) -> String {
        format!("<methodCall><methodName>m.n</methodName><params><param>{value}</param></params></methodCall>")
    }

    // -- method name and params --------------------------------------------------------------

    #[test]
    fn python_client_request_parses() {
        // python3 -c 'import xmlrpc.client as x; print(x.dumps(("foo", 3, True), "supervisor.startProcess"))'
        let body = "<?xml version='1.0'?>\n<methodCall>\n<methodName>supervisor.startProcess</methodName>\n\
                    <params>\n<param>\n<value><string>foo</string></value>\n</param>\n\
                    <param>\n<value><int>3</int></value>\n</param>\n\
                    <param>\n<value><boolean>1</boolean></value>\n</param>\n</params>\n</methodCall>\n";
        assert_eq!(
            call(body),
            (
                "supervisor.startProcess".to_string(),
                vec![s("foo"), Value::Int(3), Value::Bool(true)]
            )
        );
    }

    #[test]
    fn params_are_optional_and_may_be_empty() {
        let no_params = "<?xml version=\"1.0\"?><methodCall><methodName>supervisor.getPID</methodName></methodCall>";
        assert_eq!(call(no_params), ("supervisor.getPID".to_string(), vec![]));
        assert!(params("").is_empty());
        assert_eq!(
            call("<methodCall><methodName>a.b</methodName><params/></methodCall>").1,
            vec![]
        );
    }

    #[test]
    fn method_name_is_kept_as_sent() {
        assert_eq!(
            call("<methodCall><methodName> a.b </methodName></methodCall>").0,
            " a.b "
        );
        assert_eq!(
            call("<methodCall><methodName>a&amp;b</methodName></methodCall>").0,
            "a&b"
        );
    }

    #[test]
    fn params_before_method_name_accepted() {
        let body = "<methodCall><params><param><value>x</value></param></params><methodName>a.b</methodName></methodCall>";
        assert_eq!(call(body), ("a.b".to_string(), vec![s("x")]));
    }

    #[test]
    fn comments_and_processing_instructions_are_ignored() {
        let body = "<?xml version='1.0'?><!-- hi --><?pi x?><methodCall><!-- c --><methodName>a<!--x-->.b</methodName></methodCall><!-- end -->";
        assert_eq!(call(body).0, "a.b");
    }

    #[test]
    fn utf8_bom_and_other_encoding_declaration() {
        let body = "\u{feff}<?xml version='1.0' encoding='iso-8859-1'?><methodCall><methodName>a.b</methodName><params><param><value>é</value></param></params></methodCall>";
        assert_eq!(call(body).1, vec![s("é")]);
    }

    // -- no method name ----------------------------------------------------------------------

    #[test]
    fn missing_or_empty_method_name() {
        assert_eq!(
            refused("<?xml version=\"1.0\"?><methodCall><params></params></methodCall>"),
            CallError::NoMethodName
        );
        assert_eq!(
            refused("<methodCall><methodName></methodName></methodCall>"),
            CallError::NoMethodName
        );
        assert_eq!(
            refused("<methodCall><methodName/></methodCall>"),
            CallError::NoMethodName
        );
        assert_eq!(refused("<methodCall/>"), CallError::NoMethodName);
    }

    #[test]
    fn wrong_root_is_no_method_name_like_the_reference() {
        assert_eq!(
            refused("<?xml version=\"1.0\"?><foo><bar/></foo>"),
            CallError::NoMethodName
        );
        let response = String::from_utf8(write_response(&s("x"))).unwrap();
        assert_eq!(refused(&response), CallError::NoMethodName);
        // ... but it must still be well-formed
        unmarshallable_call("<foo><bar></foo>");
    }

    // -- values ------------------------------------------------------------------------------

    #[test]
    fn untyped_value_is_a_string_with_whitespace() {
        assert_eq!(one("<value>  a b\n</value>"), s("  a b\n"));
        assert_eq!(one("<value></value>"), s(""));
        assert_eq!(one("<value/>"), s(""));
        assert_eq!(
            one("<value>a&lt;&amp;&gt;&#65;&#x42;<![CDATA[<c>]]></value>"),
            s("a<&>AB<c>")
        );
    }

    #[test]
    fn typed_values() {
        assert_eq!(one("<value><int>-12</int></value>"), Value::Int(-12));
        assert_eq!(one("<value><i4> 7 </i4></value>"), Value::Int(7));
        assert_eq!(one("<value><i8>5</i8></value>"), Value::Int(5));
        assert_eq!(one("<value><int>+3</int></value>"), Value::Int(3));
        // Python's int() grammar, as xmlrpc.client's Unmarshaller uses it.
        assert_eq!(one("<value><int>1_000</int></value>"), Value::Int(1000));
        assert_eq!(
            one("<value><i8>4294967296</i8></value>"),
            Value::Int64(4_294_967_296)
        );
        assert_eq!(
            one("<value><int>-2147483649</int></value>"),
            Value::Int64(-2_147_483_649)
        );
        assert_eq!(
            one("<value><boolean>0</boolean></value>"),
            Value::Bool(false)
        );
        assert_eq!(
            one("<value><boolean>1</boolean></value>"),
            Value::Bool(true)
        );
        assert_eq!(one("<value><string> x </string></value>"), s(" x "));
        assert_eq!(one("<value><string/></value>"), s(""));
        assert_eq!(
            one("<value><double>1.5</double></value>"),
            Value::Double(1.5)
        );
        assert_eq!(
            one("<value><double>-1e300</double></value>"),
            Value::Double(-1e300)
        );
        assert_eq!(one("<value><nil/></value>"), Value::Nil);
        assert_eq!(one("<value>\n  <int>1</int>\n</value>"), Value::Int(1));
    }

    #[test]
    fn namespaced_nil_matches_on_local_name() {
        let value = "<value><ex:nil xmlns:ex=\"http://ws.apache.org/xmlrpc/namespaces/extensions\"/></value>";
        assert_eq!(one(value), Value::Nil);
    }

    #[test]
    fn base64_decodes_to_text() {
        // python3 -c 'import xmlrpc.client as x; print(x.dumps((x.Binary(("é"*60).encode()),)))'
        let encoded = base64::encode("é".repeat(60));
        let wrapped: Vec<String> = encoded
            .as_bytes()
            .chunks(76)
            .map(|line| String::from_utf8(line.to_vec()).unwrap())
            .collect();
        let value = format!("<value><base64>\n{}\n</base64></value>", wrapped.join("\n"));
        assert_eq!(one(&value), s(&"é".repeat(60)));
        assert_eq!(one("<value><base64></base64></value>"), s(""));
        unmarshallable_call(&wrap_value("<value><base64>!!!</base64></value>"));
        // bytes that are not UTF-8 cannot become text (the reference fails the same way)
        unmarshallable_call(&wrap_value(&format!(
            "<value><base64>{}</base64></value>",
            base64::encode([0xff, 0xfe])
        )));
    }

    #[test]
    fn datetime_kept_or_refused() {
        let Value::DateTime(date) =
            one("<value><dateTime.iso8601>20260102T03:04:05</dateTime.iso8601></value>")
        else {
            panic!("not a date");
        };
        assert_eq!(date.to_string(), "20260102T03:04:05");
        unmarshallable_call(&wrap_value(
            "<value><dateTime.iso8601>yesterday</dateTime.iso8601></value>",
        ));
    }

    #[test]
    fn arrays_and_structs() {
        let value = "<value><array><data>\n<value><int>1</int></value>\n<value>two</value>\n\
                     <value><struct>\n<member>\n<name>k</name>\n<value><array><data/></array></value>\n</member>\n\
                     <member><name></name><value><struct/></value></member>\n\
                     <member><name>k</name><value>dup wins</value></member>\n</struct></value>\n</data></array></value>";
        let mut inner = BTreeMap::new();
        inner.insert("k".to_string(), s("dup wins"));
        inner.insert(String::new(), Value::Struct(BTreeMap::new()));
        assert_eq!(
            one(value),
            Value::Array(vec![Value::Int(1), s("two"), Value::Struct(inner)])
        );
    }

    #[test]
    fn multicall_shape() {
        let body = "<?xml version='1.0'?>\n<methodCall>\n<methodName>system.multicall</methodName>\n<params>\n<param>\n\
                    <value><array><data>\n<value><struct>\n<member>\n<name>methodName</name>\n\
                    <value><string>supervisor.getPID</string></value>\n</member>\n<member>\n<name>params</name>\n\
                    <value><array><data>\n</data></array></value>\n</member>\n</struct></value>\n\
                    </data></array></value>\n</param>\n</params>\n</methodCall>\n";
        let (name, params) = call(body);
        assert_eq!(name, "system.multicall");
        let mut member = BTreeMap::new();
        member.insert("methodName".to_string(), s("supervisor.getPID"));
        member.insert("params".to_string(), Value::Array(vec![]));
        assert_eq!(params, vec![Value::Array(vec![Value::Struct(member)])]);
    }

    // -- malformed input ---------------------------------------------------------------------

    #[test]
    fn malformed_documents_are_unmarshallable() {
        for body in [
            "",
            "<not xml",
            "plain text",
            "<methodCall><methodName>a.b</methodName>",
            "<methodCall><methodName>a.b</methodName></methodCall><methodCall/>",
            "<methodCall><methodName>a.b</methodName></methodCall>trailing",
            "<methodCall><methodName>a<b/></methodName></methodCall>",
            "<methodCall><methodName>a.b</methodName><methodName>c.d</methodName></methodCall>",
            "<methodCall>text<methodName>a.b</methodName></methodCall>",
            "<methodCall><methodName>a.b</methodName><bogus/></methodCall>",
            "<methodCall><methodName>a.b</methodName><params><value>x</value></params></methodCall>",
            "<methodCall><methodName>a.b</methodName><params><param></param></params></methodCall>",
            "<methodCall><methodName>&undefined;</methodName></methodCall>",
        ] {
            unmarshallable_call(body);
        }
    }

    #[test]
    fn malformed_values_are_unmarshallable() {
        for value in [
            "<value><int>1.5</int></value>",
            "<value><int>99999999999999999999</int></value>",
            "<value><int></int></value>",
            "<value><boolean>true</boolean></value>",
            "<value><boolean>2</boolean></value>",
            "<value><double>x</double></value>",
            "<value><float>1</float></value>",
            "<value><int>1</int><int>2</int></value>",
            "<value>text<int>1</int></value>",
            "<value><nil>x</nil></value>",
            "<value><array></array></value>",
            "<value><array><data><int>1</int></data></array></value>",
            "<value><struct><member><value>v</value></member></struct></value>",
            "<value><struct><member><name>k</name></member></struct></value>",
            "<value><struct><name>k</name></struct></value>",
            "<value><string><b/></string></value>",
        ] {
            unmarshallable_call(&wrap_value(value));
        }
    }

    #[test]
    fn truncated_bodies_never_parse() {
        let body = String::from_utf8(write_response(&Value::Int(1))).unwrap();
        let full = "<?xml version='1.0'?><methodCall><methodName>a.b</methodName><params><param><value><array><data><value><i4>1</i4></value></data></array></value></param></params></methodCall>";
        assert!(parse_method_call(full.as_bytes()).is_ok());
        for cut in 0..full.len() {
            assert!(
                parse_method_call(&full.as_bytes()[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        assert!(parse_method_call(body.as_bytes()).is_err());
    }

    #[test]
    fn non_utf8_body_is_unmarshallable() {
        assert!(matches!(
            parse_method_call(b"<methodCall><methodName>a\xff</methodName></methodCall>"),
            Err(CallError::Unmarshallable(_))
        ));
    }

    // -- D5 hardening ------------------------------------------------------------------------

    #[test]
    fn doctype_with_internal_entity_refused() {
        // DIVERGENCE(D5): the reference expands this entity and calls supervisor.getPID.
        unmarshallable_call(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE methodCall [<!ENTITY x \"supervisor.getPID\">]>\n\
             <methodCall><methodName>&x;</methodName><params/></methodCall>",
        );
    }

    #[test]
    fn bare_doctype_refused() {
        unmarshallable_call("<?xml version=\"1.0\"?>\n<!DOCTYPE methodCall>\n<methodCall><methodName>a.b</methodName></methodCall>");
        unmarshallable_call(
            "<!-- c --><!DOCTYPE methodCall><methodCall><methodName>a.b</methodName></methodCall>",
        );
        unmarshallable_call(
            "\u{feff}  <!doctype methodCall><methodCall><methodName>a.b</methodName></methodCall>",
        );
    }

    #[test]
    fn external_entity_refused() {
        unmarshallable_call(
            "<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\
             <methodCall><methodName>a.b</methodName><params><param><value>&xxe;</value></param></params></methodCall>",
        );
    }

    #[test]
    fn billion_laughs_refused() {
        let mut body = String::from("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        for i in 1..10 {
            let prev = if i == 1 {
                "lol".to_string()
            } else {
                format!("lol{}", i - 1)
            };
            body.push_str(&format!(
                "<!ENTITY lol{i} \"{}\">",
                format!("&{prev};").repeat(10)
            ));
        }
        body.push_str("]><methodCall><methodName>&lol9;</methodName></methodCall>");
        unmarshallable_call(&body);
    }

    #[test]
    fn declarations_inside_the_root_are_refused_by_xml_rs() {
        unmarshallable_call("<methodCall><!DOCTYPE x><methodName>a.b</methodName></methodCall>");
        unmarshallable_call(
            "<methodCall><!ENTITY x \"y\"><methodName>a.b</methodName></methodCall>",
        );
    }

    #[test]
    fn doctype_text_inside_cdata_is_just_text() {
        assert_eq!(
            one("<value><![CDATA[<!DOCTYPE x>]]></value>"),
            s("<!DOCTYPE x>")
        );
    }

    fn nested_arrays(depth: usize) -> String {
        wrap_value(&format!(
            "{}{}",
            "<value><array><data>".repeat(depth),
            "</data></array></value>".repeat(depth)
        ))
    }

    #[test]
    fn nesting_limit() {
        // methodCall, params, param = 3 elements; each array level is value+array+data = 3.
        assert!(parse_method_call(nested_arrays(20).as_bytes()).is_ok());
        let deepest_ok = format!(
            "<methodCall><methodName>a.b</methodName><params><param>{}{}</param></params></methodCall>",
            "<value><array><data>".repeat(20) + "<value><string>",
            "</string></value>".to_string() + &"</data></array></value>".repeat(20)
        );
        // 3 + 60 + 2 = 65 levels deep at the <string>
        assert!(matches!(
            parse_method_call(deepest_ok.as_bytes()),
            Err(CallError::Unmarshallable(_))
        ));
        let at_limit = deepest_ok.replace("<value><string></string></value>", "<value></value>");
        assert!(parse_method_call(at_limit.as_bytes()).is_ok());
        // DIVERGENCE(D5): the reference parses any depth.
        unmarshallable_call(&nested_arrays(100));
        unmarshallable_call(&nested_arrays(100_000));
    }

    #[test]
    fn deep_wrong_root_is_refused_too() {
        let body = format!("{}{}", "<a>".repeat(1000), "</a>".repeat(1000));
        unmarshallable_call(&body);
    }

    #[test]
    fn size_limit() {
        let filler = "a".repeat(MAX_BODY_BYTES);
        let body = wrap_value(&format!("<value>{filler}</value>"));
        assert!(body.len() > MAX_BODY_BYTES);
        unmarshallable_call(&body);
        let fits = wrap_value(&format!(
            "<value>{}</value>",
            &filler[..MAX_BODY_BYTES - 200]
        ));
        assert_eq!(one_param(&fits).len(), MAX_BODY_BYTES - 200);
    }

    fn one_param(body: &str) -> String {
        match parse_method_call(body.as_bytes()).unwrap().1.remove(0) {
            Value::String(text) => text,
            other => panic!("not a string: {other:?}"),
        }
    }

    #[test]
    fn round_trip_through_our_parser() {
        let mut members = BTreeMap::new();
        members.insert("name".to_string(), s("grp:proc <&>"));
        members.insert("pid".to_string(), Value::Int(42));
        members.insert("offset".to_string(), Value::Int64(5_000_000_000));
        members.insert("ok".to_string(), Value::Bool(false));
        members.insert("ratio".to_string(), Value::Double(0.1));
        members.insert(
            "list".to_string(),
            Value::Array(vec![s(" spaced "), Value::Nil]),
        );
        let value = Value::Struct(members);
        let response = String::from_utf8(write_response(&value)).unwrap();
        // Re-wrap the written <value> as a call parameter.
        let inner = response
            .split("<param>\n")
            .nth(1)
            .and_then(|rest| rest.split("</param>").next())
            .unwrap();
        assert_eq!(one(inner), value);
    }

    // -- no panics on any input --------------------------------------------------------------

    #[test]
    fn characters_xml_forbids_are_refused_in_requests() {
        unmarshallable_call(&wrap_value("<value>a\u{1}b</value>"));
        unmarshallable_call(&wrap_value("<value>a&#1;b</value>"));
        unmarshallable_call(&wrap_value("<value>a\u{fffe}b</value>"));
        assert_eq!(one("<value>\t&#10;&#x9;</value>"), s("\t\n\t"));
    }

    // -- responses (supervisorctl) -----------------------------------------------------------

    #[test]
    fn response_value_and_fault() {
        let written = write_response(&s("x"));
        assert_eq!(parse_method_response(&written), Ok(Answer::Value(s("x"))));
        let fault = crate::rpc::codec::write_fault(&crate::rpc::faults::Fault::with_detail(
            crate::rpc::faults::FaultCode::BadName,
            "nosuch",
        ));
        assert_eq!(
            parse_method_response(&fault),
            Ok(Answer::Fault {
                code: 10,
                string: "BAD_NAME: nosuch".into()
            })
        );
    }

    #[test]
    fn responses_keep_control_characters_and_replace_bad_utf8() {
        let body = b"<methodResponse><params><param><value>\x1b[1m\x00\xff</value></param></params></methodResponse>";
        assert_eq!(
            parse_method_response(body),
            Ok(Answer::Value(s("\u{1b}[1m\u{0}\u{fffd}")))
        );
    }

    #[test]
    fn malformed_responses_are_refused() {
        for body in [
            "",
            "<methodResponse/>",
            "<methodResponse><params></params></methodResponse>",
            "<methodResponse><params><param><value>a</value></param><param><value>b</value></param></params></methodResponse>",
            "<methodResponse><fault><value><int>1</int></value></fault></methodResponse>",
            "<methodResponse><fault><value><struct></struct></value></fault></methodResponse>",
            "<methodCall><methodName>a</methodName></methodCall>",
            "<methodResponse><params><param><value>a</value></param></params></methodResponse><x/>",
            "<!DOCTYPE m><methodResponse><params><param><value>a</value></param></params></methodResponse>",
        ] {
            assert!(parse_method_response(body.as_bytes()).is_err(), "{body}");
        }
    }

    #[test]
    fn random_and_mutated_inputs_never_panic() {
        let seeds = [
            nested_arrays(3),
            "<?xml version='1.0'?><methodCall><methodName>a.b</methodName><params><param><value><struct><member><name>k</name><value><base64>aGk=</base64></value></member></struct></value></param><param><value><dateTime.iso8601>20260102T03:04:05</dateTime.iso8601></value></param></params></methodCall>".to_string(),
            "<!DOCTYPE x [<!ENTITY a \"b\">]><methodCall/>".to_string(),
        ];
        let alphabet: &[u8] = b"<>/&;![]-?=\"' \n\x00\xffabcdefghijklmnopqrstuvwxyz";
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..4000 {
            let mut bytes = seeds[round % seeds.len()].clone().into_bytes();
            for _ in 0..(next() % 5) {
                let at = (next() as usize) % bytes.len().max(1);
                let b = alphabet[(next() as usize) % alphabet.len()];
                match next() % 3 {
                    0 if at < bytes.len() => bytes[at] = b,
                    1 => bytes.truncate(at),
                    _ => bytes.insert(at.min(bytes.len()), b),
                }
            }
            let _ = parse_method_call(&bytes);
        }
    }

    #[test]
    fn struct_rows_are_the_members_asked_for() {
        let row = |name: &str, n: i32| {
            let mut m = BTreeMap::new();
            m.insert("name".to_string(), s(name));
            m.insert("n".to_string(), Value::Int(n));
            m.insert("other".to_string(), Value::Array(vec![Value::Bool(true)]));
            Value::Struct(m)
        };
        let body = write_response(&Value::Array(vec![row("a<&", 1), row("", -2)]));
        assert_eq!(
            parse_struct_rows(&body, &["n", "missing", "name"]),
            Some(vec![
                vec![Some(Value::Int(1)), None, Some(s("a<&"))],
                vec![Some(Value::Int(-2)), None, Some(s(""))],
            ])
        );
        assert_eq!(
            parse_struct_rows(&write_response(&Value::Array(vec![])), &["n"]),
            Some(vec![])
        );
        // Python's client layout (whitespace, untyped names) reads the same.
        let python = "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array>\
            <data>\n<value><struct>\n<member>\n<name>n</name>\n<value><int>3</int></value>\n</member>\n\
            </struct></value>\n</data></array></value>\n</param>\n</params>\n</methodResponse>\n";
        assert_eq!(
            parse_struct_rows(python.as_bytes(), &["n"]),
            Some(vec![vec![Some(Value::Int(3))]])
        );
        // Any other shape is left to parse_method_response.
        for other in [
            write_response(&s("x")),
            write_response(&Value::Array(vec![Value::Int(1)])),
            write_response(&Value::Array(vec![row("a", 1), s("b")])),
            crate::rpc::codec::write_fault(&crate::rpc::faults::Fault::new(
                crate::rpc::faults::FaultCode::Failed,
            )),
            b"<methodResponse><params><param><value><array><data>".to_vec(),
        ] {
            assert_eq!(parse_struct_rows(&other, &["n"]), None);
        }
    }
}
