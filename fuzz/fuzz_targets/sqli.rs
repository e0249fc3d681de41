//! SQLi detector and its stages on arbitrary bytes: no panic, deterministic,
//! fingerprints of at most five type codes, and a detection is always the
//! fingerprint of one of the contexts tried, which calls it an injection.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_detect::sqli::{self, Comments, Context, Quote};

fuzz_target!(|data: &[u8]| {
    let first = palisade_detect::detect_sqli(data);
    assert_eq!(first, palisade_detect::detect_sqli(data));
    let mut explained = first.is_none();
    for q in [Quote::AsIs, Quote::SingleQuote, Quote::DoubleQuote] {
        for c in [Comments::Ansi, Comments::MySql] {
            let ctx = Context::new(q, c);
            let a = sqli::analyze(data, ctx);
            let fp = a.fingerprint();
            assert_eq!(fp, sqli::fingerprint(data, ctx));
            assert!(fp.len() <= 5);
            if Some(fp) == first && sqli::is_injection(data, &a) {
                explained = true;
            }
            let n = sqli::tokenize(data, ctx).count();
            assert!(n <= data.len() + 1);
        }
    }
    assert!(explained, "detection {first:?} matches no context");
    let _ = palisade_detect::percent_decode_plus(data);
});
