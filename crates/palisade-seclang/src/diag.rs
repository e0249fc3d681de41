//! Diagnostics: every error of a rule set, each with its place.

use std::fmt;

use crate::span::Span;

/// A secondary message, optionally pointing at another place ("first defined here").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The note text.
    pub message: String,
    /// Where it points, with the file name.
    pub at: Option<Location>,
}

/// A resolved place: file name plus span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file name as resolved by the loader.
    pub file: String,
    /// The span in that file.
    pub span: Span,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.span.line, self.span.column)
    }
}

/// One error in a rule set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong.
    pub message: String,
    /// Where (the file name is in `file`).
    pub span: Span,
    /// The file name as resolved by the loader; empty when the error is not in a file.
    pub file: String,
    /// The rule the error belongs to, when known.
    pub rule_id: Option<u32>,
    /// The source line at `span.line` (for the snippet in `Display`).
    pub source_line: String,
    /// Secondary messages.
    pub notes: Vec<Note>,
}

/// Longest snippet shown in `Display` (CRS has 12 KB lines).
const SNIPPET_MAX_CHARS: usize = 100;

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        if let Some(id) = self.rule_id {
            write!(f, " (rule {id})")?;
        }
        writeln!(f)?;
        if self.file.is_empty() {
            for n in &self.notes {
                write_note(f, n, 1)?;
            }
            return Ok(());
        }
        let width = self.span.line.to_string().len();
        writeln!(
            f,
            "{:width$}--> {}:{}:{}",
            "", self.file, self.span.line, self.span.column
        )?;
        if !self.source_line.is_empty() {
            let (snippet, caret_col) = snippet(&self.source_line, self.span.column as usize);
            writeln!(f, "{:width$} |", "")?;
            writeln!(f, "{} | {}", self.span.line, snippet)?;
            let len = (self.span.end - self.span.start).clamp(1, 40) as usize;
            writeln!(
                f,
                "{:width$} | {}{}",
                "",
                " ".repeat(caret_col),
                "^".repeat(len)
            )?;
        }
        for n in &self.notes {
            write_note(f, n, width)?;
        }
        Ok(())
    }
}

fn write_note(f: &mut fmt::Formatter<'_>, n: &Note, width: usize) -> fmt::Result {
    match &n.at {
        Some(at) => writeln!(f, "{:width$} = note: {} at {at}", "", n.message),
        None => writeln!(f, "{:width$} = note: {}", "", n.message),
    }
}

/// A window of at most [`SNIPPET_MAX_CHARS`] characters of `line` around the 1-based character
/// column `col`; returns the window and the caret position inside it (0-based).
fn snippet(line: &str, col: usize) -> (String, usize) {
    let chars: Vec<char> = line
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    let col0 = col.saturating_sub(1).min(chars.len());
    let start = if chars.len() <= SNIPPET_MAX_CHARS {
        0
    } else {
        col0.saturating_sub(SNIPPET_MAX_CHARS / 4)
    };
    let end = (start + SNIPPET_MAX_CHARS).min(chars.len());
    let mut s: String = chars[start..end].iter().collect();
    let mut caret = col0 - start;
    if start > 0 {
        s.insert_str(0, "...");
        caret += 3;
    }
    if end < chars.len() {
        s.push_str("...");
    }
    (s, caret)
}

impl std::error::Error for Diagnostic {}

/// All diagnostics of a failed parse; `Display` prints them all and a summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        write!(f, "{} error(s)", self.0.len())
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::FileId;

    #[test]
    fn display_is_rustc_like() {
        let d = Diagnostic {
            message: "unknown action `foo`".into(),
            span: Span {
                file: FileId(0),
                line: 3,
                column: 5,
                start: 10,
                end: 13,
            },
            file: "a.conf".into(),
            rule_id: Some(7),
            source_line: "    foo,bar".into(),
            notes: vec![Note {
                message: "first defined".into(),
                at: None,
            }],
        };
        let s = d.to_string();
        assert_eq!(
            s,
            "error: unknown action `foo` (rule 7)\n --> a.conf:3:5\n  |\n3 |     foo,bar\n  |     ^^^\n  = note: first defined\n"
        );
    }

    #[test]
    fn long_lines_are_windowed() {
        let line = "x".repeat(1000);
        let (s, caret) = snippet(&line, 500);
        assert!(s.starts_with("...") && s.ends_with("..."));
        assert_eq!(caret, 3 + SNIPPET_MAX_CHARS / 4);
    }
}
