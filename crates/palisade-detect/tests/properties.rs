//! Property tests: the detectors never panic on arbitrary bytes, are
//! deterministic, and their tokens stay inside the input.

use palisade_detect::sqli::{self, Comments, Context, Quote};
use palisade_detect::xss::{self, START_STATES};
use proptest::prelude::*;

/// Bytes biased towards the characters the tokenizers care about.
fn interesting() -> impl Strategy<Value = Vec<u8>> {
    let alphabet: Vec<u8> =
        b"'\"`\\/*-#;()<>=!&|@$.,:?[]{}%+~ \t\n\0aAeEnNqQuUxXbB01 selctunioORand".to_vec();
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        proptest::collection::vec(proptest::sample::select(alphabet), 0..200),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn sqli_never_panics_and_is_deterministic(input in interesting()) {
        let a = palisade_detect::detect_sqli(&input);
        prop_assert_eq!(a, palisade_detect::detect_sqli(&input));
        if let Some(fp) = a {
            prop_assert!(!fp.is_empty() && fp.len() <= 5);
        }
        for q in [Quote::AsIs, Quote::SingleQuote, Quote::DoubleQuote] {
            for c in [Comments::Ansi, Comments::MySql] {
                let ctx = Context::new(q, c);
                for t in sqli::tokenize(&input, ctx) {
                    prop_assert!(t.pos() <= input.len());
                    prop_assert!(t.value().len() <= 31);
                }
                prop_assert!(sqli::fold(&input, ctx).tokens().len() <= 5);
            }
        }
    }

    #[test]
    fn xss_never_panics_and_is_deterministic(input in interesting()) {
        let a = palisade_detect::detect_xss(&input);
        prop_assert_eq!(a, palisade_detect::detect_xss(&input));
        for st in START_STATES {
            for t in xss::tokenize(&input, st) {
                prop_assert!(t.start + t.bytes.len() <= input.len());
            }
        }
    }

    #[test]
    fn percent_decoding_never_grows(input in proptest::collection::vec(any::<u8>(), 0..200)) {
        prop_assert!(palisade_detect::percent_decode_plus(&input).len() <= input.len());
    }
}

#[test]
fn long_hostile_inputs_finish() {
    // Shapes that make naive implementations quadratic; each must simply finish.
    let n = 200_000;
    let cases: Vec<Vec<u8>> = vec![
        "$a".repeat(n / 2).into_bytes(),
        format!("${}$", "a".repeat(n)).into_bytes(),
        "\\'".repeat(n / 2).into_bytes(),
        "/*".repeat(n / 2).into_bytes(),
        "<!--".repeat(n / 4).into_bytes(),
        "<a ".repeat(n / 3).into_bytes(),
        "&#0000".repeat(n / 6).into_bytes(),
        "q'(".repeat(n / 3).into_bytes(),
        "--".repeat(n / 2).into_bytes(),
        vec![b'\''; n],
        vec![b'('; n],
    ];
    for c in &cases {
        let _ = palisade_detect::detect_sqli(c);
        let _ = palisade_detect::detect_xss(c);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The `<`/`=` pre-check in `detect_xss` changes speed only, never the answer.
    #[test]
    fn xss_precheck_preserves_semantics(input in interesting()) {
        let full = START_STATES.iter().any(|&st| xss::is_xss_in(&input, st));
        prop_assert_eq!(palisade_detect::detect_xss(&input), full);
    }
}
