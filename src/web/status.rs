//! The status page (`/`, `/index.html`): one row per process with its state badge,
//! description, name (linking to its tail page) and the actions that fit its state; the
//! page-wide actions; a group and text filter; a summary of the states (reference §5.7, D8).
//!
//! Every action is a POST form carrying the CSRF token. The filter is a GET form, so all of
//! it works without JavaScript; the script only makes it live.

use std::fmt::Write;

use super::action::is_error;
use super::html::{self, escape_into, PageKind, Tone};
use crate::http::url;
use crate::states::ProcessState;

/// One process as the page shows it.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub group: &'a str,
    pub namespec: String,
    pub state: ProcessState,
    pub description: String,
}

/// Everything the page shows. `rows` are in (group, process) order.
#[derive(Debug)]
pub struct StatusPage<'a> {
    pub rows: &'a [Row<'a>],
    pub message: Option<&'a str>,
    pub token: &'a str,
    pub identifier: &'a str,
    /// Text filter (`q=`): a row shows when its name or state contains it, any case.
    pub filter: &'a str,
    /// Group filter (`group=`): only that group's rows show.
    pub group: &'a str,
}

/// The reference's class for a state's badge.
fn state_class(state: ProcessState) -> &'static str {
    match state {
        ProcessState::Running => "statusrunning",
        ProcessState::Fatal | ProcessState::Backoff => "statuserror",
        _ => "statusnominal",
    }
}

/// The process actions offered in `state`. DIVERGENCE(D8): Stop is offered while STARTING
/// and in BACKOFF too (the reference offers nothing there), so a crash loop can be ended
/// from the page.
fn actions(state: ProcessState) -> &'static [(&'static str, &'static str)] {
    const START: (&str, &str) = ("start", "Start");
    const RESTART: (&str, &str) = ("restart", "Restart");
    const STOP: (&str, &str) = ("stop", "Stop");
    const CLEAR: (&str, &str) = ("clearlog", "Clear Log");
    match state {
        ProcessState::Running => &[RESTART, STOP, CLEAR],
        ProcessState::Starting | ProcessState::Backoff => &[STOP, CLEAR],
        ProcessState::Stopped | ProcessState::Exited | ProcessState::Fatal => &[START, CLEAR],
        ProcessState::Stopping | ProcessState::Unknown => &[CLEAR],
    }
}

/// The rows of each group in turn (rows come in group order).
fn groups<'r, 'a>(rows: &'r [Row<'a>]) -> impl Iterator<Item = &'r [Row<'a>]> {
    rows.chunk_by(|a, b| a.group == b.group)
}

/// A group gets a heading row when it is not just one program of the same name.
fn is_real_group(members: &[Row<'_>]) -> bool {
    members.iter().any(|r| r.namespec.as_str() != r.group)
}

fn lower(state: ProcessState) -> String {
    state.name().to_ascii_lowercase()
}

impl StatusPage<'_> {
    fn visible(&self, row: &Row<'_>, filter_lower: &str) -> bool {
        (self.group.is_empty() || row.group == self.group)
            && (filter_lower.is_empty()
                || row.namespec.to_lowercase().contains(filter_lower)
                || lower(row.state).contains(filter_lower))
    }

    /// The whole page.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096 + self.rows.len() * 900);
        let mut top = String::from(
            "<form class=\"global\" method=\"post\" action=\"index.html\">\n\
             <input type=\"hidden\" name=\"token\" value=\"",
        );
        escape_into(&mut top, self.token);
        top.push_str(
            "\">\n<button name=\"action\" value=\"refresh\">Refresh</button>\n\
             <button name=\"action\" value=\"restartall\">Restart All</button>\n\
             <button name=\"action\" value=\"stopall\" class=\"danger\">Stop All</button>\n\
             </form>\n",
        );
        html::open(
            &mut out,
            PageKind::Status,
            "Supervisor Status",
            self.identifier,
            &top,
        );
        let tone = if self.message.is_some_and(is_error) {
            Tone::Error
        } else {
            Tone::Info
        };
        html::message(&mut out, self.message, tone);
        self.toolbar(&mut out);
        out.push_str("<div id=\"status\">\n");
        if self.rows.is_empty() {
            out.push_str("<p class=\"empty\">No programs to manage</p>\n");
        } else {
            self.summary(&mut out);
            self.table(&mut out);
        }
        out.push_str("</div>\n");
        html::close(&mut out);
        out
    }

    fn toolbar(&self, out: &mut String) {
        out.push_str(
            "<form class=\"toolbar\" method=\"get\" action=\"index.html\" role=\"search\">\n\
             <label for=\"q\">Filter</label>\n<input id=\"q\" name=\"q\" type=\"search\" value=\"",
        );
        escape_into(out, self.filter);
        out.push_str("\" placeholder=\"name or state\" autocomplete=\"off\">\n");
        let names: Vec<&str> = groups(self.rows)
            .filter(|members| is_real_group(members))
            .filter_map(|members| members.first().map(|r| r.group))
            .collect();
        if !names.is_empty() {
            out.push_str(
                "<label for=\"group\">Group</label>\n<select id=\"group\" name=\"group\">\n\
                 <option value=\"\">All groups</option>\n",
            );
            for g in names {
                out.push_str("<option");
                if g == self.group {
                    out.push_str(" selected");
                }
                out.push('>');
                escape_into(out, g);
                out.push_str("</option>\n");
            }
            out.push_str("</select>\n");
        }
        out.push_str("<button type=\"submit\" class=\"apply\">Apply</button>\n</form>\n");
    }

    fn summary(&self, out: &mut String) {
        const ORDER: [ProcessState; 8] = [
            ProcessState::Running,
            ProcessState::Starting,
            ProcessState::Backoff,
            ProcessState::Stopping,
            ProcessState::Stopped,
            ProcessState::Exited,
            ProcessState::Fatal,
            ProcessState::Unknown,
        ];
        let total = self.rows.len();
        let _ = write!(
            out,
            "<p id=\"summary\">{total} process{}",
            if total == 1 { "" } else { "es" }
        );
        let mut first = true;
        for state in ORDER {
            let n = self.rows.iter().filter(|r| r.state == state).count();
            if n > 0 {
                let _ = write!(
                    out,
                    "{} <span class=\"count {}\">{n} {}</span>",
                    if first { ":" } else { "," },
                    state_class(state),
                    lower(state)
                );
                first = false;
            }
        }
        out.push_str("</p>\n");
    }

    fn table(&self, out: &mut String) {
        out.push_str(
            "<table class=\"status\" aria-label=\"Processes\">\n<thead><tr><th scope=\"col\">State</th>\
             <th scope=\"col\">Description</th><th scope=\"col\">Name</th>\
             <th scope=\"col\">Actions</th></tr></thead>\n<tbody>\n",
        );
        let filter = self.filter.to_lowercase();
        let mut shade = false;
        for members in groups(self.rows) {
            let shown: Vec<bool> = members.iter().map(|r| self.visible(r, &filter)).collect();
            if let Some(first) = members.first().filter(|_| is_real_group(members)) {
                out.push_str("<tr class=\"grouprow\" data-group=\"");
                escape_into(out, first.group);
                out.push('"');
                if !shown.contains(&true) {
                    out.push_str(" hidden");
                }
                out.push_str("><th colspan=\"4\" scope=\"rowgroup\">");
                escape_into(out, first.group);
                out.push_str("</th></tr>\n");
            }
            for (row, visible) in members.iter().zip(shown) {
                self.row(out, row, shade, visible);
                shade = !shade;
            }
        }
        out.push_str("</tbody>\n</table>\n");
    }

    fn row(&self, out: &mut String, row: &Row<'_>, shade: bool, visible: bool) {
        let state = lower(row.state);
        let link = url::quote(&row.namespec);
        out.push_str("<tr data-name=\"");
        escape_into(out, &row.namespec);
        out.push_str("\" data-group=\"");
        escape_into(out, row.group);
        let _ = write!(out, "\" data-state=\"{state}\"");
        if shade {
            out.push_str(" class=\"shade\"");
        }
        if !visible {
            out.push_str(" hidden");
        }
        let _ = write!(
            out,
            "><td class=\"state\"><span class=\"state {} st-{state}\">{state}</span></td>\
             <td class=\"desc\">",
            state_class(row.state)
        );
        escape_into(out, &row.description);
        let _ = write!(
            out,
            "</td><td class=\"name\"><a href=\"tail.html?processname={link}\">"
        );
        escape_into(out, &row.namespec);
        out.push_str(
            "</a></td><td class=\"actions\"><form method=\"post\" action=\"index.html\">\
             <input type=\"hidden\" name=\"token\" value=\"",
        );
        escape_into(out, self.token);
        out.push_str("\"><input type=\"hidden\" name=\"processname\" value=\"");
        escape_into(out, &row.namespec);
        out.push_str("\">");
        for (key, label) in actions(row.state) {
            let _ = write!(
                out,
                "<button name=\"action\" value=\"{key}\" class=\"{key}\" aria-label=\"{label} "
            );
            escape_into(out, &row.namespec);
            let _ = write!(out, "\">{label}</button>");
        }
        let _ = writeln!(
            out,
            "</form><a class=\"tail\" href=\"logtail/{link}\" target=\"_blank\">Tail -f Stdout</a>\
             <a class=\"tail\" href=\"logtail/{link}/stderr\" target=\"_blank\">Tail -f Stderr</a>\
             </td></tr>"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(group: &'a str, name: &str, state: ProcessState) -> Row<'a> {
        Row {
            group,
            namespec: name.into(),
            state,
            description: format!("about {name}"),
        }
    }

    fn page<'a>(rows: &'a [Row<'a>], filter: &'a str, group: &'a str) -> String {
        StatusPage {
            rows,
            message: None,
            token: "tok",
            identifier: "supervisor",
            filter,
            group,
        }
        .render()
    }

    fn row_html<'a>(page: &'a str, name: &str) -> &'a str {
        let start = page.find(&format!("<tr data-name=\"{name}\"")).unwrap();
        let end = start + page[start..].find("</tr>").unwrap();
        &page[start..end]
    }

    #[test]
    fn rows_offer_the_actions_of_their_state() {
        let rows = [
            row("a", "a", ProcessState::Running),
            row("b", "b", ProcessState::Stopped),
            row("c", "c", ProcessState::Backoff),
            row("d", "d", ProcessState::Stopping),
        ];
        let html = page(&rows, "", "");
        let a = row_html(&html, "a");
        assert!(a.contains("class=\"state statusrunning st-running\">running<"));
        assert!(a.contains("value=\"restart\"") && a.contains("value=\"stop\""));
        assert!(!a.contains("value=\"start\""));
        assert!(a.contains("<form method=\"post\" action=\"index.html\"><input type=\"hidden\" name=\"token\" value=\"tok\">"));
        assert!(a.contains("href=\"tail.html?processname=a\""));
        assert!(a.contains("href=\"logtail/a\" target=\"_blank\">Tail -f Stdout<"));
        assert!(a.contains("href=\"logtail/a/stderr\" target=\"_blank\">Tail -f Stderr<"));
        let b = row_html(&html, "b");
        assert!(b.contains("value=\"start\"") && !b.contains("value=\"stop\""));
        assert!(b.contains("class=\"shade\""));
        let c = row_html(&html, "c");
        assert!(c.contains("statuserror") && c.contains("value=\"stop\""));
        let d = row_html(&html, "d");
        assert!(d.contains("value=\"clearlog\"") && !d.contains("value=\"st"));
        assert!(html.contains("4 processes: <span class=\"count statusrunning\">1 running</span>"));
        assert!(html.contains("value=\"stopall\"") && html.contains("value=\"restartall\""));
        assert!(html.contains(concat!("supervisor-rs ", env!("CARGO_PKG_VERSION"))));
    }

    #[test]
    fn no_processes() {
        let html = page(&[], "", "");
        assert!(html.contains("No programs to manage"));
        assert!(!html.contains("<table"));
    }

    #[test]
    fn names_descriptions_and_messages_are_escaped() {
        let mut r = row("<b>", "<b>", ProcessState::Fatal);
        r.description = "can't find command '<i>'".into();
        let rows = [r];
        let html = StatusPage {
            rows: &rows,
            message: Some("<script>alert(1)</script>"),
            token: "t",
            identifier: "\"id\"",
            filter: "\"><x",
            group: "",
        }
        .render();
        assert!(!html.contains("<b>") && !html.contains("<i>") && !html.contains("<script>a"));
        assert!(!html.contains("\"><x"));
        assert!(html.contains(">&lt;b&gt;</a>"));
        assert!(html.contains("processname=%3Cb%3E"));
        assert!(html.contains("can&#39;t find command &#39;&lt;i&gt;&#39;"));
        assert!(html.contains("<div id=\"message\" class=\"status_msg\" role=\"status\">&lt;script&gt;alert(1)&lt;/script&gt;"));
    }

    #[test]
    fn groups_get_headings_and_filters_hide_rows() {
        let rows = [
            row("solo", "solo", ProcessState::Running),
            row("web", "web:a", ProcessState::Running),
            row("web", "web:b", ProcessState::Stopped),
        ];
        let html = page(&rows, "", "");
        assert!(html.contains("<tr class=\"grouprow\" data-group=\"web\"><th colspan=\"4\" scope=\"rowgroup\">web</th></tr>"));
        assert!(!html.contains("data-group=\"solo\"><th"));
        assert!(html.contains("<option>web</option>") && !html.contains("<option>solo"));
        let by_group = page(&rows, "", "web");
        assert!(row_html(&by_group, "solo").contains(" hidden"));
        assert!(!row_html(&by_group, "web:a").contains(" hidden"));
        assert!(by_group.contains("<option selected>web</option>"));
        let by_text = page(&rows, "STOP", "");
        assert!(row_html(&by_text, "web:a").contains(" hidden"));
        assert!(!row_html(&by_text, "web:b").contains(" hidden"));
        let none = page(&rows, "solo", "");
        assert!(none.contains("data-group=\"web\" hidden>"));
    }
}
