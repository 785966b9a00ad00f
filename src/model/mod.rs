//! The model: what supervisord knows — the configuration last read, the active groups and
//! their processes (machine, pipes, log files), the pid table, its own state (mood), the
//! event pools, the activity log and the processes that changed this turn.
//!
//! It knows nothing of the poll, timers or connections: the reactor (the `daemon` module) owns
//! it and acts through it; RPC handlers and the web actions read it and act through the
//! verbs of [`Supervisor`], which the reactor implements (and tests fake).

pub mod depends;
#[cfg(test)]
pub mod fake;
pub mod process;
pub mod verbs;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::{Config, GroupConfig, GroupKind, ProcessConfig};
use crate::events::listener::ListenerProtocol;
use crate::events::payload::Event;
use crate::events::pool::{EventBus, Pool};
use crate::logging::auto::auto_log_name;
use crate::logging::file::LogFile;
use crate::logging::level::Level;
use crate::logging::main_log::MainLog;
use crate::process::machine::Machine;
use crate::states::SupervisorState;

pub use process::{
    group_matches, Channel, ChannelState, Counters, Group, Pipe, ProcId, Process, Role, StdinPipe,
    Waiting, WatchState,
};
pub use verbs::{LogOp, StopOrder, StopRequest, Supervisor};

pub struct Model {
    /// The configuration last read (start-up, reread or reload).
    pub config: Config,
    pub mood: SupervisorState,
    /// Active groups in (priority, name) order.
    pub groups: Vec<Group>,
    /// The priority of each active group, so a name is found by binary search in `groups`
    /// (linear scans made reload quadratic in the number of groups).
    group_prio: HashMap<String, i32>,
    /// Boxed: a `Process` is about 1.6 KB and the table keeps up to 7/8 of its slots
    /// full, so inline values cost a third more than the processes themselves (10,000
    /// programs: about 1 KiB per program).
    pub procs: HashMap<ProcId, Box<Process>>,
    /// Live (not yet reaped) child pids.
    pub pids: HashMap<i32, ProcId>,
    next_proc: u64,
    pub log: MainLog,
    pub events: EventBus,
    /// Set when pools may have something to deliver; cleared when the reactor delivers.
    pub dispatch_pending: bool,
    /// Processes whose state changed this turn (for `wait=true` replies).
    pub changed: Vec<ProcId>,
    /// Processes with `depends_on`: without any, every dependency path is skipped at once
    /// (stops and shutdown stay linear in the number of programs).
    pub with_depends: usize,
}

impl Model {
    /// A model with no groups yet.
    pub fn new(config: Config, log: MainLog) -> Model {
        Model {
            config,
            mood: SupervisorState::Running,
            groups: Vec::new(),
            group_prio: HashMap::new(),
            procs: HashMap::new(),
            pids: HashMap::new(),
            next_proc: 1,
            log,
            events: EventBus::new(),
            dispatch_pending: false,
            changed: Vec::new(),
            with_depends: 0,
        }
    }

    /// Offers an event to every subscribed pool; the reactor delivers at the end of the turn.
    pub fn emit(&mut self, event: Event) {
        for (level, msg) in self.events.publish(event) {
            self.log.log(level, &msg);
        }
        self.dispatch_pending = true;
    }

    /// Instantiates a group from its configuration (processes, AUTO log names, its event
    /// pool) and emits PROCESS_GROUP_ADDED; returns its processes. Nothing starts here.
    pub fn insert_group(&mut self, cfg: &GroupConfig) -> Vec<ProcId> {
        let role = match &cfg.kind {
            GroupKind::EventListener(pool) => {
                self.events
                    .add_pool(Pool::new(&cfg.name, pool.events.clone(), pool.buffer_size));
                Role::Listener
            }
            GroupKind::Program => Role::Program,
        };
        let ids: Vec<ProcId> = cfg
            .processes
            .iter()
            .map(|pcfg| self.add_process(&cfg.name, pcfg, role))
            .collect();
        let group = Group {
            name: cfg.name.clone(),
            priority: cfg.priority,
            kind: cfg.kind.clone(),
            procs: ids.clone(),
        };
        let at = self.groups.partition_point(|g| {
            (g.priority, g.name.as_str()) < (group.priority, group.name.as_str())
        });
        self.groups.insert(at, group);
        self.group_prio.insert(cfg.name.clone(), cfg.priority);
        self.emit(Event::group_added(&cfg.name));
        ids
    }

    /// Creates the entry of one process of `group` (AUTO log files named, not created).
    /// The caller puts it in its group.
    pub fn add_process(&mut self, group: &str, pcfg: &ProcessConfig, role: Role) -> ProcId {
        let id = ProcId(self.next_proc);
        self.next_proc += 1;
        let dir = &self.config.supervisord.childlogdir;
        let ident = &self.config.supervisord.identifier;
        let (mut stdout, mut stderr) = (ChannelState::default(), ChannelState::default());
        for (chan, ccfg) in [
            (Channel::Stdout, &pcfg.stdout),
            (Channel::Stderr, &pcfg.stderr),
        ] {
            if chan == Channel::Stderr && pcfg.redirect_stderr {
                continue;
            }
            let state = ChannelState::new(&ccfg.logfile, || {
                auto_log_name(dir, &pcfg.name, chan.name(), ident)
            });
            match chan {
                Channel::Stdout => stdout = state,
                Channel::Stderr => stderr = state,
            }
        }
        if !pcfg.beyond.depends_on.is_empty() {
            self.with_depends = self.with_depends.saturating_add(1);
        }
        self.procs.insert(
            id,
            Box::new(Process {
                group: group.to_string(),
                config: pcfg.clone(),
                machine: Machine::new(),
                stdout,
                stderr,
                stdin: None,
                listener: (role == Role::Listener).then(|| ListenerProtocol::new(&pcfg.name)),
                scheduled: None,
                timer_gen: 0,
                stop_reported: None,
                counters: Counters::default(),
                watch: WatchState::default(),
            }),
        );
        id
    }

    /// Drops a group (its processes all stopped): its processes, its pool, and emits
    /// PROCESS_GROUP_REMOVED. Returns the processes dropped.
    pub fn remove_group(&mut self, name: &str) -> Vec<ProcId> {
        match self.group_position(name) {
            Some(pos) => {
                let group = self.groups.remove(pos);
                self.drop_group(group)
            }
            None => Vec::new(),
        }
    }

    /// Drops every group (all stopped), in order, without shifting the list each time.
    pub fn remove_all_groups(&mut self) -> Vec<ProcId> {
        let mut dropped = Vec::new();
        for group in std::mem::take(&mut self.groups) {
            dropped.extend(self.drop_group(group));
        }
        dropped
    }

    fn drop_group(&mut self, group: Group) -> Vec<ProcId> {
        self.group_prio.remove(&group.name);
        for id in &group.procs {
            self.remove_process(*id);
        }
        self.events.remove_pool(&group.name);
        self.emit(Event::group_removed(&group.name));
        group.procs
    }

    /// Forgets a process entry (its group keeps or drops its id).
    pub fn remove_process(&mut self, id: ProcId) -> Option<Box<Process>> {
        let p = self.procs.remove(&id)?;
        if !p.config.beyond.depends_on.is_empty() {
            self.with_depends = self.with_depends.saturating_sub(1);
        }
        Some(p)
    }

    /// Sets the members of an active group, in order.
    pub fn set_members(&mut self, group: &str, ids: Vec<ProcId>) {
        if let Some(pos) = self.group_position(group) {
            if let Some(g) = self.groups.get_mut(pos) {
                g.procs = ids;
            }
        }
    }

    fn group_position(&self, name: &str) -> Option<usize> {
        let prio = *self.group_prio.get(name)?;
        self.groups
            .binary_search_by(|g| (g.priority, g.name.as_str()).cmp(&(prio, name)))
            .ok()
    }

    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.get(self.group_position(name)?)
    }

    /// The process configs of an active group, in order.
    pub fn group_process_configs(&self, group: &Group) -> Vec<&ProcessConfig> {
        group
            .procs
            .iter()
            .filter_map(|id| self.procs.get(id))
            .map(|p| &p.config)
            .collect()
    }

    /// Every process in (group priority, process priority) order.
    pub fn all_ids(&self) -> Vec<ProcId> {
        self.groups
            .iter()
            .flat_map(|g| g.procs.iter().copied())
            .collect()
    }

    /// The log path of a process channel for reading, its pending AUTO file created first
    /// (an empty log reads as empty, not as missing, as in the reference).
    pub fn readable_log(&mut self, id: ProcId, chan: Channel) -> Option<PathBuf> {
        self.create_pending_log(id, chan);
        self.procs.get(&id)?.channel(chan).log_path.clone()
    }

    /// Creates a channel's pending AUTO log file, reporting a failure.
    pub fn create_pending_log(&mut self, id: ProcId, chan: Channel) {
        let Some(p) = self.procs.get_mut(&id) else {
            return;
        };
        if let Err(e) = p.channel_mut(chan).create_pending_log() {
            let msg = format!(
                "unable to create the {} log of {}: {e}",
                chan.name(),
                p.config.name
            );
            self.log.log(Level::Error, &msg);
        }
    }

    /// The bytes queued for the child's stdin; `None` when it has no open stdin.
    pub fn stdin_backlog(&self, id: ProcId) -> Option<usize> {
        let stdin = self.procs.get(&id)?.stdin.as_ref()?;
        Some(stdin.pending.len())
    }

    /// Clears, reopens or rotates both logs of a process.
    ///
    /// - Clear (`clearProcessLogs`): empties both logs, reopening open ones.
    /// - Reopen: reopens the open logs by path (a stopped process opens them at its next
    ///   start), for an external logrotate without copytruncate.
    /// - Rotate: rotates both logs now, open or not; an empty or missing file stays.
    ///
    /// The reactor writes a log only between reads of the child's pipe, so this falls
    /// between two writes: no byte is lost or written twice.
    ///
    /// # Errors
    /// The first OS error.
    pub fn process_logs(&mut self, id: ProcId, op: LogOp) -> std::io::Result<()> {
        let Some(p) = self.procs.get_mut(&id) else {
            return Ok(());
        };
        for chan in [Channel::Stdout, Channel::Stderr] {
            let ccfg = match chan {
                Channel::Stdout => &p.config.stdout,
                Channel::Stderr => &p.config.stderr,
            };
            let (maxbytes, backups) = (ccfg.logfile_maxbytes, ccfg.logfile_backups);
            let c = match chan {
                Channel::Stdout => &mut p.stdout,
                Channel::Stderr => &mut p.stderr,
            };
            let on_disk = c
                .log_path
                .as_deref()
                .filter(|path| Path::new(path).exists());
            match (op, c.log.as_mut(), on_disk) {
                (LogOp::Clear, Some(log), _) => log.clear()?,
                (LogOp::Clear, None, Some(path)) => {
                    std::fs::File::create(path)?;
                }
                (LogOp::Reopen, Some(log), _) => log.reopen()?,
                (LogOp::Rotate, Some(log), _) => log.rotate_now()?,
                (LogOp::Rotate, None, Some(path)) => {
                    LogFile::open(path, maxbytes, backups)?.rotate_now()?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fake::Fake;

    const CONF: &str = "[program:b]\ncommand=/bin/sh\npriority=5\n\
                        [program:a]\ncommand=/bin/sh\npriority=5\n\
                        [program:first]\ncommand=/bin/sh\npriority=1\n\
                        [program:dep]\ncommand=/bin/sh\ndepends_on=a\n\
                        [eventlistener:l]\ncommand=/bin/sh\nevents=TICK_5\n";

    fn names(m: &Model) -> Vec<&str> {
        m.groups.iter().map(|g| g.name.as_str()).collect()
    }

    #[test]
    fn groups_stay_in_priority_then_name_order_and_are_found_by_name() {
        let mut f = Fake::new(CONF);
        let m = &mut f.model;
        // An event listener pool's default priority is -1.
        assert_eq!(names(m), ["l", "first", "a", "b", "dep"]);
        assert_eq!(m.with_depends, 1);
        assert!(m.events.pool("l").is_some());
        let l = m.group("l").unwrap().procs[0];
        assert!(m.procs[&l].listener.is_some(), "a listener pool's process");
        let removed = m.remove_group("a");
        assert_eq!(removed.len(), 1);
        assert!(removed.iter().all(|id| !m.procs.contains_key(id)));
        assert!(m.group("a").is_none() && m.group("b").is_some());
        m.remove_group("dep");
        assert_eq!(m.with_depends, 0);
        m.remove_group("l");
        assert!(m.events.pool("l").is_none());
        assert_eq!(names(m), ["first", "b"]);
        let cfg = m
            .config
            .groups
            .iter()
            .find(|g| g.name == "a")
            .cloned()
            .unwrap();
        m.insert_group(&cfg);
        assert_eq!(names(m), ["first", "a", "b"]);
        assert_eq!(m.remove_all_groups().len(), 3);
        assert!(m.groups.is_empty() && m.procs.is_empty());
    }

    #[test]
    fn members_are_set_in_order_and_ids_are_never_reused() {
        let mut f = Fake::new(CONF);
        let m = &mut f.model;
        let old = m.group("b").unwrap().procs[0];
        let pcfg = m.procs[&old].config.clone();
        m.remove_process(old);
        let fresh = m.add_process("b", &pcfg, Role::Program);
        assert!(fresh > old);
        m.set_members("b", vec![fresh]);
        assert_eq!(m.group("b").unwrap().procs, [fresh]);
        assert_eq!(m.all_ids().len(), 5);
    }

    #[test]
    fn logs_are_cleared_and_rotated_by_path() {
        let mut f = Fake::new(
            "[program:p]\ncommand=/bin/sh\nstdout_logfile=%(here)s/p.log\n\
             stdout_logfile_backups=1\nredirect_stderr=true\n",
        );
        let path = f.dir.join("p.log");
        let id = f.id("p");
        let m = &mut f.model;
        assert!(m.procs[&id].stderr.log_path.is_none(), "redirected");
        std::fs::write(&path, "x").unwrap();
        m.process_logs(id, LogOp::Reopen).unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"x",
            "reopen: only open logs"
        );
        m.process_logs(id, LogOp::Rotate).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"");
        assert_eq!(std::fs::read(path.with_extension("log.1")).unwrap(), b"x");
        std::fs::write(&path, "y").unwrap();
        m.process_logs(id, LogOp::Clear).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"");
    }
}
