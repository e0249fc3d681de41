//! `application/x-www-form-urlencoded` bodies and query strings (`ARGS_POST`, `ARGS_GET`).
//!
//! ModSecurity semantics (`parse_arguments` in v2, the urlencoded processor in v3):
//! the input is split on the separator (normally `&`); each piece is split into name and
//! value at the first `=`; a piece without `=` is a name with an empty value; an empty piece
//! (`a=1&&b=2`, a trailing `&`) produces nothing; a piece with an empty name (`=v`) is kept
//! with an empty name. Names and values are decoded the non-strict ModSecurity way: `+`
//! becomes a space, `%XX` with two hex digits becomes that byte, and any other `%` is kept
//! as-is and counted as invalid encoding (the engine may expose it as
//! `URLENCODED_ERROR`/`REQBODY_ERROR` depending on configuration).

use crate::{Arg, BodyError, Limits};

/// The result of [`parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Decoded `(name, value)` pairs in input order.
    pub args: Vec<Arg>,
    /// Number of `%` sequences that were not followed by two hex digits.
    pub invalid_encodings: usize,
}

/// Splits and decodes `input` on `separator` (see the module docs for the exact rules).
///
/// Errors when [`Limits::max_args`], [`Limits::max_arg_name_len`] or
/// [`Limits::max_arg_value_len`] would be exceeded.
pub fn parse(input: &[u8], separator: u8, limits: &Limits) -> Result<Parsed, BodyError> {
    let mut out = Parsed::default();
    for piece in input.split(|&b| b == separator) {
        if piece.is_empty() {
            continue;
        }
        let (raw_name, raw_value) = match memchr::memchr(b'=', piece) {
            Some(i) => (&piece[..i], &piece[i + 1..]),
            None => (piece, &[][..]),
        };
        if out.args.len() >= limits.max_args {
            return Err(BodyError::TooManyArgs {
                limit: limits.max_args,
            });
        }
        let (name, bad_n) = decode(raw_name);
        let (value, bad_v) = decode(raw_value);
        if name.len() > limits.max_arg_name_len {
            return Err(BodyError::ArgNameTooLong {
                limit: limits.max_arg_name_len,
            });
        }
        if value.len() > limits.max_arg_value_len {
            return Err(BodyError::ArgValueTooLong {
                limit: limits.max_arg_value_len,
            });
        }
        out.invalid_encodings += bad_n + bad_v;
        out.args.push((name, value));
    }
    Ok(out)
}

/// Non-strict URL decoding: `+` → space, `%XX` → byte, invalid `%` kept. Returns the decoded
/// bytes and the number of invalid `%` sequences.
pub fn decode(input: &[u8]) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(input.len());
    let mut invalid = 0;
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = input.get(i + 1).and_then(|&b| hex(b));
                let lo = input.get(i + 2).and_then(|&b| hex(b));
                if let (Some(h), Some(l)) = (hi, lo) {
                    out.push(h << 4 | l);
                    i += 3;
                } else {
                    invalid += 1;
                    out.push(b'%');
                    i += 1;
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    (out, invalid)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_and_percent_and_keeps_invalid() {
        assert_eq!(decode(b"a+b%41%zz%4"), (b"a bA%zz%4".to_vec(), 2));
    }

    #[test]
    fn splits_on_first_equals_and_skips_empty_pieces() {
        let p = parse(b"a=1=2&&b&=v&", b'&', &Limits::DEFAULT).unwrap();
        let want: Vec<Arg> = vec![
            (b"a".to_vec(), b"1=2".to_vec()),
            (b"b".to_vec(), b"".to_vec()),
            (b"".to_vec(), b"v".to_vec()),
        ];
        assert_eq!(p.args, want);
    }

    #[test]
    fn arg_limit_is_an_error() {
        let limits = Limits {
            max_args: 2,
            ..Limits::DEFAULT
        };
        assert_eq!(
            parse(b"a&b&c", b'&', &limits),
            Err(BodyError::TooManyArgs { limit: 2 })
        );
    }
}
