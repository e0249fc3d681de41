//! The Apache-config line format: logical lines and words.
//!
//! * Physical lines end with `\n` (a trailing `\r` is dropped).
//! * A line ending in `\` (optionally followed by spaces or tabs) continues on the next line; the
//!   backslash is removed and the next line is appended as is (its indentation stays, and the
//!   action and target parsers skip it). A line ending in `\\` is not a continuation; one
//!   backslash is removed (as Apache's `ap_cfg_getline` does).
//! * A logical line is trimmed; empty lines and lines starting with `#` are skipped. Continuation
//!   is applied first, so a `#` line ending in `\` swallows the next line, as in Apache.
//! * Words (`ap_getword_conf`): separated by whitespace; a word starting with `"` or `'` runs to
//!   the matching quote. Inside it `\\` becomes `\` and `\<quote>` becomes the quote; every other
//!   backslash is kept. Outside quotes only `\\` becomes `\`.
//!
//! Every byte of a logical line and of a word remembers its offset in the file, so parts of a
//! word (one action, one target) get exact spans.

use crate::span::{SourceFile, Span, to_u32};

/// Text with the file offset of each byte.
#[derive(Debug, Clone, Default)]
pub(crate) struct Text {
    /// The text.
    pub(crate) s: String,
    /// File offset of each byte of `s`.
    off: Vec<u32>,
    /// File offset just after the text (for empty ranges at the end).
    end_off: u32,
}

impl Text {
    /// Builds text from bytes and their offsets. The bytes are valid UTF-8 by construction
    /// (they are a UTF-8 string with some ASCII bytes removed); lossy conversion guards it.
    fn from_parts(bytes: Vec<u8>, off: Vec<u32>, end_off: u32) -> Text {
        let s = match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        Text { s, off, end_off }
    }

    /// The text itself.
    pub(crate) fn as_str(&self) -> &str {
        &self.s
    }

    /// File offset of byte `i` (or of the end).
    fn offset(&self, i: usize) -> u32 {
        self.off.get(i).copied().unwrap_or(self.end_off)
    }

    /// Span of the byte range `a..b` of this text.
    pub(crate) fn span(&self, file: &SourceFile, a: usize, b: usize) -> Span {
        let start = self.offset(a);
        let end = if b > a {
            self.off
                .get(b - 1)
                .map_or(self.end_off, |&o| o.saturating_add(1))
        } else {
            start
        };
        file.span(start as usize, end.max(start) as usize)
    }

    /// Span of the whole text.
    pub(crate) fn full_span(&self, file: &SourceFile) -> Span {
        self.span(file, 0, self.s.len())
    }

    /// A sub-text `a..b` with offsets (bounds clamped to char boundaries by the caller).
    pub(crate) fn slice(&self, a: usize, b: usize) -> Text {
        let b = b.min(self.s.len());
        let a = a.min(b);
        Text {
            s: self.s.get(a..b).unwrap_or("").to_owned(),
            off: self.off.get(a..b).map(<[u32]>::to_vec).unwrap_or_default(),
            end_off: if b > a {
                self.off
                    .get(b - 1)
                    .map_or(self.end_off, |&o| o.saturating_add(1))
            } else {
                self.offset(a)
            },
        }
    }

    /// Removes escapes in `a..b`: `\\` becomes `\`, `\<q>` becomes `q` for each `q` in `quotes`;
    /// other backslashes are kept.
    pub(crate) fn unescape(&self, a: usize, b: usize, quotes: &[u8]) -> Text {
        let bytes = self.s.as_bytes();
        let b = b.min(bytes.len());
        let mut out = Vec::with_capacity(b.saturating_sub(a));
        let mut off = Vec::with_capacity(b.saturating_sub(a));
        let mut k = a;
        while k < b {
            let c = bytes[k];
            if c == b'\\' && k + 1 < b && (bytes[k + 1] == b'\\' || quotes.contains(&bytes[k + 1]))
            {
                out.push(bytes[k + 1]);
                off.push(self.offset(k + 1));
                k += 2;
            } else {
                out.push(c);
                off.push(self.offset(k));
                k += 1;
            }
        }
        let end_off = if b > a {
            self.offset(b - 1).saturating_add(1)
        } else {
            self.offset(a)
        };
        Text::from_parts(out, off, end_off)
    }
}

/// One logical line.
#[derive(Debug)]
pub(crate) struct LogicalLine {
    /// The trimmed text (empty when too long).
    pub(crate) text: Text,
    /// File offset where the logical line starts.
    pub(crate) start: usize,
    /// File offset where it ends (after its last physical line's content).
    pub(crate) end: usize,
    /// Set when the line was longer than the limit: its length in bytes.
    pub(crate) too_long: Option<usize>,
}

/// Splits a file into logical lines, skipping blank lines and comments.
pub(crate) fn logical_lines(src: &str, max_len: usize) -> Vec<LogicalLine> {
    let bytes = src.as_bytes();
    let len = bytes.len();
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < len {
        let start = pos;
        let mut buf: Vec<u8> = Vec::new();
        let mut off: Vec<u32> = Vec::new();
        let mut total = 0usize;
        let mut end;
        loop {
            let line_end = memchr::memchr(b'\n', &bytes[pos..]).map_or(len, |i| pos + i);
            let next = if line_end < len { line_end + 1 } else { len };
            let mut content_end = line_end;
            if content_end > pos && bytes[content_end - 1] == b'\r' {
                content_end -= 1;
            }
            let mut e = content_end;
            while e > pos && matches!(bytes[e - 1], b' ' | b'\t') {
                e -= 1;
            }
            let ends_bs = e > pos && bytes[e - 1] == b'\\';
            let escaped_bs = ends_bs && e - 1 > pos && bytes[e - 2] == b'\\';
            let continued = ends_bs && !escaped_bs;
            let take_end = if ends_bs { e - 1 } else { content_end };
            total += take_end - pos;
            if total <= max_len {
                buf.extend_from_slice(&bytes[pos..take_end]);
                off.extend((pos..take_end).map(to_u32));
            }
            end = take_end;
            pos = next;
            if !continued || pos >= len {
                break;
            }
        }
        let too_long = (total > max_len).then_some(total);
        let text = Text::from_parts(buf, off, to_u32(end));
        let trimmed = trim(&text);
        if too_long.is_none() && (trimmed.s.is_empty() || trimmed.s.starts_with('#')) {
            continue;
        }
        if too_long.is_some() && is_comment_start(bytes, start) {
            continue;
        }
        out.push(LogicalLine {
            text: trimmed,
            start,
            end,
            too_long,
        });
    }
    out
}

fn is_comment_start(bytes: &[u8], mut i: usize) -> bool {
    while i < bytes.len() && is_space(bytes[i]) {
        i += 1;
    }
    bytes.get(i) == Some(&b'#')
}

/// `apr_isspace`.
pub(crate) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn trim(t: &Text) -> Text {
    let b = t.s.as_bytes();
    let mut a = 0;
    while a < b.len() && is_space(b[a]) {
        a += 1;
    }
    let mut e = b.len();
    while e > a && is_space(b[e - 1]) {
        e -= 1;
    }
    t.slice(a, e)
}

/// One word of a logical line.
#[derive(Debug)]
pub(crate) struct Word {
    /// The unescaped value.
    pub(crate) text: Text,
    /// Byte range of the raw word (with quotes) in the logical line.
    pub(crate) raw: (usize, usize),
    /// True when the word started with a quote that was never closed.
    pub(crate) unterminated: bool,
}

/// Splits a logical line into words.
pub(crate) fn words(line: &Text) -> Vec<Word> {
    let b = line.s.as_bytes();
    let len = b.len();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < len && is_space(b[i]) {
            i += 1;
        }
        if i >= len {
            break;
        }
        let q = b[i];
        if q == b'"' || q == b'\'' {
            let mut j = i + 1;
            while j < len && b[j] != q {
                if b[j] == b'\\' && j + 1 < len && (b[j + 1] == q || b[j + 1] == b'\\') {
                    j += 2;
                } else {
                    j += 1;
                }
            }
            let text = line.unescape(i + 1, j, &[q]);
            let unterminated = j >= len;
            let end = if unterminated { len } else { j + 1 };
            out.push(Word {
                text,
                raw: (i, end),
                unterminated,
            });
            i = end;
        } else {
            let mut j = i;
            while j < len && !is_space(b[j]) {
                j += 1;
            }
            out.push(Word {
                text: line.unescape(i, j, &[]),
                raw: (i, j),
                unterminated: false,
            });
            i = j;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::FileId;

    fn lines(src: &str) -> Vec<String> {
        logical_lines(src, 1000)
            .into_iter()
            .map(|l| l.text.s)
            .collect()
    }

    #[test]
    fn continuation_comments_and_trim() {
        let src = "# c\n  SecRule A \\\n    B \"x\"\r\n\n   # c2 \\\nswallowed\nSecMarker  END  \n";
        assert_eq!(lines(src), vec!["SecRule A     B \"x\"", "SecMarker  END"]);
    }

    #[test]
    fn escaped_trailing_backslash_is_not_continuation() {
        assert_eq!(lines("A b\\\\\nC\n"), vec!["A b\\", "C"]);
        // Lenient: spaces after the continuation backslash.
        assert_eq!(lines("A \\  \n b\n"), vec!["A  b"]);
        // Continuation at end of file.
        assert_eq!(lines("A \\"), vec!["A"]);
    }

    #[test]
    fn too_long_lines_are_flagged() {
        let l = logical_lines("SecRule aaaaaaaaaa\nok\n", 5);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].too_long, Some(18));
        assert_eq!(l[1].too_long, None);
    }

    #[test]
    fn words_follow_ap_getword_conf() {
        let src = r#"SecRule ARGS "@rx a\"b\\c\x5c" 'it\'s' "unclosed"#;
        let l = logical_lines(src, 1000);
        let w = words(&l[0].text);
        let v: Vec<&str> = w.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(
            v,
            vec!["SecRule", "ARGS", r#"@rx a"b\c\x5c"#, "it's", "unclosed"]
        );
        assert!(w[4].unterminated);
        assert!(!w[2].unterminated);
        // Unquoted: only \\ is an escape.
        let l = logical_lines(r#"A b\\c\"d"#, 100);
        let w = words(&l[0].text);
        assert_eq!(w[1].text.as_str(), r#"b\c\"d"#);
    }

    #[test]
    fn offsets_survive_continuation_and_unescape() {
        let src = "SecRule A \\\n  \"x\\\"y\"\n";
        let file = SourceFile::new(FileId(0), "f".into(), src.into());
        let l = logical_lines(src, 1000);
        let w = words(&l[0].text);
        let t = &w[2].text;
        assert_eq!(t.as_str(), "x\"y");
        let s = t.span(&file, 2, 3); // "y"
        assert_eq!(&src[s.start as usize..s.end as usize], "y");
        assert_eq!((s.line, s.column), (2, 7));
        let s = t.full_span(&file);
        assert_eq!(&src[s.start as usize..s.end as usize], "x\\\"y");
    }
}
