//! `htmlEntityDecode`.

use super::{copy_until, finish, start};

/// Named entities decoded, compared ignoring ASCII case against the whole alphanumeric
/// run after `&`. The set is the one current ModSecurity v2 decodes (its tests after
/// advisory GHSA-cxqf-vgrr-xxrv): the HTML entities whose value is one ASCII character,
/// plus `nbsp`/`NonBreakingSpace` (0xA0) and `shy` (0xAD). Entities whose value is not
/// ASCII (`&caret;`, `&hyphen;`, `&tilde;`, ...) are left alone.
/// (The table is the reference the `match` in [`named`] is checked against.)
#[cfg(test)]
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

/// Longest name in [`NAMED`].
const NAME_MAX: usize = 16;

fn named(name: &[u8]) -> Option<u8> {
    if name.len() > NAME_MAX {
        return None;
    }
    let mut buf = [0u8; NAME_MAX];
    let lower = &mut buf[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    // A `match` on byte strings compiles to a length switch and a few compares: much
    // cheaper than scanning the table (the test below keeps both in step).
    let b = match &*lower {
        b"amp" => b'&',
        b"apos" => b'\'',
        b"ast" => b'*',
        b"bsol" => b'\\',
        b"colon" => b':',
        b"comma" => b',',
        b"commat" => b'@',
        b"diacriticalgrave" => b'`',
        b"dollar" => b'$',
        b"equals" => b'=',
        b"excl" => b'!',
        b"grave" => b'`',
        b"gt" => b'>',
        b"hat" => b'^',
        b"lbrace" => b'{',
        b"lbrack" => b'[',
        b"lcub" => b'{',
        b"lowbar" => b'_',
        b"lpar" => b'(',
        b"lsqb" => b'[',
        b"lt" => b'<',
        b"midast" => b'*',
        b"nbsp" => 0xa0,
        b"newline" => b'\n',
        b"nonbreakingspace" => 0xa0,
        b"num" => b'#',
        b"percnt" => b'%',
        b"period" => b'.',
        b"plus" => b'+',
        b"quest" => b'?',
        b"quot" => b'"',
        b"rbrace" => b'}',
        b"rbrack" => b']',
        b"rcub" => b'}',
        b"rpar" => b')',
        b"rsqb" => b']',
        b"semi" => b';',
        b"shy" => 0xad,
        b"sol" => b'/',
        b"tab" => b'\t',
        b"underbar" => b'_',
        b"verbar" => b'|',
        b"vert" => b'|',
        b"verticalline" => b'|',
        _ => return None,
    };
    Some(b)
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
    // Nothing is copied until the first `&` that really starts an entity.
    let Some((at, (b, used))) =
        memchr::memchr_iter(b'&', input).find_map(|i| entity_at(input, i).map(|e| (i, e)))
    else {
        return false;
    };
    start(input, at, out);
    out.push(b);
    let mut i = at + used;
    while i < input.len() {
        i = copy_until(input, i, b'&', out);
        if i >= input.len() {
            break;
        }
        match entity_at(input, i) {
            Some((b, used)) => {
                out.push(b);
                i += used;
            }
            None => {
                out.push(b'&');
                i += 1;
            }
        }
    }
    finish(input, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lowercase_sorted_and_short() {
        assert!(NAMED.windows(2).all(|w| w[0].0 < w[1].0));
        for &(a, b) in NAMED {
            assert_eq!(a, a.to_ascii_lowercase());
            assert!(a.len() <= NAME_MAX);
            assert_eq!(named(a.as_bytes()), Some(b), "{a}");
            assert_eq!(named(a.to_ascii_uppercase().as_bytes()), Some(b), "{a}");
        }
        assert_eq!(named(b"ampx"), None);
        assert_eq!(named(b"am"), None);
    }

    #[test]
    fn numeric_overflow_saturates_like_strtol() {
        assert_eq!(strtol_low_byte(b"99999999999999999999999", 10), 0xff);
        assert_eq!(strtol_low_byte(b"141", 16), 0x41);
    }
}
