//! Start-up and the restart cycle (reference §2.2): privileges, limits, the activity log,
//! AUTO-log clean-up, signals, daemonizing, the pidfile, the groups; then the loop, again
//! and again on SIGHUP, until a shutdown.
//!
//! Everything before the loop may fail with a start-up error (`Error: ...`, exit 2); after
//! the loop has started, nothing here exits the process except a finished shutdown.

use std::path::PathBuf;
use std::process::ExitCode;

use mio::Interest;
use signal_hook::iterator::backend::SignalDelivery;
use signal_hook::iterator::exfiltrator::SignalOnly;

use crate::clock::Now;
use crate::config::{Config, HttpServerConfig, MainLogTarget};
use crate::daemon::core::{auto_server_url, Autostart, Daemon, Loader, SIGNALS};
use crate::daemon::lifecycle;
use crate::daemon::listen::{self, Listener};
use crate::daemon::reactor::{Signals, HANDLED};
use crate::daemon::sd_notify::SdNotify;
use crate::daemon::stop::Exit;
use crate::events::payload::Event;
use crate::logging::level::Level;
use crate::logging::main_log::{MainLog, MainLogSettings};
use crate::states::SupervisorState;

/// A start-up failure: printed as `Error: <msg>` and `For help, use <argv0> -h`, exit 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartupError(pub String);

/// Runs supervisord with a validated configuration until it shuts down.
pub fn run(config: Config, loader: Loader) -> Result<ExitCode, StartupError> {
    // Low fd numbers, while they are free: children start without a copy of our fd table.
    crate::process::window::reserve();
    // Before `Daemon::new` copies the environment children get.
    let sd_notify = SdNotify::from_env();
    let sd = &config.supervisord;
    let mut notes = privilege_notes(sd).map_err(StartupError)?;
    for info in lifecycle::raise_limits(sd.minfds, sd.minprocs).map_err(StartupError)? {
        notes.push((Level::Info, info));
    }
    // DIVERGENCE(Q21): the umask applies in the foreground too.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(
        sd.umask as nix::libc::mode_t,
    ));
    check_fcgi_sockets(&config)?;
    let servers = open_servers(&config)?;
    // Start-up is a turn of its own: one reading for its log lines.
    #[allow(clippy::disallowed_methods)]
    let now = Now::read();
    let log = MainLog::open(&log_settings(&config), now.wall).map_err(StartupError)?;
    install_panic_hook(log.path().map(PathBuf::from));
    let mut signals: Signals = open_signals().map_err(StartupError)?;
    let mut d = Daemon::new(loader, config, log, now).map_err(|e| StartupError(e.to_string()))?;
    log_startup_notes(&mut d, notes);
    match sd_notify {
        Ok(sd_notify) => d.sd_notify = sd_notify,
        Err(e) => d.model.log.log(Level::Warn, &e),
    }
    announce_servers(&mut d);
    d.add_servers(servers);
    d.poll
        .registry()
        .register(signals.get_read_mut(), SIGNALS, Interest::READABLE)
        .map_err(|e| StartupError(e.to_string()))?;
    d.sources
        .insert(SIGNALS, crate::daemon::core::Source::Signals);
    if !d.model.config.supervisord.nodaemon {
        let dir = d.model.config.supervisord.directory.clone();
        let msgs = lifecycle::daemonize(dir.as_deref()).map_err(StartupError)?;
        d.model.log.set_echo(false);
        for (level, msg) in msgs {
            d.model.log.log(level, &msg);
        }
    }
    let mut pidfile = write_pidfile(&mut d);
    loop {
        // Starting the groups is a turn too (the first one, or after a restart).
        #[allow(clippy::disallowed_methods)]
        d.set_now(Now::read());
        start_groups(&mut d);
        d.notify_systemd("READY=1");
        match d.run_loop(&mut signals) {
            Exit::Shutdown => break,
            Exit::Restart(config) => {
                restart(&mut d, *config);
                // As the reference, each start removes the pidfile it wrote, then writes
                // the one configured now.
                if let Some(old) = pidfile.take() {
                    if old != d.model.config.supervisord.pidfile {
                        let _ = std::fs::remove_file(&old);
                    }
                }
                pidfile = write_pidfile(&mut d);
            }
        }
    }
    if let Some(path) = pidfile {
        let _ = std::fs::remove_file(path);
    }
    d.close_servers();
    Ok(ExitCode::SUCCESS)
}

/// Creates and closes every FastCGI socket once, so a bad one fails the start-up.
fn check_fcgi_sockets(config: &Config) -> Result<(), StartupError> {
    let sockets = config
        .groups
        .iter()
        .filter_map(|g| g.processes.first()?.fcgi.as_ref());
    for cfg in sockets {
        crate::daemon::fcgi::create(cfg).map_err(|e| {
            StartupError(format!("Could not create FastCGI socket {}: {e}", cfg.url))
        })?;
    }
    Ok(())
}

/// Binds every configured HTTP server (before daemonizing, so errors reach the terminal).
fn open_servers(config: &Config) -> Result<Vec<(Listener, HttpServerConfig)>, StartupError> {
    let mut stale = Vec::new();
    let mut out = Vec::new();
    for server in &config.http_servers {
        let listener = listen::open(server, &mut stale).map_err(StartupError)?;
        out.push((listener, server.clone()));
    }
    for note in stale {
        eprintln!("{note}");
    }
    Ok(out)
}

/// Dropping privileges to `[supervisord] user=`, or the warning about running as root.
/// Returns the lines to log.
///
/// # Errors
/// Supervisor's text when the user cannot be switched to.
fn privilege_notes(sd: &crate::config::SupervisordConfig) -> Result<Vec<(Level, String)>, String> {
    Ok(match &sd.user {
        Some(user) => {
            lifecycle::drop_privileges(user)?;
            vec![(Level::Info, format!("Set uid to user {} succeeded", user.uid))]
        }
        None if nix::unistd::geteuid().is_root() => vec![(
            Level::Critical,
            "Supervisor is running as root.  Privileges were not dropped because no user is specified in the config file.  If you intend to run as root, you can set user=root in the config file to avoid this message.".into(),
        )],
        None => Vec::new(),
    })
}

/// The lines each configured server gets at every start, as the reference's
/// `openhttpservers` (also after a restart, whether or not the listener was reopened).
fn announce_servers(d: &mut Daemon) {
    for server in d.model.config.http_servers.clone() {
        d.model
            .log
            .log(Level::Info, "RPC interface 'supervisor' initialized");
        if server.username.is_none() {
            d.model.log.log(
                Level::Critical,
                &format!(
                    "Server '{}' running without any HTTP authentication checking",
                    server.section
                ),
            );
        }
    }
}

/// A panic would be a bug; before the process dies, say so in the activity log (children
/// live in their own process groups and keep running).
// A panic comes at any time, with no turn at hand: its line takes its own clock reading.
#[allow(clippy::disallowed_methods)]
fn install_panic_hook(log: Option<PathBuf>) {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(path) = &log {
            let line = format!(
                "{} CRIT supervisord panicked, exiting: {info}\n",
                crate::timefmt::log_stamp(crate::clock::Now::read().secs())
            );
            if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(path) {
                let _ = std::io::Write::write_all(&mut f, line.as_bytes());
            }
        }
        default(info);
    }));
}

fn open_signals() -> Result<Signals, String> {
    let (read, write) = std::os::unix::net::UnixStream::pair().map_err(|e| e.to_string())?;
    read.set_nonblocking(true).map_err(|e| e.to_string())?;
    SignalDelivery::with_pipe(
        mio::net::UnixStream::from_std(read),
        write,
        SignalOnly,
        HANDLED,
    )
    .map_err(|e| format!("could not install signal handlers: {e}"))
}

fn log_settings(config: &Config) -> MainLogSettings {
    let sd = &config.supervisord;
    MainLogSettings {
        level: sd.loglevel,
        path: match &sd.logfile {
            MainLogTarget::File(p) => Some(p.clone()),
            MainLogTarget::Syslog => None,
        },
        maxbytes: sd.logfile_maxbytes,
        backups: sd.logfile_backups,
        echo: sd.nodaemon && !sd.silent,
    }
}

/// The parse messages and start-up notes, criticals first, then warnings, then infos.
fn log_startup_notes(d: &mut Daemon, notes: Vec<(Level, String)>) {
    let mut all = notes;
    all.extend(d.model.config.messages.iter().cloned());
    all.sort_by_key(|(level, _)| std::cmp::Reverse(*level));
    for (level, msg) in all {
        d.model.log.log(level, &msg);
    }
    if !d.model.config.supervisord.nocleanup {
        let dir: PathBuf = d.model.config.supervisord.childlogdir.clone();
        for w in lifecycle::clear_auto_logs(&dir, &d.model.config.supervisord.identifier) {
            d.model.log.log(Level::Warn, &w);
        }
    }
}

/// Writes the pidfile and logs `supervisord started with pid N`, or only the CRIT line when
/// it cannot be written (as the reference). Returns the path written: only that one is
/// removed later.
fn write_pidfile(d: &mut Daemon) -> Option<PathBuf> {
    let pid = std::process::id();
    let path = d.model.config.supervisord.pidfile.clone();
    match lifecycle::write_pidfile(&path, pid) {
        Ok(()) => {
            d.model
                .log
                .log(Level::Info, &format!("supervisord started with pid {pid}"));
            Some(path)
        }
        Err(msg) => {
            d.model.log.log(Level::Critical, &msg);
            None
        }
    }
}

/// Creates every configured group, announces RUNNING, then starts the autostart processes
/// in priority order.
fn start_groups(d: &mut Daemon) {
    d.model.mood = SupervisorState::Running;
    let groups = d.model.config.groups.clone();
    for g in &groups {
        d.add_group(g, Autostart::Later);
    }
    d.model.emit(Event::supervisor_running());
    let ids: Vec<_> = d
        .model
        .groups
        .iter()
        .flat_map(|g| g.procs.clone())
        .collect();
    d.autostart(&ids);
}

/// After a restart stopped everything: drop the old groups and apply the new configuration,
/// logging the start-up block again as the reference does (its restart is a new start in
/// the same process).
fn restart(d: &mut Daemon, config: Config) {
    d.remove_all_groups();
    let relog = log_settings(&config);
    d.server_url = auto_server_url(&config);
    d.model.config = config;
    if relog.path.as_deref() != d.model.log.path() || relog.level != d.model.log.level() {
        match MainLog::open(&relog, d.now.wall) {
            Ok(mut log) => {
                log.set_echo(relog.echo && d.model.config.supervisord.nodaemon);
                d.model.log = log;
            }
            Err(e) => d.model.log.log(Level::Error, &e),
        }
    }
    // As the reference, a restart never exits: a user that can no longer be switched to
    // is logged, and the daemon carries on as it is.
    let notes =
        privilege_notes(&d.model.config.supervisord).unwrap_or_else(|e| vec![(Level::Critical, e)]);
    log_startup_notes(d, notes);
    let wanted = d.model.config.http_servers.clone();
    let current: Vec<HttpServerConfig> = d.http.servers.iter().map(|s| s.config.clone()).collect();
    if wanted != current {
        d.close_servers();
        match open_servers(&d.model.config) {
            Ok(servers) => d.add_servers(servers),
            Err(StartupError(e)) => d.model.log.log(Level::Critical, &e),
        }
    }
    announce_servers(d);
}
