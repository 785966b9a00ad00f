//! Integration tests: each module drives the real binaries.
mod config_diff;
mod events;
mod events_delivery;
mod fcgi;
mod samples;
mod smoke;
mod supervisord_cli;
mod util;
