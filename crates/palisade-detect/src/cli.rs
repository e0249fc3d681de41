//! The logic of `palisade detect sqli|xss [--url-decode] [FILE]`: one verdict
//! line per input line. The binary wires real files and stdio into
//! [`run_detect_cli`]; this module only sees generic readers and writers.
//!
//! Output per input line: `1<TAB>FINGERPRINT` (SQLi), `1<TAB>-` (XSS, which has
//! no fingerprint) or `0`. A summary goes to `err` at the end.

use std::io::{self, BufRead, Write};

/// Longest input line read; longer lines are cut there (and counted in
/// [`Summary::truncated`]) and the rest of the line is skipped.
pub const MAX_LINE: usize = 1 << 20;

/// Which detector to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// SQL injection.
    Sqli,
    /// Cross-site scripting.
    Xss,
}

/// Counts over one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Lines read.
    pub lines: u64,
    /// Lines flagged.
    pub detected: u64,
    /// Lines longer than [`MAX_LINE`] (only their first part was checked).
    pub truncated: u64,
}

/// Run the detector over each line of `input` (LF or CRLF endings), writing
/// verdicts to `out` and a summary line to `err`.
pub fn run_detect_cli(
    kind: Kind,
    url_decode: bool,
    mut input: impl BufRead,
    mut out: impl Write,
    mut err: impl Write,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        let (n, cut) = read_line_bounded(&mut input, &mut line, MAX_LINE)?;
        if n == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        summary.lines += 1;
        if cut {
            summary.truncated += 1;
        }
        let decoded;
        let subject: &[u8] = if url_decode {
            decoded = crate::percent_decode_plus(&line);
            &decoded
        } else {
            &line
        };
        match kind {
            Kind::Sqli => match crate::detect_sqli(subject) {
                Some(fp) => {
                    summary.detected += 1;
                    writeln!(out, "1\t{fp}")?;
                }
                None => writeln!(out, "0")?,
            },
            Kind::Xss => {
                if crate::detect_xss(subject) {
                    summary.detected += 1;
                    writeln!(out, "1\t-")?;
                } else {
                    writeln!(out, "0")?;
                }
            }
        }
    }
    out.flush()?;
    let name = match kind {
        Kind::Sqli => "sqli",
        Kind::Xss => "xss",
    };
    writeln!(
        err,
        "{name}: {} lines, {} detected, {} clean{}",
        summary.lines,
        summary.detected,
        summary.lines - summary.detected,
        if summary.truncated > 0 {
            format!(", {} truncated at {MAX_LINE} bytes", summary.truncated)
        } else {
            String::new()
        }
    )?;
    Ok(summary)
}

/// Read one line into `buf`, keeping at most `max` bytes and discarding the rest
/// of an over-long line. Returns (bytes consumed, whether the line was cut).
fn read_line_bounded(
    input: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<(usize, bool)> {
    let mut consumed = 0;
    let mut cut = false;
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok((consumed, cut));
        }
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = max.saturating_sub(buf.len());
        let keep = take.min(room);
        if keep < take {
            cut = true;
        }
        buf.extend_from_slice(chunk.get(..keep).unwrap_or(&[]));
        input.consume(take);
        consumed += take;
        if done {
            return Ok((consumed, cut));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(kind: Kind, decode: bool, input: &str) -> (String, String, Summary) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let s = run_detect_cli(kind, decode, input.as_bytes(), &mut out, &mut err).unwrap();
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
            s,
        )
    }

    #[test]
    fn sqli_lines() {
        let (out, err, s) = run(Kind::Sqli, false, "hello\n1' or '1'='1\r\n");
        assert_eq!(out, "0\n1\ts&sos\n");
        assert_eq!(s.lines, 2);
        assert_eq!(s.detected, 1);
        assert_eq!(err, "sqli: 2 lines, 1 detected, 1 clean\n");
    }

    #[test]
    fn xss_lines_and_last_line_without_newline() {
        let (out, _, s) = run(Kind::Xss, false, "<b>ok</b>\n<script>x</script>");
        assert_eq!(out, "0\n1\t-\n");
        assert_eq!(s.detected, 1);
    }

    #[test]
    fn url_decode_flag() {
        let line = "%3Cscript%3Ealert(1)%3C/script%3E\n";
        assert_eq!(run(Kind::Xss, false, line).0, "0\n");
        assert_eq!(run(Kind::Xss, true, line).0, "1\t-\n");
        let (out, _, _) = run(Kind::Sqli, true, "1%27+or+%271%27%3D%271\n");
        assert_eq!(out, "1\ts&sos\n");
    }

    #[test]
    fn empty_input() {
        let (out, err, s) = run(Kind::Sqli, false, "");
        assert_eq!(out, "");
        assert_eq!(s, Summary::default());
        assert!(err.starts_with("sqli: 0 lines"));
    }

    #[test]
    fn long_lines_are_cut() {
        let mut buf = Vec::new();
        let data = [b'a'; 10];
        let mut r: &[u8] = &[&data[..], b"\nxy\n"].concat();
        let (n, cut) = read_line_bounded(&mut r, &mut buf, 4).unwrap();
        assert_eq!((n, cut, buf.as_slice()), (11, true, &b"aaaa"[..]));
        buf.clear();
        let (n, cut) = read_line_bounded(&mut r, &mut buf, 4).unwrap();
        assert_eq!((n, cut, buf.as_slice()), (3, false, &b"xy\n"[..]));
    }
}
