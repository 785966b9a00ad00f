//! D9 with many programs: answers proportional to the number of processes
//! (`getAllProcessInfo`, `getAllConfigInfo`) are written a slice per loop turn, so another
//! client's `getState` keeps its latency while they are in flight; and they stay complete and
//! consistent with `getProcessInfo`.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::util::{s, Sandbox};

const T: Duration = Duration::from_secs(30);
const PROGRAMS: usize = 3000;

fn body(method: &str) -> String {
    format!(
        "<?xml version='1.0'?><methodCall><methodName>{method}</methodName><params>\
         </params></methodCall>"
    )
}

/// One call on a keep-alive connection; the answer's body.
fn call(stream: &mut UnixStream, method: &str) -> String {
    let body = body(method);
    let request = format!(
        "POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send a call");
    let mut got = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    let (head_end, length) = loop {
        let n = stream.read(&mut buf).expect("read an answer");
        assert!(n > 0, "{method}: closed before an answer");
        got.extend_from_slice(&buf[..n]);
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .expect("a Content-Length");
            break (end + 4, length);
        }
    };
    while got.len() < head_end + length {
        let n = stream.read(&mut buf).expect("read the body");
        assert!(n > 0, "{method}: body cut short");
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(got.split_off(head_end)).expect("UTF-8 answer")
}

fn connect(sock: &Path) -> UnixStream {
    let s = UnixStream::connect(sock).expect("connect");
    s.set_read_timeout(Some(T)).expect("read timeout");
    s
}

/// `getState` in a loop on its own keep-alive connection, each latency with its start.
struct Sampler {
    stop: Arc<AtomicBool>,
    samples: Arc<Mutex<Vec<(Instant, Duration)>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    fn start(sock: PathBuf) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(Mutex::new(Vec::new()));
        let (stop2, samples2) = (stop.clone(), samples.clone());
        let thread = std::thread::spawn(move || {
            let mut stream = connect(&sock);
            while !stop2.load(Ordering::Relaxed) {
                let t0 = Instant::now();
                let answer = call(&mut stream, "supervisor.getState");
                assert!(answer.contains("RUNNING"), "{answer}");
                samples2.lock().unwrap().push((t0, t0.elapsed()));
                // Pacing, so the sampler is not itself the load.
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        Sampler {
            stop,
            samples,
            thread: Some(thread),
        }
    }

    /// The samples that overlapped `[from, to]`.
    fn during(&self, from: Instant, to: Instant) -> Vec<Duration> {
        self.samples
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, lat)| *t <= to && *t + *lat >= from)
            .map(|(_, lat)| *lat)
            .collect()
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Four clients calling `method` `rounds` times each at once (their listings share one work
/// slice per loop turn); the window they took.
fn load(
    sock: &Path,
    method: &'static str,
    rounds: usize,
    expect: &'static str,
) -> (Instant, Instant) {
    let from = Instant::now();
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let mut stream = connect(sock);
            std::thread::spawn(move || {
                for _ in 0..rounds {
                    let answer = call(&mut stream, method);
                    assert!(
                        answer.contains(expect),
                        "{method}: {}",
                        &answer[..answer.len().min(300)]
                    );
                }
            })
        })
        .collect();
    for c in clients {
        c.join().expect("a loading client");
    }
    (from, Instant::now())
}

fn percentile(mut samples: Vec<Duration>, pct: usize) -> Duration {
    assert!(!samples.is_empty(), "no samples");
    samples.sort();
    samples[(samples.len() - 1) * pct / 100]
}

#[test]
fn get_state_stays_fast_while_large_answers_are_written() {
    let mut d = Sandbox::new("bigans");
    d.loglevel = "warn";
    d.write_conf(&format!(
        "[program:x]\ncommand=/bin/sleep 1000\nautostart=false\nnumprocs={PROGRAMS}\n\
         process_name=x%(process_num)04d\n"
    ));
    d.launch();
    let sampler = Sampler::start(d.sock.clone());
    // The machine's own noise: the same clients, with a small answer.
    let (from, to) = load(&d.sock, "supervisor.getPID", 200, "<int>");
    let quiet = sampler.during(from, to);
    let closing = "</data></array></value>\n</param>\n</params>\n</methodResponse>\n";
    let (from, to) = load(&d.sock, "supervisor.getAllProcessInfo", 6, closing);
    let busy = sampler.during(from, to);
    let (from, to) = load(&d.sock, "supervisor.getAllConfigInfo", 3, closing);
    let busy_config = sampler.during(from, to);
    drop(sampler);
    // Each large answer takes many turns; a getState waits for at most one slice of it
    // (plus the machine's noise), never for a whole answer.
    let noise = percentile(quiet.clone(), 95);
    for (what, samples) in [
        ("getAllProcessInfo", busy),
        ("getAllConfigInfo", busy_config),
    ] {
        assert!(
            samples.len() >= 10,
            "{what}: only {} samples",
            samples.len()
        );
        let p95 = percentile(samples.clone(), 95);
        eprintln!(
            "getState during {what}: p95 {p95:?} over {} samples; quiet p95 {noise:?}",
            samples.len()
        );
        assert!(
            p95 <= noise + Duration::from_millis(20),
            "getState while {what} answers are in flight: 95th percentile {p95:?}, quiet \
             {noise:?} ({} samples: {samples:?})",
            samples.len()
        );
    }
    // The answer is whole and agrees with getProcessInfo.
    let mut stream = connect(&d.sock);
    let all = call(&mut stream, "supervisor.getAllProcessInfo");
    assert_eq!(all.matches("<name>statename</name>").count(), PROGRAMS);
    let info = d.info("x:x2999");
    assert_eq!(info.get("statename"), Some(&s("STOPPED")));
    assert!(all.contains("<value><string>x2999</string></value>"));
}
