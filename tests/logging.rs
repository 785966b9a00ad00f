//! Child logs against the real daemon (reference §2.7, §7): rotation sizes and names, AUTO
//! logs and their clean-up, NONE, redirect_stderr, and a large burst arriving complete.

use std::path::Path;
use std::time::Duration;

use supervisor::rpc::Value;

use crate::util::{int, p, s, script, text, wait_for, Sandbox};

const LONG: Duration = Duration::from_secs(20);

/// `n` copies of `c`.
fn chunk(c: char, n: usize) -> String {
    std::iter::repeat_n(c, n).collect()
}

/// Sends `data` to the program's stdin (an echoing `cat`).
#[track_caller]
fn feed(d: &Sandbox, name: &str, data: &str) {
    let sent = d.call("supervisor.sendProcessStdin", vec![s(name), s(data)]);
    assert_eq!(sent, Value::Bool(true));
}

/// The contents of `base`, `base.1`, ... as far as they exist (contiguously).
fn log_set(dir: &Path, base: &str) -> Vec<String> {
    (0..)
        .map(|i| match i {
            0 => dir.join(base),
            _ => dir.join(format!("{base}.{i}")),
        })
        .map_while(|path| std::fs::read_to_string(path).ok())
        .collect()
}

/// Waits until `base`, `base.1`, ... hold exactly `expected` and no further backup exists.
#[track_caller]
fn wait_logs(d: &Sandbox, base: &str, expected: &[String]) {
    let sizes: Vec<usize> = expected.iter().map(String::len).collect();
    wait_for(
        LONG,
        &format!("{base}, {base}.1, ... of sizes {sizes:?}"),
        || (log_set(&d.dir, base) == expected).then_some(()),
    );
}

/// A sandbox with one `cat` program per `(name, options)`, logging stdout to `<name>.log`.
fn cats(name: &str, programs: &[(&str, &str)]) -> Sandbox {
    let mut d = Sandbox::new(name);
    let cat = p(&script(&d, "cat.sh", "exec cat"));
    let mut sections = String::new();
    for (prog, options) in programs {
        sections.push_str(&format!(
            "[program:{prog}]\ncommand={cat}\nstartsecs=0\nstdout_logfile={}\n{options}\n\n",
            p(&d.path(&format!("{prog}.log")))
        ));
    }
    d.write_conf(&sections);
    d.launch();
    for (prog, _) in programs {
        d.wait_state(prog, "RUNNING", LONG);
    }
    d
}

#[test]
fn rotation_keeps_backups_with_exact_sizes() {
    let d = cats(
        "rotate",
        &[(
            "spew",
            "stdout_logfile_maxbytes=1000\nstdout_logfile_backups=2",
        )],
    );
    let (a, b, c) = (chunk('a', 600), chunk('b', 600), chunk('c', 300));
    let (dd, e, f) = (chunk('d', 800), chunk('e', 1000), chunk('f', 10));
    let steps: [(&str, Vec<String>); 6] = [
        (&a, vec![a.clone()]),
        // 1200 >= 1000 after the write: rotated whole, the new file is empty.
        (&b, vec![String::new(), a.clone() + &b]),
        (&c, vec![c.clone(), a.clone() + &b]),
        (&dd, vec![String::new(), c.clone() + &dd, a.clone() + &b]),
        // Exactly maxbytes rotates too; the oldest backup beyond 2 is gone.
        (&e, vec![String::new(), e.clone(), c.clone() + &dd]),
        (&f, vec![f.clone(), e.clone(), c.clone() + &dd]),
    ];
    for (data, expected) in &steps {
        feed(&d, "spew", data);
        wait_logs(&d, "spew.log", expected);
    }
}

#[test]
fn backups_zero_truncates_and_maxbytes_zero_never_rotates() {
    let d = cats(
        "norotate",
        &[
            (
                "trunc",
                "stdout_logfile_maxbytes=1000\nstdout_logfile_backups=0",
            ),
            ("grow", "stdout_logfile_maxbytes=0"),
        ],
    );
    let big = chunk('x', 1200);
    feed(&d, "trunc", &big);
    feed(&d, "grow", &big);
    wait_logs(&d, "grow.log", std::slice::from_ref(&big));
    wait_logs(&d, "trunc.log", &[String::new()]);
    feed(&d, "trunc", "tail\n");
    wait_logs(&d, "trunc.log", &["tail\n".to_string()]);
    let mut all = big.clone();
    for _ in 0..3 {
        let more = chunk('y', 3000);
        feed(&d, "grow", &more);
        all.push_str(&more);
        wait_logs(&d, "grow.log", std::slice::from_ref(&all));
    }
}

/// The AUTO logs of `name` in the sandbox: `(channel, path)` for each match.
fn auto_logs(d: &Sandbox, name: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&d.dir).unwrap().flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(&format!("{name}-")) else {
            continue;
        };
        let Some((channel, suffix)) = rest.split_once("---supervisor-") else {
            continue;
        };
        let random = suffix.strip_suffix(".log").unwrap_or("");
        let ok = random.len() == 8
            && random
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        assert!(ok, "unexpected AUTO log name {file}");
        found.push((channel.to_string(), p(&entry.path())));
    }
    found.sort();
    found
}

/// Old AUTO logs of an earlier run, and files the clean-up must leave alone.
const STALE: [&str; 3] = [
    "old-stdout---supervisor-abcdefgh.log",
    "old-stdout---supervisor-abcdefgh.log.1",
    "old-stderr---supervisor-12345678.log.10",
];
const KEPT: [&str; 2] = ["keep-stdout---other-abcdefgh.log", "notes.txt"];

fn auto_sandbox(name: &str, extra: &str) -> Sandbox {
    let mut d = Sandbox::new(name);
    for file in STALE.iter().chain(KEPT.iter()) {
        std::fs::write(d.path(file), "old\n").unwrap();
    }
    d.supervisord_extra = extra.into();
    d.write_conf(
        "[program:talker]\ncommand=/bin/sh -c \"echo hello; echo oops >&2; exec sleep 1000\"\n\
         startsecs=0\n\n\
         [program:idle]\ncommand=/bin/sleep 1000\nautostart=false\n",
    );
    d.launch();
    d
}

#[test]
fn auto_logs_are_named_created_and_old_ones_cleaned() {
    let d = auto_sandbox("auto", "");
    for file in STALE {
        assert!(!d.path(file).exists(), "{file} was not cleaned up");
    }
    for file in KEPT {
        assert!(d.path(file).exists(), "{file} was removed");
    }
    // Created at the talker's first output on each channel.
    let talker = wait_for(LONG, "talker's two AUTO logs", || {
        Some(auto_logs(&d, "talker")).filter(|t| t.len() == 2)
    });
    let channels: Vec<&str> = talker.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(channels, ["stderr", "stdout"]);
    // DIVERGENCE(new): a never-started process's AUTO files are named at start-up (the info
    // shows them) but created on first use: here, the read creates an empty file.
    assert!(auto_logs(&d, "idle").is_empty());
    let info = d.info("idle");
    let idle_out = text(&info, "stdout_logfile");
    assert!(idle_out.contains("idle-stdout---supervisor-"), "{idle_out}");
    assert_eq!(
        d.rpc(
            "supervisor.readProcessStdoutLog",
            vec![s("idle"), Value::Int(0), Value::Int(0)]
        )
        .unwrap(),
        s("")
    );
    let idle = auto_logs(&d, "idle");
    assert_eq!(idle.len(), 1);
    assert_eq!(idle[0].1, idle_out);
    assert_eq!(std::fs::metadata(&idle[0].1).unwrap().len(), 0);
    d.wait_state("talker", "RUNNING", LONG);
    let info = d.info("talker");
    assert_eq!(text(&info, "stderr_logfile"), talker[0].1);
    assert_eq!(text(&info, "stdout_logfile"), talker[1].1);
    wait_for(LONG, "talker's output in its AUTO logs", || {
        let out = std::fs::read_to_string(&talker[1].1).ok()?;
        let err = std::fs::read_to_string(&talker[0].1).ok()?;
        (out == "hello\n" && err == "oops\n").then_some(())
    });
}

#[test]
fn nocleanup_keeps_old_auto_logs() {
    let d = auto_sandbox("nocleanup", "nocleanup=true");
    for file in STALE.iter().chain(KEPT.iter()) {
        assert!(d.path(file).exists(), "{file} was removed");
    }
    wait_for(LONG, "talker's two AUTO logs", || {
        (auto_logs(&d, "talker").len() == 2).then_some(())
    });
}

#[test]
fn none_logs_nothing_and_redirect_stderr_joins_stdout() {
    let mut d = Sandbox::new("nonelog");
    let quiet = p(&script(
        &d,
        "quiet.sh",
        "echo out\necho err >&2\nexec sleep 1000",
    ));
    let joined = p(&d.path("joined.log"));
    d.write_conf(&format!(
        "[program:quiet]\ncommand={quiet}\nstartsecs=0\n\
         stdout_logfile=NONE\nstderr_logfile=NONE\n\n\
         [program:joined]\ncommand={quiet}\nstartsecs=0\nredirect_stderr=true\n\
         stdout_logfile={joined}\n"
    ));
    d.launch();
    d.wait_state("quiet", "RUNNING", LONG);
    d.wait_file("joined.log", "out\nerr\n", LONG);
    // Both programs have run their echos; the NONE one wrote nowhere.
    d.wait_file("supervisord.log", "'quiet' stderr output:", LONG);
    let files: Vec<String> = std::fs::read_dir(&d.dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !files
            .iter()
            .any(|f| f.starts_with("quiet") && f != "quiet.sh"),
        "{files:?}"
    );
    // redirect_stderr: no stderr file, AUTO or otherwise.
    assert!(!files.iter().any(|f| f.starts_with("joined-")), "{files:?}");
    let info = d.info("joined");
    assert_eq!(text(&info, "stderr_logfile"), "");
    assert_eq!(text(&info, "stdout_logfile"), joined);
    assert_eq!(
        std::fs::read_to_string(&joined).unwrap(),
        "out\nerr\n",
        "stdout and stderr in order in one file"
    );
    d.fault(
        "supervisor.readProcessStdoutLog",
        vec![s("quiet"), Value::Int(0), Value::Int(100)],
        20,
    );
    d.fault(
        "supervisor.readProcessStderrLog",
        vec![s("joined"), Value::Int(0), Value::Int(100)],
        20,
    );
}

#[test]
fn a_200_mb_burst_arrives_complete() {
    const TOTAL: u64 = 200_000_000;
    let mut d = Sandbox::new("burst");
    // Child output is copied into the activity log only at debug level.
    d.loglevel = "info";
    let cmd = p(&script(
        &d,
        "burst.sh",
        &format!("head -c {TOTAL} /dev/zero | tr '\\0' x"),
    ));
    let out = d.path("burst.log");
    d.write_conf(&format!(
        "[program:burst]\ncommand={cmd}\nstartsecs=0\nautorestart=false\n\
         stdout_logfile={}\nstdout_logfile_maxbytes=50MB\nstdout_logfile_backups=5\n",
        p(&out)
    ));
    d.launch();
    let info = d.wait_state("burst", "EXITED", Duration::from_secs(60));
    assert_eq!(int(&info, "exitstatus"), 0);
    // The output was drained before the exit was processed: everything is on disk now.
    let sizes: Vec<u64> = (0..=5)
        .map(|i| match i {
            0 => out.clone(),
            _ => d.path(&format!("burst.log.{i}")),
        })
        .filter_map(|path| std::fs::metadata(path).ok())
        .map(|m| m.len())
        .collect();
    assert_eq!(sizes.iter().sum::<u64>(), TOTAL, "sizes {sizes:?}");
    // Rotated files are at least maxbytes, and exceed it by less than one read.
    for size in sizes.iter().skip(1) {
        assert!(
            (50 * 1024 * 1024..50 * 1024 * 1024 + 128 * 1024).contains(size),
            "{sizes:?}"
        );
    }
}

#[test]
fn silent_auto_log_is_created_by_a_read_or_the_first_output() {
    // DIVERGENCE(new): a running, silent process holds no AUTO log file yet.
    let mut d = Sandbox::new("lazyauto");
    d.write_conf("[program:cat]\ncommand=/bin/cat\nstartsecs=0\n");
    d.launch();
    d.wait_state("cat", "RUNNING", LONG);
    assert!(auto_logs(&d, "cat").is_empty());
    // A read creates the empty file; output that comes later still lands in it.
    assert_eq!(
        d.rpc(
            "supervisor.readProcessStdoutLog",
            vec![s("cat"), Value::Int(0), Value::Int(0)]
        )
        .unwrap(),
        s("")
    );
    let made = auto_logs(&d, "cat");
    assert_eq!(made.len(), 1);
    d.rpc("supervisor.sendProcessStdin", vec![s("cat"), s("late\n")])
        .unwrap();
    wait_for(LONG, "the late output in the AUTO log", || {
        (std::fs::read_to_string(&made[0].1).ok()? == "late\n").then_some(())
    });
}
