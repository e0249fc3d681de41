//! Comment removal: `removeComments`, `replaceComments`, `removeCommentsChar`.

use super::{finish, start};

fn starts(input: &[u8], i: usize, pat: &[u8]) -> bool {
    input.get(i..i + pat.len()) == Some(pat)
}

/// `removeComments`: drops `/* ... */` and `<!-- ... -->` (an unterminated comment
/// becomes one space); outside a comment, `--` or `#` ends the value (SQL / shell line
/// comments).
pub(super) fn remove_comments(input: &[u8], out: &mut Vec<u8>) -> bool {
    let first = input.iter().enumerate().position(|(i, &b)| match b {
        b'/' => starts(input, i, b"/*"),
        b'<' => starts(input, i, b"<!--"),
        b'-' => starts(input, i, b"--"),
        b'#' => true,
        _ => false,
    });
    let Some(at) = first else {
        return false;
    };
    start(input, at, out);
    let mut i = at;
    let mut in_comment = false;
    while i < input.len() {
        if in_comment {
            if starts(input, i, b"*/") {
                in_comment = false;
                i += 2;
            } else if starts(input, i, b"-->") {
                in_comment = false;
                i += 3;
            } else {
                i += 1;
            }
        } else if starts(input, i, b"/*") {
            in_comment = true;
            i += 2;
        } else if starts(input, i, b"<!--") {
            in_comment = true;
            i += 4;
        } else if starts(input, i, b"--") || input[i] == b'#' {
            break;
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    if in_comment {
        out.push(b' ');
    }
    finish(input, out)
}

/// `replaceComments`: each `/* ... */` (also an unterminated one) becomes one space.
pub(super) fn replace_comments(input: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(at) = memchr::memmem::find(input, b"/*") else {
        return false;
    };
    start(input, at, out);
    let mut i = at;
    let mut in_comment = false;
    while i < input.len() {
        if in_comment {
            if starts(input, i, b"*/") {
                in_comment = false;
                i += 2;
                out.push(b' ');
            } else {
                i += 1;
            }
        } else if starts(input, i, b"/*") {
            in_comment = true;
            i += 2;
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    if in_comment {
        out.push(b' ');
    }
    finish(input, out)
}

/// `removeCommentsChar`: deletes the markers `/*`, `*/`, `<!--`, `-->`, `--` and `#`.
pub(super) fn remove_comments_char(input: &[u8], out: &mut Vec<u8>) -> bool {
    let marker_len = |i: usize| -> usize {
        match input[i] {
            b'/' if starts(input, i, b"/*") => 2,
            b'*' if starts(input, i, b"*/") => 2,
            b'<' if starts(input, i, b"<!--") => 4,
            b'-' if starts(input, i, b"-->") => 3,
            b'-' if starts(input, i, b"--") => 2,
            b'#' => 1,
            _ => 0,
        }
    };
    let Some(at) = (0..input.len()).find(|&i| marker_len(i) > 0) else {
        return false;
    };
    start(input, at, out);
    let mut i = at;
    while i < input.len() {
        match marker_len(i) {
            0 => {
                out.push(input[i]);
                i += 1;
            }
            n => i += n,
        }
    }
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
    fn remove_comments_cases() {
        assert_eq!(run(remove_comments, b"SELECT/**//**/UNION"), b"SELECTUNION");
        assert_eq!(run(remove_comments, b"a <!-- b --> c -- d"), b"a  c ");
        assert_eq!(run(remove_comments, b"a # b"), b"a ");
        assert_eq!(run(remove_comments, b"Before /* Test"), b"Before  ");
    }

    #[test]
    fn replace_comments_cases() {
        assert_eq!(
            run(replace_comments, b"Before /* x */ After"),
            b"Before   After"
        );
        assert_eq!(run(replace_comments, b"Before/* Test"), b"Before ");
        assert_eq!(run(replace_comments, b"a */ b"), b"a */ b");
    }

    #[test]
    fn remove_comments_char_cases() {
        assert_eq!(
            run(remove_comments_char, b"a/*b*/c--d#e<!--f-->g"),
            b"abcdefg"
        );
    }
}
