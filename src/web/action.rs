//! The status page's actions: what a form asks for, the XML-RPC calls that do it, and the
//! message the page shows once it is done (the reference's texts, §5.7).
//!
//! An action runs through the same handlers as a client's call, so through the same verbs
//! (`model::Supervisor`); the reactor runs the calls and parks the page while one waits.

use crate::model::Supervisor;
use crate::rpc::faults::{Fault, FaultCode};
use crate::rpc::table::Handler;
use crate::rpc::{control, logs, Reply, Value};

/// One action of the status page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Refresh,
    StopAll,
    RestartAll,
    Start(String),
    Stop(String),
    Restart(String),
    ClearLog(String),
}

/// Which call of an action runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The stop of a restart; the start follows whatever it answers.
    Stop,
    /// The one call of an action, or the start of a restart.
    Last,
}

/// `refresh` does nothing but show the page again.
fn refresh(_: &mut dyn Supervisor, _: &[Value]) -> Result<Reply, Fault> {
    Ok(Reply::Now(Value::Bool(true)))
}

/// Why a form's `action` cannot be done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadAction {
    Unknown(String),
    /// A process action without `processname`.
    NoProcess(String),
}

impl std::fmt::Display for BadAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadAction::Unknown(a) => write!(f, "Unknown action \"{a}\""),
            BadAction::NoProcess(a) => write!(f, "The action \"{a}\" needs a process name"),
        }
    }
}

impl Action {
    /// The action a form asks for (`action`, and `processname` for a process action).
    ///
    /// # Errors
    /// An unknown action, or a process action without a name.
    pub fn parse(action: &str, processname: Option<&str>) -> Result<Action, BadAction> {
        let name = || {
            processname
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .ok_or_else(|| BadAction::NoProcess(action.to_string()))
        };
        Ok(match action {
            "refresh" => Action::Refresh,
            "stopall" => Action::StopAll,
            "restartall" => Action::RestartAll,
            "start" => Action::Start(name()?),
            "stop" => Action::Stop(name()?),
            "restart" => Action::Restart(name()?),
            "clearlog" => Action::ClearLog(name()?),
            other => return Err(BadAction::Unknown(other.to_string())),
        })
    }

    /// The form value of `action`.
    pub fn key(&self) -> &'static str {
        match self {
            Action::Refresh => "refresh",
            Action::StopAll => "stopall",
            Action::RestartAll => "restartall",
            Action::Start(_) => "start",
            Action::Stop(_) => "stop",
            Action::Restart(_) => "restart",
            Action::ClearLog(_) => "clearlog",
        }
    }

    /// The process a process action is about.
    pub fn process(&self) -> Option<&str> {
        match self {
            Action::Start(n) | Action::Stop(n) | Action::Restart(n) | Action::ClearLog(n) => {
                Some(n)
            }
            Action::Refresh | Action::StopAll | Action::RestartAll => None,
        }
    }

    /// What the confirm button says.
    pub fn label(&self) -> String {
        match self {
            Action::Refresh => "Refresh the page".into(),
            Action::StopAll => "Stop all processes".into(),
            Action::RestartAll => "Restart all processes".into(),
            Action::Start(n) => format!("Start {n}"),
            Action::Stop(n) => format!("Stop {n}"),
            Action::Restart(n) => format!("Restart {n}"),
            Action::ClearLog(n) => format!("Clear the logs of {n}"),
        }
    }

    /// The step an action begins with: a restart stops first, then starts.
    pub fn first_step(&self) -> Step {
        match self {
            Action::Restart(_) | Action::RestartAll => Step::Stop,
            _ => Step::Last,
        }
    }

    /// The step after `step` once it answered, whatever it answered.
    pub fn next_step(&self, step: Step) -> Option<Step> {
        (step == Step::Stop).then_some(Step::Last)
    }

    /// The method a step calls, and its parameters (waits are the methods' defaults).
    pub fn call(&self, step: Step) -> (Handler, Vec<Value>) {
        let params = self
            .process()
            .map(|n| vec![Value::String(n.to_string())])
            .unwrap_or_default();
        let handler: Handler = match (self, step) {
            (Action::Refresh, _) => refresh,
            (Action::StopAll, _) | (Action::RestartAll, Step::Stop) => control::stop_all_processes,
            (Action::RestartAll, Step::Last) => control::start_all_processes,
            (Action::Stop(_), _) | (Action::Restart(_), Step::Stop) => control::stop_process,
            (Action::Start(_), _) | (Action::Restart(_), Step::Last) => control::start_process,
            (Action::ClearLog(_), _) => logs::clear_process_logs,
        };
        (handler, params)
    }
}

/// How an action ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// The process name is not a process.
    NoSuchProcess,
    /// The call's fault (for a restart, the start's).
    Fault {
        code: i32,
        text: String,
    },
}

/// The message the page shows after `action` ended with `outcome`; `now` is `time.ctime()`.
///
/// # Compatibility
///
/// The reference's texts. DIVERGENCE(D8): a restart whose start fails says why (as a start
/// does) where the reference says "restarted" whatever happened.
pub fn message(action: &Action, outcome: &Outcome, now: &str) -> String {
    let unexpected = |code: &i32, text: &str| format!("unexpected rpc fault [{code}] {text}");
    match (action, outcome) {
        (Action::Refresh, _) => format!("Page refreshed at {now}"),
        (Action::StopAll, _) => format!("All stopped at {now}"),
        (Action::RestartAll, _) => format!("All restarted at {now}"),
        (_, Outcome::NoSuchProcess) => {
            format!("No such process named {}", action.process().unwrap_or(""))
        }
        (Action::Start(n), Outcome::Done) => format!("Process {n} started"),
        (Action::Stop(n), Outcome::Done) => format!("Process {n} stopped"),
        (Action::Restart(n), Outcome::Done) => format!("Process {n} restarted"),
        (Action::ClearLog(n), Outcome::Done) => format!("Log for {n} cleared"),
        (Action::Start(n) | Action::Restart(n), Outcome::Fault { code, text }) => {
            let why = match FaultCode::from_code(*code) {
                Some(FaultCode::NoFile) => "no such file".to_string(),
                Some(FaultCode::NotExecutable) => "file not executable".into(),
                Some(FaultCode::AlreadyStarted) => "already started".into(),
                Some(FaultCode::SpawnError) => "spawn error".into(),
                Some(FaultCode::AbnormalTermination) => "abnormal termination".into(),
                _ => unexpected(code, text),
            };
            format!("ERROR: Process {n}: {why}")
        }
        (Action::Stop(_) | Action::ClearLog(_), Outcome::Fault { code, text }) => {
            unexpected(code, text)
        }
    }
}

/// True when a message (of [`message`]) reports a failure.
pub fn is_error(message: &str) -> bool {
    ["ERROR:", "unexpected rpc fault", "No such process"]
        .iter()
        .any(|p| message.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fake::{Call, Fake};
    use crate::model::{LogOp, StopOrder};
    use crate::process::exit::ExitStatus;
    use crate::states::ProcessState;

    fn fault(code: FaultCode, text: &str) -> Outcome {
        Outcome::Fault {
            code: code.code(),
            text: text.into(),
        }
    }

    #[test]
    fn parses_every_action() {
        assert_eq!(Action::parse("refresh", None), Ok(Action::Refresh));
        assert_eq!(Action::parse("stopall", Some("x")), Ok(Action::StopAll));
        assert_eq!(Action::parse("restartall", None), Ok(Action::RestartAll));
        for key in ["start", "stop", "restart", "clearlog"] {
            let a = Action::parse(key, Some("g:p")).unwrap();
            assert_eq!((a.key(), a.process()), (key, Some("g:p")));
            assert_eq!(
                Action::parse(key, Some("")),
                Err(BadAction::NoProcess(key.into()))
            );
            assert_eq!(
                Action::parse(key, None),
                Err(BadAction::NoProcess(key.into()))
            );
        }
        assert_eq!(
            Action::parse("explode", None),
            Err(BadAction::Unknown("explode".into()))
        );
        assert_eq!(
            BadAction::Unknown("x".into()).to_string(),
            "Unknown action \"x\""
        );
    }

    /// Runs a step's call against the fake: its answer now, or the waiting answer.
    fn run(f: &mut Fake, action: &Action, step: Step) -> Result<Reply, Fault> {
        let (handler, params) = action.call(step);
        handler(f, &params)
    }

    #[test]
    fn a_restart_stops_then_starts_through_the_verbs() {
        let mut f = Fake::new("[program:x]\ncommand=/bin/sh\nstartsecs=1\n");
        f.run("x");
        let id = f.id("x");
        let restart = Action::Restart("x".into());
        let step = restart.first_step();
        assert_eq!(step, Step::Stop);
        let Ok(Reply::Later(mut stop)) = run(&mut f, &restart, step) else {
            panic!("the stop waits")
        };
        assert_eq!(f.state("x"), ProcessState::Stopping);
        f.reap("x", ExitStatus::signalled(libc::SIGTERM));
        assert_eq!(stop.poll(&mut f), Some(Ok(Value::Bool(true))));
        let step = restart.next_step(step).expect("then the start");
        let Ok(Reply::Later(mut start)) = run(&mut f, &restart, step) else {
            panic!("the start waits")
        };
        f.deadline("x");
        assert_eq!(start.poll(&mut f), Some(Ok(Value::Bool(true))));
        assert_eq!(restart.next_step(step), None);
        let verbs: Vec<&Call> = f
            .calls
            .iter()
            .filter(|c| matches!(c, Call::Start(_) | Call::Stop(..)))
            .collect();
        assert_eq!(
            verbs,
            [
                &Call::Stop(id, StopOrder::AfterDependents),
                &Call::Start(id)
            ]
        );
    }

    #[test]
    fn each_action_calls_its_method() {
        let mut f = Fake::new("[program:x]\ncommand=/bin/sh\n");
        let id = f.id("x");
        assert!(matches!(
            run(&mut f, &Action::Refresh, Step::Last),
            Ok(Reply::Now(Value::Bool(true)))
        ));
        assert!(f.calls.is_empty(), "refresh does nothing");
        let clear = Action::ClearLog("x".into());
        assert!(run(&mut f, &clear, clear.first_step()).is_ok());
        assert_eq!(f.calls, [Call::ProcessLogs(id, LogOp::Clear)]);
        let stop = Action::Stop("x".into());
        let fault = run(&mut f, &stop, stop.first_step()).unwrap_err();
        assert_eq!(fault.code, FaultCode::NotRunning);
        let start_all = Action::RestartAll;
        let Ok(Reply::Now(v)) = run(&mut f, &start_all, Step::Stop) else {
            panic!("nothing runs: stopping all answers at once")
        };
        assert_eq!(v, Value::Array(vec![]));
        assert!(matches!(
            run(&mut f, &start_all, Step::Last),
            Ok(Reply::Later(_))
        ));
        assert_eq!(f.state("x"), ProcessState::Starting);
    }

    #[test]
    fn messages_are_the_references() {
        let now = "Sun Nov 22 04:27:48 2026";
        let x = |a: fn(String) -> Action| a("x".into());
        let cases = [
            (
                Action::Refresh,
                Outcome::Done,
                "Page refreshed at Sun Nov 22 04:27:48 2026",
            ),
            (
                Action::StopAll,
                Outcome::Done,
                "All stopped at Sun Nov 22 04:27:48 2026",
            ),
            (
                Action::RestartAll,
                Outcome::Done,
                "All restarted at Sun Nov 22 04:27:48 2026",
            ),
            (x(Action::Start), Outcome::Done, "Process x started"),
            (x(Action::Stop), Outcome::Done, "Process x stopped"),
            (x(Action::Restart), Outcome::Done, "Process x restarted"),
            (x(Action::ClearLog), Outcome::Done, "Log for x cleared"),
            (
                x(Action::Stop),
                Outcome::NoSuchProcess,
                "No such process named x",
            ),
            (
                x(Action::Start),
                fault(FaultCode::NoFile, "NO_FILE: /a"),
                "ERROR: Process x: no such file",
            ),
            (
                x(Action::Start),
                fault(FaultCode::NotExecutable, "NOT_EXECUTABLE"),
                "ERROR: Process x: file not executable",
            ),
            (
                x(Action::Start),
                fault(FaultCode::AlreadyStarted, "ALREADY_STARTED: x"),
                "ERROR: Process x: already started",
            ),
            (
                x(Action::Start),
                fault(FaultCode::SpawnError, "SPAWN_ERROR: x"),
                "ERROR: Process x: spawn error",
            ),
            (
                x(Action::Start),
                fault(FaultCode::AbnormalTermination, "ABNORMAL_TERMINATION: x"),
                "ERROR: Process x: abnormal termination",
            ),
            (
                x(Action::Start),
                fault(FaultCode::ShutdownState, "SHUTDOWN_STATE"),
                "ERROR: Process x: unexpected rpc fault [6] SHUTDOWN_STATE",
            ),
            (
                x(Action::Restart),
                fault(FaultCode::SpawnError, "SPAWN_ERROR: x"),
                "ERROR: Process x: spawn error",
            ),
            (
                x(Action::Stop),
                fault(FaultCode::NotRunning, "NOT_RUNNING: x"),
                "unexpected rpc fault [70] NOT_RUNNING: x",
            ),
            (
                x(Action::ClearLog),
                fault(FaultCode::Failed, "FAILED: x"),
                "unexpected rpc fault [30] FAILED: x",
            ),
        ];
        for (action, outcome, want) in cases {
            assert_eq!(
                message(&action, &outcome, now),
                want,
                "{action:?} {outcome:?}"
            );
            assert_eq!(is_error(want), !matches!(outcome, Outcome::Done));
        }
    }
}
