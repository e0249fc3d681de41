//! A small HTML5 tokenizer: the subset of the WHATWG tokenizer states that decide
//! where tags, attribute names and attribute values start and end. It never
//! builds a tree and never decodes entities; tokens are slices of the input.
//!
//! It is a flat state machine driven by a loop (no recursion); every state either
//! emits a token or consumes at least one byte, so work is linear.

use memchr::memchr;

/// The state the tokenizer starts in: where the input is assumed to be pasted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Html5State {
    /// Between tags (text content).
    Data,
    /// Inside a tag, after an unquoted attribute value: `<a href=INPUT`.
    ValueNoQuote,
    /// Inside a single-quoted attribute value: `<a href='INPUT`.
    ValueSingleQuote,
    /// Inside a double-quoted attribute value: `<a href="INPUT`.
    ValueDoubleQuote,
    /// Inside a back-quoted attribute value (old IE): ``<a href=`INPUT``.
    ValueBackQuote,
}

/// The type of an HTML token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HtmlTokenKind {
    /// Text between tags (also CDATA content).
    DataText,
    /// A start tag's name (`<script` gives `script`).
    TagNameOpen,
    /// The `>` that closes a start tag.
    TagNameClose,
    /// The `/>` that closes a self-closing tag.
    TagNameSelfClose,
    /// Reserved (libinjection's `TAG_DATA`; never produced).
    TagData,
    /// An end tag's name (`</b>` gives `b`).
    TagClose,
    /// An attribute name.
    AttrName,
    /// An attribute value (without its quotes).
    AttrValue,
    /// A comment, bogus comment (`<?...>`, `</ ...>`) or `<%...%>` block.
    TagComment,
    /// A `<!DOCTYPE ...>` declaration.
    Doctype,
}

impl HtmlTokenKind {
    /// libinjection's name for the type (`DATA_TEXT`, `TAG_NAME_OPEN`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::DataText => "DATA_TEXT",
            Self::TagNameOpen => "TAG_NAME_OPEN",
            Self::TagNameClose => "TAG_NAME_CLOSE",
            Self::TagNameSelfClose => "TAG_NAME_SELFCLOSE",
            Self::TagData => "TAG_DATA",
            Self::TagClose => "TAG_CLOSE",
            Self::AttrName => "ATTR_NAME",
            Self::AttrValue => "ATTR_VALUE",
            Self::TagComment => "TAG_COMMENT",
            Self::Doctype => "DOCTYPE",
        }
    }
}

/// One HTML token: its type and the bytes it covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HtmlToken<'a> {
    /// The type.
    pub kind: HtmlTokenKind,
    /// Byte offset of `bytes` in the input.
    pub start: usize,
    /// The token's bytes.
    pub bytes: &'a [u8],
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum St {
    Eof,
    Data,
    TagOpen,
    EndTagOpen,
    TagName,
    TagNameClose,
    BeforeAttrName,
    AttrName,
    AfterAttrName,
    BeforeAttrValue,
    ValueQuote(u8),
    ValueNoQuote,
    AfterValueQuoted,
    SelfClosingStartTag,
    BogusComment,
    BogusComment2,
    MarkupDeclarationOpen,
    Comment,
    Cdata,
    Doctype,
}

fn is_white(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Iterator over HTML tokens (see [`tokenize`]).
pub struct HtmlTokens<'a> {
    s: &'a [u8],
    pos: usize,
    is_close: bool,
    state: St,
}

/// Tokenize `input` starting in `state`.
pub fn tokenize(input: &[u8], state: Html5State) -> HtmlTokens<'_> {
    HtmlTokens {
        s: input,
        pos: 0,
        is_close: false,
        state: match state {
            Html5State::Data => St::Data,
            Html5State::ValueNoQuote => St::BeforeAttrName,
            Html5State::ValueSingleQuote => St::ValueQuote(b'\''),
            Html5State::ValueDoubleQuote => St::ValueQuote(b'"'),
            Html5State::ValueBackQuote => St::ValueQuote(b'`'),
        },
    }
}

/// What one step of the machine did.
enum Step {
    Emit(HtmlTokenKind, usize, usize),
    Go(St),
    Stop,
}

impl<'a> HtmlTokens<'a> {
    /// Byte offset where the next token is looked for.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// `(position, end-tag flag)` when the tokenizer is in the data state. The
    /// tokens still to come depend only on the state, the position and that
    /// flag, so two tokenizers of one input that return the same value here
    /// return the same tokens from now on.
    pub(crate) fn data_state_at(&self) -> Option<(usize, bool)> {
        (self.state == St::Data).then_some((self.pos, self.is_close))
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.s.get(i).copied()
    }

    fn len(&self) -> usize {
        self.s.len()
    }

    /// Skip white space (and NUL, which IE ignores); the byte found, if any.
    fn skip_white(&mut self) -> Option<u8> {
        while let Some(b) = self.at(self.pos) {
            if is_white(b) || b == 0 {
                self.pos += 1;
            } else {
                return Some(b);
            }
        }
        None
    }

    fn emit(&mut self, kind: HtmlTokenKind, start: usize, end: usize, next: St) -> Step {
        self.state = next;
        Step::Emit(kind, start, end)
    }

    fn step(&mut self, st: St) -> Step {
        use HtmlTokenKind as K;
        let len = self.len();
        match st {
            St::Eof => Step::Stop,
            St::Data => {
                let start = self.pos;
                match memchr(b'<', self.s.get(start..).unwrap_or(&[])) {
                    None => {
                        self.state = St::Eof;
                        if start >= len {
                            return Step::Stop;
                        }
                        Step::Emit(K::DataText, start, len)
                    }
                    Some(i) => {
                        self.pos = start + i + 1;
                        self.state = St::TagOpen;
                        if i == 0 {
                            return Step::Go(St::TagOpen);
                        }
                        Step::Emit(K::DataText, start, start + i)
                    }
                }
            }
            St::TagOpen => {
                let Some(ch) = self.at(self.pos) else {
                    return Step::Stop;
                };
                match ch {
                    b'!' => {
                        self.pos += 1;
                        Step::Go(St::MarkupDeclarationOpen)
                    }
                    b'/' => {
                        self.pos += 1;
                        self.is_close = true;
                        Step::Go(St::EndTagOpen)
                    }
                    b'?' => {
                        self.pos += 1;
                        Step::Go(St::BogusComment)
                    }
                    // <% ... %>: a comment in IE <= 9 and old Safari.
                    b'%' => {
                        self.pos += 1;
                        Step::Go(St::BogusComment2)
                    }
                    c if c.is_ascii_alphabetic() || c == 0 => Step::Go(St::TagName),
                    _ => {
                        if self.pos == 0 {
                            return Step::Go(St::Data);
                        }
                        let p = self.pos - 1;
                        self.emit(K::DataText, p, p + 1, St::Data)
                    }
                }
            }
            St::EndTagOpen => {
                let Some(ch) = self.at(self.pos) else {
                    return Step::Stop;
                };
                if ch == b'>' {
                    Step::Go(St::Data)
                } else if ch.is_ascii_alphabetic() {
                    Step::Go(St::TagName)
                } else {
                    self.is_close = false;
                    Step::Go(St::BogusComment)
                }
            }
            St::TagNameClose => {
                self.is_close = false;
                let p = self.pos;
                self.pos += 1;
                let next = if self.pos < len { St::Data } else { St::Eof };
                self.emit(K::TagNameClose, p, p + 1, next)
            }
            St::TagName => {
                let start = self.pos;
                let rest = self.s.get(start..).unwrap_or(&[]);
                for (i, &ch) in rest.iter().enumerate() {
                    let p = start + i;
                    if ch == 0 {
                        continue;
                    }
                    if is_white(ch) {
                        self.pos = p + 1;
                        return self.emit(K::TagNameOpen, start, p, St::BeforeAttrName);
                    }
                    if ch == b'/' {
                        self.pos = p + 1;
                        return self.emit(K::TagNameOpen, start, p, St::SelfClosingStartTag);
                    }
                    if ch == b'>' {
                        if self.is_close {
                            self.pos = p + 1;
                            self.is_close = false;
                            return self.emit(K::TagClose, start, p, St::Data);
                        }
                        self.pos = p;
                        return self.emit(K::TagNameOpen, start, p, St::TagNameClose);
                    }
                }
                self.emit(K::TagNameOpen, start, len, St::Eof)
            }
            St::BeforeAttrName => match self.skip_white() {
                None => Step::Stop,
                Some(b'/') => {
                    self.pos += 1;
                    Step::Go(St::SelfClosingStartTag)
                }
                Some(b'>') => {
                    let p = self.pos;
                    self.pos += 1;
                    self.emit(K::TagNameClose, p, p + 1, St::Data)
                }
                Some(_) => Step::Go(St::AttrName),
            },
            St::AttrName => {
                let start = self.pos;
                let mut p = start + 1;
                while let Some(ch) = self.at(p) {
                    if is_white(ch) {
                        self.pos = p + 1;
                        return self.emit(K::AttrName, start, p, St::AfterAttrName);
                    }
                    if ch == b'/' {
                        self.pos = p + 1;
                        return self.emit(K::AttrName, start, p, St::SelfClosingStartTag);
                    }
                    if ch == b'=' {
                        self.pos = p + 1;
                        return self.emit(K::AttrName, start, p, St::BeforeAttrValue);
                    }
                    if ch == b'>' {
                        self.pos = p;
                        return self.emit(K::AttrName, start, p, St::TagNameClose);
                    }
                    p += 1;
                }
                self.pos = len;
                self.emit(K::AttrName, start, len.max(start), St::Eof)
            }
            St::AfterAttrName => match self.skip_white() {
                None => Step::Stop,
                Some(b'/') => {
                    self.pos += 1;
                    Step::Go(St::SelfClosingStartTag)
                }
                Some(b'=') => {
                    self.pos += 1;
                    Step::Go(St::BeforeAttrValue)
                }
                Some(b'>') => Step::Go(St::TagNameClose),
                Some(_) => Step::Go(St::AttrName),
            },
            St::BeforeAttrValue => match self.skip_white() {
                None => {
                    self.state = St::Eof;
                    Step::Stop
                }
                Some(q @ (b'"' | b'\'' | b'`')) => Step::Go(St::ValueQuote(q)),
                Some(_) => Step::Go(St::ValueNoQuote),
            },
            St::ValueQuote(q) => {
                // Positioned on the opening quote, except at the very start of a
                // quoted-context input (nothing to skip then).
                if self.pos > 0 {
                    self.pos += 1;
                }
                let start = self.pos.min(len);
                match memchr(q, self.s.get(start..).unwrap_or(&[])) {
                    None => self.emit(K::AttrValue, start, len, St::Eof),
                    Some(i) => {
                        self.pos = start + i + 1;
                        self.emit(K::AttrValue, start, start + i, St::AfterValueQuoted)
                    }
                }
            }
            St::ValueNoQuote => {
                let start = self.pos;
                let mut p = start;
                while let Some(ch) = self.at(p) {
                    if is_white(ch) {
                        self.pos = p + 1;
                        return self.emit(K::AttrValue, start, p, St::BeforeAttrName);
                    }
                    if ch == b'>' {
                        self.pos = p;
                        return self.emit(K::AttrValue, start, p, St::TagNameClose);
                    }
                    p += 1;
                }
                self.emit(K::AttrValue, start, len.max(start), St::Eof)
            }
            St::AfterValueQuoted => {
                let Some(ch) = self.at(self.pos) else {
                    return Step::Stop;
                };
                if is_white(ch) {
                    self.pos += 1;
                    Step::Go(St::BeforeAttrName)
                } else if ch == b'/' {
                    self.pos += 1;
                    Step::Go(St::SelfClosingStartTag)
                } else if ch == b'>' {
                    let p = self.pos;
                    self.pos += 1;
                    self.emit(K::TagNameClose, p, p + 1, St::Data)
                } else {
                    Step::Go(St::BeforeAttrName)
                }
            }
            St::SelfClosingStartTag => {
                let Some(ch) = self.at(self.pos) else {
                    return Step::Stop;
                };
                if ch == b'>' && self.pos > 0 {
                    let p = self.pos;
                    self.pos += 1;
                    self.emit(K::TagNameSelfClose, p - 1, p + 1, St::Data)
                } else {
                    Step::Go(St::BeforeAttrName)
                }
            }
            St::BogusComment => {
                let start = self.pos.min(len);
                match memchr(b'>', self.s.get(start..).unwrap_or(&[])) {
                    None => {
                        self.pos = len;
                        self.emit(K::TagComment, start, len, St::Eof)
                    }
                    Some(i) => {
                        self.pos = start + i + 1;
                        self.emit(K::TagComment, start, start + i, St::Data)
                    }
                }
            }
            St::BogusComment2 => {
                let start = self.pos.min(len);
                match memchr::memmem::find(self.s.get(start..).unwrap_or(&[]), b"%>") {
                    None => {
                        self.pos = len;
                        self.emit(K::TagComment, start, len, St::Eof)
                    }
                    Some(i) => {
                        self.pos = start + i + 2;
                        self.emit(K::TagComment, start, start + i, St::Data)
                    }
                }
            }
            St::MarkupDeclarationOpen => {
                let rest = self.s.get(self.pos..).unwrap_or(&[]);
                if rest
                    .get(..7)
                    .is_some_and(|p| p.eq_ignore_ascii_case(b"DOCTYPE"))
                {
                    Step::Go(St::Doctype)
                } else if rest.starts_with(b"[CDATA[") {
                    self.pos += 7;
                    Step::Go(St::Cdata)
                } else if rest.starts_with(b"--") {
                    self.pos += 2;
                    Step::Go(St::Comment)
                } else {
                    Step::Go(St::BogusComment)
                }
            }
            St::Comment => self.comment(),
            St::Cdata => {
                let start = self.pos.min(len);
                match memchr::memmem::find(self.s.get(start..).unwrap_or(&[]), b"]]>") {
                    None => self.emit(K::DataText, start, len, St::Eof),
                    Some(i) => {
                        self.pos = start + i + 3;
                        self.emit(K::DataText, start, start + i, St::Data)
                    }
                }
            }
            St::Doctype => {
                let start = self.pos.min(len);
                match memchr(b'>', self.s.get(start..).unwrap_or(&[])) {
                    None => self.emit(K::Doctype, start, len, St::Eof),
                    Some(i) => {
                        self.pos = start + i + 1;
                        self.emit(K::Doctype, start, start + i, St::Data)
                    }
                }
            }
        }
    }

    /// `<!-- ... -->`, also closed by `--!>`, with NULs allowed between the dashes.
    fn comment(&mut self) -> Step {
        let len = self.len();
        let start = self.pos.min(len);
        let mut p = start;
        loop {
            let Some(i) = memchr(b'-', self.s.get(p..).unwrap_or(&[])) else {
                return self.emit(HtmlTokenKind::TagComment, start, len, St::Eof);
            };
            let idx = p + i;
            if idx + 3 > len {
                return self.emit(HtmlTokenKind::TagComment, start, len, St::Eof);
            }
            let mut off = 1;
            while self.at(idx + off) == Some(0) {
                off += 1;
            }
            let Some(ch) = self.at(idx + off) else {
                return self.emit(HtmlTokenKind::TagComment, start, len, St::Eof);
            };
            if ch != b'-' && ch != b'!' {
                p = idx + 1;
                continue;
            }
            off += 1;
            let Some(ch) = self.at(idx + off) else {
                return self.emit(HtmlTokenKind::TagComment, start, len, St::Eof);
            };
            if ch != b'>' {
                p = idx + 1;
                continue;
            }
            self.pos = idx + off + 1;
            return self.emit(HtmlTokenKind::TagComment, start, idx, St::Data);
        }
    }
}

impl<'a> Iterator for HtmlTokens<'a> {
    type Item = HtmlToken<'a>;

    fn next(&mut self) -> Option<HtmlToken<'a>> {
        // Each `Go` step either consumes input or moves to a state that emits or
        // consumes next; the bound only guards against a logic error.
        let mut budget = self.s.len().saturating_mul(2).saturating_add(16);
        loop {
            budget = budget.checked_sub(1)?;
            match self.step(self.state) {
                Step::Stop => {
                    self.state = St::Eof;
                    return None;
                }
                Step::Go(st) => self.state = st,
                Step::Emit(kind, start, end) => {
                    let s: &'a [u8] = self.s;
                    let bytes = s.get(start..end).unwrap_or(&[]);
                    return Some(HtmlToken { kind, start, bytes });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(input: &[u8], st: Html5State) -> Vec<(&'static str, String)> {
        tokenize(input, st)
            .map(|t| (t.kind.name(), String::from_utf8_lossy(t.bytes).into_owned()))
            .collect()
    }

    #[test]
    fn simple_tag() {
        let got = names(b"<a href=x>hi</a>", Html5State::Data);
        let want = [
            ("TAG_NAME_OPEN", "a"),
            ("ATTR_NAME", "href"),
            ("ATTR_VALUE", "x"),
            ("TAG_NAME_CLOSE", ">"),
            ("DATA_TEXT", "hi"),
            ("TAG_CLOSE", "a"),
        ];
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert_eq!((g.0, g.1.as_str()), w);
        }
    }

    #[test]
    fn quoted_start_state() {
        let got = names(b"x\" onload=y", Html5State::ValueDoubleQuote);
        assert_eq!(got[0], ("ATTR_VALUE", "x".to_string()));
        assert_eq!(got[1], ("ATTR_NAME", "onload".to_string()));
    }

    #[test]
    fn terminates_on_every_short_input() {
        let alphabet = [
            b'<', b'>', b'/', b'!', b'-', b'=', b'"', b'a', b' ', 0u8, b'%', b'?',
        ];
        for &a in &alphabet {
            for &b in &alphabet {
                for &c in &alphabet {
                    let input = [a, b, c];
                    for st in [
                        Html5State::Data,
                        Html5State::ValueNoQuote,
                        Html5State::ValueSingleQuote,
                        Html5State::ValueDoubleQuote,
                        Html5State::ValueBackQuote,
                    ] {
                        assert!(tokenize(&input, st).count() <= 8);
                    }
                }
            }
        }
    }
}
