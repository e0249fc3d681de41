//! SQLi detector and its stages on arbitrary bytes: no panic, deterministic,
//! fingerprints of at most five type codes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_detect::sqli::{self, Comments, Context, Quote};

fuzz_target!(|data: &[u8]| {
    let first = palisade_detect::detect_sqli(data);
    assert_eq!(first, palisade_detect::detect_sqli(data));
    for q in [Quote::AsIs, Quote::SingleQuote, Quote::DoubleQuote] {
        for c in [Comments::Ansi, Comments::MySql] {
            let ctx = Context::new(q, c);
            let fp = sqli::fingerprint(data, ctx);
            assert!(fp.len() <= 5);
            let n = sqli::tokenize(data, ctx).count();
            assert!(n <= data.len() + 1);
        }
    }
    let _ = palisade_detect::percent_decode_plus(data);
});
