//! Log reading, tailing and clearing over XML-RPC (reference §5.5; decisions Q7, Q8, D6).

use std::time::Duration;

use supervisor::rpc::Value;

use crate::rpc::{b, i, list, result, sandbox};
use crate::util::{p, s, script, text, wait_for, Sandbox};

const T: Duration = Duration::from_secs(10);

/// `hello cat\nhéllo\n` (17 bytes) on stdout, `err<0xff>x\n` on stderr (reference §5.5).
fn seventeen() -> Sandbox {
    let d = sandbox("logs", |d| {
        let talk = script(
            d,
            "talk.sh",
            "printf 'hello cat\\nh\\303\\251llo\\n'\nprintf 'err\\377x\\n' >&2\nexec sleep 1000",
        );
        format!(
            "[program:talk]\ncommand=/bin/sh {}\nstartsecs=0\n\
             [program:quiet]\ncommand=/bin/sleep 1000\nstdout_logfile=NONE\nredirect_stderr=true\n\
             startsecs=0\n[program:cat]\ncommand=/bin/cat\nstartsecs=0\n",
            p(&talk)
        )
    });
    wait_for(T, "talk's output in its logs", || {
        let out = tail(&d, "supervisor.tailProcessStdoutLog", 0, 100);
        let err = tail(&d, "supervisor.tailProcessStderrLog", 0, 100);
        (out[1] == i(17) && err[1] == i(6)).then_some(())
    });
    d
}

fn read(d: &Sandbox, method: &str, offset: i32, length: i32) -> Value {
    d.call(method, vec![s("talk"), i(offset), i(length)])
}

fn tail(d: &Sandbox, method: &str, offset: i32, length: i32) -> Vec<Value> {
    list(d.call(method, vec![s("talk"), i(offset), i(length)]))
}

#[test]
fn read_process_log_offsets_and_lengths() {
    let d = seventeen();
    let whole = "hello cat\nh\u{e9}llo\n";
    for method in [
        "supervisor.readProcessStdoutLog",
        "supervisor.readProcessLog",
    ] {
        let r = |o, l| read(&d, method, o, l);
        assert_eq!(r(0, 0), s(whole), "{method}");
        assert_eq!(r(0, 3), s("hel"));
        assert_eq!(r(2, 3), s("llo"));
        assert_eq!(r(-4, 0), s("llo\n"));
        assert_eq!(r(1000, 10), s(""));
        assert_eq!(r(17, 0), s(""));
        assert_eq!(r(-1000, 0), s(whole));
        for (o, l) in [(-4, 2), (0, -2), (-1, -1)] {
            let f = d.fault(method, vec![s("talk"), i(o), i(l)], 3);
            assert_eq!(f, "BAD_ARGUMENTS");
        }
    }
    // DIVERGENCE(Q7): a slice that cuts a character is decoded with U+FFFD, never a 500.
    assert_eq!(
        read(&d, "supervisor.readProcessStdoutLog", 0, 12),
        s("hello cat\nh\u{fffd}")
    );
    assert_eq!(
        read(&d, "supervisor.readProcessStdoutLog", 12, 0),
        s("\u{fffd}llo\n")
    );
    assert_eq!(
        read(&d, "supervisor.readProcessStderrLog", 0, 0),
        s("err\u{fffd}x\n")
    );
    assert_eq!(read(&d, "supervisor.readProcessStderrLog", -2, 0), s("x\n"));
}

#[test]
fn tail_process_log_keeps_the_reference_offset_rules() {
    let d = seventeen();
    let whole = s("hello cat\nh\u{e9}llo\n");
    for method in [
        "supervisor.tailProcessStdoutLog",
        "supervisor.tailProcessLog",
    ] {
        let t = |o, l| tail(&d, method, o, l);
        // Q8 (kept): the offset only detects "nothing new"; the last `length` bytes come back.
        assert_eq!(t(0, 100), [whole.clone(), i(17), b(false)], "{method}");
        assert_eq!(t(5, 100), [whole.clone(), i(17), b(false)]);
        assert_eq!(t(100, 100), [s(""), i(17), b(false)]);
        assert_eq!(t(17, 100), [s(""), i(17), b(false)]);
        assert_eq!(t(-5, 3), [s("lo\n"), i(17), b(true)]);
        assert_eq!(t(12, 5), [s("\u{fffd}llo\n"), i(17), b(false)]);
        assert_eq!(t(0, 17), [whole.clone(), i(17), b(false)]);
        // Q7: the last 5 bytes start inside `é`.
        assert_eq!(t(0, 5), [s("\u{fffd}llo\n"), i(17), b(true)]);
    }
    assert_eq!(
        tail(&d, "supervisor.tailProcessStderrLog", 0, 100),
        [s("err\u{fffd}x\n"), i(6), b(false)]
    );
    assert_eq!(
        tail(&d, "supervisor.tailProcessStderrLog", 0, 2),
        [s("x\n"), i(6), b(true)]
    );
}

#[test]
fn log_methods_name_and_file_faults() {
    let d = seventeen();
    for method in [
        "supervisor.readProcessStdoutLog",
        "supervisor.readProcessStderrLog",
        "supervisor.tailProcessStdoutLog",
        "supervisor.tailProcessStderrLog",
    ] {
        for bad in ["nosuch", "talk:*", "talk:nosuch"] {
            let f = d.fault(method, vec![s(bad), i(0), i(10)], 10);
            assert_eq!(f, format!("BAD_NAME: {bad}"), "{method}");
        }
    }
    for method in [
        "supervisor.readProcessStdoutLog",
        "supervisor.readProcessStderrLog",
    ] {
        let f = d.fault(method, vec![s("quiet"), i(0), i(0)], 20);
        assert_eq!(f, "NO_FILE", "{method}");
    }
    for method in [
        "supervisor.tailProcessStdoutLog",
        "supervisor.tailProcessStderrLog",
    ] {
        assert_eq!(
            list(d.call(method, vec![s("quiet"), i(0), i(10)])),
            [s(""), i(0), b(false)],
            "{method}: a missing file is not a fault"
        );
    }
    assert_eq!(
        d.fault("supervisor.clearProcessLogs", vec![s("talk:*")], 10),
        "BAD_NAME: talk:*"
    );
}

#[test]
fn clear_process_logs() {
    let d = seventeen();
    let info = d.info("talk");
    let stdout = text(&info, "stdout_logfile").to_string();
    assert_eq!(
        d.call("supervisor.clearProcessLogs", vec![s("talk")]),
        b(true)
    );
    assert_eq!(read(&d, "supervisor.readProcessStdoutLog", 0, 0), s(""));
    assert_eq!(read(&d, "supervisor.readProcessStderrLog", 0, 0), s(""));
    assert!(std::path::Path::new(&stdout).exists(), "reopened");
    assert_eq!(
        d.call("supervisor.clearProcessLog", vec![s("talk")]),
        b(true)
    );
    assert_eq!(
        d.call("supervisor.clearAllProcessLogs", vec![]),
        Value::Array(vec![
            result("cat", "cat", 80, "OK"),
            result("quiet", "quiet", 80, "OK"),
            result("talk", "talk", 80, "OK"),
        ])
    );
    // A child keeps writing into its reopened file.
    let cat = |from| {
        d.call(
            "supervisor.readProcessStdoutLog",
            vec![s("cat"), i(from), i(0)],
        )
    };
    d.call("supervisor.sendProcessStdin", vec![s("cat"), s("after\n")]);
    wait_for(T, "cat to write after the clear", || {
        (cat(0) == s("after\n")).then_some(())
    });
}

#[test]
fn main_log_read_and_clear() {
    let d = Sandbox::start("mainlog", "");
    let log = d.wait_file("supervisord.log", "supervisord started with pid", T);
    let read = |o, l| d.call("supervisor.readLog", vec![i(o), i(l)]);
    let Value::String(all) = read(0, 0) else {
        panic!("readLog is not a string")
    };
    assert!(all.starts_with(&log[..log.len().min(all.len())]), "{all:?}");
    assert!(all.contains("supervisord started with pid"));
    assert_eq!(
        read(0, 0),
        d.call("supervisor.readMainLog", vec![i(0), i(0)])
    );
    let Value::String(last) = read(-10, 0) else {
        panic!("readLog is not a string")
    };
    assert_eq!(last.len(), 10);
    assert!(all.ends_with(&last));
    assert_eq!(read(0, 5), s(&all[..5]));
    assert_eq!(d.call("supervisor.clearLog", vec![]), b(true));
    let Value::String(after) = read(0, 0) else {
        panic!("readLog is not a string")
    };
    assert!(!after.contains("supervisord started with pid"), "{after:?}");
    // As the reference, the line went to the old file: the new one starts empty.
    assert!(!after.contains("reopening log file"), "{after:?}");
}

#[test]
fn log_offsets_past_2_gib_are_i8() {
    let d = sandbox("biglog", |d| {
        let path = d.path("big.log");
        let f = std::fs::File::create(&path).unwrap();
        f.set_len(3 << 30).unwrap();
        let talk = script(d, "big.sh", "echo tail-end\nexec sleep 1000");
        format!(
            "[program:big]\ncommand=/bin/sh {}\nstartsecs=0\nstdout_logfile={}\n\
             stdout_logfile_maxbytes=0\n",
            p(&talk),
            p(&path)
        )
    });
    let size = (3i64 << 30) + 9;
    let got = wait_for(T, "the big log to grow", || {
        let t = list(d.call(
            "supervisor.tailProcessStdoutLog",
            vec![s("big"), i(0), i(9)],
        ));
        (t[1] == Value::Int64(size)).then_some(t)
    });
    assert_eq!(got, [s("tail-end\n"), Value::Int64(size), b(true)]);
    assert_eq!(
        d.call(
            "supervisor.readProcessStdoutLog",
            vec![s("big"), i(-9), i(0)]
        ),
        s("tail-end\n")
    );
    assert_eq!(
        d.call(
            "supervisor.readProcessStdoutLog",
            vec![s("big"), Value::Int64(size - 9), i(4)]
        ),
        s("tail")
    );
}
