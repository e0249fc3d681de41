//! `utf8toUnicode`.

use super::{finish, start};

/// `utf8toUnicode`, as ModSecurity v2 does it: each well-formed 2-, 3- or 4-byte UTF-8
/// sequence becomes `%u` + lowercase hex (at least four digits). Its quirks are kept:
/// a NUL byte is dropped; a lead byte whose continuation bytes are missing or wrong is
/// dropped (the following bytes are then handled one by one); an overlong form or a
/// surrogate is encoded and then followed by its raw lead byte; a lead byte 0xF5-0xF7 is
/// emitted raw before its (possible) encoding; other bytes >= 0x80 are copied.
pub(super) fn utf8_to_unicode(input: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(at) = input.iter().position(|&b| b == 0 || b >= 0x80) else {
        return false;
    };
    start(input, at, out);
    let len = input.len();
    let mut i = at;
    while i < len {
        let c = input[i];
        if c < 0x80 {
            if c != 0 {
                out.push(c);
            }
            i += 1;
            continue;
        }
        let (n, bits) = if c & 0xe0 == 0xc0 {
            (2, c & 0x1f)
        } else if c & 0xf0 == 0xe0 {
            (3, c & 0x0f)
        } else if c & 0xf8 == 0xf0 {
            (4, c & 0x07)
        } else {
            out.push(c);
            i += 1;
            continue;
        };
        if n == 4 && c >= 0xf5 {
            out.push(c);
        }
        let tail = input.get(i + 1..i + n);
        let Some(tail) = tail.filter(|t| t.iter().all(|&b| b & 0xc0 == 0x80)) else {
            i += 1;
            continue;
        };
        let d = tail
            .iter()
            .fold(u32::from(bits), |d, &b| (d << 6) | u32::from(b & 0x3f));
        push_code(out, d);
        let overlong = match n {
            2 => d < 0x80,
            3 => d < 0x800,
            _ => d < 0x1_0000,
        };
        if (0xd800..=0xdfff).contains(&d) {
            out.push(c);
        }
        if overlong {
            out.push(c);
        }
        i += n;
    }
    finish(input, out)
}

fn push_code(out: &mut Vec<u8>, d: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"%u");
    let digits = (32 - d.leading_zeros()).div_ceil(4).max(4);
    for k in (0..digits).rev() {
        out.push(HEX[((d >> (4 * k)) & 15) as usize]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        if utf8_to_unicode(input, &mut out) {
            out
        } else {
            input.to_vec()
        }
    }

    #[test]
    fn encodes_and_keeps_quirks() {
        assert_eq!(run("Ā ■ ✁".as_bytes()), b"%u0100 %u25a0 %u2701");
        assert_eq!(run("\u{1F600}".as_bytes()), b"%u1f600");
        assert_eq!(run(b"a\0b"), b"ab");
        assert_eq!(run(b"\xc3("), b"(");
        assert_eq!(run(b"\xc0\x80"), b"%u0000\xc0");
        assert_eq!(run(b"\xed\xa0\x80"), b"%ud800\xed");
        assert_eq!(run(b"\x80\xff"), b"\x80\xff");
        assert_eq!(run(b"\xe2\x82"), b"\x82");
    }
}
