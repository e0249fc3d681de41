//! `htmlEntityDecode`.

use super::{finish, start};

/// Named entities decoded, compared ignoring ASCII case against the whole alphanumeric
/// run after `&`. The set is the one current ModSecurity v2 decodes (its tests after
/// advisory GHSA-cxqf-vgrr-xxrv): the HTML entities whose value is one ASCII character,
/// plus `nbsp`/`NonBreakingSpace` (0xA0) and `shy` (0xAD). Entities whose value is not
/// ASCII (`&caret;`, `&hyphen;`, `&tilde;`, ...) are left alone.
static NAMED: &[(&str, u8)] = &[
    ("amp", b'&'),
    ("apos", b'\''),
    ("ast", b'*'),
    ("bsol", b'\\'),
    ("colon", b':'),
    ("comma", b','),
    ("commat", b'@'),
    ("diacriticalgrave", b'`'),
    ("dollar", b'$'),
    ("equals", b'='),
    ("excl", b'!'),
    ("grave", b'`'),
    ("gt", b'>'),
    ("hat", b'^'),
    ("lbrace", b'{'),
    ("lbrack", b'['),
    ("lcub", b'{'),
    ("lowbar", b'_'),
    ("lpar", b'('),
    ("lsqb", b'['),
    ("lt", b'<'),
    ("midast", b'*'),
    ("nbsp", 0xa0),
    ("newline", b'\n'),
    ("nonbreakingspace", 0xa0),
    ("num", b'#'),
    ("percnt", b'%'),
    ("period", b'.'),
    ("plus", b'+'),
    ("quest", b'?'),
    ("quot", b'"'),
    ("rbrace", b'}'),
    ("rbrack", b']'),
    ("rcub", b'}'),
    ("rpar", b')'),
    ("rsqb", b']'),
    ("semi", b';'),
    ("shy", 0xad),
    ("sol", b'/'),
    ("tab", b'\t'),
    ("underbar", b'_'),
    ("verbar", b'|'),
    ("vert", b'|'),
    ("verticalline", b'|'),
];

fn named(name: &[u8]) -> Option<u8> {
    NAMED
        .iter()
        .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
        .map(|&(_, b)| b)
}

/// Parses a run of digits in `radix` like C `strtol` (saturating at `LONG_MAX`) and
/// keeps the low byte, as ModSecurity's `(unsigned char)strtol(...)` does.
fn strtol_low_byte(digits: &[u8], radix: u32) -> u8 {
    let mut v: u64 = 0;
    for &d in digits {
        let x = u64::from(char::from(d).to_digit(radix).unwrap_or(0));
        v = v
            .saturating_mul(u64::from(radix))
            .saturating_add(x)
            .min(i64::MAX as u64);
    }
    v.to_le_bytes()[0]
}

/// Decodes the entity starting at `input[i] == b'&'`: `(byte, bytes consumed)`.
fn entity_at(input: &[u8], i: usize) -> Option<(u8, usize)> {
    let len = input.len();
    if i + 1 >= len {
        return None;
    }
    let (value, end) = if input[i + 1] == b'#' {
        let hex = i + 2 < len && matches!(input[i + 2], b'x' | b'X');
        let k = if hex { i + 3 } else { i + 2 };
        if k >= len {
            return None;
        }
        let n = input[k..]
            .iter()
            .take_while(|b| {
                if hex {
                    b.is_ascii_hexdigit()
                } else {
                    b.is_ascii_digit()
                }
            })
            .count();
        if n == 0 {
            return None;
        }
        (
            strtol_low_byte(&input[k..k + n], if hex { 16 } else { 10 }),
            k + n,
        )
    } else {
        let k = i + 1;
        let n = input[k..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        (named(&input[k..k + n])?, k + n)
    };
    let end = if input.get(end) == Some(&b';') {
        end + 1
    } else {
        end
    };
    Some((value, end - i))
}

/// `htmlEntityDecode`: `&#DD;`, `&#xHH;` (low byte of the value) and the named
/// entities above, each with or without the trailing `;`. Anything else is kept.
pub(super) fn html_entity_decode(input: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(at) = memchr::memchr(b'&', input) else {
        return false;
    };
    start(input, at, out);
    let mut i = at;
    while i < input.len() {
        if input[i] == b'&'
            && let Some((b, used)) = entity_at(input, i)
        {
            out.push(b);
            i += used;
            continue;
        }
        out.push(input[i]);
        i += 1;
    }
    finish(input, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lowercase_and_unique() {
        for (i, (a, _)) in NAMED.iter().enumerate() {
            assert_eq!(*a, a.to_ascii_lowercase());
            assert!(NAMED[i + 1..].iter().all(|(b, _)| b != a), "{a}");
        }
    }

    #[test]
    fn numeric_overflow_saturates_like_strtol() {
        assert_eq!(strtol_low_byte(b"99999999999999999999999", 10), 0xff);
        assert_eq!(strtol_low_byte(b"141", 16), 0x41);
    }
}
