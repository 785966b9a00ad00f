//! The read-only status page served at `/` (reference §5.7, D5).
//!
//! One row per process sorted by group then name, with its state and description and links
//! to its log streams. It never changes anything: a GET carrying `action=` only says that
//! actions are not taken on GET (D5).

use std::fmt::Write;

use crate::daemon::clock;
use crate::daemon::core::Daemon;
use crate::daemon::model::Process;
use crate::http::url;
use crate::rpc::info::description;
use crate::states::ProcessState;

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn state_class(state: ProcessState) -> &'static str {
    match state {
        ProcessState::Running => "statusrunning",
        ProcessState::Fatal | ProcessState::Backoff => "statuserror",
        _ => "statusnominal",
    }
}

fn row(out: &mut String, p: &Process, now: f64, shade: bool) {
    let spec = p.namespec();
    let link = url::quote(&spec);
    let state = p.machine.state();
    let _ = writeln!(
        out,
        "<tr{}><td><span class=\"{}\">{}</span></td><td>{}</td><td>{}</td>\
         <td><a href=\"logtail/{link}\" target=\"_blank\">Tail -f Stdout</a> \
         <a href=\"logtail/{link}/stderr\" target=\"_blank\">Tail -f Stderr</a></td></tr>",
        if shade { " class=\"shade\"" } else { "" },
        state_class(state),
        state.name().to_ascii_lowercase(),
        escape(&description(p, now)),
        escape(&spec),
    );
}

/// The whole page.
pub fn status_page(d: &Daemon, query: Option<&str>) -> String {
    let now = clock::wall();
    let mut procs: Vec<&Process> = d.procs.values().collect();
    procs.sort_by(|a, b| (&a.group, &a.config.name).cmp(&(&b.group, &b.config.name)));
    let mut out = String::from(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>Supervisor Status</title>\n</head>\n<body>\n<h1>Supervisor status</h1>\n",
    );
    let message = query.and_then(|q| {
        if url::query_value(q, "action").is_some() {
            Some("Actions are not taken on GET requests.".to_string())
        } else {
            url::query_value(q, "message")
        }
    });
    if let Some(m) = message {
        let _ = writeln!(out, "<div class=\"status_msg\">{}</div>", escape(&m));
    }
    if procs.is_empty() {
        out.push_str("<p>No programs to manage</p>\n");
    } else {
        out.push_str(
            "<table>\n<tr><th>State</th><th>Description</th><th>Name</th><th>Logs</th></tr>\n",
        );
        for (i, p) in procs.iter().enumerate() {
            row(&mut out, p, now, i % 2 == 1);
        }
        out.push_str("</table>\n");
    }
    let _ = write!(
        out,
        "<footer>supervisor-rs {}, identifier {}</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        escape(&d.config.supervisord.identifier)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
