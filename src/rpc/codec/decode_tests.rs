//! The XML-RPC decoder on well-formed, malformed and hostile documents.

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
    let body =
        "<?xml version='1.0'?>\n<methodCall>\n<methodName>supervisor.startProcess</methodName>\n\
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
    let value =
        "<value><ex:nil xmlns:ex=\"http://ws.apache.org/xmlrpc/namespaces/extensions\"/></value>";
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
    unmarshallable_call("<methodCall><!ENTITY x \"y\"><methodName>a.b</methodName></methodCall>");
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
