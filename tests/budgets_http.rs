//! D9 under abuse, on loopback only and bounded in count and time: connection floods and
//! slowloris, descriptor exhaustion, unauthenticated bodies, large and amplifying requests.
//! Operators keep getting in, quickly, and the daemon gives its memory back.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::util::{int, s, wait_for, Sandbox};

const T: Duration = Duration::from_secs(15);

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("its address").port()
}

/// This test process opens hundreds of sockets: lift its own soft descriptor limit.
fn raise_own_fd_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, soft.max(hard.min(8192)), hard);
    }
}

const GET_STATE: &str = "<?xml version='1.0'?><methodCall><methodName>supervisor.getState\
                         </methodName><params></params></methodCall>";

fn post(body: &str, auth: Option<&str>) -> Vec<u8> {
    let auth = auth.map_or(String::new(), |a| format!("Authorization: Basic {a}\r\n"));
    format!(
        "POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\n{auth}\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Sends `request` on a fresh stream and reads the answer to its end.
fn exchange<S: Read + Write>(mut stream: S, request: &[u8]) -> Result<String, String> {
    stream.write_all(request).map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .map_err(|e| format!("{e} after {} bytes", answer.len()))?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

fn unix(d: &Sandbox) -> Result<UnixStream, String> {
    let s = UnixStream::connect(&d.sock).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(T)).map_err(|e| e.to_string())?;
    Ok(s)
}

fn tcp(port: u16) -> Result<TcpStream, String> {
    let s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(T)).map_err(|e| e.to_string())?;
    Ok(s)
}

/// One `getState` on a fresh connection: how long it took, or what went wrong.
fn timed_get_state<S: Read + Write>(
    connect: impl FnOnce() -> Result<S, String>,
) -> Result<Duration, String> {
    let t0 = Instant::now();
    let answer = exchange(connect()?, &post(GET_STATE, None))?;
    if answer.starts_with("HTTP/1.1 200") && answer.contains("RUNNING") {
        Ok(t0.elapsed())
    } else {
        Err(format!("bad answer: {answer:?}"))
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The daemon's resident set in kB.
fn rss_kb(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A log stamp (`2026-12-05 05:28:47,350`, local time) as milliseconds since the epoch.
fn stamp_ms(stamp: &str) -> u128 {
    let out = Command::new("date")
        .args(["-d", &stamp.replace(',', "."), "+%s%3N"])
        .output()
        .expect("run date");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("date prints milliseconds")
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// Keeps opening idle and head-incomplete connections (TCP and unix) until stopped,
/// holding at most `hold` of them; bounded in count.
struct Flood {
    stop: Arc<AtomicBool>,
    opened: Arc<Mutex<usize>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Flood {
    fn start(d: &Sandbox, port: u16, hold: usize) -> Flood {
        let stop = Arc::new(AtomicBool::new(false));
        let opened = Arc::new(Mutex::new(0));
        let sock = d.sock.clone();
        let (stop2, opened2) = (stop.clone(), opened.clone());
        let thread = std::thread::spawn(move || {
            let mut held: VecDeque<std::os::fd::OwnedFd> = VecDeque::new();
            let mut n = 0usize;
            while !stop2.load(Ordering::Relaxed) && n < 20_000 {
                for _ in 0..10 {
                    n += 1;
                    let conn = match n % 3 {
                        0 => UnixStream::connect(&sock).ok().map(Into::into),
                        _ => TcpStream::connect_timeout(
                            &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
                            Duration::from_millis(200),
                        )
                        .ok()
                        .map(|mut s| {
                            if n % 3 == 1 {
                                // Slowloris: a head that never ends.
                                let _ = s.write_all(b"POST /RPC2 HTTP/1.1\r\nHost: x");
                            }
                            s.into()
                        }),
                    };
                    held.extend(conn);
                    if held.len() > hold {
                        held.pop_front();
                    }
                }
                *opened2.lock().unwrap() = n;
                std::thread::sleep(Duration::from_millis(5));
            }
            drop(held);
        });
        Flood {
            stop,
            opened,
            thread: Some(thread),
        }
    }

    fn opened(&self) -> usize {
        *self.opened.lock().unwrap()
    }
}

impl Drop for Flood {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn median_ms(mut samples: Vec<u128>) -> u128 {
    samples.sort();
    samples[samples.len() / 2]
}

/// Kills `crash` (spawned `round + 1` times so far) once it has run past the 1 s pacing
/// window (D10); returns milliseconds from the kill to the respawn, and from the daemon's
/// `exited` line to its `spawned` line.
fn crash_and_respawn(d: &Sandbox, round: usize) -> (u128, u128) {
    let pid = int(&d.wait_state("crash", "RUNNING", T), "pid") as i32;
    wait_for(T, "crash to have run a second", || {
        let info = d.info("crash");
        (int(&info, "now") - int(&info, "start") >= 2).then_some(())
    });
    let killed = now_ms();
    let _ = supervisor::sys::kill(pid, libc::SIGKILL);
    let (exited, spawned) = wait_for(T, "the respawn", || {
        let log = d.main_log();
        let stamp = |needle: &str, n: usize| {
            log.lines()
                .filter(|l| l.contains(needle))
                .nth(n)
                .map(|l| stamp_ms(l.get(..23).unwrap_or_default()))
        };
        Some((
            stamp("exited: crash", round)?,
            stamp("spawned: 'crash' with pid", round + 1)?,
        ))
    });
    (
        spawned.saturating_sub(killed),
        spawned.saturating_sub(exited),
    )
}

#[test]
fn a_connection_flood_locks_no_operator_out_and_restarts_stay_prompt() {
    raise_own_fd_limit();
    let port = free_port();
    let mut d = Sandbox::new("flood");
    d.loglevel = "info";
    d.write_conf(&format!(
        "[inet_http_server]\nport=127.0.0.1:{port}\n\n\
         [program:crash]\ncommand=/bin/sleep 1000\nstartsecs=0\nautorestart=true\n"
    ));
    d.launch();
    let tcp_url = format!("http://127.0.0.1:{port}");
    let quiet: Vec<(u128, u128)> = (0..3).map(|round| crash_and_respawn(&d, round)).collect();
    // 900 connections held open at a time, more than both servers' budgets together (and
    // more than the old global cap of 512), while new ones keep coming.
    let flood = Flood::start(&d, port, 900);
    wait_for(T, "the flood to build up", || {
        (flood.opened() >= 1500).then_some(())
    });

    let mut via_unix = Vec::new();
    let mut via_tcp = Vec::new();
    let mut ctl_unix = Vec::new();
    let mut ctl_tcp = Vec::new();
    for _ in 0..7 {
        via_unix.push(timed_get_state(|| unix(&d)).expect("getState over the unix socket"));
        via_tcp.push(timed_get_state(|| tcp(port)).expect("getState over TCP"));
        for (args, times) in [
            (vec!["status"], &mut ctl_unix),
            (vec!["-s", tcp_url.as_str(), "status"], &mut ctl_tcp),
        ] {
            let t0 = Instant::now();
            let out = d.ctl(&args);
            times.push(t0.elapsed());
            assert!(
                out.stdout.contains("crash") && out.stdout.contains("RUNNING"),
                "supervisorctl {args:?} during the flood: {out:?}"
            );
        }
    }
    let limit = Duration::from_millis(50);
    for (what, samples) in [
        ("getState over unix", via_unix),
        ("getState over TCP", via_tcp),
        ("supervisorctl status over unix", ctl_unix),
        ("supervisorctl status over TCP", ctl_tcp),
    ] {
        let m = median(samples.clone());
        assert!(m <= limit, "{what}: median {m:?} of {samples:?}");
    }

    // A crashed child is restarted at once, flood or not: by the daemon's own stamps, and
    // from the kill as seen from outside, beyond what the machine's scheduling costs anyway
    // (measured the same way before the flood).
    let flooded: Vec<(u128, u128)> = (3..8).map(|round| crash_and_respawn(&d, round)).collect();
    let from_kill = |rounds: &[(u128, u128)]| median_ms(rounds.iter().map(|r| r.0).collect());
    let own = median_ms(flooded.iter().map(|r| r.1).collect());
    assert!(
        own <= 10,
        "exit to respawn (ms) during the flood: {flooded:?}"
    );
    assert!(
        from_kill(&flooded) <= from_kill(&quiet) + 10,
        "kill to respawn (ms) during the flood {flooded:?}, before it {quiet:?}"
    );
    drop(flood);
    assert!(matches!(d.daemon().try_wait(), Ok(None)), "daemon died");
}

#[test]
fn idle_and_half_sent_connections_time_out() {
    let d = Sandbox::start("idleto", "");
    let mut idle = unix(&d).unwrap();
    let mut slow = unix(&d).unwrap();
    let t0 = Instant::now();
    slow.write_all(b"POST /RPC2 HTTP/1.1\r\n").unwrap();
    // Slowloris: a header byte every second never makes the head complete.
    let trickle = std::thread::spawn(move || {
        let t0 = Instant::now();
        let mut buf = [0u8; 64];
        slow.set_read_timeout(Some(Duration::from_millis(900)))
            .unwrap();
        for _ in 0..30 {
            if slow.write_all(b"X").is_err() {
                return t0.elapsed();
            }
            match slow.read(&mut buf) {
                Ok(0) => return t0.elapsed(),
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
                Err(_) => return t0.elapsed(),
            }
        }
        Duration::MAX
    });
    let mut buf = [0u8; 1];
    idle.set_read_timeout(Some(Duration::from_secs(40)))
        .unwrap();
    let closed = loop {
        match idle.read(&mut buf) {
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            other => break other,
        }
    };
    let idle_for = t0.elapsed();
    assert!(matches!(closed, Ok(0)), "{closed:?}");
    let slow_for = trickle.join().unwrap();
    assert!(
        (Duration::from_secs(9)..Duration::from_secs(16)).contains(&slow_for),
        "a trickled head was closed after {slow_for:?} (head timeout 10 s)"
    );
    assert!(
        (Duration::from_secs(19)..Duration::from_secs(30)).contains(&idle_for),
        "an idle connection was closed after {idle_for:?} (idle timeout 20 s)"
    );
}

#[test]
fn accept_recovers_after_descriptors_run_out() {
    raise_own_fd_limit();
    let port = free_port();
    let mut d = Sandbox::new("emfile");
    d.nofile = Some(64);
    d.supervisord_extra = "minfds=32".into();
    d.loglevel = "info";
    d.write_conf(&format!("[inet_http_server]\nport=127.0.0.1:{port}\n"));
    d.launch();

    // Idle connections beyond the descriptor limit: the oldest are shed for the newcomers.
    let idle: Vec<TcpStream> = (0..150).filter_map(|_| tcp(port).ok()).collect();
    timed_get_state(|| tcp(port)).expect("getState while descriptors are exhausted");
    drop(idle);
    for i in 0..20 {
        timed_get_state(|| tcp(port)).unwrap_or_else(|e| panic!("fresh getState {i}: {e}"));
    }

    // Clients in the middle of a body cannot be shed: newcomers are refused at once (not
    // left in a full backlog), logged once, and accepted again as soon as descriptors free.
    let mut busy = Vec::new();
    let mut refused = 0;
    for _ in 0..200 {
        let Ok(mut s) = tcp(port) else { break };
        let _ = s.write_all(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n<?xml");
        s.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut byte = [0u8; 1];
        match s.read(&mut byte) {
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                busy.push(s)
            }
            _ => {
                refused += 1;
                if refused == 5 {
                    break;
                }
            }
        }
    }
    assert_eq!(
        refused,
        5,
        "never out of descriptors with {} busy",
        busy.len()
    );
    drop(busy);
    wait_for(T, "accepting again", || timed_get_state(|| tcp(port)).ok());
    for i in 0..20 {
        timed_get_state(|| tcp(port)).unwrap_or_else(|e| panic!("getState {i} after: {e}"));
    }
    let log = d.main_log();
    assert_eq!(
        log.matches("unable to accept HTTP connections").count(),
        1,
        "logged once per episode: {log}"
    );
    assert!(log.contains("accepting HTTP connections on inet_http_server again"));
}

#[test]
fn unauthenticated_bodies_are_refused_on_the_head() {
    raise_own_fd_limit();
    let port = free_port();
    let mut d = Sandbox::new("authhead");
    d.write_conf(&format!(
        "[inet_http_server]\nport=127.0.0.1:{port}\nusername=user\npassword=pw\n"
    ));
    d.launch();
    let auth = base64::encode("user:pw");
    let base = rss_kb(d.pid());

    // 401 as soon as the head is in: the announced body is never waited for.
    let mut c = tcp(port).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.write_all(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n")
        .unwrap();
    let mut answer = vec![0u8; 12];
    c.read_exact(&mut answer)
        .expect("an answer before the body");
    assert_eq!(&answer, b"HTTP/1.1 401");

    // Many unauthenticated clients pushing bodies cannot make the daemon hold them.
    let body = vec![b'x'; 200_000];
    let mut held = Vec::new();
    for _ in 0..200 {
        let Ok(mut s) = tcp(port) else { continue };
        let _ = s.write_all(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n");
        s.set_nonblocking(true).unwrap();
        let _ = s.write(&body);
        held.push(s);
    }
    let grown = rss_kb(d.pid()).saturating_sub(base);
    assert!(
        grown < 8 * 1024,
        "RSS grew {grown} kB for 200 unauthenticated bodies"
    );
    drop(held);
    let answer = exchange(tcp(port).unwrap(), &post(GET_STATE, Some(&auth))).unwrap();
    assert!(answer.contains("RUNNING"), "{answer}");
}

/// A `system.multicall` body of `n` calls of `method` (no parameters).
fn multicall(method: &str, n: usize) -> String {
    let call = format!(
        "<value><struct><member><name>methodName</name><value><string>{method}</string>\
         </value></member><member><name>params</name><value><array><data></data></array>\
         </value></member></struct></value>"
    );
    format!(
        "<?xml version='1.0'?><methodCall><methodName>system.multicall</methodName><params>\
         <param><value><array><data>{}</data></array></value></param></params></methodCall>",
        call.repeat(n)
    )
}

/// Samples `getState` latency on its own connection, each with its start time.
struct Sampler {
    stop: Arc<AtomicBool>,
    samples: Arc<Mutex<Vec<(Instant, Duration)>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    fn start(d: &Sandbox) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(Mutex::new(Vec::new()));
        let (stop2, samples2, sock) = (stop.clone(), samples.clone(), d.sock.clone());
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                let t0 = Instant::now();
                // A failure counts as an hour: it shows in the worst case.
                let lat = timed_get_state(|| UnixStream::connect(&sock).map_err(|e| e.to_string()))
                    .unwrap_or(Duration::from_secs(3600));
                samples2.lock().unwrap().push((t0, lat));
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        Sampler {
            stop,
            samples,
            thread: Some(thread),
        }
    }

    /// The longest getState that overlapped `[from, to]`.
    fn worst_during(&self, from: Instant, to: Instant) -> Duration {
        self.samples
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, lat)| *t <= to && *t + *lat >= from)
            .map(|(_, lat)| *lat)
            .max()
            .unwrap_or(Duration::ZERO)
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

#[test]
fn large_and_amplifying_requests_do_not_stall_others_nor_keep_memory() {
    let programs: String = (0..100)
        .map(|i| format!("[program:p{i}]\ncommand=/bin/sleep 1000\nautostart=false\n"))
        .collect();
    let mut d = Sandbox::new("amplify");
    d.loglevel = "info";
    d.write_conf(&programs);
    d.launch();
    let sampler = Sampler::start(&d);
    wait_for(T, "the sampler", || {
        (sampler.worst_during(Instant::now() - T, Instant::now()) > Duration::ZERO).then_some(())
    });
    // The probes: a 16 MiB array of <int>, and getAllProcessInfo many times in one
    // multicall (40 calls of a ~60 kB answer each here: a small body, a large answer).
    let ints = format!(
        "<?xml version='1.0'?><methodCall><methodName>system.methodHelp</methodName><params>\
         <param><value><array><data>{}</data></array></value></param></params></methodCall>",
        "<value><int>1</int></value>".repeat(620_000)
    );
    let amplify = multicall("supervisor.getAllProcessInfo", 40);
    // The same shape doing nothing much: what the machine's own noise looks like.
    let quiet = multicall("supervisor.getPID", 40);
    let kinds = [
        (&quiet, "<name>faultCode</name>", "a quiet multicall"),
        (&ints, "HTTP/1.1 413", "a 16 MiB body"),
        (
            &amplify,
            "system.multicall answer larger than 1 MiB",
            "an amplifying multicall",
        ),
    ];
    let mut worst: [Vec<Duration>; 3] = Default::default();
    for _ in 0..7 {
        for (i, (body, expect, _)) in kinds.iter().enumerate() {
            let from = Instant::now();
            let answer = exchange(unix(&d).unwrap(), &post(body, None))
                .unwrap_or_else(|e| format!("closed early: {e}"));
            // Windows of equal length, so each kind sees as much scheduling noise.
            let to = Instant::now().max(from + Duration::from_millis(150));
            let ok = match i {
                0 => !answer.contains(expect) && answer.contains("<int>"),
                // The daemon may answer 413 and close before all 16 MiB are written.
                1 => answer.contains(expect) || answer.contains("closed"),
                _ => answer.contains(expect),
            };
            assert!(ok, "{}", &answer[..answer.len().min(300)]);
            wait_for(T, "the window to end", || {
                (Instant::now() > to + Duration::from_millis(50)).then_some(())
            });
            worst[i].push(sampler.worst_during(from, to));
        }
    }
    drop(sampler);
    // The stall a request adds to another client's getState, beyond the machine's noise.
    let noise = median(worst[0].clone());
    for (i, (_, _, what)) in kinds.iter().enumerate().skip(1) {
        let m = median(worst[i].clone());
        assert!(
            m <= noise + Duration::from_millis(20),
            "getState while {what} is served: median of the worst per request {m:?} \
             ({:?}); noise {noise:?} ({:?})",
            worst[i],
            worst[0]
        );
    }
    // Small, but too many elements to parse at once: refused before parsing.
    let dense = format!(
        "<?xml version='1.0'?><methodCall><methodName>system.methodHelp</methodName><params>\
         <param><value><array><data>{}</data></array></value></param></params></methodCall>",
        "<value><int>1</int></value>".repeat(9000)
    );
    let answer = exchange(unix(&d).unwrap(), &post(&dense, None)).unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    d.wait_file("supervisord.log", "refused an XML-RPC request of 36", T);
    // Too many calls: a clear fault before any runs.
    let answer = exchange(
        unix(&d).unwrap(),
        &post(&multicall("supervisor.getState", 1001), None),
    )
    .unwrap();
    assert!(
        answer.contains("<int>30</int>")
            && answer.contains("system.multicall of 1001 calls; at most 1000 per request"),
        "{answer}"
    );
    let answer = exchange(
        unix(&d).unwrap(),
        &post(&multicall("supervisor.getState", 1000), None),
    )
    .unwrap();
    assert_eq!(answer.matches("<name>statename</name>").count(), 1000);
    // The memory those answers took is given back.
    let pid = d.pid();
    let rss = wait_for(T, "the daemon's memory to settle", || {
        let kb = rss_kb(pid);
        (kb < 10 * 1024).then_some(kb)
    });
    assert!(rss > 0);
    assert_eq!(d.info("p1").get("statename"), Some(&s("STOPPED")));
}
