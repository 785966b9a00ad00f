//! The XML-RPC wire codec: `<methodCall>` bodies → method name and parameters, values and
//! faults → `<methodResponse>` bytes (reference §5.1; decisions D5, D6; crates.md §3.3).
//!
//! The parser is ours, on xml-rs (the `xmlrpc` crate only parses responses); it mirrors
//! `supervisor_xmlrpc_handler.loads` with D5's hardening. The writer reproduces Python's
//! `xmlrpc.client.dumps(..., methodresponse=True)` byte for byte. Pure: no dispatch, no
//! logging; [`CallError::log_message`] only formats the reference's log text.

use std::collections::BTreeMap;
use std::fmt;

use xml::reader::{EventReader, ParserConfig, XmlEvent};
use xml::Encoding;
use xmlrpc::Value;

use super::faults::Fault;

/// Deepest accepted element nesting of a call (D5).
pub const MAX_DEPTH: usize = 64;
/// Largest accepted call body (D5).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Why a call body was refused; both are answered with HTTP 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// Not a parseable call: malformed XML, an unknown element or value, a DOCTYPE or entity
    /// declaration, nesting or size over the limits. The text says which, for debugging.
    Unmarshallable(String),
    /// Well-formed, but `<methodName>` is missing or empty (or the root is not `<methodCall>`).
    NoMethodName,
}

impl CallError {
    /// The reference's words for the error (`unmarshallable` / `no method name`).
    pub fn reason(&self) -> &'static str {
        match self {
            CallError::Unmarshallable(_) => "unmarshallable",
            CallError::NoMethodName => "no method name",
        }
    }

    /// The reference's ERROR log line for a refused `body`:
    /// `XML-RPC request data '<body as a Python repr>' is invalid: <reason>`.
    pub fn log_message(&self, body: &[u8]) -> String {
        format!(
            "XML-RPC request data {} is invalid: {}",
            python_repr(&String::from_utf8_lossy(body)),
            self.reason()
        )
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Unmarshallable(detail) => write!(f, "unmarshallable: {detail}"),
            CallError::NoMethodName => f.write_str("no method name"),
        }
    }
}

impl std::error::Error for CallError {}

fn unmarshallable(detail: impl Into<String>) -> CallError {
    CallError::Unmarshallable(detail.into())
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

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
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    refuse_doctype(text)?;
    let config = ParserConfig::new()
        .trim_whitespace(false)
        .whitespace_to_characters(true)
        .cdata_to_characters(true)
        .ignore_comments(true)
        .coalesce_characters(true)
        // The body was checked to be UTF-8 above; a contrary declaration does not change that.
        .override_encoding(Some(Encoding::Utf8))
        .ignore_invalid_encoding_declarations(true)
        .allow_multiple_root_elements(false);
    let mut reader = Reader {
        events: config.create_reader(text.as_bytes()),
        depth: 0,
    };
    reader.method_call()
}

/// Refuses a document type declaration (and with it every entity declaration, internal or
/// external) before xml-rs sees it: xml-rs 0.8 accepts and expands them silently. A DOCTYPE
/// may only stand in the prolog, before the root element.
fn refuse_doctype(text: &str) -> Result<(), CallError> {
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches([' ', '\t', '\r', '\n']);
        let skip_to = |end: &str| rest.find(end).map(|at| at + end.len());
        let next = if rest.starts_with("<?") {
            skip_to("?>")
        } else if rest.starts_with("<!--") {
            skip_to("-->")
        } else if rest.starts_with("<!") {
            return Err(unmarshallable(
                "DOCTYPE and entity declarations are refused",
            ));
        } else {
            return Ok(());
        };
        // An unterminated declaration or comment is left for xml-rs to report.
        match next.and_then(|at| rest.get(at..)) {
            Some(after) => rest = after,
            None => return Ok(()),
        }
    }
}

/// One structural item of the document.
enum Item {
    Start(String),
    End,
    Text(String),
    EndDocument,
}

struct Reader<'a> {
    events: EventReader<&'a [u8]>,
    depth: usize,
}

fn is_blank(text: &str) -> bool {
    text.chars().all(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

impl Reader<'_> {
    fn next(&mut self) -> Result<Item, CallError> {
        loop {
            let event = self
                .events
                .next()
                .map_err(|e| unmarshallable(e.to_string()))?;
            return Ok(match event {
                XmlEvent::StartElement { name, .. } => {
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return Err(unmarshallable("nesting deeper than 64 elements"));
                    }
                    Item::Start(name.local_name)
                }
                XmlEvent::EndElement { .. } => {
                    self.depth = self.depth.saturating_sub(1);
                    Item::End
                }
                XmlEvent::Characters(text) | XmlEvent::CData(text) | XmlEvent::Whitespace(text) => {
                    Item::Text(text)
                }
                XmlEvent::EndDocument => Item::EndDocument,
                XmlEvent::StartDocument { .. }
                | XmlEvent::ProcessingInstruction { .. }
                | XmlEvent::Comment(_) => continue,
            });
        }
    }

    /// The next start tag or end tag, skipping blank text; other text is an error.
    fn next_tag(&mut self) -> Result<Item, CallError> {
        loop {
            match self.next()? {
                Item::Text(text) if is_blank(&text) => continue,
                Item::Text(_) => return Err(unmarshallable("unexpected text")),
                Item::EndDocument => return Err(unmarshallable("unexpected end of document")),
                tag => return Ok(tag),
            }
        }
    }

    fn expect_start(&mut self, wanted: &str) -> Result<(), CallError> {
        match self.next_tag()? {
            Item::Start(tag) if tag == wanted => Ok(()),
            _ => Err(unmarshallable(format!("expected <{wanted}>"))),
        }
    }

    fn expect_end(&mut self) -> Result<(), CallError> {
        match self.next_tag()? {
            Item::End => Ok(()),
            _ => Err(unmarshallable("expected an end tag")),
        }
    }

    /// The text of an element without children, up to its end tag.
    fn text_content(&mut self) -> Result<String, CallError> {
        let mut content = String::new();
        loop {
            match self.next()? {
                Item::Text(text) => content.push_str(&text),
                Item::End => return Ok(content),
                Item::Start(tag) => return Err(unmarshallable(format!("unexpected <{tag}>"))),
                Item::EndDocument => return Err(unmarshallable("unexpected end of document")),
            }
        }
    }

    fn method_call(&mut self) -> Result<(String, Vec<Value>), CallError> {
        let Item::Start(root) = self.next_tag()? else {
            return Err(unmarshallable("no root element"));
        };
        if root != "methodCall" {
            // COMPAT: the reference parses any well-formed document and then finds no method
            // name, so it logs "no method name" for, e.g., a <methodResponse>.
            self.skip_children()?;
            self.expect_end_document()?;
            return Err(CallError::NoMethodName);
        }
        let mut name = None;
        let mut params = None;
        loop {
            match self.next_tag()? {
                Item::Start(tag) if tag == "methodName" && name.is_none() => {
                    name = Some(self.text_content()?);
                }
                Item::Start(tag) if tag == "params" && params.is_none() => {
                    params = Some(self.params()?);
                }
                Item::Start(tag) => return Err(unmarshallable(format!("unexpected <{tag}>"))),
                _ => break,
            }
        }
        self.expect_end_document()?;
        match name {
            Some(name) if !name.is_empty() => Ok((name, params.unwrap_or_default())),
            _ => Err(CallError::NoMethodName),
        }
    }

    fn skip_children(&mut self) -> Result<(), CallError> {
        let mut open = 1usize;
        while open > 0 {
            match self.next()? {
                Item::Start(_) => open += 1,
                Item::End => open -= 1,
                Item::Text(_) => {}
                Item::EndDocument => return Err(unmarshallable("unexpected end of document")),
            }
        }
        Ok(())
    }

    fn expect_end_document(&mut self) -> Result<(), CallError> {
        match self.next()? {
            Item::EndDocument => Ok(()),
            Item::Text(text) if is_blank(&text) => self.expect_end_document(),
            _ => Err(unmarshallable("content after the root element")),
        }
    }

    fn params(&mut self) -> Result<Vec<Value>, CallError> {
        let mut params = Vec::new();
        loop {
            match self.next_tag()? {
                Item::Start(tag) if tag == "param" => {
                    self.expect_start("value")?;
                    params.push(self.value()?);
                    self.expect_end()?;
                }
                Item::Start(tag) => return Err(unmarshallable(format!("unexpected <{tag}>"))),
                _ => return Ok(params),
            }
        }
    }

    /// A value, its `<value>` start tag already read, up to and including `</value>`.
    fn value(&mut self) -> Result<Value, CallError> {
        let mut text = String::new();
        loop {
            match self.next()? {
                Item::Text(more) => text.push_str(&more),
                Item::End => return Ok(Value::String(text)),
                Item::Start(tag) if is_blank(&text) => {
                    let value = self.typed(&tag)?;
                    self.expect_end()?;
                    return Ok(value);
                }
                Item::Start(_) => return Err(unmarshallable("text beside a typed value")),
                Item::EndDocument => return Err(unmarshallable("unexpected end of document")),
            }
        }
    }

    /// The content of a type element `<tag>`, up to and including its end tag.
    fn typed(&mut self, tag: &str) -> Result<Value, CallError> {
        let bad = |what: &str| unmarshallable(format!("invalid <{tag}> value {what:?}"));
        Ok(match tag {
            "int" | "i4" | "i8" => {
                let text = self.text_content()?;
                let n: i64 = text.trim().parse().map_err(|_| bad(&text))?;
                i32::try_from(n).map_or(Value::Int64(n), Value::Int)
            }
            "boolean" => match self.text_content()?.trim() {
                "0" => Value::Bool(false),
                "1" => Value::Bool(true),
                other => return Err(bad(other)),
            },
            "string" => Value::String(self.text_content()?),
            "double" => {
                let text = self.text_content()?;
                Value::Double(text.trim().parse().map_err(|_| bad(&text))?)
            }
            "dateTime.iso8601" => {
                let text = self.text_content()?;
                Value::DateTime(text.trim().parse().map_err(|_| bad(&text))?)
            }
            "base64" => {
                let text = self.text_content()?;
                Value::String(decode_base64_text(&text).ok_or_else(|| bad(&text))?)
            }
            "nil" => {
                self.expect_end()?;
                Value::Nil
            }
            "array" => {
                self.expect_start("data")?;
                let mut items = Vec::new();
                loop {
                    match self.next_tag()? {
                        Item::Start(tag) if tag == "value" => items.push(self.value()?),
                        Item::Start(tag) => {
                            return Err(unmarshallable(format!("unexpected <{tag}>")))
                        }
                        _ => break,
                    }
                }
                self.expect_end()?;
                Value::Array(items)
            }
            "struct" => {
                let mut members = BTreeMap::new();
                loop {
                    match self.next_tag()? {
                        Item::Start(tag) if tag == "member" => {
                            self.expect_start("name")?;
                            let name = self.text_content()?;
                            self.expect_start("value")?;
                            members.insert(name, self.value()?);
                            self.expect_end()?;
                        }
                        Item::Start(tag) => {
                            return Err(unmarshallable(format!("unexpected <{tag}>")))
                        }
                        _ => break,
                    }
                }
                Value::Struct(members)
            }
            other => return Err(unmarshallable(format!("unknown value type <{other}>"))),
        })
    }
}

/// Decodes `<base64>` content (Python wraps it at 76 columns) into UTF-8 text.
fn decode_base64_text(text: &str) -> Option<String> {
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    String::from_utf8(base64::decode(compact).ok()?).ok()
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

const RESPONSE_START: &str = "<?xml version='1.0'?>\n<methodResponse>\n";
const RESPONSE_END: &str = "</methodResponse>\n";

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

/// A fault `<methodResponse>` (HTTP 200), as Python's marshaller writes it.
pub fn write_fault(fault: &Fault) -> Vec<u8> {
    let mut out = String::from(RESPONSE_START);
    out.push_str("<fault>\n");
    write_value(&mut out, &fault.to_value());
    out.push_str("</fault>\n");
    out.push_str(RESPONSE_END);
    out.into_bytes()
}

fn write_value(out: &mut String, value: &Value) {
    out.push_str("<value>");
    match value {
        Value::Int(n) => push_tagged(out, "int", &n.to_string()),
        Value::Int64(n) => match i32::try_from(*n) {
            Ok(small) => push_tagged(out, "int", &small.to_string()),
            Err(_) => push_tagged(out, "i8", &n.to_string()),
        },
        Value::Bool(b) => push_tagged(out, "boolean", if *b { "1" } else { "0" }),
        Value::String(s) => {
            out.push_str("<string>");
            escape_into(out, s);
            out.push_str("</string>");
        }
        Value::Double(d) => push_tagged(out, "double", &python_float_repr(*d)),
        // Supervisor never sends dates; iso8601's own text form is written.
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
    }
    out.push_str("</value>\n");
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

/// Python's `escape`: `&`, `<`, `>`.
fn escape_into(out: &mut String, text: &str) {
    // Fast path: most text (names, states, descriptions) needs no escaping at all.
    let plain =
        |b: &u8| !matches!(b, b'&' | b'<' | b'>' | 0..=8 | 0x0b | 0x0c | 0x0e..=0x1f | 0xef);
    if text.as_bytes().iter().all(plain) {
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

/// Python's `repr(float)`: shortest round-trip digits, positional for decimal exponents
/// -4..=15, otherwise `d.ddde±XX`; `nan`, `inf`, `-inf`. When two shortest digit strings are
/// exactly equally near (about 1 in 1,000 random doubles) Rust picks the upper one and Python
/// the even one; both read back as the same float.
fn python_float_repr(d: f64) -> String {
    if d.is_nan() {
        return "nan".to_string();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    // Rust's `{:e}` already yields the shortest round-trip digits: "-1.2345e-7", "0e0".
    let sci = format!("{d:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(positive) => ("-", positive),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exponent) {
        let (int_part, frac_part) = if exponent >= 0 {
            let int_len = exponent.unsigned_abs() as usize + 1;
            let int_part = format!("{digits:0<int_len$}");
            let frac_part = digits
                .get(int_len..)
                .filter(|f| !f.is_empty())
                .unwrap_or("0");
            (
                int_part.get(..int_len).unwrap_or("0").to_string(),
                frac_part.to_string(),
            )
        } else {
            let zeros = "0".repeat(exponent.unsigned_abs() as usize - 1);
            ("0".to_string(), format!("{zeros}{digits}"))
        };
        format!("{sign}{int_part}.{frac_part}")
    } else {
        let (first, rest) = digits.split_at(digits.len().min(1));
        let dot = if rest.is_empty() { "" } else { "." };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{sign}{first}{dot}{rest}e{exp_sign}{:02}",
            exponent.unsigned_abs()
        )
    }
}

/// Python's `repr(str)` for the log line: single quotes unless the text has `'` and no `"`;
/// backslash escapes for the quote, `\`, `\t`, `\n`, `\r` and other non-printable characters
/// (ASCII and Latin-1 controls exactly; other non-printables approximately).
fn python_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_printable(c) => out.push(c),
            c if u32::from(c) < 0x100 => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c if u32::from(c) < 0x10000 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08x}", u32::from(c))),
        }
    }
    out.push(quote);
    out
}

fn is_printable(c: char) -> bool {
    !(c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::faults::FaultCode;

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
        assert!(
            date.to_string().starts_with("2026-01-02T03:04:05"),
            "{date}"
        );
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
    fn struct_member_names_are_escaped() {
        let mut members = BTreeMap::new();
        members.insert("a<b".to_string(), Value::Int(1));
        assert!(written(&Value::Struct(members)).contains("<name>a&lt;b</name>"));
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

    #[test]
    fn float_repr_matches_python() {
        // python3 -c 'for f in [...]: print(repr(f))'
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (-2.5e-3, "-0.0025"),
            (1e-4, "0.0001"),
            (1e-5, "1e-05"),
            (1.25e-7, "1.25e-07"),
            (123_456_789_012.0, "123456789012.0"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (1e22, "1e+22"),
            (1e300, "1e+300"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (0.30000000000000004, "0.30000000000000004"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (value, expected) in cases {
            assert_eq!(python_float_repr(value), expected, "{value:e}");
        }
    }

    // -- log text ----------------------------------------------------------------------------

    #[test]
    fn log_messages_match_reference() {
        // Both lines captured from the reference's activity log.
        assert_eq!(
            unmarshallable("x").log_message(b"<not xml"),
            "XML-RPC request data '<not xml' is invalid: unmarshallable"
        );
        assert_eq!(
            CallError::NoMethodName.log_message("<?xml version='1.0'?><foo>\t'\"é</foo>".as_bytes()),
            "XML-RPC request data '<?xml version=\\'1.0\\'?><foo>\\t\\'\"é</foo>' is invalid: no method name"
        );
    }

    #[test]
    fn python_repr_quotes_and_escapes() {
        assert_eq!(python_repr("it's"), "\"it's\"");
        assert_eq!(
            python_repr("a\\b\n\r\u{0}\u{7f}\u{85}\u{a0}\u{2028}é€"),
            "'a\\\\b\\n\\r\\x00\\x7f\\x85\\xa0\\u2028é€'"
        );
    }

    // -- no panics on any input --------------------------------------------------------------

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
}
