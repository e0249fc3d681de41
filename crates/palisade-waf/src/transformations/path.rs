//! `normalizePath` and `normalizePathWin`.
//!
//! ModSecurity normalises paths with one in-place walk whose corner cases are part of
//! its observable behaviour, so this follows the same walk: collapse runs of slashes,
//! drop `.` segments, let `..` remove the previous segment but never climb above the
//! root (an absolute path that climbs to the root at its very end becomes empty once the
//! trailing-slash rule applies, e.g. `/foo/..` gives the empty string), keep leading
//! `..` of relative paths, and end with a slash only if the input did.

use super::{finish, start};

pub(super) fn normalize_path(input: &[u8], out: &mut Vec<u8>) -> bool {
    normalize(input, out, false)
}

pub(super) fn normalize_path_win(input: &[u8], out: &mut Vec<u8>) -> bool {
    normalize(input, out, true)
}

fn normalize(input: &[u8], out: &mut Vec<u8>, win: bool) -> bool {
    if input.is_empty() || !needs_work(input, win) {
        return false;
    }
    start(input, input.len(), out);
    let n = normalize_in_place(out, win);
    out.truncate(n);
    finish(input, out)
}

/// Without a `.` segment start, a doubled slash or (Windows) a backslash, the walk
/// copies the input unchanged.
fn needs_work(input: &[u8], win: bool) -> bool {
    input[0] == b'.'
        || memchr::memmem::find(input, b"/.").is_some()
        || memchr::memmem::find(input, b"//").is_some()
        || (win && memchr::memchr(b'\\', input).is_some())
}

/// The walk over `buf` (non-empty); returns the normalised length.
fn normalize_in_place(buf: &mut [u8], win: bool) -> usize {
    let is_sep = |b: u8| b == b'/' || (win && b == b'\\');
    let end = buf.len() - 1;
    let relative = !is_sep(buf[0]);
    let trailing = is_sep(buf[end]);
    let mut src = 0usize;
    let mut dst = 0usize;
    let mut hit_root = false;
    let mut done = false;

    while !done && src <= end && dst <= end {
        if win {
            if buf[src] == b'\\' {
                buf[src] = b'/';
            }
            if src < end && buf[src + 1] == b'\\' {
                buf[src + 1] = b'/';
            }
        }
        // Segment ends here (next byte is a slash) or at the end of the input.
        let segment_end = if src == end {
            done = true;
            true
        } else {
            buf[src + 1] == b'/'
        };
        if segment_end && !(src != end && buf[src] == b'/') {
            if buf[src] == b'.' {
                if dst > 0 && buf[dst - 1] == b'.' {
                    // A `..` segment.
                    if !(relative && (hit_root || dst <= 2)) {
                        let mut d = dst as isize - 3;
                        while d > 0 && buf[d.unsigned_abs()] != b'/' {
                            d -= 1;
                        }
                        dst = if d <= 0 {
                            hit_root = true;
                            usize::from(!relative && src == end)
                        } else {
                            d.unsigned_abs()
                        };
                        if done {
                            continue;
                        }
                        src += 1;
                    } else {
                        hit_root = true;
                    }
                } else if dst == 0 {
                    // A leading `.` of a relative path.
                    if done {
                        continue;
                    }
                    src += 1;
                } else if buf[dst - 1] == b'/' {
                    // A `/.` segment.
                    if done {
                        continue;
                    }
                    dst -= 1;
                    src += 1;
                }
            } else if dst > 0 {
                hit_root = false;
            }
        }
        // Copy one byte; a run of slashes copies as its last one.
        if buf[src] == b'/' {
            while src < end && is_sep(buf[src + 1]) {
                src += 1;
            }
            if relative && dst == 0 {
                src += 1;
                continue;
            }
        }
        buf[dst] = buf[src];
        dst += 1;
        src += 1;
    }

    if !trailing && dst > 0 && buf[dst - 1] == b'/' {
        dst -= 1;
    }
    dst
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(input: &str) -> String {
        let mut out = Vec::new();
        let r = if normalize_path(input.as_bytes(), &mut out) {
            out
        } else {
            input.as_bytes().to_vec()
        };
        String::from_utf8_lossy(&r).into_owned()
    }

    #[test]
    fn walk() {
        assert_eq!(norm("/foo/bar/../baz"), "/foo/baz");
        assert_eq!(norm("/foo/../bar"), "/bar");
        assert_eq!(norm("/a/b/./c"), "/a/b/c");
        assert_eq!(norm("/a//b///c"), "/a/b/c");
        assert_eq!(norm("./foo"), "foo");
        assert_eq!(norm("../foo"), "../foo");
        assert_eq!(norm("a/../../b"), "../b");
        assert_eq!(norm("/../../etc/passwd"), "/etc/passwd");
        assert_eq!(norm("/foo/bar/.."), "/foo");
        assert_eq!(norm("/foo/.."), "");
        assert_eq!(norm("/"), "/");
        assert_eq!(norm("/foo/./"), "/foo/");
        assert_eq!(norm("index.php"), "index.php");
    }

    #[test]
    fn windows() {
        let mut out = Vec::new();
        assert!(normalize_path_win(b"c:\\a\\..\\b", &mut out));
        assert_eq!(out, b"c:/b");
    }
}
