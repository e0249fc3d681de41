//! SQL tokenizer: one byte-class dispatch per token, every scan bounded by the
//! input, every scan forward-only (memchr / memmem), so the cost is linear.

use memchr::{memchr, memmem};

use super::tables::{self, MAX_WORD};
use super::{Comments, Context, Quote, Token, TokenKind};

/// Bytes a token value keeps (libinjection prints at most 31).
pub(crate) const VAL_CAP: usize = 31;

const CHAR_SINGLE: u8 = b'\'';
const CHAR_DOUBLE: u8 = b'"';
const CHAR_TICK: u8 = b'`';

/// What the first byte of a token selects.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    White,
    Bang,
    Str,
    Hash,
    Money,
    Op1,
    Op2,
    LeftParens,
    RightParens,
    Unary,
    Comma,
    Dash,
    Num,
    Slash,
    Semicolon,
    Other,
    Var,
    Word,
    BString,
    EString,
    NqString,
    QString,
    UString,
    XString,
    BWord,
    Back,
    Tick,
    LeftBrace,
    RightBrace,
}

const fn class_of(b: u8) -> Class {
    match b {
        0..=32 | 127 | 0xa0 => Class::White,
        b'!' => Class::Bang,
        b'"' | b'\'' => Class::Str,
        b'#' => Class::Hash,
        b'$' => Class::Money,
        b'%' | b'^' => Class::Op1,
        b'&' | b'*' | b':' | b'<' | b'=' | b'>' | b'|' => Class::Op2,
        b'(' => Class::LeftParens,
        b')' => Class::RightParens,
        b'+' | b'~' => Class::Unary,
        b',' => Class::Comma,
        b'-' => Class::Dash,
        b'.' | b'0'..=b'9' => Class::Num,
        b'/' => Class::Slash,
        b';' => Class::Semicolon,
        b'?' | b']' => Class::Other,
        b'@' => Class::Var,
        b'B' | b'b' => Class::BString,
        b'E' | b'e' => Class::EString,
        b'N' | b'n' => Class::NqString,
        b'Q' | b'q' => Class::QString,
        b'U' | b'u' => Class::UString,
        b'X' | b'x' => Class::XString,
        b'[' => Class::BWord,
        b'\\' => Class::Back,
        b'`' => Class::Tick,
        b'{' => Class::LeftBrace,
        b'}' => Class::RightBrace,
        _ => Class::Word,
    }
}

// Evaluated at compile time: an out-of-range index is a build error, not a panic.
#[allow(clippy::indexing_slicing)]
static CLASS: [Class; 256] = {
    let mut t = [Class::White; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = class_of(i as u8);
        i += 1;
    }
    t
};

/// Byte-set table: bit 0 = word delimiter, bit 1 = variable delimiter,
/// bit 2 = SQL white space, bit 3 = `.` or `` ` `` (they may end a keyword
/// inside a word).
// Evaluated at compile time: an out-of-range index is a build error, not a panic.
#[allow(clippy::indexing_slicing)]
static SETS: [u8; 256] = {
    let mut t = [0u8; 256];
    let word = b" []{}<>:\\?=@!#~+-*/&|^%(),';\t\n\x0b\x0c\r\"\xa0\x00";
    let var = b" <>:\\?=@!#~+-*/&|^%(),';\t\n\x0b\x0c\r'`\"\x00";
    let white = b" \t\n\x0b\x0c\r\xa0\x00";
    let mut i = 0;
    while i < word.len() {
        t[word[i] as usize] |= 1;
        i += 1;
    }
    i = 0;
    while i < var.len() {
        t[var[i] as usize] |= 2;
        i += 1;
    }
    i = 0;
    while i < white.len() {
        t[white[i] as usize] |= 4;
        i += 1;
    }
    t[b'.' as usize] |= 8;
    t[b'`' as usize] |= 8;
    t
};

fn in_set(b: u8, bit: u8) -> bool {
    SETS.get(usize::from(b)).is_some_and(|&m| m & bit != 0)
}

fn is_white(b: u8) -> bool {
    in_set(b, 4)
}

/// Length of the prefix of `s` made of bytes `accept` says yes to.
fn span(s: &[u8], accept: impl Fn(u8) -> bool) -> usize {
    s.iter().position(|&b| !accept(b)).unwrap_or(s.len())
}

fn find2(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    memmem::find(hay, &[a, b])
}

/// Tokenizer state for one pass over the input in one [`Context`].
pub(crate) struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
    quote: u8,
    mysql: bool,
    /// `--x` comments seen (a MySQL re-parse may read them differently).
    pub(crate) stats_comment_ddx: u32,
    /// `#` seen (an operator in ANSI, a comment in MySQL).
    pub(crate) stats_comment_hash: u32,
    /// Tokens produced so far.
    pub(crate) stats_tokens: u32,
    /// Operator tokens (`=`, `<`, `LIKE`, ...) produced so far.
    pub(crate) stats_operators: u32,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(s: &'a [u8], ctx: Context) -> Self {
        Self {
            s,
            pos: 0,
            quote: match ctx.quote {
                Quote::AsIs => 0,
                Quote::SingleQuote => CHAR_SINGLE,
                Quote::DoubleQuote => CHAR_DOUBLE,
            },
            mysql: ctx.comments == Comments::MySql,
            stats_comment_ddx: 0,
            stats_comment_hash: 0,
            stats_tokens: 0,
            stats_operators: 0,
        }
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.s.get(i).copied()
    }

    fn from(&self, i: usize) -> &'a [u8] {
        self.s.get(i..).unwrap_or(&[])
    }

    /// Write the next token into `t`; false at end of input.
    pub(crate) fn next_into(&mut self, t: &mut Token) -> bool {
        let slen = self.s.len();
        if slen == 0 {
            return false;
        }
        *t = Token::EMPTY;
        if self.pos == 0 && self.quote != 0 {
            self.pos = self.string_core(0, t, self.quote, 0);
            self.stats_tokens += 1;
            return true;
        }
        while self.pos < slen {
            let Some(ch) = self.at(self.pos) else { break };
            let before = self.pos;
            let next = self.dispatch(ch, t);
            // Every parser consumes at least one byte; enforce it so no input can
            // stall the loop.
            self.pos = next.max(before + 1).min(slen);
            if t.kind != TokenKind::NONE {
                self.stats_tokens += 1;
                if t.kind == TokenKind::OPERATOR {
                    self.stats_operators += 1;
                }
                return true;
            }
        }
        false
    }

    fn dispatch(&mut self, ch: u8, t: &mut Token) -> usize {
        let class = CLASS.get(usize::from(ch)).copied().unwrap_or(Class::Word);
        match class {
            Class::White => self.pos + 1,
            Class::Op1 | Class::Unary => self.operator1(t),
            Class::Op2 | Class::Bang => self.operator2(t),
            Class::Back => self.backslash(t),
            Class::Dash => self.dash(t),
            Class::Str => self.string(t),
            Class::Hash => self.hash(t),
            Class::Num => self.number(t),
            Class::Slash => self.slash(t),
            Class::Semicolon
            | Class::Comma
            | Class::LeftParens
            | Class::RightParens
            | Class::LeftBrace
            | Class::RightBrace => {
                t.assign_char(TokenKind(ch), self.pos, ch);
                self.pos + 1
            }
            Class::Other => {
                t.assign_char(TokenKind::UNKNOWN, self.pos, ch);
                self.pos + 1
            }
            Class::Var => self.var(t),
            Class::Money => self.money(t),
            Class::Word => self.word(t),
            Class::BString => self.bxstring(t, |b| b == b'0' || b == b'1' || b == 0),
            Class::XString => self.bxstring(t, |b| b.is_ascii_hexdigit() || b == 0),
            Class::EString => self.estring(t),
            Class::NqString => self.nqstring(t),
            Class::QString => self.qstring_core(t, 0),
            Class::UString => self.ustring(t),
            Class::BWord => self.bword(t),
            Class::Tick => self.tick(t),
        }
    }

    fn operator1(&self, t: &mut Token) -> usize {
        let ch = self.at(self.pos).unwrap_or(0);
        t.assign_char(TokenKind::OPERATOR, self.pos, ch);
        self.pos + 1
    }

    fn eol_comment(&self, t: &mut Token) -> usize {
        let rest = self.from(self.pos);
        match memchr(b'\n', rest) {
            None => {
                t.assign(TokenKind::COMMENT, self.pos, rest);
                self.s.len()
            }
            Some(i) => {
                t.assign(TokenKind::COMMENT, self.pos, rest.get(..i).unwrap_or(&[]));
                self.pos + i + 1
            }
        }
    }

    fn hash(&mut self, t: &mut Token) -> usize {
        self.stats_comment_hash += 1;
        if self.mysql {
            self.stats_comment_hash += 1;
            self.eol_comment(t)
        } else {
            t.assign_char(TokenKind::OPERATOR, self.pos, b'#');
            self.pos + 1
        }
    }

    fn dash(&mut self, t: &mut Token) -> usize {
        let pos = self.pos;
        let slen = self.s.len();
        let next_dash = self.at(pos + 1) == Some(b'-');
        // "--" then white space or the end of input: a comment in every dialect.
        if next_dash && (pos + 2 == slen || self.at(pos + 2).is_some_and(is_white)) {
            self.eol_comment(t)
        } else if next_dash && !self.mysql {
            self.stats_comment_ddx += 1;
            self.eol_comment(t)
        } else {
            t.assign_char(TokenKind::OPERATOR, pos, b'-');
            pos + 1
        }
    }

    fn slash(&self, t: &mut Token) -> usize {
        let pos = self.pos;
        let slen = self.s.len();
        if self.at(pos + 1) != Some(b'*') {
            return self.operator1(t);
        }
        let body = self.from(pos + 2);
        let end = find2(body, b'*', b'/');
        let clen = match end {
            None => slen - pos,
            Some(i) => i + 4,
        };
        let mut kind = TokenKind::COMMENT;
        if let Some(i) = end {
            // A second "/*" before the close (nested comments in PostgreSQL)
            // cannot be parsed consistently across engines.
            if find2(body.get(..=i).unwrap_or(&[]), b'/', b'*').is_some() {
                kind = TokenKind::EVIL;
            }
        }
        if kind == TokenKind::COMMENT && self.at(pos + 2) == Some(b'!') {
            // MySQL conditional comment "/*!": executed by MySQL, banned.
            kind = TokenKind::EVIL;
        }
        let val = self.s.get(pos..pos + clen).unwrap_or(&[]);
        t.assign(kind, pos, val);
        pos + clen
    }

    fn backslash(&self, t: &mut Token) -> usize {
        let pos = self.pos;
        if self.at(pos + 1) == Some(b'N') {
            t.assign(
                TokenKind::NUMBER,
                pos,
                self.s.get(pos..pos + 2).unwrap_or(&[]),
            );
            pos + 2
        } else {
            t.assign_char(TokenKind::BACKSLASH, pos, b'\\');
            pos + 1
        }
    }

    fn operator2(&self, t: &mut Token) -> usize {
        let pos = self.pos;
        let slen = self.s.len();
        if pos + 1 >= slen {
            return self.operator1(t);
        }
        if self.s.get(pos..pos + 3) == Some(b"<=>") {
            t.assign(TokenKind::OPERATOR, pos, b"<=>");
            return pos + 3;
        }
        let two = self.s.get(pos..pos + 2).unwrap_or(&[]);
        let ch = tables::lookup_word(two);
        if ch != 0 {
            t.assign(TokenKind(ch), pos, two);
            return pos + 2;
        }
        if self.at(pos) == Some(b':') {
            t.assign(TokenKind::COLON, pos, b":");
            return pos + 1;
        }
        self.operator1(t)
    }

    /// Parse a quoted string whose content starts at `pos + offset`
    /// (`offset` 0 means the opening quote is implied by the context).
    fn string_core(&self, pos: usize, t: &mut Token, delim: u8, offset: usize) -> usize {
        let start = pos + offset;
        let slen = self.s.len();
        let body = self.from(start);
        let mut q = memchr(delim, body).map(|i| i + start);
        t.str_open = if offset > 0 { delim } else { 0 };
        loop {
            match q {
                None => {
                    t.assign(TokenKind::STRING, start, body);
                    t.str_close = 0;
                    return slen;
                }
                Some(qp) => {
                    let backslashes = self.s.get(start..qp).map_or(0, |pre| {
                        pre.iter().rev().take_while(|&&b| b == b'\\').count()
                    });
                    if backslashes % 2 == 1 {
                        q = memchr(delim, self.from(qp + 1)).map(|i| i + qp + 1);
                    } else if qp + 1 < slen && self.at(qp + 1) == Some(delim) {
                        q = memchr(delim, self.from(qp + 2)).map(|i| i + qp + 2);
                    } else {
                        t.assign(
                            TokenKind::STRING,
                            start,
                            self.s.get(start..qp).unwrap_or(&[]),
                        );
                        t.str_close = delim;
                        return qp + 1;
                    }
                }
            }
        }
    }

    fn string(&self, t: &mut Token) -> usize {
        let delim = self.at(self.pos).unwrap_or(CHAR_SINGLE);
        self.string_core(self.pos, t, delim, 1)
    }

    fn estring(&mut self, t: &mut Token) -> usize {
        let pos = self.pos;
        if pos + 2 >= self.s.len() || self.at(pos + 1) != Some(CHAR_SINGLE) {
            return self.word(t);
        }
        self.string_core(pos, t, CHAR_SINGLE, 2)
    }

    fn ustring(&mut self, t: &mut Token) -> usize {
        let pos = self.pos;
        if pos + 2 < self.s.len()
            && self.at(pos + 1) == Some(b'&')
            && self.at(pos + 2) == Some(CHAR_SINGLE)
        {
            let end = self.string_core(pos + 2, t, CHAR_SINGLE, 1);
            t.str_open = b'u';
            if t.str_close == CHAR_SINGLE {
                t.str_close = b'u';
            }
            end
        } else {
            self.word(t)
        }
    }

    /// Oracle q'[...]' strings (`offset` 1 for the nq'...' form).
    fn qstring_core(&mut self, t: &mut Token, offset: usize) -> usize {
        let pos = self.pos + offset;
        let slen = self.s.len();
        let is_q = matches!(self.at(pos), Some(b'q' | b'Q'));
        if pos >= slen || !is_q || pos + 2 >= slen || self.at(pos + 1) != Some(CHAR_SINGLE) {
            return self.word(t);
        }
        let mut ch = self.at(pos + 2).unwrap_or(0);
        // libinjection reads this byte as a signed char: high bytes are "< 33".
        if !(33..128).contains(&ch) {
            return self.word(t);
        }
        ch = match ch {
            b'(' => b')',
            b'[' => b']',
            b'{' => b'}',
            b'<' => b'>',
            c => c,
        };
        let body = self.from(pos + 3);
        match find2(body, ch, CHAR_SINGLE) {
            None => {
                t.assign(TokenKind::STRING, pos + 3, body);
                t.str_open = b'q';
                t.str_close = 0;
                slen
            }
            Some(i) => {
                t.assign(TokenKind::STRING, pos + 3, body.get(..i).unwrap_or(&[]));
                t.str_open = b'q';
                t.str_close = b'q';
                pos + 3 + i + 2
            }
        }
    }

    fn nqstring(&mut self, t: &mut Token) -> usize {
        let pos = self.pos;
        if pos + 2 < self.s.len() && self.at(pos + 1) == Some(CHAR_SINGLE) {
            return self.estring(t);
        }
        self.qstring_core(t, 1)
    }

    /// b'0101' and x'ABCD' literals.
    fn bxstring(&mut self, t: &mut Token, digit: fn(u8) -> bool) -> usize {
        let pos = self.pos;
        let slen = self.s.len();
        if pos + 2 >= slen || self.at(pos + 1) != Some(CHAR_SINGLE) {
            return self.word(t);
        }
        let wlen = span(self.from(pos + 2), digit);
        if pos + 2 + wlen >= slen || self.at(pos + 2 + wlen) != Some(CHAR_SINGLE) {
            return self.word(t);
        }
        t.assign(
            TokenKind::NUMBER,
            pos,
            self.s.get(pos..pos + wlen + 3).unwrap_or(&[]),
        );
        pos + wlen + 3
    }

    /// SQL Server [bracketed words].
    fn bword(&self, t: &mut Token) -> usize {
        let pos = self.pos;
        let rest = self.from(pos);
        match memchr(b']', rest) {
            None => {
                t.assign(TokenKind::BAREWORD, pos, rest);
                self.s.len()
            }
            Some(i) => {
                t.assign(TokenKind::BAREWORD, pos, rest.get(..=i).unwrap_or(&[]));
                pos + i + 1
            }
        }
    }

    fn word(&mut self, t: &mut Token) -> usize {
        let pos = self.pos;
        let rest = self.from(pos);
        // One scan finds the end of the word and its first '.' or '`'.
        let mut wlen = rest.len();
        let mut first_dot = usize::MAX;
        for (i, &b) in rest.iter().enumerate() {
            let m = SETS.get(usize::from(b)).copied().unwrap_or(0);
            if m & 1 != 0 {
                wlen = i;
                break;
            }
            if m & 8 != 0 && first_dot == usize::MAX {
                first_dot = i;
            }
        }
        let word = rest.get(..wlen).unwrap_or(&[]);
        t.assign(TokenKind::BAREWORD, pos, word);

        // "SELECT.1" or "SELECT`col`": a keyword before '.' or '`' ends the word.
        // (No '.' or '`' before `first_dot`: the scan can start there.)
        let kept = word.get(..VAL_CAP.min(wlen)).unwrap_or(&[]);
        for (i, &d) in kept.iter().enumerate().skip(first_dot) {
            if d == b'.' || d == b'`' {
                let ch = tables::lookup_word(kept.get(..i).unwrap_or(&[]));
                if ch != 0 && ch != TokenKind::BAREWORD.0 {
                    *t = Token::EMPTY;
                    t.assign(TokenKind(ch), pos, kept.get(..i).unwrap_or(&[]));
                    return pos + i;
                }
            }
        }
        if wlen <= MAX_WORD {
            // The value is the whole word (wlen <= 31): the look-up also says
            // whether it can start a phrase.
            let (ch, head) = tables::lookup_word_head(word);
            t.kind = if ch == 0 {
                TokenKind::BAREWORD
            } else {
                TokenKind(ch)
            };
            t.set_head(head);
        }
        pos + wlen
    }

    /// MySQL `backquoted` names: a bare word, or a function if the name is one.
    fn tick(&self, t: &mut Token) -> usize {
        let end = self.string_core(self.pos, t, CHAR_TICK, 1);
        let ch = tables::lookup_word(t.value());
        t.kind = if ch == TokenKind::FUNCTION.0 {
            TokenKind::FUNCTION
        } else {
            TokenKind::BAREWORD
        };
        end
    }

    fn var(&mut self, t: &mut Token) -> usize {
        let slen = self.s.len();
        let mut pos = self.pos + 1;
        if self.at(pos) == Some(b'@') {
            pos += 1;
            t.count = 2;
        } else {
            t.count = 1;
        }
        match self.at(pos) {
            Some(CHAR_TICK) => {
                let count = t.count;
                let saved = self.pos;
                self.pos = pos;
                let end = self.tick(t);
                self.pos = saved;
                t.kind = TokenKind::VARIABLE;
                t.count = count;
                return end;
            }
            Some(q @ (CHAR_SINGLE | CHAR_DOUBLE)) => {
                let count = t.count;
                let end = self.string_core(pos, t, q, 1);
                t.kind = TokenKind::VARIABLE;
                t.count = count;
                return end;
            }
            _ => {}
        }
        let rest = self.from(pos);
        let xlen = span(rest, |b| !in_set(b, 2));
        let count = t.count;
        t.assign(TokenKind::VARIABLE, pos, rest.get(..xlen).unwrap_or(&[]));
        t.count = count;
        (pos + xlen).min(slen.max(pos))
    }

    fn money(&mut self, t: &mut Token) -> usize {
        let pos = self.pos;
        let slen = self.s.len();
        if pos + 1 == slen {
            t.assign_char(TokenKind::BAREWORD, pos, b'$');
            return slen;
        }
        let after = self.from(pos + 1);
        let xlen = span(after, |b| {
            b.is_ascii_digit() || b == b'.' || b == b',' || b == 0
        });
        if xlen == 0 {
            if self.at(pos + 1) == Some(b'$') {
                // $$ dollar-quoted string $$
                let body = self.from(pos + 2);
                return match find2(body, b'$', b'$') {
                    None => {
                        t.assign(TokenKind::STRING, pos + 2, body);
                        t.str_open = b'$';
                        t.str_close = 0;
                        slen
                    }
                    Some(i) => {
                        t.assign(TokenKind::STRING, pos + 2, body.get(..i).unwrap_or(&[]));
                        t.str_open = b'$';
                        t.str_close = b'$';
                        pos + 2 + i + 2
                    }
                };
            }
            // $tag$ ... $tag$ (PostgreSQL)
            let xlen = span(after, |b| b.is_ascii_alphabetic() || b == 0);
            if xlen == 0 || pos + xlen + 1 == slen || self.at(pos + xlen + 1) != Some(b'$') {
                t.assign_char(TokenKind::BAREWORD, pos, b'$');
                return pos + 1;
            }
            let tag = self.s.get(pos..pos + xlen + 2).unwrap_or(&[]);
            let body = self.from(pos + xlen + 2);
            return match memmem::find(body, tag) {
                None => {
                    t.assign(TokenKind::STRING, pos + xlen + 2, body);
                    t.str_open = b'$';
                    t.str_close = 0;
                    slen
                }
                Some(i) => {
                    t.assign(
                        TokenKind::STRING,
                        pos + xlen + 2,
                        body.get(..i).unwrap_or(&[]),
                    );
                    t.str_open = b'$';
                    t.str_close = b'$';
                    pos + xlen + 2 + i + xlen + 2
                }
            };
        }
        if xlen == 1 && self.at(pos + 1) == Some(b'.') {
            return self.word(t);
        }
        t.assign(
            TokenKind::NUMBER,
            pos,
            self.s.get(pos..pos + 1 + xlen).unwrap_or(&[]),
        );
        pos + 1 + xlen
    }

    fn number(&self, t: &mut Token) -> usize {
        let s = self.s;
        let slen = s.len();
        let mut pos = self.pos;
        if self.at(pos) == Some(b'0') && pos + 1 < slen {
            let digits: Option<fn(u8) -> bool> = match self.at(pos + 1) {
                Some(b'X' | b'x') => Some(|b| b.is_ascii_hexdigit() || b == 0),
                Some(b'B' | b'b') => Some(|b| b == b'0' || b == b'1' || b == 0),
                _ => None,
            };
            if let Some(digit) = digits {
                let xlen = span(self.from(pos + 2), digit);
                if xlen == 0 {
                    t.assign(TokenKind::BAREWORD, pos, s.get(pos..pos + 2).unwrap_or(&[]));
                    return pos + 2;
                }
                t.assign(
                    TokenKind::NUMBER,
                    pos,
                    s.get(pos..pos + 2 + xlen).unwrap_or(&[]),
                );
                return pos + 2 + xlen;
            }
        }
        let start = pos;
        let digits_from = |p: usize| p + span(self.from(p), |b| b.is_ascii_digit());
        pos = digits_from(pos);
        if self.at(pos) == Some(b'.') {
            pos = digits_from(pos + 1);
            if pos - start == 1 {
                t.assign_char(TokenKind::DOT, start, b'.');
                return pos;
            }
        }
        let mut have_e = false;
        let mut have_exp = false;
        if matches!(self.at(pos), Some(b'E' | b'e')) {
            have_e = true;
            pos += 1;
            if matches!(self.at(pos), Some(b'+' | b'-')) {
                pos += 1;
            }
            let end = digits_from(pos);
            have_exp = end > pos;
            pos = end;
        }
        // Oracle float/double suffix: 1.2f, 1d, and "1fUNION" read as "1f UNION".
        if matches!(self.at(pos), Some(b'd' | b'D' | b'f' | b'F')) {
            match self.at(pos + 1) {
                None => pos += 1,
                Some(n) if is_white(n) || n == b';' || n == b'u' || n == b'U' => pos += 1,
                Some(_) => {}
            }
        }
        let val = s.get(start..pos).unwrap_or(&[]);
        if have_e && !have_exp {
            // "1234.e", "10.10E": a word, not a number.
            t.assign(TokenKind::BAREWORD, start, val);
        } else {
            t.assign(TokenKind::NUMBER, start, val);
        }
        pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// [`Lexer::word`] as first written: one scan for the end of the word,
    /// a second for each `.` / `` ` `` in it.
    fn word_reference(s: &[u8], pos: usize, t: &mut Token) -> usize {
        let rest = s.get(pos..).unwrap_or(&[]);
        let wlen = span(rest, |b| !in_set(b, 1));
        let word = &rest[..wlen];
        t.assign(TokenKind::BAREWORD, pos, word);
        let kept = &word[..VAL_CAP.min(wlen)];
        for (i, &d) in kept.iter().enumerate() {
            if d == b'.' || d == b'`' {
                let ch = tables::lookup_word(&kept[..i]);
                if ch != 0 && ch != TokenKind::BAREWORD.0 {
                    *t = Token::EMPTY;
                    t.assign(TokenKind(ch), pos, &kept[..i]);
                    return pos + i;
                }
            }
        }
        if wlen <= MAX_WORD {
            let ch = tables::lookup_word(word);
            t.kind = if ch == 0 {
                TokenKind::BAREWORD
            } else {
                TokenKind(ch)
            };
        }
        pos + wlen
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]

        /// The one-scan word parser gives the same token and end as the
        /// reference, from every start position.
        #[test]
        fn word_scan_matches_reference(input in proptest::collection::vec(
            proptest::sample::select(b"aSeLcTuNiOn_1.`.x. \t'\"(@#-*/".to_vec()), 0..48)) {
            for pos in 0..input.len() {
                let mut lx = Lexer::new(&input, Context::ANSI);
                lx.pos = pos;
                let (mut a, mut b) = (Token::EMPTY, Token::EMPTY);
                let end_a = lx.word(&mut a);
                let end_b = word_reference(&input, pos, &mut b);
                prop_assert_eq!(end_a, end_b);
                prop_assert_eq!(a.kind(), b.kind());
                prop_assert_eq!(a.value(), b.value());
                prop_assert_eq!(a.pos(), b.pos());
            }
        }
    }

    fn kinds(input: &[u8]) -> String {
        let mut lx = Lexer::new(input, Context::ANSI);
        let mut t = Token::EMPTY;
        let mut out = String::new();
        while lx.next_into(&mut t) {
            out.push(char::from(t.kind().as_char()));
        }
        out
    }

    #[test]
    fn basic_shapes() {
        assert_eq!(kinds(b"SELECT 'a' FROM t;"), "Eskn;");
        assert_eq!(kinds(b"1 OR 1=1"), "1&1o1");
        assert_eq!(kinds(b"/* x */ 1"), "c1");
        assert_eq!(kinds(b"/*! 1 */"), "X");
        assert_eq!(kinds(b"$$abc$$"), "s");
        assert_eq!(kinds(b""), "");
    }

    #[test]
    fn every_byte_alone_terminates() {
        for b in 0..=255u8 {
            let input = [b];
            let mut lx = Lexer::new(&input, Context::ANSI);
            let mut t = Token::EMPTY;
            let mut n = 0;
            while lx.next_into(&mut t) {
                n += 1;
                assert!(n <= 1, "byte {b} produced more than one token");
            }
        }
    }
}
