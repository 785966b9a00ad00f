//! Answers proportional to the number of processes, written over several loop turns (D9):
//! at 10,000 programs `getAllProcessInfo` is 12 MB of XML and `getAllConfigInfo` 25 MB, tens
//! of milliseconds of work even written straight from the model. A listing writes entries for
//! at most [`SLICE`] per turn, then lets the other clients and the children in and goes on
//! in the next turn, as a sliced `system.multicall` does.
//!
//! Consistency: the list of entries is fixed when the call arrives (one removed meanwhile is
//! left out, one added meanwhile is not listed), and each entry is read whole in one turn, so
//! each is a consistent picture of its process at that entry's `now`. Entries written in
//! different turns may be a few milliseconds apart. That is what Supervisor's clients get
//! anyway: the reference computes `now` per process in `getAllProcessInfo`, a multicall of
//! `getProcessInfo` (sliced here too) reads each process at its own moment, and an answer
//! reaches the client later than any state it reports.

use std::time::Duration;

use crate::config::{GroupConfig, ProcessConfig};
use crate::daemon::clock;
use crate::daemon::core::Daemon;
use crate::daemon::model::ProcId;
use crate::rpc::codec::Writer;
use crate::rpc::faults::Fault;
use crate::rpc::info::{write_config_info, write_process_info};
use crate::rpc::Value;

/// Work one listing may do per loop turn.
const SLICE: Duration = Duration::from_millis(2);
/// Entries written between two readings of the clock.
const BETWEEN_CLOCKS: usize = 32;

/// What a listing lists.
#[derive(Debug)]
pub enum Rows {
    /// `getAllProcessInfo`: processes in (group, name) order.
    Processes(Vec<ProcId>),
    /// `getAllConfigInfo`: configured processes in name order.
    Configs(Vec<ConfigRow>),
}

/// One configured process of the configuration the call saw, by position; its name tells
/// whether a configuration read meanwhile still has it there.
#[derive(Debug)]
pub struct ConfigRow {
    pub group: usize,
    pub process: usize,
    pub name: Box<str>,
    pub inuse: bool,
    /// The active process of that name, for its real AUTO log paths.
    pub running: Option<ProcId>,
}

/// An answer being written.
#[derive(Debug)]
pub struct Listing {
    rows: Rows,
    /// Rows already written.
    next: usize,
    w: Writer,
    /// The turn of the last slice: the next one waits for a later turn.
    turn: u64,
    /// [`SLICE`], shorter in tests.
    slice: Duration,
}

impl Listing {
    /// Writes the first slice now: the whole answer when it is small.
    pub fn start(d: &mut Daemon, rows: Rows, capacity: usize) -> Result<Value, Listing> {
        Listing::start_sliced(d, rows, capacity, SLICE)
    }

    fn start_sliced(
        d: &mut Daemon,
        rows: Rows,
        capacity: usize,
        slice: Duration,
    ) -> Result<Value, Listing> {
        let mut w = Writer::with_capacity(capacity);
        w.begin_array();
        let mut listing = Listing {
            rows,
            next: 0,
            w,
            turn: d.turn,
            slice,
        };
        if listing.write_slice(d) {
            Ok(listing.finish())
        } else {
            Err(listing)
        }
    }

    /// `Some` once every entry is written; nothing is done twice in one turn.
    pub fn poll(&mut self, d: &mut Daemon) -> Option<Result<Value, Fault>> {
        if self.turn == d.turn {
            d.resume_rpc = true;
            return None;
        }
        self.write_slice(d).then(|| Ok(self.finish()))
    }

    fn finish(&mut self) -> Value {
        let mut w = std::mem::take(&mut self.w);
        w.end_array();
        Value::Encoded(w.finish())
    }

    /// Writes entries until the slice is used; true once all are written.
    fn write_slice(&mut self, d: &mut Daemon) -> bool {
        let started = clock::now();
        let now = clock::wall();
        loop {
            let at = self.next;
            let done = match &self.rows {
                Rows::Processes(ids) => match ids.get(at) {
                    None => true,
                    Some(id) => {
                        if let Some(p) = d.procs.get(id) {
                            write_process_info(&mut self.w, p, now);
                        }
                        false
                    }
                },
                Rows::Configs(rows) => match rows.get(at) {
                    None => true,
                    Some(row) => {
                        if let Some((g, c)) = configured(d, row) {
                            let running = row.running.and_then(|id| d.procs.get(&id));
                            write_config_info(
                                &mut self.w,
                                c,
                                &g.name,
                                g.priority,
                                row.inuse,
                                running,
                            );
                        }
                        false
                    }
                },
            };
            if done {
                return true;
            }
            self.next = at.saturating_add(1);
            if self.next % BETWEEN_CLOCKS == 0 && started.elapsed() >= self.slice {
                self.turn = d.turn;
                d.resume_rpc = true;
                return false;
            }
        }
    }
}

/// The group and process configuration of `row`, unless a configuration read since the
/// call no longer has it at that place.
fn configured<'d>(d: &'d Daemon, row: &ConfigRow) -> Option<(&'d GroupConfig, &'d ProcessConfig)> {
    let g = d.config.groups.get(row.group)?;
    let c = g.processes.get(row.process)?;
    (*c.name == *row.name).then_some((g, c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::codec;
    use crate::rpc::info::tests::{daemon, TempDir};
    use crate::rpc::info::{config_rows, process_rows};
    use crate::rpc::pending::Pending;
    use crate::rpc::{table, Reply};

    const PROGRAMS: &str = "\
[program:a]\n\
command=/bin/true\n\
autostart=false\n\
numprocs=70\n\
process_name=a%(process_num)02d\n\
[program:b]\n\
command=/bin/true\n\
autostart=false\n\
numprocs=70\n\
process_name=b%(process_num)02d\n";

    /// Polls `listing` turn after turn; returns the answer and the number of turns.
    fn run(d: &mut Daemon, mut listing: Listing) -> (Vec<u8>, usize) {
        let mut turns = 1;
        loop {
            // Never twice in one turn, and the loop is told not to sleep.
            d.resume_rpc = false;
            assert!(listing.poll(d).is_none());
            assert!(d.resume_rpc);
            d.turn += 1;
            turns += 1;
            if let Some(v) = listing.poll(d) {
                return (codec::into_response(v.unwrap()), turns);
            }
            assert!(turns < 1000, "never finished");
        }
    }

    /// The answer of `method` through the method table, however many turns it takes.
    fn whole(d: &mut Daemon, method: &str) -> Vec<u8> {
        match table::call(d, method, &[]).unwrap() {
            Reply::Now(v) => codec::into_response(v),
            Reply::Later(Pending::Listing(listing)) => run(d, *listing).0,
            Reply::Later(_) => panic!("{method}: not a listing"),
        }
    }

    /// A listing in slices as small as they come (one clock reading each).
    fn sliced(d: &mut Daemon, rows: Rows) -> Listing {
        match Listing::start_sliced(d, rows, 0, Duration::ZERO) {
            Ok(_) => panic!("answered at once"),
            Err(listing) => listing,
        }
    }

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn sliced_answers_are_the_whole_answers() {
        let dir = TempDir::new();
        let mut d = daemon(&dir, PROGRAMS);
        let all = text(whole(&mut d, "supervisor.getAllConfigInfo"));
        let rows = Rows::Configs(config_rows(&d));
        let listing = sliced(&mut d, rows);
        let (bytes, turns) = run(&mut d, listing);
        assert_eq!(text(bytes), all);
        // 140 entries, 32 per slice.
        assert_eq!(turns, 5);

        let rows = Rows::Processes(process_rows(&d));
        let listing = sliced(&mut d, rows);
        let sliced = text(run(&mut d, listing).0);
        let all = text(whole(&mut d, "supervisor.getAllProcessInfo"));
        // `now` may differ by a second between the two; everything else is the same.
        let strip = |t: &str| {
            t.split("<name>now</name>\n")
                .map(|part| part.split_once("</member>").map_or(part, |(_, rest)| rest))
                .collect::<String>()
        };
        assert_eq!(strip(&sliced), strip(&all));
        assert_eq!(sliced.matches("<name>statename</name>").count(), 140);
    }

    #[test]
    fn entries_removed_meanwhile_are_left_out() {
        let dir = TempDir::new();
        let mut d = daemon(&dir, PROGRAMS);
        let rows = Rows::Processes(process_rows(&d));
        let mut listing = sliced(&mut d, rows);
        d.turn += 1;
        assert!(listing.poll(&mut d).is_none());
        // 64 written; group b (the last 70) goes.
        d.remove_group("b");
        let (bytes, _) = run(&mut d, listing);
        let Ok(codec::Answer::Value(v)) = codec::parse_method_response(&bytes) else {
            panic!("unreadable answer")
        };
        let names: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.get("name").and_then(Value::as_str).unwrap())
            .collect();
        assert_eq!(names.len(), 70);
        assert!(names.iter().all(|n| n.starts_with('a')), "{names:?}");
    }
}
