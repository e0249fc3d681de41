//! Diagnostics: errors that point at a place in the configuration text, rendered like rustc.

use std::fmt;
use std::ops::Range;

/// At most this many diagnostics are kept for one file; further ones are counted, not stored.
pub const MAX_DIAGNOSTICS: usize = 500;

/// A position in a source: 1-based line and 1-based column counted in characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The source name as given to the parser (usually the file path).
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters (not bytes).
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One error in a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong, in one sentence.
    pub message: String,
    /// Where it is wrong.
    pub span: Location,
    /// Short text printed next to the underline.
    pub label: String,
    /// The source line the span starts on (without its line break), if there is a source.
    pub source_line: Option<String>,
    /// How many characters to underline, at least 1.
    pub width: usize,
    /// Secondary facts, such as "first defined at file:line:col".
    pub notes: Vec<String>,
    /// A suggestion, such as "did you mean `app`?".
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic without source context (for example an I/O error).
    pub fn bare(file: &str, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            span: Location {
                file: file.to_owned(),
                line: 1,
                column: 1,
            },
            label: String::new(),
            source_line: None,
            width: 1,
            notes: Vec::new(),
            help: None,
        }
    }

    /// Add a note line.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Set the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line_no = self.span.line.to_string();
        let w = line_no.len().max(2);
        let pad = " ".repeat(w);
        writeln!(f, "error: {}", self.message)?;
        writeln!(f, "{pad}--> {}", self.span)?;
        if let Some(src) = &self.source_line {
            writeln!(f, "{pad} |")?;
            writeln!(f, "{line_no:>w$} | {src}")?;
            let indent = " ".repeat(self.span.column.saturating_sub(1));
            let carets = "^".repeat(self.width.max(1));
            if self.label.is_empty() {
                writeln!(f, "{pad} | {indent}{carets}")?;
            } else {
                writeln!(f, "{pad} | {indent}{carets} {}", self.label)?;
            }
        }
        if !self.notes.is_empty() || self.help.is_some() {
            writeln!(f, "{pad} |")?;
        }
        for note in &self.notes {
            writeln!(f, "{pad} = note: {note}")?;
        }
        if let Some(help) = &self.help {
            writeln!(f, "{pad} = help: {help}")?;
        }
        Ok(())
    }
}

/// Every error found in one configuration, in source order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diagnostics {
    list: Vec<Diagnostic>,
    /// Diagnostics dropped beyond [`MAX_DIAGNOSTICS`].
    dropped: usize,
}

impl Diagnostics {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// A set with one diagnostic.
    pub fn single(diagnostic: Diagnostic) -> Self {
        let mut d = Self::new();
        d.push(diagnostic);
        d
    }

    /// Add a diagnostic (kept up to [`MAX_DIAGNOSTICS`], counted beyond).
    pub fn push(&mut self, diagnostic: Diagnostic) {
        if self.list.len() < MAX_DIAGNOSTICS {
            self.list.push(diagnostic);
        } else {
            self.dropped += 1;
        }
    }

    /// The diagnostics, in source order once [`Diagnostics::sort`] ran.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.list.iter()
    }

    /// Number of stored diagnostics.
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

    /// Sort by position (stable: equal positions keep their order).
    pub fn sort(&mut self) {
        self.list.sort_by_key(|d| (d.span.line, d.span.column));
    }

    /// The stored diagnostics as a vector.
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
        let total = self.list.len() + self.dropped;
        if self.dropped > 0 {
            writeln!(f)?;
            writeln!(f, "error: {} more errors not shown", self.dropped)?;
        }
        if total > 1 {
            writeln!(f)?;
            writeln!(f, "error: configuration rejected: {total} errors")?;
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

/// A source text with a line index, to turn byte ranges into [`Location`]s.
#[derive(Debug)]
pub(crate) struct Source<'a> {
    name: &'a str,
    text: &'a str,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
}

impl<'a> Source<'a> {
    pub(crate) fn new(name: &'a str, text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self {
            name,
            text,
            line_starts,
        }
    }

    /// A diagnostic at `span` (byte range into the text).
    pub(crate) fn diag(
        &self,
        span: Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Diagnostic {
        let start = floor_char_boundary(self.text, span.start.min(self.text.len()));
        let end = floor_char_boundary(self.text, span.end.clamp(start, self.text.len()));
        let line_idx = match self.line_starts.binary_search(&start) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let line_start = self.line_starts[line_idx];
        let line_end = self
            .line_starts
            .get(line_idx + 1)
            .map_or(self.text.len(), |next| next - 1);
        let raw_line = &self.text[line_start..line_end];
        let raw_line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        let column = self.text[line_start..start].chars().count() + 1;
        let underline_end = end.min(line_start + raw_line.len()).max(start);
        let width = self.text[start..underline_end].chars().count().max(1);
        Diagnostic {
            message: message.into(),
            span: Location {
                file: self.name.to_owned(),
                line: line_idx + 1,
                column,
            },
            label: label.into(),
            // Tabs become one space so that the underline stays aligned.
            source_line: Some(raw_line.replace('\t', " ")),
            width,
            notes: Vec::new(),
            help: None,
        }
    }

    /// The location of a byte offset, as `file:line:col` text.
    pub(crate) fn location(&self, offset: usize) -> Location {
        self.diag(offset..offset, "", "").span
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let src = Source::new("t.toml", "a = 1\nnäme = \"x\"\n");
        let d = src.diag(14..17, "bad", "here");
        assert_eq!(d.span.line, 2);
        // "näme = " is 7 characters but 8 bytes.
        assert_eq!(d.span.column, 8);
        assert_eq!(d.width, 3);
        assert_eq!(d.source_line.as_deref(), Some("näme = \"x\""));
    }

    #[test]
    fn renders_like_rustc() {
        let src = Source::new("c.toml", "[admin]\nlisten = 5\n");
        let d = src
            .diag(17..18, "`admin.listen` must be a string", "found integer")
            .with_note("a note")
            .with_help("write \"127.0.0.1:9901\"");
        let want = "error: `admin.listen` must be a string\n  --> c.toml:2:10\n   |\n 2 | listen = 5\n   |          ^ found integer\n   |\n   = note: a note\n   = help: write \"127.0.0.1:9901\"\n";
        assert_eq!(d.to_string(), want);
    }

    #[test]
    fn spans_past_the_end_are_clamped() {
        let src = Source::new("c.toml", "x");
        let d = src.diag(5..9, "m", "l");
        assert_eq!((d.span.line, d.span.column, d.width), (1, 2, 1));
    }

    #[test]
    fn caps_the_number_kept() {
        let mut all = Diagnostics::new();
        for _ in 0..MAX_DIAGNOSTICS + 3 {
            all.push(Diagnostic::bare("f", "m"));
        }
        assert_eq!(all.len(), MAX_DIAGNOSTICS);
        assert_eq!(all.dropped(), 3);
    }
}
