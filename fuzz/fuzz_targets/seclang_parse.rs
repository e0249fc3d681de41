//! Fuzzes the SecLang parser and its printer. The input is split at NUL bytes into up to four
//! in-memory files (`main.conf`, `a.conf`, `rules/b.conf`, `rules/c.conf`, lossy UTF-8) so that
//! `Include` and `IncludeOptional`, with and without globs, are exercised. Parsing must never
//! panic; when it succeeds, the printed rule set must parse again to the same AST (up to spans),
//! and printing must be a fixed point.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_seclang::{MapLoader, Parser};

/// The names given to the NUL-separated pieces of the input, in order.
const NAMES: [&str; 4] = ["main.conf", "a.conf", "rules/b.conf", "rules/c.conf"];

fuzz_target!(|data: &[u8]| {
    let mut loader = MapLoader::new();
    for (name, piece) in NAMES.iter().zip(data.splitn(NAMES.len(), |&b| b == 0)) {
        loader.insert(*name, String::from_utf8_lossy(piece).into_owned());
    }
    let mut parser = Parser::new(&loader);
    parser.load("main.conf");
    let parsed = parser.finish();
    let printed = parsed.rule_set.to_string();
    for d in &parsed.diagnostics {
        let _ = d.to_string();
    }
    if !parsed.diagnostics.is_empty() {
        return;
    }

    let again = MapLoader::new().with("printed.conf", printed.clone());
    let mut parser = Parser::new(&again);
    parser.load("printed.conf");
    let second = parser.finish();
    if let Some(d) = second.diagnostics.first() {
        panic!("printed rule set does not parse: {d}\n--- printed ---\n{printed}");
    }
    let a = strip_spans(&format!("{:?}", parsed.rule_set.directives));
    let b = strip_spans(&format!("{:?}", second.rule_set.directives));
    assert_eq!(
        a, b,
        "ASTs differ after the round trip\n--- printed ---\n{printed}"
    );
    assert_eq!(
        printed,
        second.rule_set.to_string(),
        "printing is not a fixed point"
    );
});

/// Removes every `@file:line:col[start..end]` (the `Debug` form of a span) from `s`.
fn strip_spans(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match span_len(after.as_bytes()) {
            Some(n) => rest = &after[n..],
            None => {
                out.push('@');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Length of a `digits:digits:digits[digits..digits]` prefix of `b`, if there is one.
fn span_len(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    for sep in [&b":"[..], b":", b"[", b"..", b"]"] {
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start || !b[i..].starts_with(sep) {
            return None;
        }
        i += sep.len();
    }
    Some(i)
}
