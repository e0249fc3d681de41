//! `@rx`: regular expressions over bytes with PCRE-like semantics.
//!
//! ModSecurity v2 compiles `@rx` with `PCRE_DOTALL | PCRE_DOLLAR_ENDONLY` and no UTF
//! mode: it matches bytes, with ASCII-only `\w \d \s \b` and case folding. The Rust
//! equivalent is `regex::bytes` with the prefix `(?s-u)`, after rewriting `\x{HH}`
//! (one or two hex digits) to `\xHH`: in non-Unicode mode the braced form would name a
//! code point, while PCRE without UTF means the byte.

use regex::bytes::{Regex, RegexBuilder};

use super::{Captures, DataLoader, Kind, Matcher, OperatorError};

/// Compiled-program size limit per regex (the regex crate's default, made explicit).
/// The largest CRS v4 pattern (933151, 8.4 KB) stays far below it.
pub const REGEX_SIZE_LIMIT: usize = 10 << 20;

/// Rewrites a SecLang/PCRE pattern for `regex::bytes`: `\x{HH}` with one or two hex
/// digits becomes `\xHH`, every other escape is copied unchanged, and the result is
/// prefixed with `(?s-u)`.
pub fn rewrite_pattern(pattern: &str) -> String {
    let b = pattern.as_bytes();
    let mut out = String::with_capacity(pattern.len() + 6);
    out.push_str("(?s-u)");
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        // `\x{H}` / `\x{HH}` -> `\x0H` / `\xHH`.
        if b.get(i + 1) == Some(&b'x') && b.get(i + 2) == Some(&b'{') {
            let digits = b[i + 3..]
                .iter()
                .take_while(|c| c.is_ascii_hexdigit())
                .count();
            if (1..=2).contains(&digits) && b.get(i + 3 + digits) == Some(&b'}') {
                out.push_str(&pattern[copied..i]);
                out.push_str("\\x");
                if digits == 1 {
                    out.push('0');
                }
                out.push_str(&pattern[i + 3..i + 3 + digits]);
                i += 4 + digits;
                copied = i;
                continue;
            }
        }
        // Any other escape: skip the escaped character (so `\\x{41}` stays literal).
        i += 2;
    }
    out.push_str(&pattern[copied.min(pattern.len())..]);
    out
}

pub(super) fn build(pattern: &str) -> Result<Regex, Box<regex::Error>> {
    RegexBuilder::new(&rewrite_pattern(pattern))
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(Box::new)
}

pub(super) fn compile_rx(arg: &[u8], _: &dyn DataLoader) -> Result<Matcher, OperatorError> {
    let pattern = std::str::from_utf8(arg).map_err(|_| OperatorError::InvalidArgument {
        op: "rx",
        reason: "the pattern is not valid UTF-8".into(),
    })?;
    let re = build(pattern).map_err(|source| OperatorError::Regex { op: "rx", source })?;
    Ok(Matcher(Kind::Rx(re)))
}

/// First match only, as ModSecurity. With captures wanted, slots 0..=n hold the whole
/// match and groups 1..=n, where n is the last participating group (at most 9); a
/// group that did not participate in between is empty.
pub(super) fn matches(re: &Regex, input: &[u8], captures: &mut Captures) -> bool {
    // Most inputs do not match: the plain test is much cheaper than a capturing search
    // (no capture slots to allocate, and it may stop at the earliest match).
    if !re.is_match(input) {
        return false;
    }
    if !captures.wanted() {
        return true;
    }
    let mut locs = re.capture_locations();
    if re.captures_read(&mut locs, input).is_none() {
        return false;
    }
    let last = (0..locs.len().min(Captures::MAX))
        .rev()
        .find(|&g| locs.get(g).is_some())
        .unwrap_or(0);
    captures.clear();
    for g in 0..=last {
        match locs.get(g) {
            Some((s, e)) => captures.push(&input[s..e]),
            None => captures.push(b""),
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_braced_byte_escapes_only() {
        assert_eq!(rewrite_pattern(r"\x{c2}\x{b4}"), r"(?s-u)\xc2\xb4");
        assert_eq!(rewrite_pattern(r"\x{9}"), r"(?s-u)\x09");
        assert_eq!(rewrite_pattern(r"\\x{41}"), r"(?s-u)\\x{41}");
        assert_eq!(rewrite_pattern(r"\x{2028}"), r"(?s-u)\x{2028}");
        assert_eq!(rewrite_pattern("a\\"), "(?s-u)a\\");
    }

    #[test]
    fn byte_semantics() {
        let Ok(re) = build(r"[\x7f-\x{ff}]") else {
            panic!("compiles");
        };
        assert!(re.is_match(b"\xbc"));
        let Ok(re) = build(r"\x{c2}\x{b4}") else {
            panic!("compiles");
        };
        assert!(re.is_match("´".as_bytes()));
        let Ok(re) = build(r"a.b$") else {
            panic!("compiles");
        };
        assert!(re.is_match(b"a\nb"));
        assert!(!re.is_match(b"a\nb\n"));
        let Ok(re) = build(r"(?i)\w+") else {
            panic!("compiles");
        };
        assert!(!re.is_match("é".as_bytes()));
    }

    #[test]
    fn captures_up_to_last_participating_group() {
        let Ok(re) = build(r"(a)(x)?(b)(y)?") else {
            panic!("compiles");
        };
        let mut caps = Captures::new();
        caps.set_wanted(true);
        assert!(matches(&re, b"zab", &mut caps));
        let got: Vec<&[u8]> = caps.iter().collect();
        assert_eq!(got, vec![&b"ab"[..], b"a", b"", b"b"]);
    }
}
