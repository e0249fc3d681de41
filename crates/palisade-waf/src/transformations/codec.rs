//! Encodings and digests: base64, hex, SQL hex, MD5, SHA-1.

use md5::Digest as _;

use super::{finish, start, x2c};

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard alphabet value, as APR's decoder knows it.
const fn b64_std(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Accumulates 6-bit groups and emits whole bytes.
struct Sextets {
    acc: u32,
    bits: u32,
}

impl Sextets {
    fn push(&mut self, v: u8, out: &mut Vec<u8>) {
        self.acc = (self.acc << 6) | u32::from(v);
        self.bits += 6;
        if self.bits >= 8 {
            self.bits -= 8;
            out.push(((self.acc >> self.bits) & 0xff) as u8);
            self.acc &= (1 << self.bits) - 1;
        }
    }
}

/// `base64Decode` (APR's decoder): decodes the leading run of standard-alphabet bytes
/// and ignores everything from the first other byte (`=`, whitespace, NUL, ...) on. A
/// final group of one character yields nothing. Nothing decodable gives an empty value.
pub(super) fn base64_decode(input: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let mut s = Sextets { acc: 0, bits: 0 };
    for &b in input {
        let Some(v) = b64_std(b) else { break };
        s.push(v, out);
    }
    finish(input, out)
}

/// `base64DecodeExt` (ModSecurity's forgiving decoder): skips bytes outside the
/// alphabet, accepts the URL-safe `-` and `_`, stops at a NUL, and gives an empty value
/// when a `=` follows a lone character of a group (unless another `=` follows).
pub(super) fn base64_decode_ext(input: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let mut s = Sextets { acc: 0, bits: 0 };
    let mut count = 0usize;
    for (k, &b) in input.iter().enumerate() {
        if b == 0 {
            break;
        }
        if b == b'=' {
            let next = input.get(k + 1).copied().unwrap_or(0);
            if next != b'=' && count % 4 == 1 {
                out.clear();
                return finish(input, out);
            }
            continue;
        }
        let v = match b {
            b'-' => Some(62),
            b'_' => Some(63),
            _ => b64_std(b),
        };
        if let Some(v) = v {
            s.push(v, out);
            count += 1;
        }
    }
    finish(input, out)
}

/// `base64Encode`, standard alphabet with `=` padding.
pub(super) fn base64_encode(input: &[u8], out: &mut Vec<u8>) -> bool {
    if input.is_empty() {
        return false;
    }
    out.clear();
    out.reserve(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from_be_bytes([0, b[0], b[1], b[2]]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * k)) & 63) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
    true
}

/// `hexDecode`: each pair of hex digits becomes a byte; a pair that is not two hex
/// digits, and an odd last byte, are copied as they are (current ModSecurity v2).
pub(super) fn hex_decode(input: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let pairs = input.chunks_exact(2);
    let rest = pairs.remainder();
    for p in pairs {
        if p[0].is_ascii_hexdigit() && p[1].is_ascii_hexdigit() {
            out.push(x2c(p[0], p[1]));
        } else {
            out.extend_from_slice(p);
        }
    }
    out.extend_from_slice(rest);
    finish(input, out)
}

/// `hexEncode`: two lowercase hex digits per byte.
pub(super) fn hex_encode(input: &[u8], out: &mut Vec<u8>) -> bool {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    if input.is_empty() {
        return false;
    }
    out.clear();
    out.reserve(input.len() * 2);
    for &b in input {
        out.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
    }
    true
}

/// `sqlHexDecode`: `0x` followed by at least one pair of hex digits decodes the pairs;
/// the byte right after the run is copied as is. ModSecurity works on a C string here:
/// the value ends at the first NUL of the input and of the output.
pub(super) fn sql_hex_decode(input: &[u8], out: &mut Vec<u8>) -> bool {
    let data = match memchr::memchr(0, input) {
        Some(n) => &input[..n],
        None => input,
    };
    let hex = |k: usize| data.get(k).is_some_and(u8::is_ascii_hexdigit);
    let starts_literal = |k: usize| {
        data[k] == b'0' && matches!(data.get(k + 1), Some(b'x' | b'X')) && hex(k + 2) && hex(k + 3)
    };
    let Some(at) = (0..data.len()).find(|&k| starts_literal(k)) else {
        if data.len() == input.len() {
            return false;
        }
        out.clear();
        out.extend_from_slice(data);
        return true;
    };
    start(data, at, out);
    let mut i = at;
    while i < data.len() {
        if starts_literal(i) {
            i += 2;
            while hex(i) && hex(i + 1) {
                out.push(x2c(data[i], data[i + 1]));
                i += 2;
            }
            if i < data.len() {
                out.push(data[i]);
                i += 1;
            }
        } else {
            out.push(data[i]);
            i += 1;
        }
    }
    if let Some(n) = memchr::memchr(0, out) {
        out.truncate(n);
    }
    finish(input, out)
}

/// `md5`: the 16-byte binary digest.
pub(super) fn md5(input: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    out.extend_from_slice(&md5::Md5::digest(input));
    true
}

/// `sha1`: the 20-byte binary digest.
pub(super) fn sha1(input: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    out.extend_from_slice(&sha1::Sha1::digest(input));
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
    fn base64_roundtrip_and_stop() {
        for s in [&b"TestCase"[..], b"TestCase1", b"TestCase12", b"\0\xff"] {
            let enc = run(base64_encode, s);
            assert_eq!(run(base64_decode, &enc), s);
        }
        assert_eq!(
            run(base64_decode, b"VGVzdENhc2U=\0VGVzdENhc2U="),
            b"TestCase"
        );
        assert_eq!(run(base64_decode, b"VGVzdA==garbage"), b"Test");
        assert_eq!(run(base64_decode, b"!!"), b"");
    }

    #[test]
    fn base64_ext_is_forgiving() {
        assert_eq!(
            run(base64_decode_ext, b"P.HNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
            b"<script>alert(1)</script>"
        );
        assert_eq!(run(base64_decode_ext, b"dzBzV==YWxlcnQoMSk="), b"");
        assert_eq!(run(base64_decode_ext, b"VG=Vz"), b"Tes");
        assert_eq!(run(base64_decode_ext, b"eHh-"), b"xx~");
    }

    #[test]
    fn hex_and_sql_hex() {
        assert_eq!(run(hex_decode, b"4142434"), b"ABC4");
        assert_eq!(run(hex_decode, b"0a0z41"), b"\n0zA");
        assert_eq!(run(hex_encode, b"AB\xff"), b"4142ff");
        assert_eq!(
            run(sql_hex_decode, b"SELECT 0x414243,0x4"),
            b"SELECT ABC,0x4"
        );
        assert_eq!(run(sql_hex_decode, b"a0x4100b"), b"aA");
    }

    #[test]
    fn digests() {
        assert_eq!(
            run(sha1, b"abc"),
            b"\xa9\x99\x3e\x36\x47\x06\x81\x6a\xba\x3e\x25\x71\x78\x50\xc2\x6c\x9c\xd0\xd8\x9d"
        );
        assert_eq!(run(md5, b"").len(), 16);
    }
}
