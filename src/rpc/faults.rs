//! XML-RPC fault codes and the one place fault strings are formatted (reference §5.2).
//!
//! Mirrors `supervisor/xmlrpc.py` (`Faults`, `getFaultDescription`, `RPCError`). Pure data:
//! it does not decide which fault a method raises.

use std::collections::BTreeMap;
use std::fmt;

use crate::rpc::Value;

/// Every fault code Supervisor defines, spelled as on the wire by [`FaultCode::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultCode {
    UnknownMethod,
    IncorrectParameters,
    BadArguments,
    SignatureUnsupported,
    ShutdownState,
    BadName,
    BadSignal,
    NoFile,
    NotExecutable,
    Failed,
    AbnormalTermination,
    SpawnError,
    AlreadyStarted,
    NotRunning,
    Success,
    AlreadyAdded,
    StillRunning,
    CantReread,
}

impl FaultCode {
    pub const ALL: [FaultCode; 18] = [
        FaultCode::UnknownMethod,
        FaultCode::IncorrectParameters,
        FaultCode::BadArguments,
        FaultCode::SignatureUnsupported,
        FaultCode::ShutdownState,
        FaultCode::BadName,
        FaultCode::BadSignal,
        FaultCode::NoFile,
        FaultCode::NotExecutable,
        FaultCode::Failed,
        FaultCode::AbnormalTermination,
        FaultCode::SpawnError,
        FaultCode::AlreadyStarted,
        FaultCode::NotRunning,
        FaultCode::Success,
        FaultCode::AlreadyAdded,
        FaultCode::StillRunning,
        FaultCode::CantReread,
    ];

    /// The numeric `faultCode`.
    pub fn code(self) -> i32 {
        match self {
            FaultCode::UnknownMethod => 1,
            FaultCode::IncorrectParameters => 2,
            FaultCode::BadArguments => 3,
            FaultCode::SignatureUnsupported => 4,
            FaultCode::ShutdownState => 6,
            FaultCode::BadName => 10,
            FaultCode::BadSignal => 11,
            FaultCode::NoFile => 20,
            FaultCode::NotExecutable => 21,
            FaultCode::Failed => 30,
            FaultCode::AbnormalTermination => 40,
            FaultCode::SpawnError => 50,
            FaultCode::AlreadyStarted => 60,
            FaultCode::NotRunning => 70,
            FaultCode::Success => 80,
            FaultCode::AlreadyAdded => 90,
            FaultCode::StillRunning => 91,
            FaultCode::CantReread => 92,
        }
    }

    /// The wire name (`BAD_NAME`), the start of every `faultString`.
    pub fn name(self) -> &'static str {
        match self {
            FaultCode::UnknownMethod => "UNKNOWN_METHOD",
            FaultCode::IncorrectParameters => "INCORRECT_PARAMETERS",
            FaultCode::BadArguments => "BAD_ARGUMENTS",
            FaultCode::SignatureUnsupported => "SIGNATURE_UNSUPPORTED",
            FaultCode::ShutdownState => "SHUTDOWN_STATE",
            FaultCode::BadName => "BAD_NAME",
            FaultCode::BadSignal => "BAD_SIGNAL",
            FaultCode::NoFile => "NO_FILE",
            FaultCode::NotExecutable => "NOT_EXECUTABLE",
            FaultCode::Failed => "FAILED",
            FaultCode::AbnormalTermination => "ABNORMAL_TERMINATION",
            FaultCode::SpawnError => "SPAWN_ERROR",
            FaultCode::AlreadyStarted => "ALREADY_STARTED",
            FaultCode::NotRunning => "NOT_RUNNING",
            FaultCode::Success => "SUCCESS",
            FaultCode::AlreadyAdded => "ALREADY_ADDED",
            FaultCode::StillRunning => "STILL_RUNNING",
            FaultCode::CantReread => "CANT_REREAD",
        }
    }

    pub fn from_code(code: i32) -> Option<FaultCode> {
        FaultCode::ALL.into_iter().find(|f| f.code() == code)
    }

    pub fn from_name(name: &str) -> Option<FaultCode> {
        FaultCode::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// The name of a numeric code, `UNKNOWN` when Supervisor defines none (`getFaultDescription`).
pub fn fault_description(code: i32) -> &'static str {
    FaultCode::from_code(code).map_or("UNKNOWN", FaultCode::name)
}

/// A fault raised by an RPC method (Supervisor's `RPCError`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub code: FaultCode,
    /// Text after `NAME: `; `Some("")` still adds the `: `, as in Python.
    pub detail: Option<String>,
}

impl Fault {
    /// A fault whose string is the bare name.
    pub fn new(code: FaultCode) -> Fault {
        Fault { code, detail: None }
    }

    /// A fault whose string is `NAME: detail`.
    pub fn with_detail(code: FaultCode, detail: impl Into<String>) -> Fault {
        Fault {
            code,
            detail: Some(detail.into()),
        }
    }

    /// The exact `faultString`: `NAME` or `NAME: detail`.
    pub fn fault_string(&self) -> String {
        self.to_string()
    }

    /// The `{faultCode, faultString}` struct, as sent in a fault response and as a failed
    /// call's entry in a `system.multicall` result.
    pub fn to_value(&self) -> Value {
        let mut members = BTreeMap::new();
        members.insert("faultCode".to_string(), Value::Int(self.code.code()));
        members.insert(
            "faultString".to_string(),
            Value::String(self.fault_string()),
        );
        Value::Struct(members)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(detail) => write!(f, "{}: {}", self.code.name(), detail),
            None => f.write_str(self.code.name()),
        }
    }
}

impl std::error::Error for Fault {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_match_reference_table() {
        let table = [
            (1, "UNKNOWN_METHOD"),
            (2, "INCORRECT_PARAMETERS"),
            (3, "BAD_ARGUMENTS"),
            (4, "SIGNATURE_UNSUPPORTED"),
            (6, "SHUTDOWN_STATE"),
            (10, "BAD_NAME"),
            (11, "BAD_SIGNAL"),
            (20, "NO_FILE"),
            (21, "NOT_EXECUTABLE"),
            (30, "FAILED"),
            (40, "ABNORMAL_TERMINATION"),
            (50, "SPAWN_ERROR"),
            (60, "ALREADY_STARTED"),
            (70, "NOT_RUNNING"),
            (80, "SUCCESS"),
            (90, "ALREADY_ADDED"),
            (91, "STILL_RUNNING"),
            (92, "CANT_REREAD"),
        ];
        assert_eq!(table.len(), FaultCode::ALL.len());
        for (fault, (code, name)) in FaultCode::ALL.into_iter().zip(table) {
            assert_eq!((fault.code(), fault.name()), (code, name));
            assert_eq!(FaultCode::from_code(code), Some(fault));
            assert_eq!(FaultCode::from_name(name), Some(fault));
        }
    }

    #[test]
    fn description_of_unknown_code() {
        assert_eq!(fault_description(10), "BAD_NAME");
        assert_eq!(fault_description(5), "UNKNOWN");
        assert_eq!(FaultCode::from_code(7), None);
        assert_eq!(FaultCode::from_name("FATAL_STATE"), None);
    }

    #[test]
    fn fault_string_forms() {
        assert_eq!(
            Fault::new(FaultCode::UnknownMethod).fault_string(),
            "UNKNOWN_METHOD"
        );
        assert_eq!(
            Fault::with_detail(FaultCode::BadName, "nosuch").to_string(),
            "BAD_NAME: nosuch"
        );
        assert_eq!(
            Fault::with_detail(FaultCode::Failed, "").fault_string(),
            "FAILED: "
        );
    }

    #[test]
    fn to_value_is_the_fault_struct() {
        let value = Fault::with_detail(FaultCode::IncorrectParameters, "No methodName").to_value();
        let mut expected = BTreeMap::new();
        expected.insert("faultCode".to_string(), Value::Int(2));
        expected.insert(
            "faultString".to_string(),
            Value::String("INCORRECT_PARAMETERS: No methodName".to_string()),
        );
        assert_eq!(value, Value::Struct(expected));
    }
}
