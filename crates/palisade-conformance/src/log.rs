//! The WAF error log, read as go-ftw's `waflog` package reads it.
//!
//! * **Marker check** (`CheckLogForMarker`): scan the log backwards from its end, at most
//!   `limit + 1` lines, for the *last* line containing `x-crs-test` (case-insensitive); it is the
//!   marker line if it also contains the marker id. The line is kept lower-cased.
//! * **Marked lines** (`computeMarkedLines`): go-ftw scans backwards from the end of the file,
//!   skips to the last line equal (after lower-casing) to the end-marker line, then collects
//!   lines until one equals the start-marker line, skipping duplicate end-marker lines. We get
//!   the same lines reading *forward* from the start-marker line's byte offset (remembered
//!   from the marker check), so a run never re-reads the multi-megabyte log.
//! * Lines are split on `\n` with one trailing `\r` dropped (as `icza/backscanner`); a line
//!   longer than [`MAX_LINE_BYTES`] ends a scan, like backscanner's buffer limit.
//! * **Rule ids** (`TriggeredRules`): per marked line, the ids captured by
//!   `\[(?:id |\\?"id\\?":)\\?"(\d+)\\?"\]`; only if a line has no such match, the JSON form
//!   `(?:\{|,)\s*"(?:id|ruleId)":\s*"?(\d+)"?`. Lines keep their case: go-ftw lower-cases only
//!   for the marker comparisons, and `match_regex` runs on the original text.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::LazyLock;

use regex::bytes::Regex;

/// Longest log line considered (backscanner's default buffer limit is 1 MiB).
pub(crate) const MAX_LINE_BYTES: usize = 1024 * 1024;
/// Most bytes read between a start marker and the end of the log.
pub(crate) const MAX_MARKED_REGION_BYTES: u64 = 64 * 1024 * 1024;
/// Bytes read per step when scanning backwards.
const CHUNK: usize = 16 * 1024;

/// The header name go-ftw looks for on marker lines, lower-cased.
const MARKER_HEADER: &[u8] = b"x-crs-test";

// Digits and spaces are spelled out ASCII-only, as in Go's RE2.
#[allow(clippy::unwrap_used)] // constant patterns, covered by the tests below
static STD_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\[(?:id |\\?"id\\?":)\\?"([0-9]+)\\?"\]"#).unwrap());
#[allow(clippy::unwrap_used)] // constant patterns, covered by the tests below
static JSON_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:\{|,)[\t\n\x0C\r ]*"(?:id|ruleId)":[\t\n\x0C\r ]*"?([0-9]+)"?"#).unwrap()
});

/// A marker line found in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MarkerLine {
    /// Byte offset of the start of the line in the log file.
    pub(crate) offset: u64,
    /// The line, lower-cased.
    pub(crate) lower: Vec<u8>,
}

/// go-ftw's `CheckLogForMarker(marker, limit)`. `Ok(None)`: not found (yet).
pub(crate) fn find_marker(
    path: &Path,
    marker: &str,
    limit: usize,
) -> io::Result<Option<MarkerLine>> {
    let mut file = File::open(path)?;
    let len = file.seek(SeekFrom::End(0))?;
    let mut lines = BackLines::new(&mut file, len);
    let needle = marker.to_ascii_lowercase().into_bytes();
    let mut count = 0usize;
    loop {
        if count > limit {
            return Ok(None);
        }
        count += 1;
        let Some((offset, line)) = lines.next_line()? else {
            return Ok(None);
        };
        let lower = line.to_ascii_lowercase();
        if contains(&lower, MARKER_HEADER) {
            return Ok(contains(&lower, &needle).then_some(MarkerLine { offset, lower }));
        }
    }
}

/// go-ftw's marked lines between `start` and `end`, in log order, original case.
pub(crate) fn marked_lines(
    path: &Path,
    start: &MarkerLine,
    end: &MarkerLine,
) -> io::Result<Vec<Vec<u8>>> {
    let mut file = File::open(path)?;
    let len = file.seek(SeekFrom::End(0))?;
    if start.offset > len {
        return Err(io::Error::other(
            "the log file shrank below the start marker",
        ));
    }
    if len - start.offset > MAX_MARKED_REGION_BYTES {
        return Err(io::Error::other(format!(
            "more than {MAX_MARKED_REGION_BYTES} bytes of log after the start marker"
        )));
    }
    file.seek(SeekFrom::Start(start.offset))?;
    let mut region = Vec::new();
    // Bounded by `take` (and checked above).
    #[allow(clippy::disallowed_methods)]
    file.take(MAX_MARKED_REGION_BYTES)
        .read_to_end(&mut region)?;
    Ok(select_marked(split_lines(&region), start, end))
}

/// The backward-scan semantics over the lines of the region that starts at the start marker.
fn select_marked(lines: Vec<&[u8]>, start: &MarkerLine, end: &MarkerLine) -> Vec<Vec<u8>> {
    let lower: Vec<Vec<u8>> = lines.iter().map(|l| l.to_ascii_lowercase()).collect();
    // Reading backwards, everything after the last end-marker line is skipped.
    let Some(end_index) = lower.iter().rposition(|l| *l == end.lower) else {
        return Vec::new();
    };
    // Then lines are collected until the last start-marker line before it.
    let start_index = lower[..end_index]
        .iter()
        .rposition(|l| *l == start.lower)
        .map_or(0, |i| i + 1);
    // A line too long for backscanner ends the backward scan there.
    let first = (start_index..end_index)
        .rev()
        .find(|&i| lines[i].len() > MAX_LINE_BYTES)
        .map_or(start_index, |i| i + 1);
    (first..end_index)
        .filter(|&i| lower[i] != end.lower)
        .map(|i| lines[i].to_vec())
        .collect()
}

/// Splits on `\n` (the part after the last `\n`, possibly empty, is a line too) and drops one
/// trailing `\r` per line.
fn split_lines(region: &[u8]) -> Vec<&[u8]> {
    region
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect()
}

/// go-ftw's `TriggeredRules`: every id on every marked line, as a set.
pub(crate) fn triggered_ids(lines: &[Vec<u8>]) -> BTreeSet<u64> {
    let mut ids = BTreeSet::new();
    for line in lines {
        let mut found = false;
        for caps in STD_ID.captures_iter(line) {
            found = true;
            insert_id(&mut ids, caps.get(1).map(|m| m.as_bytes()));
        }
        if !found {
            for caps in JSON_ID.captures_iter(line) {
                insert_id(&mut ids, caps.get(1).map(|m| m.as_bytes()));
            }
        }
    }
    ids
}

fn insert_id(ids: &mut BTreeSet<u64>, digits: Option<&[u8]>) {
    // Ids that overflow u64 are skipped, as go-ftw skips ParseUint errors.
    if let Some(id) = digits
        .and_then(|d| std::str::from_utf8(d).ok())
        .and_then(|d| d.parse().ok())
    {
        ids.insert(id);
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// Lines of a file from its end backwards, with their start offsets (icza/backscanner
/// semantics: the text after the last `\n`, even empty, is the first line returned).
struct BackLines<'f> {
    file: &'f mut File,
    /// File offset of `buf[0]`.
    pos: u64,
    buf: Vec<u8>,
    done: bool,
}

impl<'f> BackLines<'f> {
    fn new(file: &'f mut File, len: u64) -> Self {
        Self {
            file,
            pos: len,
            buf: Vec::new(),
            done: false,
        }
    }

    fn next_line(&mut self) -> io::Result<Option<(u64, Vec<u8>)>> {
        if self.done {
            return Ok(None);
        }
        loop {
            if let Some(i) = self.buf.iter().rposition(|&b| b == b'\n') {
                let mut line = self.buf.split_off(i + 1);
                self.buf.truncate(i);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Some((self.pos + i as u64 + 1, line)));
            }
            if self.pos == 0 {
                self.done = true;
                if self.buf.is_empty() {
                    return Ok(None);
                }
                let mut line = std::mem::take(&mut self.buf);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Some((0, line)));
            }
            if self.buf.len() > MAX_LINE_BYTES {
                self.done = true;
                return Ok(None);
            }
            let step = self.pos.min(CHUNK as u64);
            self.pos -= step;
            self.file.seek(SeekFrom::Start(self.pos))?;
            // `step` is at most CHUNK, so this fits in usize.
            let mut chunk = vec![0u8; usize::try_from(step).unwrap_or(CHUNK)];
            self.file.read_exact(&mut chunk)?;
            chunk.extend_from_slice(&self.buf);
            self.buf = chunk;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::Write;

    use super::*;

    fn ids(line: &str) -> Vec<u64> {
        triggered_ids(&[line.as_bytes().to_vec()])
            .into_iter()
            .collect()
    }

    #[test]
    fn id_extraction() {
        let cases: &[(&str, &[u64])] = &[
            (
                r#"ModSecurity: Warning. [file "x"] [line "1"] [id "942100"] [msg "m"]"#,
                &[942100],
            ),
            (r#"[id "1"] [id "2"] [id "1"]"#, &[1, 2]),
            (r#"escaped: [id \"920350\"] [msg \"x\"]"#, &[920350]),
            (r#"json in brackets: ["id":"949110"]"#, &[949110]),
            (r#"escaped json: [\"id\":\"949111\"]"#, &[949111]),
            (
                r#"{"transaction":{"id":"12"},"ruleId": "942100"}"#,
                &[12, 942100],
            ),
            (r#"{"id":4}"#, &[4]),
            (r#"{..., "id": 5, "x":1}"#, &[5]),
            (r#"[id "7"] and {"id":8}"#, &[7]), // JSON only when no standard match
            (r#"[id "abc"] [ID "9"] [id  "10"]"#, &[]),
            (r#"[id "99999999999999999999999"]"#, &[]), // overflows u64: skipped
            ("no ids here", &[]),
        ];
        for (line, expected) in cases {
            assert_eq!(ids(line), *expected, "{line}");
        }
    }

    fn write_log(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        file.flush().unwrap();
        file
    }

    #[test]
    fn marker_search_takes_the_last_marker_line_only() {
        let log = write_log(concat!(
            "[X-CRS-Test 1-1-a-s]\n",
            "[id \"942100\"]\n",
            "[x-crs-test 1-1-A-E]\r\n",
            "trailing line\n",
        ));
        let end = find_marker(log.path(), "1-1-a-e", 500).unwrap().unwrap();
        assert_eq!(end.lower, b"[x-crs-test 1-1-a-e]");
        assert_eq!(end.offset, 35);
        // The last x-crs-test line is the end marker, so the start marker is "not found".
        assert_eq!(find_marker(log.path(), "1-1-a-s", 500).unwrap(), None);
        // Limit: lines are "", "trailing line", then the marker: limit 1 reads two lines only.
        assert_eq!(find_marker(log.path(), "1-1-a-e", 1).unwrap(), None);
        assert!(find_marker(log.path(), "1-1-a-e", 2).unwrap().is_some());
        assert!(find_marker(Path::new("/nonexistent/x.log"), "a", 5).is_err());
    }

    #[test]
    fn backward_scan_crosses_chunks() {
        let mut text = String::new();
        for i in 0..5000 {
            text.push_str(&format!("line {i} padding padding padding\n"));
        }
        text.push_str("X-CRS-Test: 5-5-z-s\n");
        for i in 0..100 {
            text.push_str(&format!("after {i}\n"));
        }
        let log = write_log(&text);
        let found = find_marker(log.path(), "5-5-z-s", 500).unwrap().unwrap();
        let offset = usize::try_from(found.offset).unwrap();
        assert!(text[offset..].starts_with("X-CRS-Test: 5-5-z-s"));
        assert_eq!(find_marker(log.path(), "5-5-z-s", 50).unwrap(), None);
    }

    #[test]
    fn marked_lines_match_the_backward_semantics() {
        let text = concat!(
            "old [id \"1\"]\n",
            "X-CRS-Test m-s\n",
            "A [id \"2\"]\n",
            "X-CRS-Test m-s\n", // a second, identical start marker: collection starts after it
            "B [id \"3\"]\n",
            "X-CRS-Test m-e\n",
            "C [id \"4\"]\n",
            "X-CRS-Test m-e\n", // duplicate end marker: the last one counts, duplicates skipped
            "after [id \"5\"]\n",
        );
        let log = write_log(text);
        let start = MarkerLine {
            offset: u64::try_from(text.find("X-CRS-Test m-s").unwrap()).unwrap(),
            lower: b"x-crs-test m-s".to_vec(),
        };
        let end = MarkerLine {
            offset: 0,
            lower: b"x-crs-test m-e".to_vec(),
        };
        let lines = marked_lines(log.path(), &start, &end).unwrap();
        let lines: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
        assert_eq!(lines, [&b"B [id \"3\"]"[..], b"C [id \"4\"]"]);
        assert_eq!(
            triggered_ids(&lines.iter().map(|l| l.to_vec()).collect::<Vec<_>>()).len(),
            2
        );
    }

    #[test]
    fn no_end_marker_means_no_lines() {
        let lines = select_marked(
            split_lines(b"s\nx\n"),
            &MarkerLine {
                offset: 0,
                lower: b"s".to_vec(),
            },
            &MarkerLine {
                offset: 0,
                lower: b"e".to_vec(),
            },
        );
        assert!(lines.is_empty());
    }
}
