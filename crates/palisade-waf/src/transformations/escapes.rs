//! Backslash escapes: `jsDecode`, `escapeSeqDecode`, `cssDecode`.

use super::url::low_byte_with_full_width;
use super::{copy_until, finish, hex_val, is_c_space, start, x2c};

const fn is_odigit(b: u8) -> bool {
    matches!(b, b'0'..=b'7')
}

/// Length of the run of octal digits at `s`, at most 3.
fn octal_run(s: &[u8]) -> usize {
    s.iter().take(3).take_while(|&&b| is_odigit(b)).count()
}

fn octal_value(s: &[u8]) -> u32 {
    s.iter().fold(0u32, |v, &d| v * 8 + u32::from(d - b'0'))
}

fn all_hex(s: &[u8]) -> bool {
    s.iter().all(u8::is_ascii_hexdigit)
}

/// `jsDecode`: `\uHHHH` (low byte; U+FF01..U+FF5E folded to ASCII), `\xHH`, `\OOO`
/// (at most one byte: three digits only if the first is 0-3), `\a \b \f \n \r \t \v`,
/// and `\C` for any other `C`. A backslash at the very end stays.
pub(super) fn js_decode(input: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(at) = memchr::memchr(b'\\', input) else {
        return false;
    };
    start(input, at, out);
    let len = input.len();
    let mut i = at;
    while i < len {
        if input[i] != b'\\' {
            i = copy_until(input, i, b'\\', out);
            continue;
        }
        if i + 5 < len && input[i + 1] == b'u' && all_hex(&input[i + 2..i + 6]) {
            let code = u16::from_be_bytes([
                x2c(input[i + 2], input[i + 3]),
                x2c(input[i + 4], input[i + 5]),
            ]);
            out.push(low_byte_with_full_width(code));
            i += 6;
        } else if i + 3 < len && input[i + 1] == b'x' && all_hex(&input[i + 2..i + 4]) {
            out.push(x2c(input[i + 2], input[i + 3]));
            i += 4;
        } else if i + 1 < len && is_odigit(input[i + 1]) {
            let mut n = octal_run(&input[i + 1..]);
            if n == 3 && input[i + 1] > b'3' {
                n = 2;
            }
            out.push(octal_value(&input[i + 1..i + 1 + n]).to_le_bytes()[0]);
            i += 1 + n;
        } else if i + 1 < len {
            out.push(match input[i + 1] {
                b'a' => 0x07,
                b'b' => 0x08,
                b'f' => 0x0c,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'v' => 0x0b,
                c => c,
            });
            i += 2;
        } else {
            out.push(b'\\');
            i += 1;
        }
    }
    finish(input, out)
}

/// `escapeSeqDecode`: ANSI C escapes. `\xHH` needs two hex digits, `\OOO` takes up to
/// three octal digits (the value's low byte). An unknown `\C`, or a `\x` without two
/// hex digits, becomes `C` (the backslash is dropped). A backslash at the end stays.
pub(super) fn escape_seq_decode(input: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(at) = memchr::memchr(b'\\', input) else {
        return false;
    };
    start(input, at, out);
    let len = input.len();
    let mut i = at;
    while i < len {
        if input[i] != b'\\' {
            i = copy_until(input, i, b'\\', out);
            continue;
        }
        if i + 1 >= len {
            out.push(b'\\');
            i += 1;
            continue;
        }
        let c = input[i + 1];
        let simple = match c {
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(0x0b),
            b'\\' | b'?' | b'\'' | b'"' => Some(c),
            _ => None,
        };
        if let Some(v) = simple {
            out.push(v);
            i += 2;
        } else if matches!(c, b'x' | b'X') && i + 3 < len && all_hex(&input[i + 2..i + 4]) {
            out.push(x2c(input[i + 2], input[i + 3]));
            i += 4;
        } else if is_odigit(c) {
            let n = octal_run(&input[i + 1..]);
            out.push(octal_value(&input[i + 1..i + 1 + n]).to_le_bytes()[0]);
            i += 1 + n;
        } else {
            out.push(c);
            i += 2;
        }
    }
    finish(input, out)
}

/// `cssDecode` (CSS 2.1 escapes): `\` + 1-6 hex digits gives one byte, from the last
/// two digits (the only digit if there is one), folding full-width ASCII when the value
/// is U+FF01..U+FF5E; one whitespace after the digits is swallowed. `\` + newline is a
/// line continuation, `\C` is `C`, and a trailing `\` is dropped.
pub(super) fn css_decode(input: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(at) = memchr::memchr(b'\\', input) else {
        return false;
    };
    start(input, at, out);
    let len = input.len();
    let mut i = at;
    while i < len {
        if input[i] != b'\\' {
            i = copy_until(input, i, b'\\', out);
            continue;
        }
        if i + 1 >= len {
            // A lone backslash at the end is dropped.
            i += 1;
            continue;
        }
        i += 1;
        let j = input[i..]
            .iter()
            .take(6)
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if j > 0 {
            let d = &input[i..i + j];
            let mut v = if j == 1 {
                hex_val(d[0])
            } else {
                x2c(d[j - 2], d[j - 1])
            };
            let full_check = match j {
                4 => true,
                5 => d[0] == b'0',
                6 => d[0] == b'0' && d[1] == b'0',
                _ => false,
            };
            if full_check
                && v > 0
                && v < 0x5f
                && matches!(d[j - 3], b'f' | b'F')
                && matches!(d[j - 4], b'f' | b'F')
            {
                v += 0x20;
            }
            out.push(v);
            let mut used = j;
            if i + used < len && is_c_space(input[i + used]) {
                used += 1;
            }
            i += used;
        } else if input[i] == b'\n' {
            i += 1;
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    finish(input, out)
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
    fn js() {
        assert_eq!(
            run(js_decode, b"\\u0041\\uff01\\x41\\101\\777\\n\\q\\"),
            b"A!AA?7\nq\\"
        );
        assert_eq!(run(js_decode, b"\\u004"), b"u004");
    }

    #[test]
    fn escape_seq() {
        assert_eq!(
            run(escape_seq_decode, b"\\8\\9\\666\\xag\\xga\\0123"),
            b"89\xb6xagxga\x0a3"
        );
        assert_eq!(run(escape_seq_decode, b"\\"), b"\\");
    }

    #[test]
    fn css() {
        assert_eq!(
            run(css_decode, b"\\41 b\\00ff21\\ff01\\x\\\nz\\"),
            b"AbA!xz"
        );
        assert_eq!(run(css_decode, b"\\1234567"), b"V7");
    }
}
