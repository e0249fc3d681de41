//! Diagnostics of IP set sources: each error with its place, rendered like rustc.

use std::fmt;

use super::prefix::{Fault, IpSetError};

/// At most this many diagnostics are kept for one source; further ones are counted, not stored.
pub const MAX_DIAGNOSTICS: usize = 500;

/// Longest part of a source line shown under an error, in characters.
const SNIPPET_MAX_CHARS: usize = 120;

/// Where an error is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Place {
    /// In a text source ([`crate::IpSet::parse`]).
    Line {
        /// The source name given to the parser (usually the file path).
        source: String,
        /// 1-based line number.
        line: usize,
        /// 1-based column, in characters (not bytes).
        column: usize,
    },
    /// In an inline list ([`crate::IpSet::from_entries`]).
    Entry {
        /// 0-based index of the entry in the list.
        index: usize,
        /// 1-based column in the entry, in characters (not bytes).
        column: usize,
    },
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Line {
                source,
                line,
                column,
            } => write!(f, "{source}:{line}:{column}"),
            Self::Entry { index, column } => write!(f, "entry [{index}], column {column}"),
        }
    }
}

/// One error in an IP set source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong.
    pub error: IpSetError,
    /// Where it is wrong.
    pub place: Place,
    /// How many characters to underline from the column, at least 1.
    pub width: usize,
    /// The line (or entry) the error is on, when it is worth showing.
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// A diagnostic on line `line` (1-based) of `source`, whose text is `text`.
    pub(crate) fn at_line(source: &str, line: usize, text: &str, fault: Fault) -> Self {
        let (column, width) = columns(text, fault.start, fault.end);
        Self {
            place: Place::Line {
                source: source.to_owned(),
                line,
                column,
            },
            width,
            source_line: snippet_worthy(&fault.error).then(|| text.to_owned()),
            error: fault.error,
        }
    }

    /// A diagnostic on entry `index` (0-based) of an inline list, whose text is `text`.
    pub(crate) fn at_entry(index: usize, text: &str, fault: Fault) -> Self {
        let (column, width) = columns(text, fault.start, fault.end);
        Self {
            place: Place::Entry { index, column },
            width,
            source_line: snippet_worthy(&fault.error).then(|| text.to_owned()),
            error: fault.error,
        }
    }
}

/// Long lines and whole sources are not repeated under their error.
fn snippet_worthy(error: &IpSetError) -> bool {
    !matches!(
        error,
        IpSetError::LineTooLong { .. } | IpSetError::SourceTooLarge { .. }
    )
}

/// 1-based character column of byte `start` in `text`, and the width in characters of
/// `start..end` (at least 1). Offsets off a character boundary count as the text's end.
fn columns(text: &str, start: usize, end: usize) -> (usize, usize) {
    let before = text.get(..start).map_or(0, |s| s.chars().count());
    let width = text.get(start..end).map_or(0, |s| s.chars().count());
    (before + 1, width.max(1))
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (gutter, column) = match &self.place {
            Place::Line { line, column, .. } => (line.to_string(), *column),
            Place::Entry { column, .. } => (String::new(), *column),
        };
        let w = gutter.len().max(2);
        let pad = " ".repeat(w);
        writeln!(f, "error: {}", self.error)?;
        writeln!(f, "{pad}--> {}", self.place)?;
        if let Some(src) = &self.source_line {
            let (shown, caret) = window(src, column);
            writeln!(f, "{pad} |")?;
            writeln!(f, "{gutter:>w$} | {shown}")?;
            let carets = "^".repeat(self.width.clamp(1, SNIPPET_MAX_CHARS));
            writeln!(f, "{pad} | {}{carets}", " ".repeat(caret))?;
        }
        Ok(())
    }
}

/// At most [`SNIPPET_MAX_CHARS`] characters of `line` around the 1-based character column
/// `column`, tabs shown as spaces; returns them and the 0-based caret position among them.
fn window(line: &str, column: usize) -> (String, usize) {
    let chars: Vec<char> = line
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    let col0 = column.saturating_sub(1).min(chars.len());
    let start = if chars.len() <= SNIPPET_MAX_CHARS {
        0
    } else {
        col0.saturating_sub(SNIPPET_MAX_CHARS / 4)
    };
    let end = (start + SNIPPET_MAX_CHARS).min(chars.len());
    let mut shown: String = chars[start..end].iter().collect();
    let mut caret = col0 - start;
    if start > 0 {
        shown.insert_str(0, "...");
        caret += 3;
    }
    if end < chars.len() {
        shown.push_str("...");
    }
    (shown, caret)
}

impl std::error::Error for Diagnostic {}

/// Every error found in one IP set source, in source order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diagnostics {
    list: Vec<Diagnostic>,
    dropped: usize,
}

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a diagnostic (kept up to [`MAX_DIAGNOSTICS`], counted beyond).
    pub fn push(&mut self, diagnostic: Diagnostic) {
        if self.list.len() < MAX_DIAGNOSTICS {
            self.list.push(diagnostic);
        } else {
            self.dropped += 1;
        }
    }

    /// The kept diagnostics, in source order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.list.iter()
    }

    /// Number of kept diagnostics.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True when there is nothing to report.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty() && self.dropped == 0
    }

    /// Number of diagnostics dropped beyond [`MAX_DIAGNOSTICS`].
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// The kept diagnostics.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.list
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.list.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        if self.dropped > 0 {
            writeln!(f)?;
            writeln!(f, "error: {} more errors not shown", self.dropped)?;
        }
        let total = self.list.len() + self.dropped;
        if total > 1 {
            writeln!(f)?;
            writeln!(f, "error: IP set rejected: {total} errors")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_rustc_like() {
        let d = Diagnostic::at_line(
            "set.txt",
            3,
            "  10.0.0.0/33",
            Fault::new(
                IpSetError::PrefixTooLong {
                    length: "33".into(),
                    family: super::super::IpFamily::V4,
                },
                11,
                13,
            ),
        );
        assert_eq!(
            d.to_string(),
            "error: prefix length 33 is too long for IPv4 (at most 32)\n  --> set.txt:3:12\n   |\n 3 |   10.0.0.0/33\n   |            ^^\n"
        );
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(columns("\u{a0}é/x", 4, 5), (3, 1));
        assert_eq!(columns("abc", 7, 9), (1, 1));
    }

    #[test]
    fn long_lines_are_windowed() {
        let line = "x".repeat(1000);
        let (s, caret) = window(&line, 500);
        assert!(s.starts_with("...") && s.ends_with("..."));
        assert_eq!(caret, 3 + SNIPPET_MAX_CHARS / 4);
    }
}
