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
use crate::model::{Model, ProcId, Supervisor};
use crate::rpc::codec::Writer;
use crate::rpc::faults::Fault;
use crate::rpc::info::{write_config_info, write_process_info};
use crate::rpc::Value;

/// Work listings may do per loop turn, all of them together (counted from the turn's start;
/// each still writes [`BETWEEN_CLOCKS`] entries per turn, so none starves).
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
}

impl Listing {
    /// Writes the first slice now: the whole answer when it is small.
    pub fn start(d: &mut dyn Supervisor, rows: Rows, capacity: usize) -> Result<Value, Listing> {
        let mut w = Writer::with_capacity(capacity);
        w.begin_array();
        let mut listing = Listing {
            rows,
            next: 0,
            w,
            turn: d.turn(),
        };
        if listing.write_slice(d) {
            Ok(listing.finish())
        } else {
            Err(listing)
        }
    }

    /// `Some` once every entry is written; nothing is done twice in one turn.
    pub fn poll(&mut self, d: &mut dyn Supervisor) -> Option<Result<Value, Fault>> {
        if self.turn == d.turn() {
            d.resume_next_turn();
            return None;
        }
        self.write_slice(d).then(|| Ok(self.finish()))
    }

    fn finish(&mut self) -> Value {
        let mut w = std::mem::take(&mut self.w);
        w.end_array();
        Value::Encoded(w.finish())
    }

    /// Writes entries until [`SLICE`] is used; true once all are written.
    fn write_slice(&mut self, d: &mut dyn Supervisor) -> bool {
        let started = d.turn_work();
        let now = d.wall();
        loop {
            if !self.write_next(d.model(), now) {
                return true;
            }
            if self.next % BETWEEN_CLOCKS == 0 && d.elapsed(started) >= SLICE {
                self.turn = d.turn();
                d.resume_next_turn();
                return false;
            }
        }
    }

    /// Writes the next entry (nothing for one gone meanwhile); false when there is none.
    fn write_next(&mut self, m: &Model, now: f64) -> bool {
        let at = self.next;
        match &self.rows {
            Rows::Processes(ids) => {
                let Some(id) = ids.get(at) else {
                    return false;
                };
                if let Some(p) = m.procs.get(id) {
                    write_process_info(&mut self.w, p, now);
                }
            }
            Rows::Configs(rows) => {
                let Some(row) = rows.get(at) else {
                    return false;
                };
                if let Some((g, c)) = configured(m, row) {
                    let running = row.running.and_then(|id| m.procs.get(&id)).map(|p| &**p);
                    write_config_info(&mut self.w, c, &g.name, g.priority, row.inuse, running);
                }
            }
        }
        self.next = at.saturating_add(1);
        true
    }
}

/// The group and process configuration of `row`, unless a configuration read since the
/// call no longer has it at that place.
fn configured<'m>(m: &'m Model, row: &ConfigRow) -> Option<(&'m GroupConfig, &'m ProcessConfig)> {
    let g = m.config.groups.get(row.group)?;
    let c = g.processes.get(row.process)?;
    (*c.name == *row.name).then_some((g, c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fake::Fake;
    use crate::rpc::codec;
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
    fn run(f: &mut Fake, mut listing: Listing) -> (Vec<u8>, usize) {
        let mut turns = 1;
        loop {
            // Never twice in one turn, and the loop is told not to sleep.
            f.resumed = false;
            assert!(listing.poll(f).is_none());
            assert!(f.resumed);
            f.turn += 1;
            turns += 1;
            if let Some(v) = listing.poll(f) {
                return (codec::into_response(v.unwrap()), turns);
            }
            assert!(turns < 1000, "never finished");
        }
    }

    /// The answer of `method` through the method table, however many turns it takes.
    fn whole(f: &mut Fake, method: &str) -> String {
        let bytes = match table::call(f, method, &[]).unwrap() {
            Reply::Now(v) => codec::into_response(v),
            Reply::Later(Pending::Listing(listing)) => run(f, *listing).0,
            Reply::Later(_) => panic!("{method}: not a listing"),
        };
        String::from_utf8(bytes).unwrap()
    }

    /// A listing whose every slice is used up at the first look at the clock.
    fn sliced(f: &mut Fake, rows: Rows) -> Listing {
        f.elapsed = SLICE;
        match Listing::start(f, rows, 0) {
            Ok(_) => panic!("answered at once"),
            Err(listing) => listing,
        }
    }

    #[test]
    fn sliced_answers_are_the_whole_answers() {
        let mut f = Fake::new(PROGRAMS);
        for (method, rows) in [
            (
                "supervisor.getAllConfigInfo",
                Rows::Configs(config_rows(&f.model)),
            ),
            (
                "supervisor.getAllProcessInfo",
                Rows::Processes(process_rows(&f.model)),
            ),
        ] {
            f.elapsed = Duration::ZERO;
            let all = whole(&mut f, method);
            let listing = sliced(&mut f, rows);
            let (bytes, turns) = run(&mut f, listing);
            assert_eq!(String::from_utf8(bytes).unwrap(), all, "{method}");
            // 140 entries, 32 per slice.
            assert_eq!(turns, 5, "{method}");
            assert_eq!(all.matches("<name>name</name>").count(), 140);
        }
        // Within its slice a listing is answered at once.
        f.elapsed = Duration::ZERO;
        let reply = table::call(&mut f, "supervisor.getAllProcessInfo", &[]).unwrap();
        assert!(matches!(reply, Reply::Now(_)));
    }

    #[test]
    fn entries_removed_meanwhile_are_left_out() {
        let mut f = Fake::new(PROGRAMS);
        let rows = Rows::Processes(process_rows(&f.model));
        let mut listing = sliced(&mut f, rows);
        f.turn += 1;
        assert!(listing.poll(&mut f).is_none());
        // 64 written; group b (the last 70) goes.
        f.model.remove_group("b");
        let (bytes, _) = run(&mut f, listing);
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

    #[test]
    fn config_rows_of_a_configuration_read_meanwhile_are_checked_by_name() {
        let mut f = Fake::new(PROGRAMS);
        let rows = Rows::Configs(config_rows(&f.model));
        let mut listing = sliced(&mut f, rows);
        f.turn += 1;
        assert!(listing.poll(&mut f).is_none());
        // A reread drops group a: the rows still to come that named it are left out.
        f.model.config.groups.remove(0);
        let (bytes, _) = run(&mut f, listing);
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text.matches("<name>name</name>").count(), 64);
    }
}
