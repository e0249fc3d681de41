//! Source files and spans.

use std::fmt;

/// Index of a file in [`crate::RuleSet::files`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A region of a source file: the file, the 1-based line and column (in characters) of its
/// start, and its byte range in the file text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// The file.
    pub file: FileId,
    /// 1-based line of `start`.
    pub line: u32,
    /// 1-based column of `start`, counted in characters.
    pub column: u32,
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset one past the last byte.
    pub end: u32,
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "@{}:{}:{}[{}..{}]",
            self.file.0, self.line, self.column, self.start, self.end
        )
    }
}

/// A loaded source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Its id.
    pub id: FileId,
    /// The name the loader resolved it to.
    pub name: String,
    /// The file text.
    pub text: String,
    line_starts: Vec<u32>,
}

impl SourceFile {
    /// Indexes a file's lines. `text` must be at most `u32::MAX` bytes (the parser's file size
    /// limit enforces this).
    pub fn new(id: FileId, name: String, text: String) -> SourceFile {
        let mut line_starts = vec![0u32];
        for i in memchr::memchr_iter(b'\n', text.as_bytes()) {
            line_starts.push(to_u32(i + 1));
        }
        SourceFile {
            id,
            name,
            text,
            line_starts,
        }
    }

    /// A span for the byte range `start..end`.
    pub fn span(&self, start: usize, end: usize) -> Span {
        let start = start.min(self.text.len());
        let end = end.clamp(start, self.text.len());
        let (line, column) = self.line_col(start);
        Span {
            file: self.id,
            line,
            column,
            start: to_u32(start),
            end: to_u32(end),
        }
    }

    /// 1-based line and character column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let offset = to_u32(offset.min(self.text.len()));
        let idx = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let line_start = self.line_starts.get(idx).copied().unwrap_or(0) as usize;
        let end = offset as usize;
        let column = self
            .text
            .get(line_start..end)
            .map_or(end - line_start, |s| s.chars().count());
        (to_u32(idx + 1), to_u32(column + 1))
    }

    /// The text of the 1-based line `line`, without its line terminator.
    pub fn line_text(&self, line: u32) -> &str {
        let idx = (line as usize).saturating_sub(1);
        let Some(&start) = self.line_starts.get(idx) else {
            return "";
        };
        let end = self
            .line_starts
            .get(idx + 1)
            .map_or(self.text.len(), |&e| e as usize);
        self.text
            .get(start as usize..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }
}

/// Saturating conversion; offsets are bounded by the file size limit.
pub(crate) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column() {
        let f = SourceFile::new(FileId(0), "a".into(), "ab\nçd\n\nx".into());
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(1), (1, 2));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(5), (2, 2)); // after the two-byte ç
        assert_eq!(f.line_col(8), (4, 1));
        assert_eq!(f.line_text(2), "çd");
        assert_eq!(f.line_text(3), "");
        assert_eq!(f.line_text(9), "");
        let s = f.span(3, 6);
        assert_eq!((s.line, s.column, s.start, s.end), (2, 1, 3, 6));
    }
}
