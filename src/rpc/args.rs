//! Reading XML-RPC parameters the way Supervisor's dispatcher accepts them: a wrong count or
//! a wrong type is INCORRECT_PARAMETERS.

use crate::rpc::Value;

use crate::rpc::faults::{Fault, FaultCode};

/// Fails unless `params` has between `min` and `max` values.
///
/// # Errors
/// INCORRECT_PARAMETERS.
pub fn count(params: &[Value], min: usize, max: usize) -> Result<(), Fault> {
    if params.len() < min || params.len() > max {
        return Err(Fault::new(FaultCode::IncorrectParameters));
    }
    Ok(())
}

/// A string parameter.
///
/// # Errors
/// INCORRECT_PARAMETERS when missing or not a string.
pub fn string(params: &[Value], i: usize) -> Result<&str, Fault> {
    match params.get(i) {
        Some(Value::String(s)) => Ok(s),
        _ => Err(Fault::new(FaultCode::IncorrectParameters)),
    }
}

/// An optional boolean parameter (`wait`), `default` when absent. Python treats any value
/// by truthiness; integers and strings are accepted the same way.
///
/// # Errors
/// INCORRECT_PARAMETERS for arrays and structs.
pub fn flag(params: &[Value], i: usize, default: bool) -> Result<bool, Fault> {
    match params.get(i) {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::Int(n)) => Ok(*n != 0),
        Some(Value::Int64(n)) => Ok(*n != 0),
        Some(Value::String(s)) => Ok(!s.is_empty()),
        Some(_) => Err(Fault::new(FaultCode::IncorrectParameters)),
    }
}

/// An integer parameter (`int()` of a number or a numeric string, as Python does).
///
/// # Errors
/// INCORRECT_PARAMETERS.
pub fn int(params: &[Value], i: usize) -> Result<i64, Fault> {
    match params.get(i) {
        Some(Value::Int(n)) => Ok(i64::from(*n)),
        Some(Value::Int64(n)) => Ok(*n),
        Some(Value::Bool(b)) => Ok(i64::from(*b)),
        Some(Value::String(s)) => {
            crate::pytext::parse_int(s).ok_or_else(|| Fault::new(FaultCode::IncorrectParameters))
        }
        _ => Err(Fault::new(FaultCode::IncorrectParameters)),
    }
}

/// An XML-RPC integer: `<int>` when it fits 32 bits, `<i8>` otherwise (D6).
pub fn int_value(n: i64) -> Value {
    match i32::try_from(n) {
        Ok(v) => Value::Int(v),
        Err(_) => Value::Int64(n),
    }
}

/// Python's `repr()`-ish text of a value, for fault details such as
/// `INCORRECT_PARAMETERS: 5`.
pub fn show(value: &Value) -> String {
    match value {
        Value::Int(n) => n.to_string(),
        Value::Int64(n) => n.to_string(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Double(d) => crate::pytext::float_repr(*d),
        Value::String(s) => s.clone(),
        Value::Array(_) => "[...]".into(),
        Value::Struct(_) => "{...}".into(),
        Value::Nil => "None".into(),
        Value::DateTime(_) | Value::Base64(_) | Value::Encoded(_) => "...".into(),
    }
}

/// A struct value from `(key, value)` pairs.
pub fn record<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Struct(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params() {
        let p = vec![Value::String("x".into()), Value::Bool(false)];
        assert_eq!(string(&p, 0).unwrap(), "x");
        assert!(!flag(&p, 1, true).unwrap());
        assert!(flag(&p, 2, true).unwrap());
        assert!(string(&p, 1).is_err());
        assert!(count(&p, 1, 1).is_err());
        assert_eq!(int(&[Value::String(" 12 ".into())], 0).unwrap(), 12);
        assert_eq!(int_value(3_000_000_000), Value::Int64(3_000_000_000));
        assert_eq!(int_value(5), Value::Int(5));
    }

    #[test]
    fn shown_values_read_as_python_str_does() {
        // `'type:%s' % 5.0` in the reference's REMOTE_COMMUNICATION payload.
        assert_eq!(show(&Value::Double(5.0)), "5.0");
        assert_eq!(show(&Value::Bool(true)), "True");
        assert_eq!(show(&Value::Nil), "None");
    }
}
