//! URL decoding and encoding: `urlDecode`, `urlDecodeUni`, `urlEncode`.

use super::bestfit20127::BEST_FIT_20127;
use super::{finish, start, x2c};

/// `urlDecode`: `%HH` to a byte and `+` to a space; a `%` not followed by two hex
/// digits is kept as it is.
pub(super) fn url_decode(input: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(at) = memchr::memchr2_iter(b'%', b'+', input)
        .find(|&i| input[i] == b'+' || percent_hex(input, i))
    else {
        return false;
    };
    start(input, at, out);
    let mut i = at;
    while i < input.len() {
        match input[i] {
            b'%' if percent_hex(input, i) => {
                out.push(x2c(input[i + 1], input[i + 2]));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                out.push(b'%');
                i += 1;
            }
            _ => i = copy_until2(input, i, out),
        }
    }
    finish(input, out)
}

/// `%HH` with two hex digits at `i`.
fn percent_hex(input: &[u8], i: usize) -> bool {
    i + 2 < input.len() && input[i + 1].is_ascii_hexdigit() && input[i + 2].is_ascii_hexdigit()
}

/// Copies up to the next `%` or `+`; returns its index or the input length.
fn copy_until2(input: &[u8], i: usize, out: &mut Vec<u8>) -> usize {
    let end = memchr::memchr2(b'%', b'+', &input[i..]).map_or(input.len(), |k| i + k);
    out.extend_from_slice(&input[i..end]);
    end
}

/// Maps an IIS `%uHHHH` code to one byte the way ModSecurity does with the
/// recommended `SecUnicodeMapFile unicode.mapping 20127`: the best-fit table first,
/// else the low byte, with full-width ASCII (U+FF01..U+FF5E) folded to ASCII.
pub(super) fn iis_unicode_byte(code: u16) -> u8 {
    if let Ok(k) = BEST_FIT_20127.binary_search_by_key(&code, |&(c, _)| c) {
        return BEST_FIT_20127[k].1;
    }
    low_byte_with_full_width(code)
}

/// The low byte of `code`; for U+FF01..U+FF5E it adds 0x20 (full-width ASCII).
pub(super) fn low_byte_with_full_width(code: u16) -> u8 {
    let [hi, lo] = code.to_be_bytes();
    if hi == 0xff && lo > 0 && lo < 0x5f {
        lo + 0x20
    } else {
        lo
    }
}

fn hex4(s: &[u8]) -> Option<u16> {
    if s.len() < 4 || !s[..4].iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    Some(u16::from_be_bytes([x2c(s[0], s[1]), x2c(s[2], s[3])]))
}

/// `urlDecodeUni`: `urlDecode` plus IIS `%uHHHH`. A `%u` without four hex digits is
/// kept (both characters) and decoding resumes after it.
pub(super) fn url_decode_uni(input: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(at) = memchr::memchr2_iter(b'%', b'+', input).find(|&i| {
        input[i] == b'+'
            || percent_hex(input, i)
            || (matches!(input.get(i + 1), Some(b'u' | b'U')) && hex4(&input[i + 2..]).is_some())
    }) else {
        return false;
    };
    start(input, at, out);
    let mut i = at;
    while i < input.len() {
        match input[i] {
            b'%' => {
                if matches!(input.get(i + 1), Some(b'u' | b'U')) {
                    match hex4(&input[i + 2..]) {
                        Some(code) => {
                            out.push(iis_unicode_byte(code));
                            i += 6;
                        }
                        None => {
                            out.extend_from_slice(&input[i..i + 2]);
                            i += 2;
                        }
                    }
                } else if percent_hex(input, i) {
                    out.push(x2c(input[i + 1], input[i + 2]));
                    i += 3;
                } else {
                    out.push(b'%');
                    i += 1;
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            _ => i = copy_until2(input, i, out),
        }
    }
    finish(input, out)
}

/// `urlEncode`: everything but ASCII letters, digits and `*` becomes `%hh` (lowercase
/// hex); a space becomes `+`.
pub(super) fn url_encode(input: &[u8], out: &mut Vec<u8>) -> bool {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let keep = |b: u8| b.is_ascii_alphanumeric() || b == b'*';
    let Some(at) = input.iter().position(|&b| !keep(b)) else {
        return false;
    };
    start(input, at, out);
    for &b in &input[at..] {
        if keep(b) {
            out.push(b);
        } else if b == b' ' {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: super::super::TransformFn, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        if f(input, &mut out) {
            out
        } else {
            input.to_vec()
        }
    }

    #[test]
    fn best_fit_is_sorted_and_used() {
        assert!(BEST_FIT_20127.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(run(url_decode_uni, b"%u00e9%u2215%uff0f"), b"e\x15/");
        // Not in the table: low byte.
        assert_eq!(run(url_decode_uni, b"%u1141"), b"A");
    }

    #[test]
    fn invalid_sequences_stay() {
        assert_eq!(run(url_decode, b"%%20%g0%4"), b"% %g0%4");
        assert_eq!(run(url_decode_uni, b"%u00%u0020"), b"%u00 ");
        let mut out = Vec::new();
        assert!(!url_decode(b"%zz", &mut out));
    }

    #[test]
    fn encode() {
        assert_eq!(run(url_encode, b"a b*/\xff"), b"a+b*%2f%ff");
    }
}
