//! The log methods: the activity log, process logs, clearing, reopening and rotating.

use super::{fault, members, now, s, OK};
use crate::model::fake::{Call, Fake};
use crate::model::LogOp;
use crate::rpc::faults::FaultCode;
use crate::rpc::Value;

const CONF: &str = "[program:a]\ncommand=/bin/sh\nstdout_logfile=%(here)s/a.out\n\
                    stderr_logfile=NONE\nstdout_logfile_backups=2\n\
                    [program:b]\ncommand=/bin/sh\n";

#[test]
fn the_activity_log_is_read_in_slices_and_cleared() {
    let mut f = Fake::new(CONF);
    f.model.log.log(crate::logging::level::Level::Info, "hello");
    let text = f.main_log();
    let all = now(
        &mut f,
        "supervisor.readLog",
        &[Value::Int(0), Value::Int(0)],
    );
    assert_eq!(all, s(&text));
    let tail = now(
        &mut f,
        "supervisor.readLog",
        &[Value::Int(-6), Value::Int(0)],
    );
    assert_eq!(tail, s("hello\n"));
    assert_eq!(
        fault(
            &mut f,
            "supervisor.readLog",
            &[Value::Int(-1), Value::Int(5)]
        )
        .0,
        FaultCode::BadArguments
    );
    assert_eq!(now(&mut f, "supervisor.clearLog", &[]), Value::Bool(true));
    assert!(f.calls.contains(&Call::ClearMainLog));
    assert_eq!(f.main_log(), "");
    std::fs::remove_file(f.dir.join("supervisord.log")).unwrap();
    assert_eq!(
        fault(&mut f, "supervisor.clearLog", &[]),
        (FaultCode::NoFile, "NO_FILE".into())
    );
}

#[test]
fn process_logs_are_read_and_tailed_by_path() {
    let mut f = Fake::new(CONF);
    std::fs::write(f.dir.join("a.out"), "0123456789").unwrap();
    let read = |f: &mut Fake, m: &str, off: i32, len: i32| {
        now(f, m, &[s("a"), Value::Int(off), Value::Int(len)])
    };
    assert_eq!(
        read(&mut f, "supervisor.readProcessStdoutLog", 2, 3),
        s("234")
    );
    assert_eq!(read(&mut f, "supervisor.readProcessLog", -2, 0), s("89"));
    assert_eq!(
        read(&mut f, "supervisor.tailProcessStdoutLog", 0, 4),
        Value::Array(vec![s("6789"), Value::Int(10), Value::Bool(true)])
    );
    // stderr_logfile=NONE: reading is NO_FILE, tailing is empty.
    assert_eq!(
        fault(
            &mut f,
            "supervisor.readProcessStderrLog",
            &[s("a"), Value::Int(0), Value::Int(0)]
        ),
        (FaultCode::NoFile, "NO_FILE".into())
    );
    assert_eq!(
        read(&mut f, "supervisor.tailProcessStderrLog", 0, 4),
        Value::Array(vec![s(""), Value::Int(0), Value::Bool(false)])
    );
    assert_eq!(
        fault(
            &mut f,
            "supervisor.readProcessStdoutLog",
            &[s("a"), Value::Int(-1), Value::Int(5)]
        )
        .0,
        FaultCode::BadArguments
    );
}

#[test]
fn an_auto_log_is_created_when_first_read() {
    let mut f = Fake::new(CONF);
    let v = now(
        &mut f,
        "supervisor.readProcessStdoutLog",
        &[s("b"), Value::Int(0), Value::Int(0)],
    );
    assert_eq!(v, s(""), "empty, not NO_FILE");
    let info = now(&mut f, "supervisor.getProcessInfo", &[s("b")]);
    let path = info.get("stdout_logfile").and_then(Value::as_str).unwrap();
    assert!(path.contains("b-stdout---supervisor-"), "{path}");
    assert!(std::path::Path::new(path).exists());
}

#[test]
fn clearing_process_logs() {
    let mut f = Fake::new(CONF);
    let a = f.id("a");
    std::fs::write(f.dir.join("a.out"), "old").unwrap();
    assert_eq!(
        now(&mut f, "supervisor.clearProcessLogs", &[s("a")]),
        Value::Bool(true)
    );
    assert_eq!(f.calls, [Call::ProcessLogs(a, LogOp::Clear)]);
    assert_eq!(std::fs::read(f.dir.join("a.out")).unwrap(), b"");
    assert_eq!(
        fault(&mut f, "supervisor.clearProcessLog", &[s("zz")]),
        (FaultCode::BadName, "BAD_NAME: zz".into())
    );
    let v = now(&mut f, "supervisor.clearAllProcessLogs", &[]);
    assert_eq!(members(&v), [("a".into(), OK), ("b".into(), OK)]);
}

#[test]
fn rotating_and_reopening_logs() {
    let mut f = Fake::new(CONF);
    std::fs::write(f.dir.join("a.out"), "old").unwrap();
    let v = now(&mut f, "supervisor_rs.rotateLogs", &[s("a")]);
    assert_eq!(members(&v), [("a".into(), OK)]);
    assert_eq!(std::fs::read(f.dir.join("a.out.1")).unwrap(), b"old");
    let v = now(&mut f, "supervisor_rs.reopenLogs", &[s("all")]);
    assert_eq!(members(&v), [("a".into(), OK), ("b".into(), OK)]);
    assert_eq!(f.calls.last(), Some(&Call::ReopenMainLog));
    let v = now(&mut f, "supervisor_rs.reopenLogs", &[s("a:*")]);
    assert_eq!(members(&v), [("a".into(), OK)]);
    assert_eq!(
        fault(&mut f, "supervisor_rs.rotateLogs", &[s("zz")]).0,
        FaultCode::BadName
    );
}
