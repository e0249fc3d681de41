//! Transformation functions (`t:name`) with ModSecurity v2 byte semantics.
//!
//! Every transformation is a [`TransformFn`]: it reads `input` and, when the result
//! differs from the input, writes the result into `out` (clearing it first) and returns
//! `true`. When it returns `false` the input *is* the result and the content of `out` is
//! unspecified (most functions leave it untouched; none allocate when nothing changes).
//! Functions find the first byte that needs work with `memchr` or a short scan and copy
//! the untouched prefix in one go, so benign values cost a scan and nothing else.
//!
//! [`TRANSFORMATIONS`] is the one registry: the engine, the docs and the "unknown
//! transformation" errors all come from it. [`lookup`] is case-insensitive, as
//! ModSecurity's (APR table) lookup is.

mod bestfit20127;
mod codec;
mod comments;
mod escapes;
mod html;
mod path;
mod text;
mod unicode;
mod url;

/// A transformation: `input` in, result in `out` when it returns `true` (changed).
///
/// When it returns `false` the result is `input` itself and `out` holds unspecified bytes.
pub type TransformFn = fn(input: &[u8], out: &mut Vec<u8>) -> bool;

/// One entry of the transformation registry.
#[derive(Debug)]
pub struct TransformationDef {
    /// The name as ModSecurity spells it (lookup ignores case).
    pub name: &'static str,
    /// The function.
    pub func: TransformFn,
    /// One line for the generated reference.
    pub doc: &'static str,
}

/// Every transformation this engine knows, in ModSecurity's spelling.
///
/// `none` is a no-op here; resetting the transformation chain is the engine's job.
pub static TRANSFORMATIONS: &[TransformationDef] = &[
    def(
        "none",
        none,
        "No-op; in a rule it discards the inherited transformation chain.",
    ),
    def(
        "base64Decode",
        codec::base64_decode,
        "Decode the leading run of valid base64 (RFC 4648 alphabet); stop at the first other byte.",
    ),
    def(
        "base64DecodeExt",
        codec::base64_decode_ext,
        "Forgiving base64: skip bytes outside the alphabet, accept `-`/`_`; empty result on bad padding.",
    ),
    def(
        "base64Encode",
        codec::base64_encode,
        "Encode as base64 with padding.",
    ),
    def(
        "cmdLine",
        text::cmd_line,
        "Windows/Unix command-line normalisation: delete \\ \" ' ^, fold , ; and whitespace runs to one space, drop that space before / and (, lowercase.",
    ),
    def(
        "compressWhitespace",
        text::compress_whitespace,
        "Replace each run of whitespace (isspace or 0xA0) with one space.",
    ),
    def(
        "cssDecode",
        escapes::css_decode,
        "Decode CSS 2 escapes (\\HHHHHH with the last two hex digits, \\c, line continuation).",
    ),
    def(
        "escapeSeqDecode",
        escapes::escape_seq_decode,
        "Decode ANSI C escapes (\\n \\t \\xHH \\OOO ...).",
    ),
    def(
        "hexDecode",
        codec::hex_decode,
        "Decode pairs of hex digits; other pairs and an odd last byte stay.",
    ),
    def(
        "hexEncode",
        codec::hex_encode,
        "Encode each byte as two lowercase hex digits.",
    ),
    def(
        "htmlEntityDecode",
        html::html_entity_decode,
        "Decode &#DD; &#xHH; and named ASCII entities, with or without the trailing `;`.",
    ),
    def(
        "jsDecode",
        escapes::js_decode,
        "Decode JavaScript escapes (\\uHHHH low byte with full-width fold, \\xHH, \\OOO, \\n ...).",
    ),
    def(
        "length",
        text::length,
        "Replace the value with its length in bytes, in decimal.",
    ),
    def("lowercase", text::lowercase, "ASCII lowercase."),
    def(
        "md5",
        codec::md5,
        "Replace the value with its binary MD5 digest.",
    ),
    def(
        "normalisePath",
        path::normalize_path,
        "Alias of normalizePath.",
    ),
    def(
        "normalisePathWin",
        path::normalize_path_win,
        "Alias of normalizePathWin.",
    ),
    def(
        "normalizePath",
        path::normalize_path,
        "Remove /./, resolve /../ (never above the root), collapse repeated slashes.",
    ),
    def(
        "normalizePathWin",
        path::normalize_path_win,
        "normalizePath after converting \\ to /.",
    ),
    def(
        "parityEven7bit",
        text::parity_even_7bit,
        "Set bit 7 so each byte has even parity.",
    ),
    def(
        "parityOdd7bit",
        text::parity_odd_7bit,
        "Set bit 7 so each byte has odd parity.",
    ),
    def(
        "parityZero7bit",
        text::parity_zero_7bit,
        "Clear bit 7 of each byte.",
    ),
    def(
        "removeComments",
        comments::remove_comments,
        "Delete /* */ and <!-- --> comments; a `--` or `#` ends the value.",
    ),
    def(
        "removeCommentsChar",
        comments::remove_comments_char,
        "Delete the comment markers /* */ <!-- --> -- and #.",
    ),
    def("removeNulls", text::remove_nulls, "Delete NUL bytes."),
    def(
        "removeWhitespace",
        text::remove_whitespace,
        "Delete whitespace (isspace or 0xA0).",
    ),
    def(
        "replaceComments",
        comments::replace_comments,
        "Replace each /* */ comment (also unterminated) with one space.",
    ),
    def(
        "replaceNulls",
        text::replace_nulls,
        "Replace NUL bytes with spaces.",
    ),
    def(
        "sha1",
        codec::sha1,
        "Replace the value with its binary SHA-1 digest.",
    ),
    def(
        "sqlHexDecode",
        codec::sql_hex_decode,
        "Decode SQL hex literals 0xHHHH... in place.",
    ),
    def(
        "trim",
        text::trim,
        "Remove leading and trailing whitespace (isspace).",
    ),
    def(
        "trimLeft",
        text::trim_left,
        "Remove leading whitespace (isspace).",
    ),
    def(
        "trimRight",
        text::trim_right,
        "Remove trailing whitespace (isspace).",
    ),
    def("uppercase", text::uppercase, "ASCII uppercase."),
    def(
        "urlDecode",
        url::url_decode,
        "Decode %HH and + ; invalid % sequences stay as they are.",
    ),
    def(
        "urlDecodeUni",
        url::url_decode_uni,
        "urlDecode plus IIS %uHHHH (low byte, full-width ASCII folded).",
    ),
    def(
        "urlEncode",
        url::url_encode,
        "Percent-encode all but [A-Za-z0-9*]; space becomes +.",
    ),
    def(
        "utf8toUnicode",
        unicode::utf8_to_unicode,
        "Replace multi-byte UTF-8 sequences with %uHHHH.",
    ),
];

const fn def(name: &'static str, func: TransformFn, doc: &'static str) -> TransformationDef {
    TransformationDef { name, func, doc }
}

/// Finds a transformation by name, ignoring ASCII case (as ModSecurity does).
pub fn lookup(name: &str) -> Option<&'static TransformationDef> {
    TRANSFORMATIONS
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(name))
}

/// Runs a chain of transformations with two reusable buffers.
///
/// Only the buffers grow; nothing else allocates. The engine keeps one per worker.
#[derive(Debug, Default)]
pub struct Pipeline {
    a: Vec<u8>,
    b: Vec<u8>,
}

impl Pipeline {
    /// Creates a pipeline with empty buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies `chain` in order to `input` and returns the final value.
    pub fn run<'s>(&'s mut self, input: &'s [u8], chain: &[TransformFn]) -> &'s [u8] {
        // Where the current value lives: 0 = input, 1 = a, 2 = b.
        let mut at = 0u8;
        for f in chain {
            at = match at {
                0 => {
                    if f(input, &mut self.a) {
                        1
                    } else {
                        0
                    }
                }
                1 => {
                    if f(&self.a, &mut self.b) {
                        2
                    } else {
                        1
                    }
                }
                _ => {
                    if f(&self.b, &mut self.a) {
                        1
                    } else {
                        2
                    }
                }
            };
        }
        match at {
            0 => input,
            1 => &self.a,
            _ => &self.b,
        }
    }
}

/// Applies one transformation and returns the resulting value.
pub fn apply<'a>(func: TransformFn, input: &'a [u8], out: &'a mut Vec<u8>) -> &'a [u8] {
    if func(input, out) { out } else { input }
}

fn none(_input: &[u8], _out: &mut Vec<u8>) -> bool {
    false
}

/// Starts a result: clears `out` and copies the untouched prefix `input[..at]`.
fn start(input: &[u8], at: usize, out: &mut Vec<u8>) {
    out.clear();
    out.reserve(input.len());
    out.extend_from_slice(&input[..at]);
}

/// Copies `input[i..]` up to (not including) the next `needle` into `out`; returns the
/// needle's index, or `input.len()` when there is none.
fn copy_until(input: &[u8], i: usize, needle: u8, out: &mut Vec<u8>) -> usize {
    match memchr::memchr(needle, &input[i..]) {
        Some(k) => {
            out.extend_from_slice(&input[i..i + k]);
            i + k
        }
        None => {
            out.extend_from_slice(&input[i..]);
            input.len()
        }
    }
}

/// Ends a result: reports whether it differs from the input.
fn finish(input: &[u8], out: &[u8]) -> bool {
    out != input
}

/// C `isspace` in the "C" locale.
pub(crate) const fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Value of an ASCII hex digit; the caller has checked it is one.
const fn hex_val(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

/// ModSecurity's `x2c`: two hex digits to a byte, with its arithmetic for non-hex input
/// (it does not validate; callers check the digits).
const fn x2c(hi: u8, lo: u8) -> u8 {
    const fn digit(c: u8) -> u8 {
        if c >= b'A' {
            ((c & 0xdf).wrapping_sub(b'A')).wrapping_add(10)
        } else {
            c.wrapping_sub(b'0')
        }
    }
    digit(hi).wrapping_mul(16).wrapping_add(digit(lo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_ignoring_case() {
        for (i, a) in TRANSFORMATIONS.iter().enumerate() {
            for b in &TRANSFORMATIONS[i + 1..] {
                assert!(!a.name.eq_ignore_ascii_case(b.name), "duplicate {}", a.name);
            }
        }
    }

    #[test]
    fn lookup_ignores_case() {
        assert_eq!(lookup("URLDECODEUNI").map(|d| d.name), Some("urlDecodeUni"));
        assert_eq!(lookup("cmdline").map(|d| d.name), Some("cmdLine"));
        assert_eq!(
            lookup("Utf8toUnicode").map(|d| d.name),
            Some("utf8toUnicode")
        );
        assert!(lookup("noSuchThing").is_none());
    }

    #[test]
    fn crs_v4_transformations_are_all_present() {
        for name in [
            "none",
            "urlDecodeUni",
            "lowercase",
            "jsDecode",
            "htmlEntityDecode",
            "utf8toUnicode",
            "removeNulls",
            "cssDecode",
            "cmdLine",
            "removeWhitespace",
            "replaceComments",
            "normalizePath",
            "escapeSeqDecode",
            "compressWhitespace",
            "normalizePathWin",
            "length",
            "base64Decode",
            "sha1",
            "hexEncode",
            "removeCommentsChar",
        ] {
            assert!(lookup(name).is_some(), "{name} missing");
        }
    }

    #[test]
    fn pipeline_chains_and_skips_unchanged() {
        let mut p = Pipeline::new();
        let chain = [
            lookup("urlDecodeUni").map(|d| d.func),
            lookup("lowercase").map(|d| d.func),
            lookup("none").map(|d| d.func),
            lookup("compressWhitespace").map(|d| d.func),
        ];
        let chain: Vec<TransformFn> = chain.into_iter().flatten().collect();
        assert_eq!(p.run(b"A%20%20B", &chain), b"a b");
        assert_eq!(p.run(b"plain", &chain), b"plain");
    }

    #[test]
    fn x2c_matches_modsecurity_arithmetic() {
        assert_eq!(x2c(b'4', b'1'), 0x41);
        assert_eq!(x2c(b'f', b'F'), 0xff);
        // Not validated: 'g' is 16 in x2c's arithmetic.
        assert_eq!(x2c(b'0', b'g'), 16);
    }
}
