//! `@eq @ge @gt @le @lt`: both sides parsed like C `atoi`.

use super::{DataLoader, Kind, Matcher, OperatorError};

/// A comparison.
#[derive(Debug, Clone, Copy)]
pub(super) enum Cmp {
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
}

impl Cmp {
    pub(super) fn holds(self, left: i32, right: i32) -> bool {
        match self {
            Self::Eq => left == right,
            Self::Ge => left >= right,
            Self::Gt => left > right,
            Self::Le => left <= right,
            Self::Lt => left < right,
        }
    }
}

/// glibc `atoi` on x86-64: skip C whitespace, optional sign, decimal digits; the
/// value saturates like `strtol` (64-bit `long`) and is then truncated to `int`.
/// No digits gives 0.
pub(super) fn atoi(s: &[u8]) -> i32 {
    let s = &s[s
        .iter()
        .take_while(|&&b| crate::transformations::is_c_space(b))
        .count()..];
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut v: i64 = 0;
    for &d in digits.iter().take_while(|b| b.is_ascii_digit()) {
        let d = i64::from(d - b'0');
        v = if neg {
            v.saturating_mul(10).saturating_sub(d)
        } else {
            v.saturating_mul(10).saturating_add(d)
        };
    }
    // Truncation to `int`, as the C cast does.
    v as i32
}

fn compile(cmp: Cmp, arg: &[u8]) -> Result<Matcher, OperatorError> {
    Ok(Matcher(Kind::Num(cmp, atoi(arg))))
}

pub(super) fn compile_eq(arg: &[u8], _: &dyn DataLoader) -> Result<Matcher, OperatorError> {
    compile(Cmp::Eq, arg)
}

pub(super) fn compile_ge(arg: &[u8], _: &dyn DataLoader) -> Result<Matcher, OperatorError> {
    compile(Cmp::Ge, arg)
}

pub(super) fn compile_gt(arg: &[u8], _: &dyn DataLoader) -> Result<Matcher, OperatorError> {
    compile(Cmp::Gt, arg)
}

pub(super) fn compile_le(arg: &[u8], _: &dyn DataLoader) -> Result<Matcher, OperatorError> {
    compile(Cmp::Le, arg)
}

pub(super) fn compile_lt(arg: &[u8], _: &dyn DataLoader) -> Result<Matcher, OperatorError> {
    compile(Cmp::Lt, arg)
}

pub(super) fn dyn_eq(arg: &[u8], input: &[u8]) -> bool {
    Cmp::Eq.holds(atoi(input), atoi(arg))
}

pub(super) fn dyn_ge(arg: &[u8], input: &[u8]) -> bool {
    Cmp::Ge.holds(atoi(input), atoi(arg))
}

pub(super) fn dyn_gt(arg: &[u8], input: &[u8]) -> bool {
    Cmp::Gt.holds(atoi(input), atoi(arg))
}

pub(super) fn dyn_le(arg: &[u8], input: &[u8]) -> bool {
    Cmp::Le.holds(atoi(input), atoi(arg))
}

pub(super) fn dyn_lt(arg: &[u8], input: &[u8]) -> bool {
    Cmp::Lt.holds(atoi(input), atoi(arg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_like_glibc() {
        assert_eq!(atoi(b" \t-42abc"), -42);
        assert_eq!(atoi(b"+7"), 7);
        assert_eq!(atoi(b"abc"), 0);
        assert_eq!(atoi(b""), 0);
        assert_eq!(atoi(b"- 1"), 0);
        assert_eq!(atoi(b"4294967297"), 1);
        assert_eq!(atoi(b"99999999999999999999"), -1);
    }
}
