//! Small pages: the confirm page a GET with `action=` gets, the refusal of a form without a
//! valid token, and the answer to an action that does not exist (D5, D8).

use super::action::{Action, BadAction};
use super::html::{self, escape_into, PageKind, Tone};

fn page(title: &str, identifier: &str, message: &str, tone: Tone, body: &str) -> String {
    let mut out = String::with_capacity(2048);
    html::open(
        &mut out,
        PageKind::Notice,
        title,
        identifier,
        "<nav class=\"global\"><a class=\"button\" href=\"index.html\">Back to status</a></nav>\n",
    );
    out.push_str("<h1>");
    escape_into(&mut out, title);
    out.push_str("</h1>\n");
    html::message(&mut out, Some(message), tone);
    out.push_str(body);
    html::close(&mut out);
    out
}

/// The page for `GET ...?action=...`: nothing was done; one button does it by POST.
pub fn confirm(action: &Action, token: &str, identifier: &str) -> String {
    let label = action.label();
    let mut body = String::from(
        "<form class=\"confirm\" method=\"post\" action=\"index.html\">\n\
         <input type=\"hidden\" name=\"token\" value=\"",
    );
    escape_into(&mut body, token);
    body.push_str("\">\n");
    if let Some(name) = action.process() {
        body.push_str("<input type=\"hidden\" name=\"processname\" value=\"");
        escape_into(&mut body, name);
        body.push_str("\">\n");
    }
    body.push_str("<button name=\"action\" value=\"");
    body.push_str(action.key());
    body.push_str("\" class=\"primary\" autofocus>");
    escape_into(&mut body, &label);
    body.push_str("</button>\n<a class=\"button\" href=\"index.html\">Cancel</a>\n</form>\n");
    let message = format!(
        "This link asks to {}. Links never change anything, so nothing has been done yet: \
         press the button to do it.",
        lower_first(&label)
    );
    page("Confirm", identifier, &message, Tone::Info, &body)
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_lowercase().chain(chars).collect::<String>()
    })
}

/// The 403 page: a form without the daemon's current token changes nothing.
pub fn refused(identifier: &str) -> String {
    page(
        "Forbidden",
        identifier,
        "This form does not carry this supervisord's security token (it may come from another \
         site, or from a page loaded before supervisord restarted), so nothing was done. \
         Reload the status page and try again.",
        Tone::Error,
        "",
    )
}

/// The 400 page for an action that cannot be done.
pub fn bad_action(error: &BadAction, identifier: &str) -> String {
    page(
        "Bad request",
        identifier,
        &format!("{error}: nothing was done."),
        Tone::Error,
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirm_has_one_post_button_for_the_action() {
        let html = confirm(&Action::Stop("<b>".into()), "tok", "sup");
        assert_eq!(html.matches("<form").count(), 1);
        assert_eq!(html.matches("<button").count(), 1);
        assert!(html.contains("<form class=\"confirm\" method=\"post\" action=\"index.html\">"));
        assert!(html.contains("name=\"token\" value=\"tok\""));
        assert!(html.contains("name=\"processname\" value=\"&lt;b&gt;\""));
        assert!(html.contains("value=\"stop\" class=\"primary\" autofocus>Stop &lt;b&gt;</button>"));
        assert!(html.contains("This link asks to stop &lt;b&gt;."));
        assert!(!html.contains("<b>"));
        let all = confirm(&Action::RestartAll, "tok", "sup");
        assert!(!all.contains("processname"));
        assert!(all.contains("Restart all processes</button>"));
    }

    #[test]
    fn refusal_and_bad_action_texts() {
        assert!(refused("s").contains("so nothing was done"));
        assert!(refused("s").contains("class=\"status_msg error\""));
        let bad = bad_action(&BadAction::Unknown("<x>".into()), "s");
        assert!(bad.contains("Unknown action &quot;&lt;x&gt;&quot;: nothing was done."));
    }
}
