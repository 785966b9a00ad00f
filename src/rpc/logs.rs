//! Log methods: `readLog`, `clearLog`, `read*/tail*ProcessStd*Log`, `clearProcessLogs`,
//! `clearAllProcessLogs` (reference §5.3, §5.5).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::rpc::Value;

use crate::logging::level::Level;
use crate::logging::tail::{read_range, tail_range};
use crate::model::{Channel, LogOp, Supervisor};
use crate::rpc::args;
use crate::rpc::codec::Writer;
use crate::rpc::faults::{Fault, FaultCode};
use crate::rpc::info::{lookup_process, require_running};
use crate::rpc::pending::member_result;
use crate::rpc::Reply;

fn read_bytes(path: &Path, start: u64, len: u64) -> std::io::Result<Vec<u8>> {
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0).min(1 << 24));
    f.take(len).read_to_end(&mut buf)?;
    Ok(buf)
}

fn no_file(path: Option<&Path>) -> Fault {
    match path {
        Some(p) => Fault::with_detail(FaultCode::NoFile, p.display().to_string()),
        None => Fault::new(FaultCode::NoFile),
    }
}

/// `readFile`: a slice of `path` as text.
fn read_file(path: Option<&Path>, offset: i64, length: i64) -> Result<Reply, Fault> {
    let path = path.filter(|p| p.exists()).ok_or_else(|| no_file(path))?;
    let size = std::fs::metadata(path)
        .map_err(|_| Fault::new(FaultCode::Failed))?
        .len();
    let (start, len) =
        read_range(size, offset, length).map_err(|_| Fault::new(FaultCode::BadArguments))?;
    let data = read_bytes(path, start, len).map_err(|_| Fault::new(FaultCode::Failed))?;
    // Written straight into the answer: a log read is as large as the caller asks.
    let mut w = Writer::with_capacity(data.len().saturating_add(64));
    w.string(&text_of(&data));
    Ok(Reply::Now(Value::Encoded(w.finish())))
}

/// Log bytes as XML-RPC text, borrowed when they are valid UTF-8 (`logging::tail::decode_lossy`'s rule).
fn text_of(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// `tailFile`: `[text, size, overflow]`; a missing file is `['', 0, false]`.
fn tail_file(path: Option<&Path>, offset: i64, length: i64) -> Result<Reply, Fault> {
    let empty = || {
        Reply::Now(Value::Array(vec![
            Value::String(String::new()),
            Value::Int(0),
            Value::Bool(false),
        ]))
    };
    let Some(path) = path.filter(|p| p.exists()) else {
        return Ok(empty());
    };
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(empty());
    };
    let size = meta.len();
    let (start, len, overflow) = tail_range(size, offset, length);
    let data = read_bytes(path, start, len).map_err(|_| Fault::new(FaultCode::Failed))?;
    let mut w = Writer::with_capacity(data.len().saturating_add(160));
    w.begin_array();
    w.string(&text_of(&data));
    w.int(i64::try_from(size).unwrap_or(i64::MAX));
    w.boolean(overflow);
    w.end_array();
    Ok(Reply::Now(Value::Encoded(w.finish())))
}

pub fn read_log(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 2, 2)?;
    require_running(d.model())?;
    let (offset, length) = (args::int(params, 0)?, args::int(params, 1)?);
    match d.model().log.path() {
        Some(path) => read_file(Some(path), offset, length),
        // `logfile=syslog` has no file; the reference names the setting.
        None => Err(Fault::with_detail(FaultCode::NoFile, "syslog")),
    }
}

pub fn clear_log(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 0, 0)?;
    require_running(d.model())?;
    if !d.model().log.path().is_some_and(Path::exists) {
        return Err(Fault::new(FaultCode::NoFile));
    }
    // Written before the file is replaced, as the reference (whose line goes to the removed
    // file): the new file starts empty.
    d.log(Level::Info, "reopening log file");
    match d.clear_main_log() {
        Ok(()) => Ok(Reply::Now(Value::Bool(true))),
        Err(None) => Err(Fault::new(FaultCode::NoFile)),
        Err(Some(_)) => Err(Fault::new(FaultCode::Failed)),
    }
}

/// How a process log is read: `read*` (a slice) or `tail*` (the end, with overflow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Slice,
    Tail,
}

fn process_log(
    d: &mut dyn Supervisor,
    params: &[Value],
    chan: Channel,
    how: Part,
) -> Result<Reply, Fault> {
    args::count(params, 3, 3)?;
    require_running(d.model())?;
    let id = lookup_process(d.model(), args::string(params, 0)?)?;
    let (offset, length) = (args::int(params, 1)?, args::int(params, 2)?);
    let path = d.readable_log(id, chan);
    match how {
        Part::Tail => tail_file(path.as_deref(), offset, length),
        Part::Slice => read_file(path.as_deref(), offset, length),
    }
}

pub fn read_stdout(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    process_log(d, params, Channel::Stdout, Part::Slice)
}

pub fn read_stderr(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    process_log(d, params, Channel::Stderr, Part::Slice)
}

pub fn tail_stdout(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    process_log(d, params, Channel::Stdout, Part::Tail)
}

pub fn tail_stderr(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    process_log(d, params, Channel::Stderr, Part::Tail)
}

pub fn clear_process_logs(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 1, 1)?;
    require_running(d.model())?;
    let name = args::string(params, 0)?;
    let id = lookup_process(d.model(), name)?;
    d.process_logs(id, LogOp::Clear)
        .map_err(|_| Fault::with_detail(FaultCode::Failed, name))?;
    Ok(Reply::Now(Value::Bool(true)))
}

/// One result struct per process, in priority order.
pub fn clear_all_process_logs(d: &mut dyn Supervisor, params: &[Value]) -> Result<Reply, Fault> {
    args::count(params, 0, 0)?;
    require_running(d.model())?;
    let ids = d.model().all_ids();
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(p) = d.model().procs.get(&id) else {
            continue;
        };
        let (name, group, spec) = (p.config.name.clone(), p.group.clone(), p.namespec());
        let outcome = d
            .process_logs(id, LogOp::Clear)
            .map_err(|_| Fault::with_detail(FaultCode::Failed, spec));
        results.push(member_result(&name, &group, outcome.as_ref().map(|_| ())));
    }
    Ok(Reply::Now(Value::Array(results)))
}
