//! The project's own micro-benchmarks (`make bench`): the XML-RPC codec, the tail arithmetic
//! and the process state machine. A plain release binary (no harness crate): each figure is
//! the median of several batches, timed in CPU time of this thread (`getrusage`), so a
//! machine loaded by other work disturbs it little (wall time there can be several times
//! longer).

// A benchmark is test code: a failed unwrap or index ends the run with its reason.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    // It times batches with its own stopwatch.
    clippy::disallowed_methods
)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use nix::sys::resource::{getrusage, UsageWho};

use supervisor::logging::tail::{read_range, tail_range};
use supervisor::process::exit::ExitStatus;
use supervisor::process::machine::{Ctx, Input, Machine};
use supervisor::rpc::codec;
use supervisor::rpc::Value;

/// CPU seconds (user + system) this thread has used.
fn thread_cpu() -> f64 {
    getrusage(UsageWho::RUSAGE_THREAD).map_or(f64::NAN, |u| {
        let (user, system) = (u.user_time(), u.system_time());
        (user.tv_sec() + system.tv_sec()) as f64 + (user.tv_usec() + system.tv_usec()) as f64 * 1e-6
    })
}

/// Median CPU time of one call of `f`, over `batches` batches of `per_batch` calls.
fn time_per_call(batches: usize, per_batch: usize, mut f: impl FnMut()) -> f64 {
    let mut samples: Vec<f64> = (0..batches)
        .map(|_| {
            let t = thread_cpu();
            for _ in 0..per_batch {
                f();
            }
            (thread_cpu() - t) / per_batch as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN)
}

fn show(what: &str, secs: f64, bytes: Option<usize>) {
    let rate = bytes.map_or(String::new(), |b| {
        format!("  ({:.0} MB/s)", b as f64 / secs / 1e6)
    });
    let (value, unit) = if secs >= 1e-3 {
        (secs * 1e3, "ms")
    } else if secs >= 1e-6 {
        (secs * 1e6, "us")
    } else {
        (secs * 1e9, "ns")
    };
    println!("{what:<58} {value:>9.2} {unit}{rate}");
}

/// A `getAllProcessInfo` answer for `n` running processes, shaped as the daemon's.
fn all_process_info(n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| {
                let mut m = BTreeMap::new();
                let s = |t: String| Value::String(t);
                m.insert("name".into(), s(format!("w_{i}")));
                m.insert("group".into(), s("w".into()));
                m.insert("start".into(), Value::Int(1_764_900_000));
                m.insert("stop".into(), Value::Int(0));
                m.insert("now".into(), Value::Int(1_764_903_600));
                m.insert("state".into(), Value::Int(20));
                m.insert("statename".into(), s("RUNNING".into()));
                m.insert("spawnerr".into(), s(String::new()));
                m.insert("exitstatus".into(), Value::Int(0));
                let log = format!("/var/log/supervisor/w_{i}-stdout---supervisor-abcd1234.log");
                m.insert("logfile".into(), s(log.clone()));
                m.insert("stdout_logfile".into(), s(log.clone()));
                m.insert("stderr_logfile".into(), s(log.replace("stdout", "stderr")));
                m.insert("pid".into(), Value::Int(10_000 + i as i32));
                m.insert(
                    "description".into(),
                    s(format!("pid {}, uptime 1:00:00", 10_000 + i)),
                );
                Value::Struct(m)
            })
            .collect(),
    )
}

fn call_body(method: &str, params: &str) -> Vec<u8> {
    format!(
        "<?xml version='1.0'?>\n<methodCall>\n<methodName>{method}</methodName>\n<params>\n{params}</params>\n</methodCall>\n"
    )
    .into_bytes()
}

fn codec() {
    let get_state = call_body("supervisor.getState", "");
    show(
        "codec: parse a getState call",
        time_per_call(15, 20_000, || {
            black_box(codec::parse_method_call(black_box(&get_state)).ok());
        }),
        None,
    );
    let ints = "<value><int>1</int></value>\n".repeat(74_000);
    let big = call_body(
        "supervisor.getPID",
        &format!("<param>\n<value><array><data>\n{ints}</data></array></value>\n</param>\n"),
    );
    show(
        &format!(
            "codec: parse a {} kB call of 74,000 <int>",
            big.len() / 1000
        ),
        time_per_call(9, 3, || {
            black_box(codec::parse_method_call(black_box(&big)).ok());
        }),
        Some(big.len()),
    );
    for n in [1_000, 10_000] {
        let value = all_process_info(n);
        let written = codec::write_response(&value);
        let reps = if n > 1_000 { 2 } else { 20 };
        show(
            &format!("codec: write getAllProcessInfo, {n} processes"),
            time_per_call(9, reps, || {
                black_box(codec::write_response(black_box(&value)));
            }),
            Some(written.len()),
        );
        show(
            &format!("codec: parse getAllProcessInfo, {n} processes"),
            time_per_call(9, reps, || {
                black_box(codec::parse_method_response(black_box(&written)).ok());
            }),
            Some(written.len()),
        );
    }
}

fn tail() {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let cases: Vec<(u64, i64, i64)> = (0..4096)
        .map(|_| {
            (
                next() % (1 << 40),
                (next() % 2_000_000) as i64 - 1_000_000,
                (next() % 2_000_000) as i64,
            )
        })
        .collect();
    show(
        "tail: tail_range + read_range, per pair",
        time_per_call(15, 200, || {
            for &(size, offset, length) in &cases {
                black_box(tail_range(black_box(size), offset, length));
                black_box(read_range(black_box(size), offset, length).ok());
            }
        }) / cases.len() as f64,
        None,
    );
}

fn machine() {
    let dir = std::env::temp_dir().join(format!("micro-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let conf = dir.join("supervisord.conf");
    std::fs::write(
        &conf,
        "[supervisord]\n[program:p]\ncommand=/bin/true\nstartsecs=1\nautorestart=true\n",
    )
    .expect("write conf");
    let config = supervisor::config::load(&conf, &Default::default()).expect("config");
    let _ = std::fs::remove_dir_all(&dir);
    let cfg = config
        .groups
        .first()
        .and_then(|g| g.processes.first())
        .expect("one program")
        .clone();
    let mut m = Machine::new();
    let mut out = Vec::new();
    let start = Instant::now();
    let mut pid = 100;
    show(
        "machine: one start/running/exit/restart cycle (5 steps)",
        time_per_call(15, 20_000, || {
            let now = start + std::time::Duration::from_secs(pid as u64);
            let ctx = Ctx {
                cfg: &cfg,
                now,
                wall: 1.7e9,
                auto_allowed: true,
            };
            pid += 1;
            for input in [
                Input::Start,
                Input::Spawned { pid },
                Input::Deadline,
                Input::Exited(ExitStatus::from_raw(0)),
                Input::Stop,
            ] {
                m.step(input, &ctx, &mut out);
                out.clear();
            }
        }),
        None,
    );
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to configure.
    codec();
    tail();
    machine();
}
