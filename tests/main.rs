//! Integration tests: each module drives the real binaries.
