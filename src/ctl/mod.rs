//! `supervisorctl`: control supervisord from the command line or an interactive shell
//! (reference §4).
//!
//! A small synchronous program: blocking sockets, one XML-RPC call per connection, a second
//! thread only while `fg` streams output. Layers, top down:
//! - [`main`] (here): options, configuration, one-shot command or shell, exit status;
//! - `shell`: where typed lines come from; `controller`: line → action → output + status;
//! - `commands/`: the actions; `format` and `help`: their exact texts;
//! - `client`: XML-RPC over HTTP/1.1 (`http`, `endpoint`), `reply` record shapes;
//!   `http_stream`: `/logtail` and `/mainlogtail` following; `interrupt`: Ctrl-C while following.
//!
//! It must not share state with the daemon: everything goes over the socket.

mod args;
pub mod client;
mod commands;
mod controller;
mod endpoint;
mod format;
mod help;
mod http;
mod http_stream;
mod interrupt;
mod json;
pub mod reply;
mod shell;

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::rc::Rc;

use crate::config::{load_ctl, CtlConfig};

use args::{CommandLine, Parsed, UsageError};
use client::{Network, Server};
use controller::{Controller, LineInput};
use interrupt::Interrupt;
use shell::{EditorInput, PlainInput};

/// Runs supervisorctl with `argv` (program name first); returns the exit status.
pub fn main(argv: Vec<OsString>) -> u8 {
    let progname = argv.first().map_or_else(
        || "supervisorctl".to_string(),
        |a| a.to_string_lossy().into_owned(),
    );
    let cl = match args::parse(argv.get(1..).unwrap_or_default()) {
        Ok(Parsed::Run(cl)) => cl,
        Ok(Parsed::Help) => {
            // print! would panic on a closed stdout; there is nobody to tell then.
            let _ = io::stdout().write_all(help::usage(&progname).as_bytes());
            return 0;
        }
        Err(UsageError(msg)) => return usage_error(&progname, &msg),
    };
    let config = match load_ctl(cl.configuration.as_deref(), &progname) {
        Ok(config) => config,
        Err(e) => return usage_error(&progname, &e.to_string()),
    };
    let settings = Settings::new(cl, config);
    for warning in &settings.warnings {
        let _ = writeln!(io::stderr(), "{warning}");
    }
    run(settings)
}

/// `Error: <msg>` and the `-h` hint on stderr, exit 2.
fn usage_error(progname: &str, msg: &str) -> u8 {
    let _ = writeln!(io::stderr(), "Error: {msg}\nFor help, use {progname} -h");
    2
}

/// The command line over the configuration file over the built-in defaults.
struct Settings {
    server: Server,
    prompt: String,
    history_file: Option<PathBuf>,
    json: bool,
    /// `-i`, or no action given.
    interactive: bool,
    /// The action line (positional arguments joined with spaces), if any.
    action: Option<String>,
    warnings: Vec<String>,
}

impl Settings {
    fn new(cl: CommandLine, config: Option<CtlConfig>) -> Settings {
        let config = config.unwrap_or_else(|| CtlConfig {
            serverurl: "http://localhost:9001".into(),
            username: None,
            password: None,
            prompt: "supervisor".into(),
            history_file: None,
            warnings: Vec::new(),
        });
        let action = (!cl.action.is_empty()).then(|| cl.action.join(" "));
        Settings {
            server: Server {
                url: cl.serverurl.unwrap_or(config.serverurl),
                username: cl.username.or(config.username),
                password: cl.password.or(config.password),
            },
            prompt: format!("{}> ", config.prompt),
            // DIVERGENCE(Q11): the reference ignores `-r`; here it wins over the file's value.
            history_file: cl.history_file.or(config.history_file),
            json: cl.json,
            interactive: cl.interactive || action.is_none(),
            action,
            warnings: config.warnings,
        }
    }
}

fn run(settings: Settings) -> u8 {
    let interrupt = Interrupt::install().ok().flatten().map(Rc::new);
    let remote = Network::new(interrupt.clone());
    let terminal = io::stdin().is_terminal() && io::stdout().is_terminal();
    let history = if settings.interactive {
        settings.history_file.clone()
    } else {
        None
    };
    let mut input: Box<dyn LineInput> = match terminal.then(|| EditorInput::new(history)) {
        Some(Ok(editor)) => Box::new(editor),
        _ => Box::new(PlainInput::new(interrupt)),
    };
    let (mut out, mut err) = (io::stdout(), io::stderr());
    let mut ctl = Controller::new(
        settings.server,
        settings.interactive,
        &remote,
        &mut *input,
        &mut out,
        &mut err,
    );
    ctl.json = settings.json;
    if let Some(action) = &settings.action {
        ctl.onecmd(action);
        // DIVERGENCE(Q12): with -i the reference exits here; the ruling enters the shell.
        if !settings.interactive {
            return exit_code(ctl.exit_status);
        }
    }
    // With --json, stdout carries documents only: no prompt between them.
    let prompt = if settings.json { "" } else { &settings.prompt };
    shell::cmdloop(&mut ctl, prompt);
    drop(ctl);
    let _ = out.flush();
    // The interactive shell always exits 0, as the reference's does.
    0
}

fn exit_code(status: i32) -> u8 {
    u8::try_from(status.rem_euclid(256)).unwrap_or(1)
}
