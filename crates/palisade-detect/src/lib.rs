//! SQL injection and XSS detection over bytes, in the manner of libinjection
//! (which ModSecurity's `@detectSQLi` / `@detectXSS` use). Pure: no I/O, no
//! allocation on the detection path, no `unsafe`, no recursion. Depends on
//! nothing but `memchr`; must not depend on the engine, the proxy or async code.
//!
//! # SQL injection
//!
//! [`detect_sqli`] tokenizes the input as SQL, folds the tokens to at most five
//! "shape" tokens and looks the shape (the *fingerprint*, e.g. `s&sos` for
//! `1' or '1'='1`) up in a table of shapes that real injections have and
//! ordinary input does not. It tries the contexts an attacker's input can be in:
//! as-is, inside `'...'`, inside `"..."`, with ANSI and MySQL comment rules. See
//! [`sqli`] for the stages.
//!
//! # XSS
//!
//! [`detect_xss`] tokenizes the input as HTML5 starting in the data state and in
//! each attribute-value state, and flags script-capable tags (`script`, `iframe`,
//! any `svg*`, ...), event-handler attributes, URL attributes whose scheme after
//! entity decoding is `javascript:`/`vbscript:`/`data:`/`view-source:`, style
//! values that can run code, doctype declarations and the comment forms old
//! browsers execute. See [`xss`].
//!
//! # Data tables
//!
//! `data/sqli_keywords.txt` (985 words and operators with their token types) and
//! `data/sqli_fingerprints.txt` (the injection shapes) are facts about SQL and
//! about which token shapes injections have. They were derived from libinjection's
//! published data file `sqlparse_data.json` (libinjection 3.x, BSD-3-Clause,
//! Copyright 2012-2016 Nick Galbreath; the same version whose unit-test vectors
//! the integration tests run), converted to this crate's one-entry-a-line format
//! and upper-cased. libinjection's list was itself produced by fingerprinting
//! attack corpora and removing shapes seen in benign traffic. The curation done
//! here is documented at the top of each data file; every removal is checked by
//! the benign corpus test (`testdata/benign.txt`) and every entry the
//! libinjection vectors need by the vector test. No libinjection code is used:
//! the tokenizer, folder and HTML tokenizer are written from the algorithm's
//! description and its test vectors.
//!
//! Differences from libinjection, each on purpose:
//! - XSS: a `style` attribute value counts only if it can run code
//!   (`expression(`, `url(`, `javascript`, `behavior`, `-moz-binding`, `@import`,
//!   escapes, comments); libinjection flags every `style=` value, which makes
//!   query strings like `style=casual` false positives.
//! - SQLi: the fingerprint table is curated (`data/sqli_fingerprints_curation.txt`,
//!   one reason per change): `f(n)k` is removed (pseudo-code such as
//!   `if (a > b) then ...`), a few stacked-statement shapes (`s;Tc`, `1;E1`, ...)
//!   are added.
//! - SQLi short shapes: `1&1`-like three-token fingerprints need an operator
//!   somewhere in the input (`1 and 2 and 3` is prose, `1 or 1=1` is not), and a
//!   folded `1c` whose `--` comment is words (`10-20 -- roughly`) is text.
//! - XSS: a pre-check skips inputs with neither `<` nor `=` (no rule can fire on
//!   them in any start state), the data-state pass is skipped without `<`, and a
//!   quoted-value pass without its quote byte; on inputs of 256 bytes or more the
//!   passes run side by side and a pass stops where it joins another (same
//!   tokenizer state, so the same tokens from there on). Property tests and the
//!   fuzz target check that none of this changes a verdict.
//! - Linear time is guaranteed for the PostgreSQL `$tag$` strings (libinjection's
//!   naive search is quadratic there).
//!
//! # Limits
//!
//! Token values keep at most 31 bytes (longer ones are consumed in full but
//! compared by prefix, as in libinjection); a fingerprint has at most five
//! tokens. Work is linear in the input length and memory is constant.

#![cfg_attr(not(test), warn(clippy::indexing_slicing))]

pub mod cli;
pub mod sqli;
pub mod xss;

pub use sqli::Fingerprint;

/// Detect SQL injection. Returns the fingerprint that matched, e.g. `s&sos`.
pub fn detect_sqli(input: &[u8]) -> Option<Fingerprint> {
    sqli::detect(input)
}

/// Detect cross-site scripting.
pub fn detect_xss(input: &[u8]) -> bool {
    xss::detect(input)
}

/// Percent-decode `line`, with `+` as space (form encoding). Invalid escapes
/// (`%zz`, a trailing `%`) are kept as they are.
pub fn percent_decode_plus(line: &[u8]) -> Vec<u8> {
    fn hex(b: u8) -> Option<u8> {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    }
    let mut out = Vec::with_capacity(line.len());
    let mut i = 0;
    while let Some(&b) = line.get(i) {
        match b {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = line.get(i + 1).copied().and_then(hex);
                let lo = line.get(i + 2).copied().and_then(hex);
                if let (Some(h), Some(l)) = (hi, lo) {
                    out.push(h << 4 | l);
                    i += 3;
                } else {
                    out.push(b'%');
                    i += 1;
                }
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode_plus(b"a+b%20c"), b"a b c");
        assert_eq!(percent_decode_plus(b"%27%2f%2F"), b"'//");
        assert_eq!(percent_decode_plus(b"100%"), b"100%");
        assert_eq!(percent_decode_plus(b"%zz%4"), b"%zz%4");
        assert_eq!(percent_decode_plus(b""), b"");
    }

    #[test]
    fn top_level_detectors() {
        assert!(detect_sqli(b"1 UNION SELECT password FROM users").is_some());
        assert!(detect_sqli(b"O'Reilly's books").is_none());
        assert!(detect_xss(b"<script>alert(1)</script>"));
        assert!(!detect_xss(b"fish & chips <3"));
    }
}
