//! Integration tests: each module drives the real binaries.
mod config_diff; // the configuration corpus against Supervisor 4.3's verdicts
mod events; // event payloads and headers as listeners receive them
mod events_delivery; // rejection, overflow, listener death and protocol violations
mod fcgi; // [fcgi-program:x] sockets
mod lifecycle; // the process state machine, spawning, stopping, the child's environment
mod logging; // child logs: rotation, AUTO names, NONE, large bursts
mod samples; // conf/ files and man pages
mod signals; // SIGTERM/INT/QUIT, SIGHUP, SIGUSR2, daemonizing
mod smoke; // the daemon starts and answers
mod supervisord_cli; // supervisord's command line
mod util;
