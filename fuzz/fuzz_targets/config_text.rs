//! The configuration loader on arbitrary text: INI scanning, expansion, validation. Any
//! result is fine; a panic or a hang is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use supervisor::config::{load_text, Overrides};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = load_text(
            text,
            "/nonexistent/fuzz/supervisord.conf",
            &Overrides::default(),
        );
    }
});
