//! Fuzzes the urlencoded body / query-string parser: must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_body::{Limits, urlencoded};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::DEFAULT;
    if let Ok(p) = urlencoded::parse(data, b'&', &limits) {
        assert!(p.args.len() <= limits.max_args);
    }
    let _ = urlencoded::parse(data, b';', &limits);
});
