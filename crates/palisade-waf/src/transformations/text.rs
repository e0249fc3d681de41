//! Byte-wise text transformations: case, NULs, whitespace, trimming, parity, cmdLine, length.

use super::{finish, is_c_space, start};

/// NBSP as ModSecurity treats it in the whitespace functions (Latin-1 0xA0).
const NBSP: u8 = 0xa0;

const fn is_ws_or_nbsp(b: u8) -> bool {
    is_c_space(b) || b == NBSP
}

pub(super) fn lowercase(input: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(at) = input.iter().position(u8::is_ascii_uppercase) else {
        return false;
    };
    start(input, at, out);
    out.extend(input[at..].iter().map(u8::to_ascii_lowercase));
    true
}

pub(super) fn uppercase(input: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(at) = input.iter().position(u8::is_ascii_lowercase) else {
        return false;
    };
    start(input, at, out);
    out.extend(input[at..].iter().map(u8::to_ascii_uppercase));
    true
}

pub(super) fn remove_nulls(input: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(at) = memchr::memchr(0, input) else {
        return false;
    };
    start(input, at, out);
    out.extend(input[at..].iter().copied().filter(|&b| b != 0));
    true
}

pub(super) fn replace_nulls(input: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(at) = memchr::memchr(0, input) else {
        return false;
    };
    start(input, at, out);
    out.extend(input[at..].iter().map(|&b| if b == 0 { b' ' } else { b }));
    true
}

pub(super) fn remove_whitespace(input: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(at) = input.iter().position(|&b| is_ws_or_nbsp(b)) else {
        return false;
    };
    start(input, at, out);
    out.extend(input[at..].iter().copied().filter(|&b| !is_ws_or_nbsp(b)));
    true
}

pub(super) fn compress_whitespace(input: &[u8], out: &mut Vec<u8>) -> bool {
    // The untouched prefix ends at the first whitespace that is not a lone space.
    let first = input.iter().enumerate().position(|(i, &b)| {
        (is_ws_or_nbsp(b) && b != b' ') || (b == b' ' && i > 0 && input[i - 1] == b' ')
    });
    let Some(at) = first else {
        return false;
    };
    start(input, at, out);
    let mut in_ws = at > 0 && input[at - 1] == b' ';
    for &b in &input[at..] {
        if is_ws_or_nbsp(b) {
            if !in_ws {
                out.push(b' ');
                in_ws = true;
            }
        } else {
            out.push(b);
            in_ws = false;
        }
    }
    true
}

fn trimmed(input: &[u8], left: bool, right: bool) -> &[u8] {
    let mut s = input;
    if left {
        let n = s.iter().take_while(|&&b| is_c_space(b)).count();
        s = &s[n..];
    }
    if right {
        let n = s.iter().rev().take_while(|&&b| is_c_space(b)).count();
        s = &s[..s.len() - n];
    }
    s
}

fn trim_into(input: &[u8], out: &mut Vec<u8>, left: bool, right: bool) -> bool {
    let s = trimmed(input, left, right);
    if s.len() == input.len() {
        return false;
    }
    out.clear();
    out.extend_from_slice(s);
    true
}

pub(super) fn trim(input: &[u8], out: &mut Vec<u8>) -> bool {
    trim_into(input, out, true, true)
}

pub(super) fn trim_left(input: &[u8], out: &mut Vec<u8>) -> bool {
    trim_into(input, out, true, false)
}

pub(super) fn trim_right(input: &[u8], out: &mut Vec<u8>) -> bool {
    trim_into(input, out, false, true)
}

/// ModSecurity computes the parity over all eight bits of the input byte.
fn parity_map(input: &[u8], out: &mut Vec<u8>, f: fn(u8) -> u8) -> bool {
    let Some(at) = input.iter().position(|&b| f(b) != b) else {
        return false;
    };
    start(input, at, out);
    out.extend(input[at..].iter().map(|&b| f(b)));
    true
}

pub(super) fn parity_even_7bit(input: &[u8], out: &mut Vec<u8>) -> bool {
    parity_map(input, out, |b| {
        if b.count_ones() % 2 == 1 {
            b | 0x80
        } else {
            b & 0x7f
        }
    })
}

pub(super) fn parity_odd_7bit(input: &[u8], out: &mut Vec<u8>) -> bool {
    parity_map(input, out, |b| {
        if b.count_ones() % 2 == 1 {
            b & 0x7f
        } else {
            b | 0x80
        }
    })
}

pub(super) fn parity_zero_7bit(input: &[u8], out: &mut Vec<u8>) -> bool {
    parity_map(input, out, |b| b & 0x7f)
}

/// `cmdLine`. ModSecurity v2 walks a C string here, so the value ends at the first NUL.
pub(super) fn cmd_line(input: &[u8], out: &mut Vec<u8>) -> bool {
    let prev_space = |i: usize| i > 0 && input[i - 1] == b' ';
    let first = input.iter().enumerate().position(|(i, &b)| match b {
        0 | b'"' | b'\'' | b'\\' | b'^' | b',' | b';' | b'\t' | b'\r' | b'\n' => true,
        b'A'..=b'Z' => true,
        b' ' | b'/' | b'(' => prev_space(i),
        _ => false,
    });
    let Some(at) = first else {
        return false;
    };
    start(input, at, out);
    let mut space = prev_space(at);
    for &b in &input[at..] {
        match b {
            0 => break,
            b'"' | b'\'' | b'\\' | b'^' => {}
            b' ' | b',' | b';' | b'\t' | b'\r' | b'\n' => {
                if !space {
                    out.push(b' ');
                    space = true;
                }
            }
            b'/' | b'(' => {
                if space {
                    out.pop();
                }
                space = false;
                out.push(b);
            }
            _ => {
                out.push(b.to_ascii_lowercase());
                space = false;
            }
        }
    }
    finish(input, out)
}

pub(super) fn length(input: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    out.extend_from_slice(input.len().to_string().as_bytes());
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
    fn cmd_line_rules() {
        assert_eq!(run(cmd_line, b"C^OMMAND /C DIR"), b"command/c dir");
        assert_eq!(
            run(cmd_line, b"\"cmd\",;\t\r\n/c (x) \x0b"),
            b"cmd/c(x) \x0b"
        );
        assert_eq!(run(cmd_line, b"a \" /b"), b"a/b");
        assert_eq!(run(cmd_line, b"ab\0CD"), b"ab");
        assert_eq!(run(cmd_line, b"echo hi"), b"echo hi");
    }

    #[test]
    fn compress_whitespace_runs() {
        assert_eq!(run(compress_whitespace, b"a  b\t\tc\xa0d "), b"a b c d ");
        assert_eq!(run(compress_whitespace, b"a b\tc"), b"a b c");
        let mut out = Vec::new();
        assert!(!compress_whitespace(b"one two three", &mut out));
    }

    #[test]
    fn trims_use_c_isspace_only() {
        assert_eq!(run(trim, b" \t a b \x0b\x0c"), b"a b");
        assert_eq!(run(trim_left, b"  a "), b"a ");
        assert_eq!(run(trim_right, b"  a "), b"  a");
        assert_eq!(run(trim, b"\xa0a\xa0"), b"\xa0a\xa0");
    }

    #[test]
    fn parity_uses_all_eight_bits() {
        assert_eq!(run(parity_even_7bit, b"\x01\x03\x81"), b"\x81\x03\x01");
        assert_eq!(run(parity_odd_7bit, b"\x01\x03"), b"\x01\x83");
        assert_eq!(run(parity_zero_7bit, b"\xff\x41"), b"\x7f\x41");
    }
}
