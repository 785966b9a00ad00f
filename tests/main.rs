//! Integration tests: each module drives the real binaries.

// The whole crate is test code: a failed unwrap or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    // Tests time the daemon from outside; only the daemon's reads go through `clock`.
    clippy::disallowed_methods
)]

mod big_answers; // D9: listings of thousands of processes written a slice per turn
mod budgets; // D9/D10: absurd deadlines, crash loops, SIGHUP storms
mod budgets_http; // D9: floods, slowloris, EMFILE, unauthenticated bodies, amplification
mod check_config; // --check-config warnings and errors
mod config_diff; // the configuration corpus against Supervisor 4.3's verdicts
mod ctl; // supervisorctl golden output and exit codes
mod ctl_follow; // tail -f, maintail -f, fg
mod ctl_json; // supervisorctl --json documents against our daemon
mod ctl_more; // more supervisorctl actions, the shell, errors
mod depends; // issue 14: start dependencies
mod dist; // make install/uninstall, the installed config, the init script
mod events; // event payloads and headers as listeners receive them
mod events_delivery; // rejection, overflow, listener death and protocol violations
mod fcgi; // [fcgi-program:x] sockets
mod fidelity; // side by side with Supervisor 4.3: log lines, reply orders, faults
mod http; // HTTP robustness and limits
mod http_more; // log streams, keep-alive, pipelining, slow clients
mod lifecycle; // the process state machine, spawning, stopping, the child's environment
mod logfiles; // rotate/reopen byte-exact under a burst, *_logfile_rotate
mod logging; // child logs: rotation, AUTO names, NONE, large bursts
mod metrics; // GET /metrics: Prometheus text, auth, cross-checked with getAllProcessInfo
mod rawhttp; // a raw HTTP client for the tests above
mod readiness; // issue 14: ready checks, health checks, restart policy
mod rpc; // every method's shape and every fault
mod rpc_config; // reloadConfig, add/remove, getAllConfigInfo, restart
mod rpc_logs; // read/tail log semantics
mod rpc_python; // the same surface through python3's xmlrpc.client
mod rpc_wait; // wait=true answers at once
mod samples; // conf/ files and man pages
mod sd_notify; // systemd Type=notify datagrams
mod signals; // SIGTERM/INT/QUIT, SIGHUP, SIGUSR2, daemonizing
mod smoke; // the daemon starts and answers
mod supervisord_cli; // supervisord's command line
mod update; // update per process: pids kept, fallback and stock client
mod util;
mod web; // the web interface over HTTP: actions, token, confirm pages, tail page, assets
mod web_browser; // the web interface in headless Chromium
