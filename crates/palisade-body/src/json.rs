//! JSON bodies flattened to `ARGS`, named the way Coraza names them.
//!
//! Naming rule: the root is `json`; an object member appends `.` and its key; an array
//! element appends `.` and its zero-based index; and every array also yields one argument
//! under its own name holding its length. So `{"a":{"b":[1,{"c":"x"}]}}` yields
//! `json.a.b.0 = 1`, `json.a.b.1.c = x` and `json.a.b = 2`, and a top-level scalar `5`
//! yields `json = 5`. This is Coraza's convention (`internal/bodyprocessors/json_test.go`).
//! CRS relies on the `json.` prefix and dotted object keys (regression test 942362-33, and
//! the exclusion `!ARGS_NAMES:json.profile` in REQUEST-999, "libModSecurity3/Coraza only"),
//! and on the key of an array being an argument name of its own (934210-13 looks for
//! `ARGS_NAMES` ending in a Django lookup such as `__contained_by` whose value is a list).
//! libModSecurity v3 (`request_body_processor/json.cc`) instead appends `.array_0`, ... and
//! names a container inside an array after the last key seen, which this crate does not
//! imitate. Empty objects emit nothing; an empty array emits its length, `0`.
//!
//! Leaf values: strings unescaped (`\uXXXX` to UTF-8, surrogate pairs combined, a lone
//! surrogate is an error); numbers as their source text; `true`/`false` as text; `null` as
//! the empty string. Raw bytes in strings are passed through unchanged (not UTF-8 checked);
//! raw control characters below 0x20 are an error, as in strict JSON. An empty body yields no
//! arguments (ModSecurity does not run a processor on an empty body). Nesting deeper than
//! [`Limits::max_json_depth`] is an error. The parser is iterative, so depth never costs stack.

use crate::{Arg, BodyError, Limits};

/// Parses `body` and returns the flattened arguments in document order.
pub fn parse(body: &[u8], limits: &Limits) -> Result<Vec<Arg>, BodyError> {
    Parser {
        b: body,
        i: 0,
        limits,
        out: Vec::new(),
    }
    .run()
}

enum Frame {
    Object { base: usize },
    Array { base: usize, index: usize },
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    limits: &'a Limits,
    out: Vec<Arg>,
}

impl Parser<'_> {
    fn run(mut self) -> Result<Vec<Arg>, BodyError> {
        if self.b.is_empty() {
            return Ok(self.out);
        }
        let mut path = b"json".to_vec();
        let mut stack: Vec<Frame> = Vec::new();
        'value: loop {
            // Expect a value at self.i.
            self.ws();
            match self.peek() {
                Some(b'{') => {
                    self.i += 1;
                    self.depth(stack.len())?;
                    stack.push(Frame::Object { base: path.len() });
                    self.ws();
                    if self.peek() == Some(b'}') {
                        self.i += 1;
                        stack.pop();
                    } else {
                        let base = path.len();
                        self.key(&mut path, base)?;
                        continue 'value;
                    }
                }
                Some(b'[') => {
                    self.i += 1;
                    self.depth(stack.len())?;
                    stack.push(Frame::Array {
                        base: path.len(),
                        index: 0,
                    });
                    self.ws();
                    if self.peek() == Some(b']') {
                        self.i += 1;
                        stack.pop();
                        self.emit(&path, b"0".to_vec())?;
                    } else {
                        path.extend_from_slice(b".0");
                        continue 'value;
                    }
                }
                Some(b'"') => {
                    let s = self.string()?;
                    self.emit(&path, s)?;
                }
                Some(b't') => self.literal(b"true", &path)?,
                Some(b'f') => self.literal(b"false", &path)?,
                Some(b'n') => {
                    self.word(b"null")?;
                    self.emit(&path, Vec::new())?;
                }
                Some(b'-' | b'0'..=b'9') => {
                    let start = self.i;
                    self.number()?;
                    let text = self.b[start..self.i].to_vec();
                    self.emit(&path, text)?;
                }
                Some(_) => return Err(self.err("unexpected character")),
                None => return Err(self.err("premature EOF")),
            }
            // After a value: close containers or move to the next member.
            loop {
                self.ws();
                let Some(top) = stack.last_mut() else {
                    if self.i != self.b.len() {
                        return Err(self.err("trailing garbage"));
                    }
                    return Ok(self.out);
                };
                match (top, self.peek()) {
                    (Frame::Object { base }, Some(b',')) => {
                        let base = *base;
                        self.i += 1;
                        self.ws();
                        self.key(&mut path, base)?;
                        continue 'value;
                    }
                    (Frame::Array { base, index }, Some(b',')) => {
                        self.i += 1;
                        *index += 1;
                        path.truncate(*base);
                        path.push(b'.');
                        path.extend_from_slice(index.to_string().as_bytes());
                        continue 'value;
                    }
                    (Frame::Object { base }, Some(b'}')) => {
                        self.i += 1;
                        path.truncate(*base);
                        stack.pop();
                    }
                    (Frame::Array { base, index }, Some(b']')) => {
                        self.i += 1;
                        let len = (*index + 1).to_string().into_bytes();
                        path.truncate(*base);
                        stack.pop();
                        self.emit(&path, len)?;
                    }
                    (_, None) => return Err(self.err("premature EOF")),
                    _ => return Err(self.err("unexpected character")),
                }
            }
        }
    }

    fn depth(&self, open: usize) -> Result<(), BodyError> {
        if open >= self.limits.max_json_depth {
            return Err(BodyError::JsonDepth {
                limit: self.limits.max_json_depth,
            });
        }
        Ok(())
    }

    /// Parses `"key" :` and sets `path` to `path[..base] + "." + key`.
    fn key(&mut self, path: &mut Vec<u8>, base: usize) -> Result<(), BodyError> {
        if self.peek() != Some(b'"') {
            return Err(self.err("object key expected"));
        }
        let k = self.string()?;
        self.ws();
        if self.peek() != Some(b':') {
            return Err(self.err("':' expected"));
        }
        self.i += 1;
        path.truncate(base);
        path.push(b'.');
        path.extend_from_slice(&k);
        Ok(())
    }

    fn emit(&mut self, path: &[u8], value: Vec<u8>) -> Result<(), BodyError> {
        if self.out.len() >= self.limits.max_args {
            return Err(BodyError::TooManyArgs {
                limit: self.limits.max_args,
            });
        }
        if path.len() > self.limits.max_arg_name_len {
            return Err(BodyError::ArgNameTooLong {
                limit: self.limits.max_arg_name_len,
            });
        }
        if value.len() > self.limits.max_arg_value_len {
            return Err(BodyError::ArgValueTooLong {
                limit: self.limits.max_arg_value_len,
            });
        }
        self.out.push((path.to_vec(), value));
        Ok(())
    }

    fn literal(&mut self, word: &'static [u8], path: &[u8]) -> Result<(), BodyError> {
        self.word(word)?;
        self.emit(path, word.to_vec())
    }

    fn word(&mut self, word: &[u8]) -> Result<(), BodyError> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(self.err("invalid literal"))
        }
    }

    fn number(&mut self) -> Result<(), BodyError> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.err("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("invalid number"));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("invalid number"));
            }
            self.digits();
        }
        Ok(())
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
    }

    /// Parses a string starting at the opening quote; returns the unescaped bytes.
    fn string(&mut self) -> Result<Vec<u8>, BodyError> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let rest = &self.b[self.i..];
            let Some(j) = rest
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
            else {
                self.i = self.b.len();
                return Err(self.err("premature EOF in string"));
            };
            out.extend_from_slice(&rest[..j]);
            self.i += j;
            match self.b[self.i] {
                b'"' => {
                    self.i += 1;
                    if out.len()
                        > self
                            .limits
                            .max_arg_value_len
                            .max(self.limits.max_arg_name_len)
                    {
                        return Err(BodyError::ArgValueTooLong {
                            limit: self.limits.max_arg_value_len,
                        });
                    }
                    return Ok(out);
                }
                b'\\' => {
                    self.i += 1;
                    let Some(c) = self.peek() else {
                        return Err(self.err("premature EOF in string"));
                    };
                    self.i += 1;
                    match c {
                        b'"' | b'\\' | b'/' => out.push(c),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let cp = self.unicode_escape()?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(cp.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Err(self.err("invalid escape")),
                    }
                }
                _ => return Err(self.err("control character in string")),
            }
        }
    }

    /// After `\u`: reads 4 hex digits (and a low surrogate escape if needed).
    fn unicode_escape(&mut self) -> Result<char, BodyError> {
        let hi = self.hex4()?;
        let cp = if (0xD800..0xDC00).contains(&hi) {
            if !self.b[self.i..].starts_with(b"\\u") {
                return Err(self.err("lone surrogate"));
            }
            self.i += 2;
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.err("invalid surrogate pair"));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else if (0xDC00..0xE000).contains(&hi) {
            return Err(self.err("lone surrogate"));
        } else {
            hi
        };
        char::from_u32(cp).ok_or_else(|| self.err("invalid code point"))
    }

    fn hex4(&mut self) -> Result<u32, BodyError> {
        let Some(digits) = self.b.get(self.i..self.i + 4) else {
            return Err(self.err("invalid \\u escape"));
        };
        let mut v = 0u32;
        for &d in digits {
            let n = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.err("invalid \\u escape"))?;
            v = v << 4 | n;
        }
        self.i += 4;
        Ok(v)
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn err(&self, message: &'static str) -> BodyError {
        BodyError::Json {
            message,
            offset: self.i,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(s: &str) -> Vec<(String, String)> {
        parse(s.as_bytes(), &Limits::DEFAULT)
            .unwrap()
            .into_iter()
            .map(|(n, v)| (String::from_utf8(n).unwrap(), String::from_utf8(v).unwrap()))
            .collect()
    }

    #[test]
    fn nested_names() {
        let got = flat(r#"{"a":{"b":[1,{"c":"x"}],"d":null},"e":[]}"#);
        let want = [
            ("json.a.b.0", "1"),
            ("json.a.b.1.c", "x"),
            ("json.a.b", "2"),
            ("json.a.d", ""),
            ("json.e", "0"),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn top_level_scalar_and_surrogates() {
        assert_eq!(
            flat(r#""\ud83d\ude00\u00e9""#),
            vec![("json".into(), "😀é".into())]
        );
        assert!(parse(br#""\ud83d""#, &Limits::DEFAULT).is_err());
    }

    #[test]
    fn depth_limit() {
        let limits = Limits {
            max_json_depth: 3,
            ..Limits::DEFAULT
        };
        assert!(parse(b"[[[1]]]", &limits).is_ok());
        assert_eq!(
            parse(b"[[[[1]]]]", &limits),
            Err(BodyError::JsonDepth { limit: 3 })
        );
    }
}
