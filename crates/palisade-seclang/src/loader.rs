//! Loading included files: the [`Loader`] trait, a filesystem implementation and an in-memory one.
//!
//! The parser itself does no I/O; `Include` and `IncludeOptional` go through a loader. A pattern
//! may contain `*`, `?` and `[...]` wildcards in its last path component; the matching files are
//! returned sorted by name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::span::Span;

/// Why a file could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// A path without wildcards does not exist.
    #[error("file not found: {path}")]
    NotFound {
        /// The path as resolved.
        path: String,
    },
    /// Reading failed.
    #[error("cannot read {path}: {message}")]
    Io {
        /// The path as resolved.
        path: String,
        /// The I/O error text.
        message: String,
    },
    /// The file is larger than the limit.
    #[error("{path} is {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// The path as resolved.
        path: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The file is not UTF-8.
    #[error("{path} is not valid UTF-8")]
    NotUtf8 {
        /// The path as resolved.
        path: String,
    },
    /// The pattern is malformed (for example a wildcard in a directory component).
    #[error("bad include pattern {pattern}: {reason}")]
    BadPattern {
        /// The pattern.
        pattern: String,
        /// What is wrong.
        reason: &'static str,
    },
}

/// Resolves an include path (or glob) to named file texts.
pub trait Loader {
    /// Loads `path`. `from` is the span of the `Include` directive (none for top-level loads).
    /// A glob yields every matching file sorted by resolved name, possibly none; a plain path
    /// that does not exist is [`LoadError::NotFound`].
    fn load(&self, path: &str, from: Option<&Span>) -> Result<Vec<(String, String)>, LoadError>;
}

/// True when `s` contains glob wildcards.
pub fn has_wildcards(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Matches `name` against a glob with `*`, `?` and `[...]` (with `!`/`^` negation and ranges).
/// `*` and `?` do not match `/`. Bounded: the backtracking is over a single `*` position at a
/// time, so the cost is O(pattern × name).
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ni));
                    pi += 1;
                    continue;
                }
                '?' if n[ni] != '/' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class_match(&p, pi, n[ni])
                        && matched
                    {
                        pi = next;
                        ni += 1;
                        continue;
                    }
                }
                c if c == n[ni] && c != '?' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn)) if n[sn] != '/' => {
                pi = sp + 1;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            _ => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Matches `c` against the class starting at `p[start] == '['`; returns (matched, index after `]`).
fn class_match(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!' | '^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate && c != '/', i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

/// An in-memory loader for tests and embedded rule sets: a map from name to text.
#[derive(Debug, Clone, Default)]
pub struct MapLoader {
    files: BTreeMap<String, String>,
}

impl MapLoader {
    /// An empty loader.
    pub fn new() -> MapLoader {
        MapLoader::default()
    }

    /// Adds a file.
    pub fn insert(&mut self, name: impl Into<String>, text: impl Into<String>) -> &mut MapLoader {
        self.files.insert(name.into(), text.into());
        self
    }

    /// Adds a file (builder style).
    pub fn with(mut self, name: impl Into<String>, text: impl Into<String>) -> MapLoader {
        self.insert(name, text);
        self
    }
}

impl Loader for MapLoader {
    fn load(&self, path: &str, _from: Option<&Span>) -> Result<Vec<(String, String)>, LoadError> {
        if !has_wildcards(path) {
            return self
                .files
                .get(path)
                .map(|t| vec![(path.to_owned(), t.clone())])
                .ok_or_else(|| LoadError::NotFound {
                    path: path.to_owned(),
                });
        }
        // BTreeMap iteration is already sorted by name.
        Ok(self
            .files
            .iter()
            .filter(|(k, _)| glob_match(path, k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}

/// Default largest file the [`FsLoader`] reads (16 MiB; CRS's largest is under 200 KB).
pub const FS_DEFAULT_MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// Default most files one glob may match.
pub const FS_DEFAULT_MAX_GLOB_MATCHES: usize = 4096;

/// Loads files from the filesystem. Relative paths are resolved against `root` (like Apache's
/// ServerRoot); wildcards are allowed in the last path component only.
#[derive(Debug, Clone)]
pub struct FsLoader {
    root: PathBuf,
    max_file_size: u64,
    max_glob_matches: usize,
}

impl FsLoader {
    /// A loader rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> FsLoader {
        FsLoader {
            root: root.into(),
            max_file_size: FS_DEFAULT_MAX_FILE_SIZE,
            max_glob_matches: FS_DEFAULT_MAX_GLOB_MATCHES,
        }
    }

    /// Sets the largest file size read.
    pub fn with_max_file_size(mut self, bytes: u64) -> FsLoader {
        self.max_file_size = bytes;
        self
    }

    /// Sets the most files a glob may match.
    pub fn with_max_glob_matches(mut self, n: usize) -> FsLoader {
        self.max_glob_matches = n;
        self
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn read(&self, path: &Path) -> Result<(String, String), LoadError> {
        let shown = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => LoadError::NotFound {
                path: shown.clone(),
            },
            _ => LoadError::Io {
                path: shown.clone(),
                message: e.to_string(),
            },
        })?;
        if meta.len() > self.max_file_size {
            return Err(LoadError::TooLarge {
                path: shown,
                size: meta.len(),
                limit: self.max_file_size,
            });
        }
        let bytes = std::fs::read(path).map_err(|e| LoadError::Io {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        // The file may have grown between metadata and read.
        if bytes.len() as u64 > self.max_file_size {
            return Err(LoadError::TooLarge {
                path: shown,
                size: bytes.len() as u64,
                limit: self.max_file_size,
            });
        }
        let text = String::from_utf8(bytes).map_err(|_| LoadError::NotUtf8 {
            path: shown.clone(),
        })?;
        Ok((shown, text))
    }
}

impl Loader for FsLoader {
    fn load(&self, path: &str, _from: Option<&Span>) -> Result<Vec<(String, String)>, LoadError> {
        let full = self.root.join(path);
        if !has_wildcards(path) {
            return Ok(vec![self.read(&full)?]);
        }
        let dir = full.parent().map(Path::to_path_buf).unwrap_or_default();
        let Some(pattern) = full.file_name().and_then(|f| f.to_str()) else {
            return Err(LoadError::BadPattern {
                pattern: path.to_owned(),
                reason: "the last component is not a valid file name",
            });
        };
        if has_wildcards(&dir.to_string_lossy()) {
            return Err(LoadError::BadPattern {
                pattern: path.to_owned(),
                reason: "wildcards are only allowed in the last path component",
            });
        }
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(LoadError::Io {
                    path: dir.display().to_string(),
                    message: e.to_string(),
                });
            }
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| LoadError::Io {
                path: dir.display().to_string(),
                message: e.to_string(),
            })?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if !glob_match(pattern, &name) {
                continue;
            }
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            names.push(name);
            if names.len() > self.max_glob_matches {
                return Err(LoadError::BadPattern {
                    pattern: path.to_owned(),
                    reason: "the pattern matches too many files",
                });
            }
        }
        names.sort();
        names.into_iter().map(|n| self.read(&dir.join(n))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_basics() {
        assert!(glob_match("*.conf", "a.conf"));
        assert!(!glob_match("*.conf", "a.conf.example"));
        assert!(glob_match("rules/*.conf", "rules/REQUEST-901.conf"));
        assert!(!glob_match("*.conf", "rules/a.conf"));
        assert!(glob_match("a?c", "abc"));
        assert!(glob_match("[a-c]x", "bx"));
        assert!(!glob_match("[!a-c]x", "bx"));
        assert!(glob_match("*", ""));
        assert!(glob_match("**a*b", "xxaxxb"));
        assert!(!glob_match("a", "ab"));
        assert!(glob_match("[]]", "]"));
        assert!(!glob_match("[abc", "a"));
    }

    #[test]
    fn map_loader_sorts_and_reports_missing() {
        let l = MapLoader::new()
            .with("r/b.conf", "B")
            .with("r/a.conf", "A")
            .with("r/c.txt", "C");
        let got = l.load("r/*.conf", None).unwrap();
        assert_eq!(
            got,
            vec![
                ("r/a.conf".to_owned(), "A".to_owned()),
                ("r/b.conf".to_owned(), "B".to_owned())
            ]
        );
        assert!(l.load("r/none*.conf", None).unwrap().is_empty());
        assert!(matches!(
            l.load("missing.conf", None),
            Err(LoadError::NotFound { .. })
        ));
    }

    #[test]
    fn fs_loader_reads_globs_and_limits() {
        let dir = std::env::temp_dir().join(format!("palisade-seclang-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/b.conf"), "B").unwrap();
        std::fs::write(dir.join("sub/a.conf"), "A").unwrap();
        std::fs::write(dir.join("big.conf"), "0123456789").unwrap();
        let l = FsLoader::new(&dir).with_max_file_size(5);
        let got = l.load("sub/*.conf", None).unwrap();
        assert_eq!(got.len(), 2);
        assert!(got[0].0.ends_with("a.conf") && got[0].1 == "A");
        assert!(matches!(
            l.load("big.conf", None),
            Err(LoadError::TooLarge { size: 10, .. })
        ));
        assert!(matches!(
            l.load("nope.conf", None),
            Err(LoadError::NotFound { .. })
        ));
        assert!(l.load("nodir/*.conf", None).unwrap().is_empty());
        assert!(matches!(
            l.load("s*/a.conf", None),
            Err(LoadError::BadPattern { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
