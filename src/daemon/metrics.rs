//! `GET /metrics`: the Prometheus text format (0.0.4), served only by an HTTP server whose
//! section says `metrics = true` (D11), behind the same authentication as `/RPC2`.
//!
//! The first four families are those of node_exporter's old supervisord collector, with its
//! names, help texts, types, labels and values, so existing dashboards keep working; the
//! `supervisord_*` families are ours. CPU and memory come from `/proc/<pid>/stat`, read only
//! when scraped. Families are sorted by name and samples by their labels, as client_golang
//! writes them; a family without samples is left out.

use std::fmt::Write;
use std::time::SystemTime;

use crate::daemon::conn::ConnId;
use crate::daemon::core::Daemon;
use crate::http::response::Response;
use crate::http::{Connection, Status, Version};
use crate::model::Channel;
use crate::states::ProcessState;

/// The media type of the text format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// CPU time and resident set of a live process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    pub cpu_seconds: f64,
    pub rss_bytes: u64,
}

/// What one process contributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'a> {
    pub group: &'a str,
    pub name: &'a str,
    pub state: ProcessState,
    pub exit_status: i32,
    /// Seconds since the epoch of the last start (`getProcessInfo`'s `start`).
    pub start: i64,
    pub starts: u64,
    pub state_changes: u64,
    /// Bytes read from stdout and stderr.
    pub log_bytes: [u64; 2],
    pub usage: Option<Usage>,
}

/// The collector's notion of "up": STARTING, RUNNING or STOPPING.
fn up(state: ProcessState) -> bool {
    matches!(
        state,
        ProcessState::Starting | ProcessState::Running | ProcessState::Stopping
    )
}

/// A label value with `\`, `"` and newlines escaped.
fn label(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A sample value, written without an intermediate string.
#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i64),
    Count(u64),
    /// Seconds with the kernel's 10 ms resolution.
    Secs(f64),
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Num::Int(n) => write!(f, "{n}"),
            Num::Count(n) => write!(f, "{n}"),
            Num::Secs(s) => write!(f, "{s:.2}"),
        }
    }
}

/// Writes one family: HELP and TYPE, then a line per sample that `value` gives a value to.
fn family<T>(
    out: &mut String,
    name: &str,
    help: &str,
    kind: &str,
    items: &[T],
    labels: impl Fn(&mut String, &T),
    value: impl Fn(&T) -> Option<Num>,
) {
    let mut header = false;
    for item in items {
        let Some(v) = value(item) else { continue };
        if !header {
            let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n");
            header = true;
        }
        out.push_str(name);
        labels(out, item);
        let _ = writeln!(out, " {v}");
    }
}

fn group_name(out: &mut String, s: &Sample) {
    out.push_str("{group=\"");
    label(out, s.group);
    out.push_str("\",name=\"");
    label(out, s.name);
    out.push_str("\"}");
}

/// The whole exposition. `samples` must be sorted by (group, name); `pools` are
/// (pool name, overflows) sorted by name.
pub fn render(samples: &[Sample], pools: &[(&str, u64)], http_connections: usize) -> String {
    let mut out = String::with_capacity(128 + samples.len() * 900);
    let o = &mut out;
    let each = |v: u64| Some(Num::Count(v));
    family(
        o,
        "node_supervisord_exit_status",
        "Process Exit Status",
        "gauge",
        samples,
        group_name,
        |s| Some(Num::Int(s.exit_status.into())),
    );
    family(
        o,
        "node_supervisord_start_time_seconds",
        "Process start time",
        "counter",
        samples,
        group_name,
        |s| up(s.state).then_some(Num::Int(s.start)),
    );
    family(
        o,
        "node_supervisord_state",
        "Process State",
        "gauge",
        samples,
        group_name,
        |s| Some(Num::Int(s.state.code().into())),
    );
    family(
        o,
        "node_supervisord_up",
        "Process Up",
        "gauge",
        samples,
        group_name,
        |s| Some(Num::Count(up(s.state).into())),
    );
    family(
        o,
        "supervisord_event_buffer_overflows_total",
        "Events discarded because an event listener pool's buffer was full.",
        "counter",
        pools,
        |out, (pool, _)| {
            out.push_str("{pool=\"");
            label(out, pool);
            out.push_str("\"}");
        },
        |(_, n)| each(*n),
    );
    family(
        o,
        "supervisord_http_connections",
        "Open HTTP connections, on every server.",
        "gauge",
        &[http_connections],
        |_, _| {},
        |n| Some(Num::Count(*n as u64)),
    );
    let channels: Vec<(&Sample, Channel)> = samples
        .iter()
        .flat_map(|s| [(s, Channel::Stdout), (s, Channel::Stderr)])
        .collect();
    family(
        o,
        "supervisord_log_bytes_total",
        "Bytes a process wrote to its stdout or stderr pipe.",
        "counter",
        &channels,
        |out, (s, chan)| {
            let _ = write!(out, "{{channel=\"{}\",group=\"", chan.name());
            label(out, s.group);
            out.push_str("\",name=\"");
            label(out, s.name);
            out.push_str("\"}");
        },
        |(s, chan)| s.log_bytes.get(*chan as usize).copied().and_then(each),
    );
    family(
        o,
        "supervisord_process_cpu_seconds_total",
        "User and system CPU time of a live process.",
        "counter",
        samples,
        group_name,
        |s| s.usage.map(|u| Num::Secs(u.cpu_seconds)),
    );
    family(
        o,
        "supervisord_process_resident_memory_bytes",
        "Resident memory of a live process.",
        "gauge",
        samples,
        group_name,
        |s| s.usage.map(|u| Num::Count(u.rss_bytes)),
    );
    family(
        o,
        "supervisord_process_restarts_total",
        "Starts of a process after its first one.",
        "counter",
        samples,
        group_name,
        |s| each(s.starts.saturating_sub(1)),
    );
    family(
        o,
        "supervisord_process_state_changes_total",
        "State transitions of a process.",
        "counter",
        samples,
        group_name,
        |s| each(s.state_changes),
    );
    out
}

/// CPU time and resident set of `pid` from `/proc/<pid>/stat`, read into `buf`; `None` if
/// it cannot be read.
fn usage(pid: i32, ticks: f64, page: u64, buf: &mut Vec<u8>) -> Option<Usage> {
    use std::io::Read;
    buf.clear();
    std::fs::File::open(format!("/proc/{pid}/stat"))
        .ok()?
        .read_to_end(buf)
        .ok()?;
    parse_stat(std::str::from_utf8(buf).ok()?, ticks, page)
}

/// Fields 14 and 15 (utime, stime, in ticks) and 24 (rss, in pages) of a `stat` line; the
/// command name (field 2) may hold spaces and parentheses, so counting starts after its `)`.
fn parse_stat(stat: &str, ticks: f64, page: u64) -> Option<Usage> {
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    Some(Usage {
        cpu_seconds: (field(14)? + field(15)?) as f64 / ticks,
        rss_bytes: field(24)? * page,
    })
}

impl Daemon {
    /// True when the server connection `id` came in on serves `/metrics`.
    pub(crate) fn metrics_enabled(&self, id: ConnId) -> bool {
        self.http
            .conns
            .get(&id)
            .and_then(|c| self.http.servers.get(c.server))
            .is_some_and(|s| s.config.metrics)
    }

    /// The `/metrics` response.
    pub(crate) fn metrics_response(
        &self,
        version: Version,
        connection: Connection,
        wall: SystemTime,
    ) -> Vec<u8> {
        let body = self.render_metrics();
        Response::new(version, Status::Ok, connection, wall)
            .header("Content-Type", CONTENT_TYPE)
            .header("Cache-Control", "no-cache")
            .body(body.as_bytes())
    }

    fn render_metrics(&self) -> String {
        let (ticks, page) = (crate::sys::clock_ticks() as f64, crate::sys::page_size());
        let mut buf = Vec::with_capacity(512);
        let mut samples: Vec<Sample> = self
            .model
            .procs
            .values()
            .map(|p| {
                let m = &p.machine;
                let live = m.pid() > 0 && self.model.pids.contains_key(&m.pid());
                Sample {
                    group: &p.group,
                    name: &p.config.name,
                    state: m.state(),
                    exit_status: m.exitstatus().unwrap_or(0),
                    start: m.laststart().floor() as i64,
                    starts: p.counters.starts,
                    state_changes: p.counters.state_changes,
                    log_bytes: [p.stdout.bytes_read, p.stderr.bytes_read],
                    usage: live
                        .then(|| usage(m.pid(), ticks, page, &mut buf))
                        .flatten(),
                }
            })
            .collect();
        samples.sort_by(|a, b| (a.group, a.name).cmp(&(b.group, b.name)));
        let mut pools: Vec<(&str, u64)> = self
            .model
            .groups
            .iter()
            .filter_map(|g| self.model.events.pool(&g.name))
            .map(|p| (p.name(), p.overflows()))
            .collect();
        pools.sort_unstable();
        render(&samples, &pools, self.http.conns.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample<'a>(group: &'a str, name: &'a str, state: ProcessState) -> Sample<'a> {
        Sample {
            group,
            name,
            state,
            exit_status: 0,
            start: 1_700_000_000,
            starts: 3,
            state_changes: 7,
            log_bytes: [120, 0],
            usage: None,
        }
    }

    #[test]
    fn collector_families_match_node_exporter() {
        let mut running = sample("web", "web_00", ProcessState::Running);
        running.usage = Some(Usage {
            cpu_seconds: 1.234,
            rss_bytes: 4096,
        });
        let mut exited = sample("x", "x", ProcessState::Exited);
        exited.exit_status = 2;
        let text = render(&[running, exited], &[("lis", 4)], 2);
        let want = "\
# HELP node_supervisord_exit_status Process Exit Status
# TYPE node_supervisord_exit_status gauge
node_supervisord_exit_status{group=\"web\",name=\"web_00\"} 0
node_supervisord_exit_status{group=\"x\",name=\"x\"} 2
# HELP node_supervisord_start_time_seconds Process start time
# TYPE node_supervisord_start_time_seconds counter
node_supervisord_start_time_seconds{group=\"web\",name=\"web_00\"} 1700000000
# HELP node_supervisord_state Process State
# TYPE node_supervisord_state gauge
node_supervisord_state{group=\"web\",name=\"web_00\"} 20
node_supervisord_state{group=\"x\",name=\"x\"} 100
# HELP node_supervisord_up Process Up
# TYPE node_supervisord_up gauge
node_supervisord_up{group=\"web\",name=\"web_00\"} 1
node_supervisord_up{group=\"x\",name=\"x\"} 0
# HELP supervisord_event_buffer_overflows_total Events discarded because an event listener pool's buffer was full.
# TYPE supervisord_event_buffer_overflows_total counter
supervisord_event_buffer_overflows_total{pool=\"lis\"} 4
# HELP supervisord_http_connections Open HTTP connections, on every server.
# TYPE supervisord_http_connections gauge
supervisord_http_connections 2
# HELP supervisord_log_bytes_total Bytes a process wrote to its stdout or stderr pipe.
# TYPE supervisord_log_bytes_total counter
supervisord_log_bytes_total{channel=\"stdout\",group=\"web\",name=\"web_00\"} 120
supervisord_log_bytes_total{channel=\"stderr\",group=\"web\",name=\"web_00\"} 0
supervisord_log_bytes_total{channel=\"stdout\",group=\"x\",name=\"x\"} 120
supervisord_log_bytes_total{channel=\"stderr\",group=\"x\",name=\"x\"} 0
# HELP supervisord_process_cpu_seconds_total User and system CPU time of a live process.
# TYPE supervisord_process_cpu_seconds_total counter
supervisord_process_cpu_seconds_total{group=\"web\",name=\"web_00\"} 1.23
# HELP supervisord_process_resident_memory_bytes Resident memory of a live process.
# TYPE supervisord_process_resident_memory_bytes gauge
supervisord_process_resident_memory_bytes{group=\"web\",name=\"web_00\"} 4096
# HELP supervisord_process_restarts_total Starts of a process after its first one.
# TYPE supervisord_process_restarts_total counter
supervisord_process_restarts_total{group=\"web\",name=\"web_00\"} 2
supervisord_process_restarts_total{group=\"x\",name=\"x\"} 2
# HELP supervisord_process_state_changes_total State transitions of a process.
# TYPE supervisord_process_state_changes_total counter
supervisord_process_state_changes_total{group=\"web\",name=\"web_00\"} 7
supervisord_process_state_changes_total{group=\"x\",name=\"x\"} 7
";
        assert_eq!(text, want);
    }

    #[test]
    fn label_values_are_escaped_and_empty_families_left_out() {
        let s = sample("g\"\\\n", "n", ProcessState::Stopped);
        let text = render(&[s], &[], 0);
        assert!(text.contains("node_supervisord_up{group=\"g\\\"\\\\\\n\",name=\"n\"} 0\n"));
        assert!(!text.contains("start_time_seconds"));
        assert!(!text.contains("overflows"));
        assert!(!text.contains("cpu_seconds"));
    }

    #[test]
    fn stat_fields_after_the_command_name() {
        let line = "42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 1 0 \
                    12345 1000000 300 18446744073709551615";
        assert_eq!(
            parse_stat(line, 100.0, 4096),
            Some(Usage {
                cpu_seconds: 4.0,
                rss_bytes: 300 * 4096
            })
        );
        assert_eq!(parse_stat("42 (x) S 1", 100.0, 4096), None);
        let own = usage(std::process::id() as i32, 100.0, 4096, &mut Vec::new()).unwrap();
        assert!(own.rss_bytes > 0);
    }

    #[test]
    fn thousand_programs_render_quickly() {
        let names: Vec<String> = (0..1000).map(|i| format!("prog_{i:04}")).collect();
        let samples: Vec<Sample> = names
            .iter()
            .map(|n| sample("grp", n, ProcessState::Running))
            .collect();
        let t = std::time::Instant::now();
        let text = render(&samples, &[], 1);
        let took = t.elapsed();
        assert_eq!(text.matches("node_supervisord_up{").count(), 1000);
        // Generous for a loaded debug build; the release figure is in the report.
        assert!(took.as_millis() < 500, "{took:?}");
    }
}
