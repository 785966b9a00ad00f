//! The keys beyond the reference (D11, issue 14): readiness, start dependencies, health
//! checks and the restart policy of a `[program:x]`.
//!
//! Owns parsing them into [`Beyond`]; Python Supervisor ignores these keys, so a file using
//! them stays portable, and a process without them has `Beyond::default()` and behaves
//! exactly as the reference. Cross-process rules (unknown names, cycles) are in
//! `crate::process::deps`.

use std::collections::BTreeMap;
use std::time::Duration;

/// Every key this module reads (for the unknown-key warnings of `--check-config`).
pub const KEYS: &[&str] = &[
    "ready_check",
    "ready_timeout",
    "depends_on",
    "depends_on_timeout",
    "healthcheck",
    "healthcheck_interval",
    "healthcheck_timeout",
    "healthcheck_retries",
    "healthcheck_start_period",
    "healthcheck_action",
    "restart_delay",
    "backoff",
    "backoff_max",
    "backoff_reset_after",
    "restart_limit",
];

/// A check that succeeds or fails once: a connect, an HTTP answer or a command's exit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// `tcp:HOST:PORT`: a connect succeeds.
    Tcp { host: String, port: u16 },
    /// `http://HOST:PORT/PATH`: a 2xx answer.
    Http {
        host: String,
        port: u16,
        path: String,
    },
    /// `exec:COMMAND`: exits 0.
    Exec(String),
}

/// When STARTING becomes RUNNING (`ready_check=`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ReadyCheck {
    /// `startsecs` after the spawn, the reference's rule.
    #[default]
    Startsecs,
    /// `READY=1` on the `NOTIFY_SOCKET` datagram socket (sd_notify protocol).
    Notify,
    /// A newline written on the child's fd N.
    Fd(i32),
    /// A line of stdout or stderr matches (the pattern was checked at load).
    Log(String),
    /// A probe retried until it succeeds.
    Probe(Probe),
}

/// What a dependency must have reached (`name@condition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Condition {
    /// RUNNING (whatever its ready check).
    Running,
    /// RUNNING after its ready check: the default.
    Ready,
    /// EXITED with an expected code.
    Exited,
}

impl Condition {
    pub fn name(self) -> &'static str {
        match self {
            Condition::Running => "running",
            Condition::Ready => "ready",
            Condition::Exited => "exited",
        }
    }
}

/// One entry of `depends_on=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// As written before `@`: `prog`, `group:name` or `group:*`.
    pub target: String,
    pub condition: Condition,
}

/// `healthcheck_action=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HealthAction {
    #[default]
    Restart,
    Stop,
    None,
}

/// `healthcheck=` and its companions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthConfig {
    pub probe: Probe,
    pub interval: Duration,
    pub timeout: Duration,
    pub retries: u32,
    pub start_period: Duration,
    pub action: HealthAction,
}

/// `backoff=`: how the wait grows with the retry number n (1, 2, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Curve {
    /// n × base: the reference's 1, 2, 3 s.
    #[default]
    Linear,
    /// 2^(n-1) × base.
    Exponential,
    /// base every time.
    Constant,
}

/// The restart policy keys; all `None`/default is the reference's timing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RestartPolicy {
    pub restart_delay: Option<Duration>,
    pub backoff: Option<Curve>,
    pub backoff_max: Option<Duration>,
    pub backoff_reset_after: Option<Duration>,
    /// At most N automatic restarts within the window.
    pub limit: Option<(u32, Duration)>,
}

/// Everything issue 14 adds to a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beyond {
    pub ready: ReadyCheck,
    pub ready_timeout: Duration,
    pub depends_on: Vec<Dependency>,
    pub depends_on_timeout: Duration,
    pub health: Option<HealthConfig>,
    pub restart: RestartPolicy,
    /// The keys given, as expanded, for `getAllConfigInfo` (which shows only these, so a
    /// process without them answers exactly as the reference).
    pub given: BTreeMap<String, String>,
}

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

impl Default for Beyond {
    fn default() -> Self {
        Beyond {
            ready: ReadyCheck::Startsecs,
            ready_timeout: DEFAULT_TIMEOUT,
            depends_on: Vec::new(),
            depends_on_timeout: DEFAULT_TIMEOUT,
            health: None,
            restart: RestartPolicy::default(),
            given: BTreeMap::new(),
        }
    }
}

/// Reads the keys through `get` (which expands `%(...)s`).
///
/// # Errors
/// The first bad value, naming its key.
pub fn read(get: &dyn Fn(&str) -> Result<Option<String>, String>) -> Result<Beyond, String> {
    let mut b = Beyond::default();
    for key in KEYS {
        if let Some(v) = get(key)? {
            b.given.insert((*key).to_string(), v.trim().to_string());
        }
    }
    let given = b.given.clone();
    let val = |key: &str| given.get(key).map(String::as_str);
    let bad =
        |key: &str, why: &str| format!("invalid {key} value {:?}: {why}", val(key).unwrap_or(""));
    let secs = |key: &str, default: Duration| -> Result<Duration, String> {
        val(key).map_or(Ok(default), |v| seconds(v).map_err(|why| bad(key, &why)))
    };
    if let Some(v) = val("ready_check") {
        b.ready = ready_check(v).map_err(|why| bad("ready_check", &why))?;
    }
    b.ready_timeout = secs("ready_timeout", DEFAULT_TIMEOUT)?;
    if let Some(v) = val("depends_on") {
        b.depends_on = depends_on(v).map_err(|why| bad("depends_on", &why))?;
    }
    b.depends_on_timeout = secs("depends_on_timeout", DEFAULT_TIMEOUT)?;
    if let Some(v) = val("healthcheck") {
        let probe = probe(v).map_err(|why| bad("healthcheck", &why))?;
        let retries = match val("healthcheck_retries") {
            None => 3,
            Some(r) => r
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| bad("healthcheck_retries", "not a whole number >= 1"))?,
        };
        let action = match val("healthcheck_action")
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("restart") => HealthAction::Restart,
            Some("stop") => HealthAction::Stop,
            Some("none") => HealthAction::None,
            Some(_) => return Err(bad("healthcheck_action", "not restart, stop or none")),
        };
        b.health = Some(HealthConfig {
            probe,
            interval: secs("healthcheck_interval", Duration::from_secs(10))?
                .max(Duration::from_millis(10)),
            timeout: secs("healthcheck_timeout", Duration::from_secs(2))?,
            retries,
            start_period: secs("healthcheck_start_period", Duration::ZERO)?,
            action,
        });
    }
    let opt_secs = |key: &str| -> Result<Option<Duration>, String> {
        val(key)
            .map(|v| seconds(v).map_err(|why| bad(key, &why)))
            .transpose()
    };
    b.restart.restart_delay = opt_secs("restart_delay")?;
    b.restart.backoff = match val("backoff").map(str::to_ascii_lowercase).as_deref() {
        None => None,
        Some("linear") => Some(Curve::Linear),
        Some("exponential") => Some(Curve::Exponential),
        Some("constant") => Some(Curve::Constant),
        Some(_) => return Err(bad("backoff", "not linear, exponential or constant")),
    };
    b.restart.backoff_max = opt_secs("backoff_max")?;
    b.restart.backoff_reset_after = opt_secs("backoff_reset_after")?;
    if let Some(v) = val("restart_limit") {
        b.restart.limit = Some(restart_limit(v).map_err(|why| bad("restart_limit", &why))?);
    }
    Ok(b)
}

/// Non-negative seconds, decimals allowed (`0.5`).
fn seconds(v: &str) -> Result<Duration, String> {
    v.trim()
        .parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| "not a number of seconds >= 0".to_string())
}

fn host_port(v: &str) -> Result<(String, u16), String> {
    let (host, port) = v.rsplit_once(':').ok_or("expected HOST:PORT")?;
    let port = port
        .parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or("bad port")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err("empty host".into());
    }
    Ok((host.to_string(), port))
}

/// `tcp:HOST:PORT`, `http://HOST:PORT/PATH` or `exec:COMMAND`.
fn probe(v: &str) -> Result<Probe, String> {
    if let Some(rest) = v.strip_prefix("tcp:") {
        let (host, port) = host_port(rest)?;
        return Ok(Probe::Tcp { host, port });
    }
    if let Some(rest) = v.strip_prefix("http://") {
        let (authority, path) = match rest.find('/') {
            Some(at) => rest.split_at(at),
            None => (rest, "/"),
        };
        let (host, port) = if authority.contains(':') {
            host_port(authority)?
        } else {
            (authority.to_string(), 80)
        };
        if host.is_empty() {
            return Err("empty host".into());
        }
        if path.bytes().any(|b| b.is_ascii_control() || b == b' ') {
            return Err("bad path".into());
        }
        return Ok(Probe::Http {
            host,
            port,
            path: path.to_string(),
        });
    }
    if let Some(cmd) = v.strip_prefix("exec:") {
        if shlex::split(cmd).is_none_or(|w| w.is_empty()) {
            return Err("empty or badly quoted command".into());
        }
        return Ok(Probe::Exec(cmd.trim().to_string()));
    }
    Err("expected tcp:HOST:PORT, http://HOST:PORT/PATH or exec:COMMAND".into())
}

fn ready_check(v: &str) -> Result<ReadyCheck, String> {
    match v {
        "startsecs" => return Ok(ReadyCheck::Startsecs),
        "notify" => return Ok(ReadyCheck::Notify),
        _ => {}
    }
    if let Some(n) = v.strip_prefix("fd:") {
        // 0-2 are the child's stdio.
        return n
            .parse::<i32>()
            .ok()
            .filter(|n| (3..=1023).contains(n))
            .map(ReadyCheck::Fd)
            .ok_or_else(|| "fd:N needs 3 <= N <= 1023".into());
    }
    if let Some(re) = v.strip_prefix("log:") {
        regex_lite::Regex::new(re).map_err(|e| format!("bad regex: {e}"))?;
        return Ok(ReadyCheck::Log(re.to_string()));
    }
    probe(v)
        .map(ReadyCheck::Probe)
        .map_err(|_| "expected startsecs, notify, fd:N, tcp:HOST:PORT, http://HOST:PORT/PATH, log:REGEX or exec:COMMAND".into())
}

fn depends_on(v: &str) -> Result<Vec<Dependency>, String> {
    let mut out = Vec::new();
    for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (target, condition) = match item.rsplit_once('@') {
            None => (item, Condition::Ready),
            Some((t, c)) => (
                t.trim(),
                match c.trim().to_ascii_lowercase().as_str() {
                    "running" => Condition::Running,
                    "ready" => Condition::Ready,
                    "exited" => Condition::Exited,
                    _ => return Err(format!("unknown condition @{c} (running, ready or exited)")),
                },
            ),
        };
        if target.is_empty() {
            return Err("empty name".into());
        }
        out.push(Dependency {
            target: target.to_string(),
            condition,
        });
    }
    Ok(out)
}

/// `N/SECONDS`.
fn restart_limit(v: &str) -> Result<(u32, Duration), String> {
    let (n, window) = v.split_once('/').ok_or("expected N/SECONDS")?;
    let n = n
        .trim()
        .parse::<u32>()
        .map_err(|_| "N is not a whole number")?;
    let window = seconds(window)?;
    if window.is_zero() {
        return Err("the window must be > 0 seconds".into());
    }
    Ok((n, window))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_map(pairs: &[(&str, &str)]) -> Result<Beyond, String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        read(&|k| Ok(map.get(k).cloned()))
    }

    #[test]
    fn no_keys_is_the_default() {
        assert_eq!(read_map(&[]).unwrap(), Beyond::default());
    }

    #[test]
    fn every_ready_check() {
        let r = |v: &str| read_map(&[("ready_check", v)]).map(|b| b.ready);
        assert_eq!(r("startsecs"), Ok(ReadyCheck::Startsecs));
        assert_eq!(r("notify"), Ok(ReadyCheck::Notify));
        assert_eq!(r("fd:3"), Ok(ReadyCheck::Fd(3)));
        assert!(r("fd:2").is_err());
        assert_eq!(
            r("tcp:127.0.0.1:8080"),
            Ok(ReadyCheck::Probe(Probe::Tcp {
                host: "127.0.0.1".into(),
                port: 8080
            }))
        );
        assert_eq!(
            r("http://localhost:81/health?x=1"),
            Ok(ReadyCheck::Probe(Probe::Http {
                host: "localhost".into(),
                port: 81,
                path: "/health?x=1".into()
            }))
        );
        assert_eq!(
            r("http://h"),
            Ok(ReadyCheck::Probe(Probe::Http {
                host: "h".into(),
                port: 80,
                path: "/".into()
            }))
        );
        assert_eq!(r("log:^ready$"), Ok(ReadyCheck::Log("^ready$".into())));
        assert!(r("log:(").unwrap_err().contains("bad regex"));
        assert_eq!(
            r("exec:test -e /tmp/x"),
            Ok(ReadyCheck::Probe(Probe::Exec("test -e /tmp/x".into())))
        );
        let e = r("tcp:host").unwrap_err();
        assert!(
            e.starts_with("invalid ready_check value \"tcp:host\""),
            "{e}"
        );
        assert!(r("bogus").is_err());
    }

    #[test]
    fn dependencies_with_conditions() {
        let b = read_map(&[("depends_on", "a, g:*, b@running, c@READY, d@exited")]).unwrap();
        let got: Vec<(&str, Condition)> = b
            .depends_on
            .iter()
            .map(|d| (d.target.as_str(), d.condition))
            .collect();
        assert_eq!(
            got,
            [
                ("a", Condition::Ready),
                ("g:*", Condition::Ready),
                ("b", Condition::Running),
                ("c", Condition::Ready),
                ("d", Condition::Exited)
            ]
        );
        assert!(read_map(&[("depends_on", "a@soon")]).is_err());
    }

    #[test]
    fn health_and_restart_policy() {
        let b = read_map(&[
            ("healthcheck", "tcp:127.0.0.1:9"),
            ("healthcheck_interval", "0.5"),
            ("healthcheck_retries", "2"),
            ("healthcheck_action", "stop"),
            ("restart_delay", "2.5"),
            ("backoff", "exponential"),
            ("backoff_max", "30"),
            ("restart_limit", "5/60"),
        ])
        .unwrap();
        let h = b.health.unwrap();
        assert_eq!(
            (h.interval, h.timeout, h.retries, h.action),
            (
                Duration::from_millis(500),
                Duration::from_secs(2),
                2,
                HealthAction::Stop
            )
        );
        assert_eq!(b.restart.restart_delay, Some(Duration::from_millis(2500)));
        assert_eq!(b.restart.backoff, Some(Curve::Exponential));
        assert_eq!(b.restart.limit, Some((5, Duration::from_secs(60))));
        assert_eq!(b.given.len(), 8);
        assert!(read_map(&[("restart_limit", "5")]).is_err());
        assert!(read_map(&[("restart_limit", "5/0")]).is_err());
        assert!(read_map(&[("healthcheck", "tcp:h:1"), ("healthcheck_retries", "0")]).is_err());
        assert!(read_map(&[("backoff", "wild")]).is_err());
        assert!(read_map(&[("ready_timeout", "-1")]).is_err());
    }
}
