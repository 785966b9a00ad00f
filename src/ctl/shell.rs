//! The interactive shell (reference §4.1): `status` first, then `<prompt>> ` lines until
//! `quit`, `exit`, EOF or Ctrl-C.
//!
//! Owns where typed lines come from: a line editor with history and completion when stdin
//! and stdout are a terminal, plain line reading otherwise (so `echo status | supervisorctl`
//! prints its prompts as the reference does). The history file is plain lines, one per entry,
//! as GNU readline writes it. It must not interpret commands: that is the controller's job.

use std::io::{self, Write};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::rc::Rc;

use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::{History, MemHistory, SearchDirection};
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor, Helper};

use super::client::{self, Server};
use super::controller::{Controller, Flow, LineInput, ReadLine};
use super::help::TOPICS;
use super::interrupt::{readable, Interrupt};
use super::reply::ProcessInfo;

/// Runs the shell until the user leaves.
pub fn cmdloop(ctl: &mut Controller<'_>, prompt: &str) {
    let mut line = "status".to_string();
    loop {
        if ctl.onecmd(&line) == Flow::Quit {
            return;
        }
        line = match ctl.read_command(prompt) {
            ReadLine::Line(line) => line,
            // The line editor has printed the newline `EOF` would print.
            ReadLine::Eof | ReadLine::Interrupted if ctl.input.ends_lines() => return,
            ReadLine::Eof => "EOF".to_string(),
            ReadLine::Interrupted => {
                ctl.onecmd("EOF");
                return;
            }
        };
    }
}

impl Controller<'_> {
    /// Reads the next shell command.
    pub fn read_command(&mut self, prompt: &str) -> ReadLine {
        self.input.read_command(prompt, &self.server)
    }
}

/// Lines from a pipe or file: the prompt is written to stdout, as Python's `input()` does.
/// Ctrl-C while waiting is [`ReadLine::Interrupted`] (the reference leaves the shell on it).
#[derive(Debug, Default)]
pub struct PlainInput {
    interrupt: Option<Rc<Interrupt>>,
    /// Bytes read but not yet returned as lines.
    pending: Vec<u8>,
    eof: bool,
}

impl PlainInput {
    pub fn new(interrupt: Option<Rc<Interrupt>>) -> PlainInput {
        PlainInput {
            interrupt,
            pending: Vec::new(),
            eof: false,
        }
    }

    /// Reads more of stdin; `Err(())` when Ctrl-C came first.
    fn fill(&mut self) -> Result<(), ()> {
        let stdin = io::stdin();
        if let Some(interrupt) = &self.interrupt {
            let _catching = interrupt.catch();
            let ready = readable(&[stdin.as_fd(), interrupt.fd()]).unwrap_or_default();
            if ready.get(1).copied().unwrap_or(false) {
                return Err(());
            }
        }
        let mut chunk = [0u8; 4096];
        match nix::unistd::read(&stdin, &mut chunk) {
            Ok(0) => self.eof = true,
            Ok(n) => self
                .pending
                .extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Err(nix::errno::Errno::EINTR) => {}
            Err(_) => self.eof = true,
        }
        Ok(())
    }
}

impl LineInput for PlainInput {
    fn read_command(&mut self, prompt: &str, _server: &Server) -> ReadLine {
        self.read_line(prompt)
    }

    fn read_line(&mut self, prompt: &str) -> ReadLine {
        let mut out = io::stdout();
        // A prompt that cannot be shown does not stop the reading.
        let _ = out.write_all(prompt.as_bytes()).and_then(|()| out.flush());
        loop {
            if let Some(nl) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=nl).collect();
                let line = line.strip_suffix(b"\n").unwrap_or(&line);
                return ReadLine::Line(String::from_utf8_lossy(line).into_owned());
            }
            if self.eof {
                if self.pending.is_empty() {
                    return ReadLine::Eof;
                }
                let rest = std::mem::take(&mut self.pending);
                return ReadLine::Line(String::from_utf8_lossy(&rest).into_owned());
            }
            if self.fill().is_err() {
                return ReadLine::Interrupted;
            }
        }
    }

    fn read_secret(&mut self, prompt: &str) -> ReadLine {
        self.read_line(prompt)
    }

    fn ends_lines(&self) -> bool {
        false
    }
}

/// A terminal: line editing, history, completion of actions and process names.
pub struct EditorInput {
    editor: Editor<Completion, MemHistory>,
    history_file: Option<PathBuf>,
}

impl EditorInput {
    /// A line editor on the terminal, with the history of `history_file` loaded.
    ///
    /// # Errors
    ///
    /// The terminal cannot be used.
    pub fn new(history_file: Option<PathBuf>) -> rustyline::Result<EditorInput> {
        let config = Config::builder()
            .auto_add_history(true)
            .completion_type(CompletionType::List)
            .build();
        let mut editor = Editor::with_history(config, MemHistory::new())?;
        editor.set_helper(Some(Completion { server: None }));
        if let Some(text) = history_file.as_ref().and_then(|p| std::fs::read(p).ok()) {
            for line in String::from_utf8_lossy(&text)
                .lines()
                .filter(|l| !l.is_empty())
            {
                editor.add_history_entry(line)?;
            }
        }
        Ok(EditorInput {
            editor,
            history_file,
        })
    }

    fn read(&mut self, prompt: &str, server: Option<&Server>) -> ReadLine {
        if let Some(helper) = self.editor.helper_mut() {
            helper.server = server.cloned();
        }
        match self.editor.readline(prompt) {
            Ok(line) => ReadLine::Line(line),
            Err(ReadlineError::Interrupted) => ReadLine::Interrupted,
            Err(_) => ReadLine::Eof,
        }
    }
}

impl LineInput for EditorInput {
    fn read_command(&mut self, prompt: &str, server: &Server) -> ReadLine {
        self.read(prompt, Some(server))
    }

    fn read_line(&mut self, prompt: &str) -> ReadLine {
        self.read(prompt, None)
    }

    fn read_secret(&mut self, prompt: &str) -> ReadLine {
        read_without_echo(prompt)
    }

    fn ends_lines(&self) -> bool {
        true
    }
}

impl Drop for EditorInput {
    /// Writes the history back, as the reference does at exit (errors are ignored there too).
    fn drop(&mut self) {
        let Some(path) = &self.history_file else {
            return;
        };
        let history = self.editor.history();
        let mut text = String::new();
        for i in 0..history.len() {
            if let Ok(Some(found)) = history.get(i, SearchDirection::Forward) {
                text.push_str(&found.entry);
                text.push('\n');
            }
        }
        let _ = std::fs::write(path, text);
    }
}

/// `getpass`: the terminal's echo is off while the line is typed.
fn read_without_echo(prompt: &str) -> ReadLine {
    use nix::sys::termios::{tcgetattr, tcsetattr, LocalFlags, SetArg};
    let stdin = io::stdin();
    let saved = tcgetattr(&stdin).ok();
    if let Some(saved) = &saved {
        let mut quiet = saved.clone();
        quiet.local_flags.remove(LocalFlags::ECHO);
        let _ = tcsetattr(&stdin, SetArg::TCSAFLUSH, &quiet);
    }
    let answer = PlainInput::default().read_line(prompt);
    if let Some(saved) = &saved {
        let _ = tcsetattr(&stdin, SetArg::TCSAFLUSH, saved);
    }
    let _ = writeln!(io::stdout());
    answer
}

/// Readline completion: actions, then process or group names, as the reference offers them.
pub struct Completion {
    /// Where to ask for process names; `None` while an answer (not a command) is typed.
    server: Option<Server>,
}

impl Completer for Completion {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let Some(server) = &self.server else {
            return Ok((pos, Vec::new()));
        };
        let before = line.get(..pos).unwrap_or(line);
        let names = || {
            client::call(server, "supervisor.getAllProcessInfo", vec![])
                .ok()
                .and_then(|v| ProcessInfo::list(&v).ok())
                .unwrap_or_default()
                .into_iter()
                .map(|i| (i.group, i.name))
                .collect()
        };
        Ok(complete(before, names))
    }
}

impl Hinter for Completion {
    type Hint = String;
}

impl Highlighter for Completion {}

impl Validator for Completion {}

impl Helper for Completion {}

/// Readline's word delimiters without `:`, `*` and `-`, so `group:*` is one word.
const DELIMITERS: &[char] = &[
    ' ', '\t', '\n', '"', '\\', '\'', '`', '@', '$', '>', '<', '=', ';', '|', '&', '{', '(',
];

/// Completes the word ending at the end of `before`: the word's start and the candidates
/// (each followed by a space). `processes` lists `(group, name)` pairs when needed.
pub fn complete(
    before: &str,
    processes: impl FnOnce() -> Vec<(String, String)>,
) -> (usize, Vec<String>) {
    let start = before.rfind(DELIMITERS).map_or(0, |i| i + 1);
    let text = before.get(start..).unwrap_or("");
    let words: Vec<&str> = before.split_whitespace().collect();
    let actions = || {
        let mut all: Vec<&str> = TOPICS.iter().copied().chain(["help"]).collect();
        all.sort_unstable();
        all.into_iter()
            .filter(|a| a.starts_with(text))
            .map(|a| format!("{a} "))
            .collect()
    };
    let candidates = match words.as_slice() {
        [] => actions(),
        [_] if !before.ends_with(char::is_whitespace) => actions(),
        ["help", ..] => actions(),
        ["add" | "remove" | "update", ..] => {
            let mut groups: Vec<String> = Vec::new();
            for (group, _) in processes() {
                if !groups.contains(&group) {
                    groups.push(group);
                }
            }
            groups
                .into_iter()
                .filter(|g| g.starts_with(text))
                .map(|g| format!("{g} "))
                .collect()
        }
        ["clear" | "fg" | "pid" | "restart" | "signal" | "start" | "status" | "stop" | "tail", ..] =>
        {
            let mut specs: Vec<String> = Vec::new();
            for (group, name) in processes() {
                if text.contains(':') || name != group {
                    specs.push(format!("{group}:{name}"));
                    let wildcard = format!("{group}:*");
                    if !specs.contains(&wildcard) {
                        specs.push(wildcard);
                    }
                } else {
                    specs.push(name);
                }
            }
            specs
                .into_iter()
                .filter(|s| s.starts_with(text))
                .map(|s| format!("{s} "))
                .collect()
        }
        _ => Vec::new(),
    };
    (start, candidates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn procs() -> Vec<(String, String)> {
        [
            ("cat", "cat"),
            ("grp", "a"),
            ("grp", "b"),
            ("talker", "talker"),
        ]
        .iter()
        .map(|(g, n)| (g.to_string(), n.to_string()))
        .collect()
    }

    fn none() -> Vec<(String, String)> {
        panic!("process names not needed")
    }

    #[test]
    fn completes_actions() {
        assert_eq!(complete("", none).1.len(), 22);
        assert_eq!(
            complete("st", none),
            (0, vec!["start ".into(), "status ".into(), "stop ".into()])
        );
        assert_eq!(
            complete("help re", none),
            (
                5,
                vec![
                    "reload ".into(),
                    "remove ".into(),
                    "reread ".into(),
                    "restart ".into()
                ]
            )
        );
    }

    #[test]
    fn completes_process_names_and_group_wildcards() {
        assert_eq!(
            complete("start ", procs).1,
            ["cat ", "grp:a ", "grp:* ", "grp:b ", "talker "]
        );
        assert_eq!(
            complete("stop grp:", procs),
            (5, vec!["grp:a ".into(), "grp:* ".into(), "grp:b ".into()])
        );
        assert_eq!(complete("tail ca", procs), (5, vec!["cat ".into()]));
        assert_eq!(
            complete("tail cat:", procs),
            (5, vec!["cat:cat ".into(), "cat:* ".into()])
        );
    }

    #[test]
    fn completes_group_names_for_config_actions() {
        assert_eq!(complete("update ", procs).1, ["cat ", "grp ", "talker "]);
        assert_eq!(complete("remove g", procs), (7, vec!["grp ".into()]));
    }

    #[test]
    fn nothing_for_other_actions() {
        assert_eq!(complete("version x", none), (8, vec![]));
    }
}
