//! Integration tests: each module drives the real binaries.
mod config_diff;
mod ctl;
mod ctl_follow;
mod ctl_more;
mod http;
mod http_more;
mod rawhttp;
mod rpc;
mod rpc_config;
mod rpc_logs;
mod rpc_python;
mod rpc_wait;
mod samples;
mod smoke;
mod supervisord_cli;
mod util;
