//! Integration tests: each module drives the real binaries.
mod config_diff;
mod samples;
mod supervisord_cli;
