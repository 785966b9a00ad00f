//! THE method table: exact wire names, signatures, help texts and handlers. It drives
//! dispatch and `system.listMethods` / `methodHelp` / `methodSignature`; `system.multicall`
//! runs calls through it too (reference §5.3, §5.6).
//!
//! There is no attribute traversal of any kind: a name is either in this table or it is
//! UNKNOWN_METHOD (D5).

use std::collections::VecDeque;

use crate::rpc::Value;

use crate::model::Supervisor;
use crate::rpc::faults::{Fault, FaultCode};
use crate::rpc::pending::{run_calls, Pending, MAX_MULTICALL_CALLS};
use crate::rpc::{apply, args, control, info, logfiles, logs, reload, Reply};

/// Handlers act through the verbs only: the reactor in the daemon, a fake in tests.
pub type Handler = fn(&mut dyn Supervisor, &[Value]) -> Result<Reply, Fault>;

/// One XML-RPC method.
pub struct Method {
    pub name: &'static str,
    /// `[return type, parameter types...]`.
    pub signature: &'static [&'static str],
    pub help: &'static str,
    pub handler: Handler,
}

macro_rules! m {
    ($name:literal, [$($sig:literal),*], $help:literal, $handler:path) => {
        Method { name: $name, signature: &[$($sig),*], help: $help, handler: $handler }
    };
}

/// Every method, sorted by name.
pub static METHODS: &[Method] = &[
    m!("supervisor.addProcessGroup", ["boolean", "string"], "Activate a process group from the configuration last read.\n\n@param string name the group to add\n@return boolean result true when the group was added\n", reload::add_process_group),
    m!("supervisor.clearAllProcessLogs", ["array"], "Empty the stdout and stderr logs of every process.\n\n@return array result one result struct per process\n", logs::clear_all_process_logs),
    m!("supervisor.clearLog", ["boolean"], "Empty supervisord's activity log.\n\n@return boolean result true unless it failed\n", logs::clear_log),
    m!("supervisor.clearProcessLog", ["boolean", "string"], "Empty a process's stdout and stderr logs (alias of clearProcessLogs).\n\n@param string name process name or 'group:name'\n@return boolean result true unless it failed\n", logs::clear_process_logs),
    m!("supervisor.clearProcessLogs", ["boolean", "string"], "Empty a process's stdout and stderr logs.\n\n@param string name process name or 'group:name'\n@return boolean result true unless it failed\n", logs::clear_process_logs),
    m!("supervisor.getAPIVersion", ["string"], "The version of the XML-RPC API this daemon speaks.\n\n@return string version the API version\n", info::get_api_version),
    m!("supervisor.getAllConfigInfo", ["array"], "The configuration of every process of the configuration last read, one struct per process.\n\n@return array result config info structs\n", info::get_all_config_info),
    m!("supervisor.getAllProcessInfo", ["array"], "Status of every process.\n\n@return array result process info structs\n", info::get_all_process_info),
    m!("supervisor.getIdentification", ["string"], "The identifier of this supervisord.\n\n@return string identifier the configured identifier\n", info::get_identification),
    m!("supervisor.getPID", ["int"], "The process id of supervisord.\n\n@return int PID the process id\n", info::get_pid),
    m!("supervisor.getProcessInfo", ["struct", "string"], "Status of one process.\n\n@param string name process name or 'group:name'\n@return struct result the process info struct\n", info::get_process_info),
    m!("supervisor.getState", ["struct"], "supervisord's own state.\n\n@return struct result statecode and statename\n", info::get_state),
    m!("supervisor.getSupervisorVersion", ["string"], "The version of this supervisord.\n\n@return string version the program version\n", info::get_supervisor_version),
    m!("supervisor.getVersion", ["string"], "The version of the XML-RPC API (deprecated: use getAPIVersion).\n\n@return string version the API version\n", info::get_api_version),
    m!("supervisor.readLog", ["string", "int", "int"], "Read part of the activity log.\n\n@param int offset where to start (negative: from the end)\n@param int length how many bytes (0: to the end)\n@return string result the text read\n", logs::read_log),
    m!("supervisor.readMainLog", ["string", "int", "int"], "Read part of the activity log (alias of readLog).\n\n@param int offset where to start (negative: from the end)\n@param int length how many bytes (0: to the end)\n@return string result the text read\n", logs::read_log),
    m!("supervisor.readProcessLog", ["string", "string", "int", "int"], "Read part of a process's stdout log (alias of readProcessStdoutLog).\n\n@param string name process name or 'group:name'\n@param int offset where to start (negative: from the end)\n@param int length how many bytes (0: to the end)\n@return string result the text read\n", logs::read_stdout),
    m!("supervisor.readProcessStderrLog", ["string", "string", "int", "int"], "Read part of a process's stderr log.\n\n@param string name process name or 'group:name'\n@param int offset where to start (negative: from the end)\n@param int length how many bytes (0: to the end)\n@return string result the text read\n", logs::read_stderr),
    m!("supervisor.readProcessStdoutLog", ["string", "string", "int", "int"], "Read part of a process's stdout log.\n\n@param string name process name or 'group:name'\n@param int offset where to start (negative: from the end)\n@param int length how many bytes (0: to the end)\n@return string result the text read\n", logs::read_stdout),
    m!("supervisor.reloadConfig", ["array"], "Read the configuration again and compare its groups with the running ones.\n\n@return array result [[added, changed, removed]] group names\n", reload::reload_config),
    m!("supervisor.removeProcessGroup", ["boolean", "string"], "Deactivate a process group whose processes are all stopped.\n\n@param string name the group to remove\n@return boolean result true when the group was removed\n", reload::remove_process_group),
    m!("supervisor.restart", ["boolean"], "Stop every process and start again with the configuration re-read.\n\n@return boolean result true unless the configuration is invalid\n", reload::restart),
    m!("supervisor.sendProcessStdin", ["boolean", "string", "string"], "Write text to a process's stdin (encoded as UTF-8).\n\n@param string name process name or 'group:name'\n@param string chars the text to write\n@return boolean result true unless it failed\n", control::send_process_stdin),
    m!("supervisor.sendRemoteCommEvent", ["boolean", "string", "string"], "Emit a REMOTE_COMMUNICATION event to subscribed listeners.\n\n@param string type the value of the type header\n@param string data the event body\n@return boolean result always true\n", control::send_remote_comm_event),
    m!("supervisor.shutdown", ["boolean"], "Stop every process and exit.\n\n@return boolean result true unless it failed\n", reload::shutdown),
    m!("supervisor.signalAllProcesses", ["array", "string"], "Send a signal to every process that can receive one.\n\n@param string signal a name ('HUP') or a number ('1')\n@return array result one result struct per process\n", control::signal_all_processes),
    m!("supervisor.signalProcess", ["boolean", "string", "string"], "Send a signal to one process.\n\n@param string name process name, 'group:name' or 'group:*'\n@param string signal a name ('HUP') or a number ('1')\n@return boolean result true unless it failed\n", control::signal_process),
    m!("supervisor.signalProcessGroup", ["array", "string", "string"], "Send a signal to every process of a group.\n\n@param string name the group name\n@param string signal a name ('HUP') or a number ('1')\n@return array result one result struct per process\n", control::signal_process_group),
    m!("supervisor.startAllProcesses", ["array", "boolean"], "Start every process that is not running.\n\n@param boolean wait answer only once each one is RUNNING\n@return array result one result struct per process\n", control::start_all_processes),
    m!("supervisor.startProcess", ["boolean", "string", "boolean"], "Start one process.\n\n@param string name process name, 'group:name' or 'group:*'\n@param boolean wait answer only once it is RUNNING\n@return boolean result true unless it failed\n", control::start_process),
    m!("supervisor.startProcessGroup", ["array", "string", "boolean"], "Start every process of a group that is not running.\n\n@param string name the group name\n@param boolean wait answer only once each one is RUNNING\n@return array result one result struct per process\n", control::start_process_group),
    m!("supervisor.stopAllProcesses", ["array", "boolean"], "Stop every running process, highest priority number first.\n\n@param boolean wait answer only once each one is stopped\n@return array result one result struct per process\n", control::stop_all_processes),
    m!("supervisor.stopProcess", ["boolean", "string", "boolean"], "Stop one process.\n\n@param string name process name, 'group:name' or 'group:*'\n@param boolean wait answer only once it is stopped\n@return boolean result true unless it failed\n", control::stop_process),
    m!("supervisor.stopProcessGroup", ["array", "string", "boolean"], "Stop every running process of a group, highest priority number first.\n\n@param string name the group name\n@param boolean wait answer only once each one is stopped\n@return array result one result struct per process\n", control::stop_process_group),
    m!("supervisor.tailProcessLog", ["array", "string", "int", "int"], "The end of a process's stdout log (alias of tailProcessStdoutLog).\n\n@param string name process name or 'group:name'\n@param int offset the size returned by the previous call\n@param int length how many bytes at most\n@return array result [text, new offset, overflow]\n", logs::tail_stdout),
    m!("supervisor.tailProcessStderrLog", ["array", "string", "int", "int"], "The end of a process's stderr log.\n\n@param string name process name or 'group:name'\n@param int offset the size returned by the previous call\n@param int length how many bytes at most\n@return array result [text, new offset, overflow]\n", logs::tail_stderr),
    m!("supervisor.tailProcessStdoutLog", ["array", "string", "int", "int"], "The end of a process's stdout log.\n\n@param string name process name or 'group:name'\n@param int offset the size returned by the previous call\n@param int length how many bytes at most\n@return array result [text, new offset, overflow]\n", logs::tail_stdout),
    m!("supervisor_rs.reopenLogs", ["array", "string"], "Reopen the stdout and stderr logs of running processes by their path, for an external logrotate that moves the files (without copytruncate). 'all' reopens supervisord's activity log too.\n\n@param string name process name, 'group:*' or 'all'\n@return array result one result struct per process\n", logfiles::reopen_logs),
    m!("supervisor_rs.rotateLogs", ["array", "string"], "Rotate the stdout and stderr logs of processes now, as reaching logfile_maxbytes would (empty logs stay).\n\n@param string name process name, 'group:*' or 'all'\n@return array result one result struct per process\n", logfiles::rotate_logs),
    m!("supervisor_rs.update", ["array", "array"], "Read the configuration again and apply it process by process: a changed member of a group is restarted alone, new members are started, removed ones stopped; unchanged processes keep running. Answers once the changes are made.\n\n@param array names the groups to update (empty or ['all']: every group)\n@return array result one struct per change: group, name ('' for a whole group), action (add_group, remove_group, update_group, add, remove, update, no_such_group), status, description\n", apply::update),
    m!("system.listMethods", ["array"], "The names of every method.\n\n@return array result method names\n", list_methods),
    m!("system.methodHelp", ["string", "string"], "The documentation of a method.\n\n@param string name the method name\n@return string result its documentation\n", method_help),
    m!("system.methodSignature", ["array", "string"], "The signature of a method: [return type, parameter types...].\n\n@param string name the method name\n@return array result the types\n", method_signature),
    m!("system.multicall", ["array", "array"], "Run several calls in order in one request. Each call is a struct {'methodName': string, 'params': array}; each result is the call's value or a {'faultCode', 'faultString'} struct.\n\n@param array calls the calls\n@return array result their results\n", multicall),
];

fn find(name: &str) -> Option<&'static Method> {
    METHODS
        .binary_search_by(|m| m.name.cmp(name))
        .ok()
        .and_then(|i| METHODS.get(i))
}

/// Calls `name` with `params`.
///
/// # Errors
/// UNKNOWN_METHOD for a name not in the table; the handler's fault otherwise.
pub fn call(d: &mut dyn Supervisor, name: &str, params: &[Value]) -> Result<Reply, Fault> {
    match find(name).filter(|m| served(d, m)) {
        Some(m) => (m.handler)(d, params),
        None => Err(Fault::new(FaultCode::UnknownMethod)),
    }
}

/// `supervisor.*` and our additive `supervisor_rs.*` exist only with
/// `[rpcinterface:supervisor]`; `system.*` always.
fn served(d: &dyn Supervisor, m: &Method) -> bool {
    d.model().config.supervisor_rpc || m.name.starts_with("system.")
}

fn list_methods(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 0, 0)?;
    let names = METHODS.iter().filter(|m| served(d, m));
    Ok(Reply::Now(Value::Array(
        names.map(|m| Value::String(m.name.into())).collect(),
    )))
}

fn method_help(_: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 1, 1)?;
    let m = find(args::string(params, 0)?)
        .ok_or_else(|| Fault::new(FaultCode::SignatureUnsupported))?;
    Ok(Reply::Now(Value::String(m.help.into())))
}

fn method_signature(_: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 1, 1)?;
    let m = find(args::string(params, 0)?)
        .ok_or_else(|| Fault::new(FaultCode::SignatureUnsupported))?;
    Ok(Reply::Now(Value::Array(
        m.signature
            .iter()
            .map(|s| Value::String((*s).into()))
            .collect(),
    )))
}

/// Runs the calls in order; results are bare values or fault structs.
fn multicall(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 1, 1)?;
    let Some(Value::Array(calls)) = params.first() else {
        return Err(Fault::new(FaultCode::IncorrectParameters));
    };
    if calls.len() > MAX_MULTICALL_CALLS {
        // DIVERGENCE(D9): the reference runs any number of calls.
        return Err(Fault::with_detail(
            FaultCode::Failed,
            format!(
                "system.multicall of {} calls; at most {MAX_MULTICALL_CALLS} per request",
                calls.len()
            ),
        ));
    }
    let mut rest: VecDeque<Value> = calls.iter().cloned().collect();
    let mut results = Vec::with_capacity(rest.len());
    let mut bytes = 0;
    Ok(match run_calls(d, &mut results, &mut rest, &mut bytes)? {
        None => Reply::Now(Value::Array(results)),
        Some(current) => Reply::Later(Pending::Multi {
            results,
            current: Box::new(current),
            rest,
            bytes,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for pair in METHODS.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} before {}",
                pair[0].name,
                pair[1].name
            );
        }
        assert_eq!(METHODS.len(), 44);
        assert!(find("supervisor.getPID").is_some());
        assert!(find("supervisor.__init__").is_none());
    }

    /// The `@tag type name text` lines of a help text, as the reference's `gettags` reads
    /// them (`system.methodSignature` there is derived from these).
    fn tags(help: &str) -> Vec<(&str, &str, &str, &str)> {
        help.lines()
            .map(str::trim)
            .filter(|l| l.starts_with('@'))
            .map(|l| {
                let mut parts = l.splitn(4, char::is_whitespace);
                let mut next = || parts.next().unwrap_or("").trim();
                (next(), next(), next(), next())
            })
            .collect()
    }

    #[test]
    fn help_texts_document_every_parameter_and_the_result() {
        const TYPES: [&str; 6] = ["array", "boolean", "int", "string", "struct", "double"];
        for m in METHODS {
            let tags = tags(m.help);
            let (params, ret) = tags.split_at(tags.len().saturating_sub(1));
            // Every parameter in order, then the return value: tag, type, name, text.
            let types: Vec<&str> = params.iter().map(|t| t.1).collect();
            assert_eq!(types, m.signature[1..], "{}: @param types", m.name);
            assert!(
                params.iter().all(|t| t.0 == "@param"),
                "{}: {params:?}",
                m.name
            );
            let [(tag, ty, _, _)] = ret else {
                panic!("{}: no @return", m.name)
            };
            assert_eq!((*tag, *ty), ("@return", m.signature[0]), "{}", m.name);
            for (tag, ty, name, text) in &tags {
                assert!(TYPES.contains(ty), "{}: {tag} type {ty:?}", m.name);
                assert!(
                    !name.is_empty() && !text.is_empty(),
                    "{}: {tag} {ty} needs a name and a description",
                    m.name
                );
            }
            // Prose first, then the tags.
            let prose = m.help.split("\n@").next().unwrap_or("");
            assert!(!prose.trim().is_empty(), "{}: no description", m.name);
        }
    }
}
