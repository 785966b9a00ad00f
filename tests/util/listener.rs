//! Event listeners for the integration tests: a python3 one (standard library only) and a
//! `read`-based sh one, both written into the sandbox, and readers for what they received.
//!
//! Each listener appends what it receives to a file in the sandbox: the python one one line
//! per event (`HEADER\tPAYLOAD-AS-UTF8-HEX\tRECEIVE-TIME\tREADY-TIME`), the sh one the header
//! line, the payload (minus trailing newlines) and a line holding only `\x1e`.

use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::util::Sandbox;

/// Modes (second argument): `ok`; `failfirst` answers FAIL the first time it sees a serial;
/// `waitgo` sends its first READY only once `OUTFILE.go` exists; `holdfirst` never answers
/// its first event (the file was empty), the test kills it.
const LISTENER_PY: &str = r#"import io, os, sys, time

out = sys.argv[1]
mode = sys.argv[2] if len(sys.argv) > 2 else 'ok'
# like supervisor.childutils: a text stream, `len` counts characters
stdin = io.TextIOWrapper(sys.stdin.buffer, encoding='utf-8', errors='replace', newline='')
stdout = sys.stdout.buffer
if mode == 'waitgo':
    while not os.path.exists(out + '.go'):
        time.sleep(0.02)
seen = set()
while True:
    stdout.write(b'READY\n')
    stdout.flush()
    ready = time.time()
    line = stdin.readline()
    when = time.time()
    if not line:
        sys.exit(0)
    header = line.rstrip('\n')
    headers = dict(tok.split(':', 1) for tok in header.split())
    length = int(headers['len'])
    payload = ''
    while len(payload) < length:
        chunk = stdin.read(length - len(payload))
        if not chunk:
            break
        payload += chunk
    first = not os.path.exists(out)
    with open(out, 'a') as f:
        f.write('%s\t%s\t%.6f\t%.6f\n' % (header, payload.encode('utf-8').hex(), when, ready))
    if mode == 'holdfirst' and first:
        while True:
            time.sleep(1)
    body = b'OK'
    if mode == 'failfirst' and headers['serial'] not in seen:
        body = b'FAIL'
    seen.add(headers['serial'])
    stdout.write(b'RESULT %d\n%s' % (len(body), body))
    stdout.flush()
"#;

/// Modes: `ok`; `garbage` answers its first event with a line that is not a result line.
const LISTENER_SH: &str = r#"out=$1
mode=$2
while :; do
  printf 'READY\n'
  read -r header || exit 0
  len=${header##*len:}
  payload=$(dd bs=1 count="$len" 2>/dev/null)
  printf '%s\n%s\n\036\n' "$header" "$payload" >> "$out"
  if [ "$mode" = garbage ]; then
    printf 'GARBAGE\n'
  else
    printf 'RESULT 2\nOK'
  fi
done"#;

/// The real python3 executable (not a version-manager shim), if there is one.
pub fn python() -> Option<&'static str> {
    static PYTHON: OnceLock<Option<String>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let out = Command::new("python3")
                .args(["-c", "import sys; print(sys.executable)"])
                .output()
                .ok()?;
            let path = String::from_utf8(out.stdout).ok()?.trim().to_string();
            (out.status.success() && !path.is_empty()).then_some(path)
        })
        .as_deref()
}

/// Returns from the test (with a note) when python3 is missing.
#[macro_export]
macro_rules! need_python {
    () => {
        if $crate::util::listener::python().is_none() {
            eprintln!("skipping: python3 is not installed");
            return;
        }
    };
}

/// A sandbox holding both listener scripts, running on `sections` where `@D@` stands for
/// the sandbox dir and `@PY@` for python3.
pub fn start(name: &str, sections: &str) -> Sandbox {
    let mut d = Sandbox::new(name);
    crate::util::script(&d, "listener.sh", LISTENER_SH);
    std::fs::write(d.path("listener.py"), LISTENER_PY).expect("write listener.py");
    d.write_conf(&expand(&d, sections));
    d.launch();
    d
}

/// `sections` with `@D@` and `@PY@` filled in.
pub fn expand(d: &Sandbox, sections: &str) -> String {
    sections
        .replace("@D@", &d.marker())
        .replace("@PY@", python().unwrap_or("python3"))
}

/// An `[eventlistener:POOL]` section running the python listener in `mode`.
pub fn py(pool: &str, events: &str, mode: &str) -> String {
    format!(
        "[eventlistener:{pool}]\ncommand=@PY@ @D@/listener.py @D@/ev-{pool} {mode}\n\
         events={events}\nstartsecs=0\n"
    )
}

/// An `[eventlistener:POOL]` section running the sh listener in `mode`.
pub fn sh(pool: &str, events: &str, mode: &str) -> String {
    format!(
        "[eventlistener:{pool}]\ncommand=/bin/sh @D@/listener.sh @D@/ev-{pool} {mode}\n\
         events={events}\nstartsecs=0\n"
    )
}

/// One received event.
#[derive(Debug, Clone)]
pub struct Ev {
    pub header: String,
    pub serial: u64,
    pub pool: String,
    pub poolserial: u64,
    pub name: String,
    pub len: usize,
    pub payload: String,
    /// Wall-clock receive time (python listener only; 0 for sh).
    pub when: f64,
    /// Wall-clock time the listener had said READY before this event (python only).
    pub ready: f64,
}

/// Parses a header line, asserting the exact token order and fixed values.
#[track_caller]
pub fn parse(header: &str, payload: String, when: f64, ready: f64) -> Ev {
    let toks: Vec<&str> = header.split(' ').collect();
    let field = |i: usize, key: &str| -> String {
        toks.get(i)
            .and_then(|t| t.strip_prefix(key))
            .unwrap_or_else(|| panic!("token {i} of {header:?} is not {key}..."))
            .to_string()
    };
    assert_eq!(toks.len(), 7, "{header:?}");
    assert_eq!(toks[0], "ver:3.0", "{header:?}");
    assert_eq!(toks[1], "server:supervisor", "{header:?}");
    let num = |i, key| field(i, key).parse::<u64>().expect("a number");
    Ev {
        header: header.to_string(),
        serial: num(2, "serial:"),
        pool: field(3, "pool:"),
        poolserial: num(4, "poolserial:"),
        name: field(5, "eventname:"),
        len: num(6, "len:") as usize,
        payload,
        when,
        ready,
    }
}

fn unhex(hex: &str) -> String {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect();
    String::from_utf8(bytes).expect("utf-8 payload")
}

/// Everything pool `pool` has received so far, in order.
pub fn events(d: &Sandbox, pool: &str) -> Vec<Ev> {
    let text = std::fs::read_to_string(d.path(&format!("ev-{pool}"))).unwrap_or_default();
    if text.lines().next().is_some_and(|l| l.contains('\t')) {
        return text
            .lines()
            .map(|l| {
                let parts: Vec<&str> = l.split('\t').collect();
                let time = |i: usize| parts[i].parse().expect("time");
                parse(parts[0], unhex(parts[1]), time(2), time(3))
            })
            .collect();
    }
    text.split_terminator("\n\u{1e}\n")
        .map(|rec| {
            let (header, payload) = rec.split_once('\n').expect("header and payload");
            parse(header, payload.to_string(), 0.0, 0.0)
        })
        .collect()
}

/// Waits until what pool `pool` received satisfies `done`; panics listing what came.
#[track_caller]
pub fn wait_events(
    d: &Sandbox,
    pool: &str,
    what: &str,
    timeout: Duration,
    mut done: impl FnMut(&[Ev]) -> bool,
) -> Vec<Ev> {
    let deadline = Instant::now() + timeout;
    loop {
        let evs = events(d, pool);
        if done(&evs) {
            return evs;
        }
        if Instant::now() >= deadline {
            let got: Vec<_> = evs.iter().map(|e| (&e.header, &e.payload)).collect();
            panic!("timed out after {timeout:?} waiting for {what} in pool {pool}; got {got:#?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for the first event named `name` whose payload satisfies `pred`.
#[track_caller]
pub fn wait_event(d: &Sandbox, pool: &str, name: &str, pred: impl Fn(&str) -> bool) -> Ev {
    let evs = wait_events(d, pool, name, Duration::from_secs(15), |evs| {
        evs.iter().any(|e| e.name == name && pred(&e.payload))
    });
    evs.into_iter()
        .find(|e| e.name == name && pred(&e.payload))
        .expect("found")
}

/// The payloads of the events named `name` received so far.
pub fn payloads(evs: &[Ev], name: &str) -> Vec<String> {
    evs.iter()
        .filter(|e| e.name == name)
        .map(|e| e.payload.clone())
        .collect()
}

/// Asserts what every envelope must satisfy: `len` counts the payload's characters, the
/// pool is `pool`, serials increase and pool serials count up from 0 without a gap.
#[track_caller]
pub fn check_envelopes(evs: &[Ev], pool: &str) {
    for (i, e) in evs.iter().enumerate() {
        assert_eq!(e.pool, pool, "{e:?}");
        assert_eq!(e.len, e.payload.chars().count(), "{e:?}");
        assert_eq!(e.poolserial, i as u64, "pool serials: {evs:#?}");
        if let Some(prev) = i.checked_sub(1).and_then(|j| evs.get(j)) {
            assert!(prev.serial < e.serial, "serials: {evs:#?}");
        }
    }
}

/// Counts the occurrences of `needle` (which may span a line end) in the activity log.
pub fn log_count(d: &Sandbox, needle: &str) -> usize {
    d.main_log().matches(needle).count()
}
