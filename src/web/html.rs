//! HTML escaping and the frame every page shares: head (stylesheet, script, icon), the top
//! bar and the footer with our version.

use std::fmt::Write;

use super::assets;

/// Appends `text` escaped for element content and quoted attribute values.
pub fn escape_into(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
        out.push_str(rest.get(..i).unwrap_or(""));
        out.push_str(match rest.as_bytes().get(i) {
            Some(b'&') => "&amp;",
            Some(b'<') => "&lt;",
            Some(b'>') => "&gt;",
            Some(b'"') => "&quot;",
            _ => "&#39;",
        });
        rest = rest.get(i + 1..).unwrap_or("");
    }
    out.push_str(rest);
}

/// `text` escaped (see [`escape_into`]).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// Which page is being drawn (the body's class, for the stylesheet and the script).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    Status,
    Tail,
    Notice,
}

/// Starts a page: doctype, head, top bar (with `top_extra` markup in it) and `<main>`.
pub fn open(out: &mut String, kind: PageKind, title: &str, identifier: &str, top_extra: &str) {
    let class = match kind {
        PageKind::Status => "page-status",
        PageKind::Tail => "page-tail",
        PageKind::Notice => "page-notice",
    };
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
    );
    escape_into(out, title);
    out.push_str("</title>\n");
    let _ = write!(
        out,
        "<link rel=\"icon\" type=\"image/png\" href=\"{}\">\n\
         <link rel=\"stylesheet\" href=\"{}\">\n\
         <script src=\"{}\" defer></script>\n</head>\n<body class=\"{class}\">\n\
         <header class=\"top\">\n<a class=\"brand\" href=\"index.html\">\
         <img src=\"{}\" alt=\"\" width=\"32\" height=\"32\"><span>Supervisor</span></a>\n\
         <span class=\"ident\" title=\"identifier\">",
        assets::link(assets::ICON),
        assets::link(assets::STYLESHEET),
        assets::link(assets::SCRIPT),
        assets::link(assets::LOGO),
    );
    escape_into(out, identifier);
    out.push_str("</span>\n");
    out.push_str(top_extra);
    out.push_str("</header>\n<main>\n");
}

/// Ends a page opened with [`open`].
pub fn close(out: &mut String) {
    let _ = write!(
        out,
        "</main>\n<footer>supervisor-rs {}</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
}

/// What a message reports, which decides how it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    /// A failure: shown as an error.
    Error,
}

/// The message area: always present (the script fills it), `status_msg` when it says
/// something, as the reference's, and `error` too when it reports a failure.
pub fn message(out: &mut String, message: Option<&str>, tone: Tone) {
    match message {
        Some(m) => {
            out.push_str(match tone {
                Tone::Error => "<div id=\"message\" class=\"status_msg error\" role=\"status\">",
                Tone::Info => "<div id=\"message\" class=\"status_msg\" role=\"status\">",
            });
            escape_into(out, m);
            out.push_str("</div>\n");
        }
        None => out.push_str("<div id=\"message\" role=\"status\"></div>\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(escape("plain é"), "plain é");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn frame_carries_version_identifier_and_assets() {
        let mut out = String::new();
        open(&mut out, PageKind::Notice, "T<", "id&", "");
        message(&mut out, Some("<b>"), Tone::Info);
        close(&mut out);
        assert!(out.contains("<title>T&lt;</title>"));
        assert!(out.contains(">id&amp;</span>"));
        assert!(out
            .contains("<div id=\"message\" class=\"status_msg\" role=\"status\">&lt;b&gt;</div>"));
        assert!(out.contains(concat!("supervisor-rs ", env!("CARGO_PKG_VERSION"))));
        assert!(out.contains("href=\"stylesheets/supervisor.css?v="));
    }
}
