//! Integration tests: each module drives the real binaries.
mod config_diff;
mod lifecycle;
mod logging;
mod samples;
mod signals;
mod smoke;
mod supervisord_cli;
mod util;
