//! Log lifecycle (D11): `supervisorctl rotate` / `reopen` under a burst lose and duplicate
//! no byte (numbered lines, byte-exact), and `*_logfile_rotate` is reported by
//! getAllConfigInfo only when set.

use std::path::{Path, PathBuf};
use std::time::Duration;

use supervisor::rpc::Value;

use crate::util::{s, script, wait_for, Sandbox};

const T: Duration = Duration::from_secs(60);
/// Chunks of numbered lines, 15 bytes each, with short pauses so rotations fall mid-stream.
const CHUNKS: u32 = 80;
const CHUNK_LINES: u32 = 20_000;

fn expected() -> Vec<u8> {
    let mut v = Vec::with_capacity((CHUNKS * CHUNK_LINES * 15) as usize);
    for i in 1..=CHUNKS * CHUNK_LINES {
        v.extend_from_slice(format!("line {i:09}\n").as_bytes());
    }
    v
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_default()
}

fn backup(p: &Path, n: u32) -> PathBuf {
    PathBuf::from(format!("{}.{n}", p.display()))
}

#[test]
fn rotate_and_reopen_under_a_burst_are_byte_exact() {
    let mut d = Sandbox::new("logrot");
    let burst = script(
        &d,
        "burst.sh",
        &format!(
            "i=0\nwhile [ $i -lt {CHUNKS} ]; do\n  seq -f 'line %09.0f' $((i*{CHUNK_LINES}+1)) \
             $((i*{CHUNK_LINES}+{CHUNK_LINES}))\n  sleep 0.01\n  i=$((i+1))\ndone\nexec sleep 1000"
        ),
    );
    let (rot, reo) = (d.path("rot.log"), d.path("reo.log"));
    // Not debug: that copies every child line into the activity log too.
    d.loglevel = "info";
    d.write_conf(&format!(
        "[program:rot]\ncommand={b}\nstartsecs=0\nautorestart=false\nstdout_logfile={}\n\
         stdout_logfile_maxbytes=0\nstdout_logfile_backups=1000\n\
         [program:reo]\ncommand={b}\nstartsecs=0\nautorestart=false\nstdout_logfile={}\n\
         stdout_logfile_maxbytes=0\n",
        rot.display(),
        reo.display(),
        b = burst.display()
    ));
    d.launch();
    let want = expected();
    let mut renamed = Vec::new();
    let (mut rotations, mut reopens) = (0, 0);
    // Rotate and reopen (after an external rename, as logrotate does) while the burst runs.
    loop {
        let written = read(&rot).len()
            + (1..=rotations)
                .map(|n| read(&backup(&rot, n)).len())
                .sum::<usize>();
        if written >= want.len() && rotations > 0 {
            break;
        }
        let out = d.ctl(&["rotate", "rot"]);
        assert_eq!((out.stdout.as_str(), out.code), ("rot: rotated\n", 0));
        rotations = (1..=1000).take_while(|n| backup(&rot, *n).exists()).count() as u32;
        let moved = d.path(&format!("reo.log.ext{reopens}"));
        if reo.exists() {
            std::fs::rename(&reo, &moved).unwrap();
            renamed.push(moved);
            let out = d.ctl(&["reopen", "reo"]);
            assert_eq!((out.stdout.as_str(), out.code), ("reo: reopened\n", 0));
            reopens += 1;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // Oldest first: rot.log.N … rot.log.1, rot.log.
    let rot_all = || {
        let mut all = Vec::new();
        let n = (1..=1000).take_while(|n| backup(&rot, *n).exists()).count() as u32;
        for i in (1..=n).rev() {
            all.extend(read(&backup(&rot, i)));
        }
        all.extend(read(&rot));
        (n, all)
    };
    let (files, got) = wait_for(T, "rot's whole burst", || {
        let (n, all) = rot_all();
        (all.len() >= want.len()).then_some((n, all))
    });
    assert!(files >= 2, "no rotation fell mid-burst");
    assert!(got == want, "rot: {} bytes, want {}", got.len(), want.len());
    let got = wait_for(T, "reo's whole burst", || {
        let mut all: Vec<u8> = renamed.iter().flat_map(|p| read(p)).collect();
        all.extend(read(&reo));
        (all.len() >= want.len()).then_some(all)
    });
    let nonempty = renamed.iter().filter(|p| !read(p).is_empty()).count();
    assert!(
        nonempty >= 1 && !read(&reo).is_empty() || nonempty >= 2,
        "no reopen fell mid-burst"
    );
    assert!(got == want, "reo: {} bytes, want {}", got.len(), want.len());
}

#[test]
fn logfile_rotate_key_is_reported_only_when_set() {
    let d = Sandbox::start(
        "logkey",
        "[program:timed]\ncommand=/bin/sleep 1000\nautostart=false\nstdout_logfile_rotate=Daily\n\
         stderr_logfile_rotate=hourly\n\
         [program:plain]\ncommand=/bin/sleep 1000\nautostart=false\n",
    );
    let Value::Array(all) = d.call("supervisor.getAllConfigInfo", vec![]) else {
        panic!()
    };
    let get = |name: &str| -> std::collections::BTreeMap<String, Value> {
        all.iter()
            .find_map(|c| match c {
                Value::Struct(m) if m.get("name") == Some(&s(name)) => Some(m.clone()),
                _ => None,
            })
            .unwrap()
    };
    let timed = get("timed");
    assert_eq!(timed.get("stdout_logfile_rotate"), Some(&s("daily")));
    assert_eq!(timed.get("stderr_logfile_rotate"), Some(&s("hourly")));
    let plain = get("plain");
    assert!(
        !plain.contains_key("stdout_logfile_rotate")
            && !plain.contains_key("stderr_logfile_rotate")
    );
    // A bad value is refused by a reread, with the key named.
    d.write_conf("[program:timed]\ncommand=/bin/sleep 1000\nstdout_logfile_rotate=weekly\n");
    let out = d.ctl(&["reread"]);
    assert!(
        out.stdout
            .contains("invalid stdout_logfile_rotate value 'weekly': expected daily or hourly"),
        "{out:?}"
    );
}

#[test]
fn a_log_from_an_earlier_day_rotates_at_the_first_write() {
    let mut d = Sandbox::new("logday");
    let log = d.path("day.log");
    std::fs::write(&log, "yesterday\n").unwrap();
    let old = std::time::SystemTime::now() - Duration::from_secs(2 * 86_400);
    std::fs::File::options()
        .write(true)
        .open(&log)
        .unwrap()
        .set_modified(old)
        .unwrap();
    d.write_conf(&format!(
        "[program:day]\ncommand=/bin/sh -c \"echo today; exec sleep 1000\"\nstartsecs=0\n\
         stdout_logfile={}\nstdout_logfile_rotate=daily\nstdout_logfile_maxbytes=0\n",
        log.display()
    ));
    d.launch();
    wait_for(T, "today's line", || {
        (read(&log) == b"today\n").then_some(())
    });
    assert_eq!(read(&backup(&log, 1)), b"yesterday\n");
}
