//! Byte-string operators: `@streq @contains @containsWord @beginsWith @endsWith
//! @within @strmatch`. All compare bytes exactly (case-sensitive), as ModSecurity.

use memchr::memmem;

use super::{DataLoader, Kind, Matcher, OperatorError};

/// `(argument, input) -> matched`.
pub(super) type BytesFn = fn(&[u8], &[u8]) -> bool;

pub(super) fn streq(arg: &[u8], input: &[u8]) -> bool {
    arg == input
}

/// An empty argument always matches.
pub(super) fn contains(arg: &[u8], input: &[u8]) -> bool {
    arg.is_empty() || memmem::find(input, arg).is_some()
}

pub(super) fn begins_with(arg: &[u8], input: &[u8]) -> bool {
    input.starts_with(arg)
}

pub(super) fn ends_with(arg: &[u8], input: &[u8]) -> bool {
    input.ends_with(arg)
}

/// The argument contains the input; an empty input always matches.
pub(super) fn within(arg: &[u8], input: &[u8]) -> bool {
    input.is_empty() || memmem::find(arg, input).is_some()
}

const fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The argument occurs in the input with non-word bytes (or the ends) on both sides.
pub(super) fn contains_word(arg: &[u8], input: &[u8]) -> bool {
    if arg.is_empty() {
        return true;
    }
    memmem::find_iter(input, arg).any(|at| {
        let before = at.checked_sub(1).map(|k| input[k]);
        let after = input.get(at + arg.len()).copied();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

fn compile(f: BytesFn, arg: &[u8]) -> Result<Matcher, OperatorError> {
    Ok(Matcher(Kind::Bytes(f, arg.into())))
}

pub(super) fn compile_streq(arg: &[u8], _: &dyn DataLoader) -> Result<Matcher, OperatorError> {
    compile(streq, arg)
}

pub(super) fn compile_contains(arg: &[u8], _: &dyn DataLoader) -> Result<Matcher, OperatorError> {
    compile(contains, arg)
}

pub(super) fn compile_contains_word(
    arg: &[u8],
    _: &dyn DataLoader,
) -> Result<Matcher, OperatorError> {
    compile(contains_word, arg)
}

pub(super) fn compile_begins_with(
    arg: &[u8],
    _: &dyn DataLoader,
) -> Result<Matcher, OperatorError> {
    compile(begins_with, arg)
}

pub(super) fn compile_ends_with(arg: &[u8], _: &dyn DataLoader) -> Result<Matcher, OperatorError> {
    compile(ends_with, arg)
}

pub(super) fn compile_within(arg: &[u8], _: &dyn DataLoader) -> Result<Matcher, OperatorError> {
    compile(within, arg)
}

pub(super) fn compile_strmatch(arg: &[u8], _: &dyn DataLoader) -> Result<Matcher, OperatorError> {
    if arg.is_empty() {
        return Err(OperatorError::InvalidArgument {
            op: "strmatch",
            reason: "empty pattern".into(),
        });
    }
    compile(contains, arg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_ops() {
        assert!(within(b"GET HEAD POST", b"HEAD"));
        assert!(within(b"GET HEAD POST", b"T H"));
        assert!(within(b"GET", b""));
        assert!(!within(b"GET", b"GETS"));
        assert!(contains(b"", b"x"));
        assert!(contains_word(b"select", b"a select b"));
        assert!(contains_word(b"select", b"select"));
        assert!(!contains_word(b"select", b"selected"));
        assert!(contains_word(b"select", b"_select selected select;"));
        assert!(!contains_word(b"select", b"_select"));
        assert!(begins_with(b"", b"abc"));
        assert!(ends_with(b"bc", b"abc"));
        assert!(streq(b"", b""));
    }
}
