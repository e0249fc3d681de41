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

/// Bytes that are whitespace for `compressWhitespace` / `removeWhitespace`.
static WS: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = is_ws_or_nbsp(b as u8);
        b += 1;
    }
    t
};

pub(super) fn compress_whitespace(input: &[u8], out: &mut Vec<u8>) -> bool {
    // The untouched prefix ends at the first whitespace that is not a lone space:
    // three vectorised scans instead of a branchy byte loop.
    let first = [
        memchr::memchr3(b'\t', b'\n', b'\r', input),
        memchr::memchr3(0x0b, 0x0c, NBSP, input),
        memchr::memmem::find(input, b"  "),
    ]
    .into_iter()
    .flatten()
    .min();
    let Some(at) = first else {
        return false;
    };
    start(input, at, out);
    let mut in_ws = at > 0 && input[at - 1] == b' ';
    let mut i = at;
    while i < input.len() {
        if WS[usize::from(input[i])] {
            if !in_ws {
                out.push(b' ');
                in_ws = true;
            }
            i += 1;
        } else {
            let run = input[i..]
                .iter()
                .position(|&b| WS[usize::from(b)])
                .unwrap_or(input.len() - i);
            out.extend_from_slice(&input[i..i + run]);
            i += run;
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

const CMD_COPY: u8 = 0;
const CMD_DROP: u8 = 1;
const CMD_SPACE: u8 = 2;
const CMD_JOIN: u8 = 3;
const CMD_END: u8 = 4;

/// What `cmdLine` does with each byte: copy (lowercased), drop, fold into one space,
/// remove a preceding space (`/` and `(`), or end the value (NUL).
static CMD_CLASS: [u8; 256] = {
    let mut t = [CMD_COPY; 256];
    t[b'"' as usize] = CMD_DROP;
    t[b'\'' as usize] = CMD_DROP;
    t[b'\\' as usize] = CMD_DROP;
    t[b'^' as usize] = CMD_DROP;
    t[b' ' as usize] = CMD_SPACE;
    t[b',' as usize] = CMD_SPACE;
    t[b';' as usize] = CMD_SPACE;
    t[b'\t' as usize] = CMD_SPACE;
    t[b'\r' as usize] = CMD_SPACE;
    t[b'\n' as usize] = CMD_SPACE;
    t[b'/' as usize] = CMD_JOIN;
    t[b'(' as usize] = CMD_JOIN;
    t[0] = CMD_END;
    t
};

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
    // The result is never longer than the input: write by index, then truncate.
    out.clear();
    out.resize(input.len(), 0);
    out[..at].copy_from_slice(&input[..at]);
    let mut d = at;
    let mut space = prev_space(at);
    for &b in &input[at..] {
        match CMD_CLASS[usize::from(b)] {
            CMD_COPY => {
                out[d] = b.to_ascii_lowercase();
                d += 1;
                space = false;
            }
            CMD_DROP => {}
            CMD_SPACE => {
                if !space {
                    out[d] = b' ';
                    d += 1;
                    space = true;
                }
            }
            CMD_JOIN => {
                if space {
                    d -= 1;
                }
                space = false;
                out[d] = b;
                d += 1;
            }
            _ => break,
        }
    }
    out.truncate(d);
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
