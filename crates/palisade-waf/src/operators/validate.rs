//! `@validateByteRange`, `@validateUrlEncoding`, `@validateUtf8Encoding`.
//!
//! These match when the input is *invalid*, as in ModSecurity.

use super::numeric::atoi;
use super::{DataLoader, Kind, Matcher, OperatorError};

fn bad(reason: String) -> OperatorError {
    OperatorError::InvalidArgument {
        op: "validateByteRange",
        reason,
    }
}

fn byte(n: i32, what: &str) -> Result<usize, OperatorError> {
    usize::try_from(n)
        .ok()
        .filter(|&v| v <= 255)
        .ok_or_else(|| bad(format!("invalid range {what} value: {n}")))
}

/// Parses `1-255` or `9,10,13,32-126,128-255` (numbers read like C `atoi`).
pub(super) fn compile_byte_range(arg: &[u8], _: &dyn DataLoader) -> Result<Matcher, OperatorError> {
    let mut allowed = Box::new([false; 256]);
    let mut any = false;
    for token in arg.split(|&b| b == b',').filter(|t| !t.is_empty()) {
        match memchr::memchr(b'-', token) {
            None => {
                allowed[byte(atoi(token), "single")?] = true;
            }
            Some(dash) => {
                let start = byte(atoi(token), "start")?;
                let end = byte(atoi(&token[dash + 1..]), "end")?;
                if start > end {
                    return Err(bad(format!("invalid range: {start}-{end}")));
                }
                allowed[start..=end].iter_mut().for_each(|a| *a = true);
            }
        }
        any = true;
    }
    if !any {
        return Err(bad("no ranges given".into()));
    }
    Ok(Matcher(Kind::ByteRange(allowed)))
}

pub(super) fn compile_url_encoding(_: &[u8], _: &dyn DataLoader) -> Result<Matcher, OperatorError> {
    Ok(Matcher(Kind::ValidateUrlEncoding))
}

pub(super) fn compile_utf8_encoding(
    _: &[u8],
    _: &dyn DataLoader,
) -> Result<Matcher, OperatorError> {
    Ok(Matcher(Kind::ValidateUtf8Encoding))
}

/// A `%` without two following hex digits (also at the very end) is invalid.
pub(super) fn invalid_url_encoding(input: &[u8]) -> bool {
    let mut i = 0;
    while let Some(k) = memchr::memchr(b'%', &input[i..]) {
        let at = i + k;
        match input.get(at + 1..at + 3) {
            Some([a, b]) if a.is_ascii_hexdigit() && b.is_ascii_hexdigit() => i = at + 3,
            _ => return true,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::super::{Captures, NoFiles};
    use super::*;

    #[test]
    fn byte_ranges() {
        let Ok(m) = compile_byte_range(b"9,10,13,32-126", &NoFiles) else {
            panic!("compiles");
        };
        let mut c = Captures::new();
        assert!(!m.matches(b"hello world\t\r\n", &mut c));
        assert!(m.matches(b"nul\0", &mut c));
        assert!(m.matches(b"\x7f", &mut c));
        assert!(!m.matches(b"", &mut c));
        assert!(compile_byte_range(b"1-256", &NoFiles).is_err());
        assert!(compile_byte_range(b"5-1", &NoFiles).is_err());
        assert!(compile_byte_range(b"", &NoFiles).is_err());
    }

    #[test]
    fn url_encoding() {
        assert!(!invalid_url_encoding(b"a%20b%7E"));
        assert!(invalid_url_encoding(b"a%2"));
        assert!(invalid_url_encoding(b"%zz"));
        assert!(invalid_url_encoding(b"%"));
        assert!(!invalid_url_encoding(b""));
    }
}
