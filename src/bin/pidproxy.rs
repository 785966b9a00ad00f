//! `pidproxy <pidfile> <command> [args...]`: runs a command that daemonizes itself and
//! forwards the signals it receives to the pid found in `<pidfile>` (reference §8.5), so
//! supervisord can manage programs that fork into the background.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};
use signal_hook::iterator::Signals;

const USAGE: &str = "pidproxy -- run command and proxy signals to it via its pidfile.

This executable runs a command and then monitors a pidfile.  When this
executable receives a signal, it sends the same signal to the pid
in the pidfile.

Usage: %s <pidfile name> <command> [<cmdarg1> ...]
";

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let argv0 = args
        .first()
        .map_or_else(|| "pidproxy".into(), |a| a.to_string_lossy().into_owned());
    let (Some(pidfile), Some(command)) = (args.get(1), args.get(2)) else {
        println!("{}", USAGE.replace("%s", &argv0));
        return ExitCode::from(1);
    };
    let mut signals =
        match Signals::new([SIGTERM, SIGHUP, SIGINT, SIGUSR1, SIGUSR2, SIGQUIT, SIGCHLD]) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("pidproxy: unable to install signal handlers: {e}");
                return ExitCode::from(1);
            }
        };
    let program = std::path::absolute(command).unwrap_or_else(|_| PathBuf::from(command));
    let mut child = match Command::new(&program)
        .arg0(command)
        .args(args.get(3..).unwrap_or_default())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pidproxy: unable to run {}: {e}", program.display());
            return ExitCode::from(1);
        }
    };
    for sig in signals.forever() {
        if sig == SIGCHLD {
            if matches!(child.try_wait(), Ok(Some(_)) | Err(_)) {
                return ExitCode::SUCCESS;
            }
            continue;
        }
        match read_pid(Path::new(pidfile)) {
            Some(pid) => {
                let _ = supervisor::sys::kill(pid, sig);
                if [SIGTERM, SIGINT, SIGQUIT].contains(&sig) {
                    return ExitCode::SUCCESS;
                }
            }
            None => println!("Can't read child pidfile {}!", Path::new(pidfile).display()),
        }
    }
    ExitCode::SUCCESS
}

fn read_pid(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}
