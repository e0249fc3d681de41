//! XSS detector and HTML5 tokenizer on arbitrary bytes: no panic, deterministic,
//! tokens inside the input, and the verdict (with its pre-checks that skip
//! passes) equal to running every start state in full.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_detect::xss::{self, START_STATES};

fuzz_target!(|data: &[u8]| {
    let first = palisade_detect::detect_xss(data);
    assert_eq!(first, palisade_detect::detect_xss(data));
    let full = START_STATES.iter().any(|&st| xss::is_xss_in(data, st));
    assert_eq!(first, full, "pre-checks changed the verdict");
    for st in START_STATES {
        for t in xss::tokenize(data, st) {
            assert!(t.start + t.bytes.len() <= data.len());
        }
    }
});
