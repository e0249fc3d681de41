//! Fuzzes the JSON flattener: must never panic and must respect its limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_body::{Limits, json};

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_json_depth: 64, ..Limits::DEFAULT };
    if let Ok(args) = json::parse(data, &limits) {
        assert!(args.len() <= limits.max_args);
        assert!(args.iter().all(|(n, _)| n.starts_with(b"json")));
    }
});
