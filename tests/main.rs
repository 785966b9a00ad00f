//! Integration tests: each module drives the real binaries.
mod config_diff;
mod samples;
mod smoke;
mod supervisord_cli;
mod util;
