//! The regression suite as typed data: ftw-tests-schema v2.3.0 files, loaded from YAML.
//!
//! Loading resolves everything a run needs up front: defaults (`test_id` = 1-based position,
//! `rule_id` from the file name when missing), `autocomplete_headers` / legacy `stop_magic`,
//! legacy `log_contains` / `no_log_contains`, base64 fields, the `{{ "X" | repeat N }}` data
//! template, and every regex. Fields the schema has but the runner does not act on (`dest_addr`,
//! `port`, `protocol`, `save_cookie`, `follow_redirect`, `response`, `meta`, …) are kept where
//! useful for display or ignored; unknown fields never break loading.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine;
use saphyr::MarkedYaml;

use crate::yaml::{self, Kind};

/// Largest test file read (CRS's largest is ~300 KB).
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Largest request body a `repeat` template may produce.
const MAX_TEMPLATE_BYTES: usize = 16 * 1024 * 1024;
/// Deepest directory nesting searched for test files.
const MAX_DIR_DEPTH: usize = 16;

/// The whole regression suite: every test file below a directory, sorted by path.
#[derive(Debug, Clone, Default)]
pub struct Suite {
    /// The test files, sorted by path.
    pub files: Vec<TestFile>,
}

impl Suite {
    /// Number of test cases in all files.
    pub fn test_count(&self) -> usize {
        self.files.iter().map(|f| f.tests.len()).sum()
    }

    /// Number of stages in all test cases.
    pub fn stage_count(&self) -> usize {
        self.files
            .iter()
            .flat_map(|f| &f.tests)
            .map(|t| t.stages.len())
            .sum()
    }
}

/// One YAML test file.
#[derive(Debug, Clone)]
pub struct TestFile {
    /// Where the file was read from.
    pub path: PathBuf,
    /// The file name without directories (`942100.yaml`), as printed in reports.
    pub name: String,
    /// The file's `rule_id`; when absent or 0, the first run of digits in the file name.
    ///
    /// Kept as written: CRS v4.28.0's `933200.yaml` says `9331200`.
    pub rule_id: u32,
    /// The test cases, in file order (zero for a comment-only file such as `920539.yaml`).
    pub tests: Vec<TestCase>,
}

/// One test case (an entry under `tests:`).
#[derive(Debug, Clone)]
pub struct TestCase {
    /// The file's rule id (copied here for convenience).
    pub rule_id: u32,
    /// `test_id`; when absent or 0, the 1-based position in the file (as go-ftw).
    pub test_id: u32,
    /// `test_title`, if any.
    pub title: Option<String>,
    /// `desc`, if any.
    pub desc: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
    /// The stages, run in order.
    pub stages: Vec<Stage>,
}

impl TestCase {
    /// go-ftw's test id string, `<rule_id>-<test_id>` (e.g. `942100-3`).
    pub fn id_string(&self) -> String {
        format!("{}-{}", self.rule_id, self.test_id)
    }
}

/// One stage: a request to send and what to expect.
#[derive(Debug, Clone, Default)]
pub struct Stage {
    /// `description`, if any.
    pub description: Option<String>,
    /// What to send.
    pub input: Input,
    /// What to expect.
    pub output: Output,
}

/// A stage's request (`input:`).
///
/// `dest_addr`, `port` and `protocol` are recorded but **ignored** by the runner: every request
/// goes to the [`Target`](crate::Target) address over plain TCP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// `dest_addr` (ignored by the runner).
    pub dest_addr: Option<String>,
    /// `port` (ignored by the runner).
    pub port: Option<u16>,
    /// `protocol` (ignored by the runner; always plain HTTP).
    pub protocol: Option<String>,
    /// `method`, sent verbatim (default `GET`).
    pub method: Option<String>,
    /// `uri`, sent verbatim (default `/`).
    pub uri: Option<String>,
    /// `version`, sent verbatim (default `HTTP/1.1`).
    pub version: Option<String>,
    /// The `headers:` map in file order; scalars are taken as their raw text. The request
    /// builder sorts them by name, byte-wise, as go-ftw does.
    pub headers: Vec<(String, String)>,
    /// `ordered_headers` (`[{name, value}]`): when present, sent in this exact order instead of
    /// `headers` (duplicates allowed).
    pub ordered_headers: Option<Vec<(String, String)>>,
    /// The body: `data` with the `repeat` template expanded, else `encoded_data` decoded.
    pub data: Option<Vec<u8>>,
    /// `encoded_request` decoded: the whole request, replacing everything else.
    pub encoded_request: Option<Vec<u8>>,
    /// `autocomplete_headers` (default true; legacy `stop_magic` is its inverse).
    pub autocomplete_headers: bool,
    /// `virtual_host_mode`: marker requests use this stage's `Host` header instead of
    /// `localhost`.
    pub virtual_host_mode: bool,
}

impl Default for Input {
    fn default() -> Self {
        Self {
            dest_addr: None,
            port: None,
            protocol: None,
            method: None,
            uri: None,
            version: None,
            headers: Vec::new(),
            ordered_headers: None,
            data: None,
            encoded_request: None,
            autocomplete_headers: true,
            virtual_host_mode: false,
        }
    }
}

/// What a stage expects (`output:`). The default expects nothing: the stage passes unless the
/// request fails at the transport level.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    /// `status`: the exact response status (0 in the file means no expectation).
    pub status: Option<u16>,
    /// `response_contains`: a regex that must match the raw response (head and body).
    pub response_contains: Option<Pattern>,
    /// `log:` expectations (legacy `log_contains` / `no_log_contains` already folded in).
    pub log: LogExpect,
    /// `expect_error`: the request must fail at the transport level; nothing else is checked.
    pub expect_error: bool,
    /// `retry_once`: a failed stage is run once more and the second result counts.
    pub retry_once: bool,
    /// `isolated`: exactly one rule id may appear in the marked log lines.
    pub isolated: bool,
}

/// Log expectations (`output.log`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogExpect {
    /// Every one of these ids must appear in the marked log lines.
    pub expect_ids: Vec<u32>,
    /// None of these ids may appear.
    pub no_expect_ids: Vec<u32>,
    /// Some marked line must match.
    pub match_regex: Option<Pattern>,
    /// No marked line may match.
    pub no_match_regex: Option<Pattern>,
}

impl LogExpect {
    /// Whether there is any log expectation at all.
    pub fn is_empty(&self) -> bool {
        self.expect_ids.is_empty()
            && self.no_expect_ids.is_empty()
            && self.match_regex.is_none()
            && self.no_match_regex.is_none()
    }
}

/// A compiled regular expression with its source text.
///
/// Compiled with `regex::bytes` defaults, which accepts the Go RE2 syntax CRS tests use. One
/// difference to keep in mind: Rust's `\d`, `\w`, `\s`, `\b` are Unicode-aware where Go's are
/// ASCII-only; it only matters for non-ASCII digits or letters in log lines.
#[derive(Clone)]
pub struct Pattern {
    source: String,
    regex: regex::bytes::Regex,
}

impl Pattern {
    /// Compiles `source`.
    ///
    /// # Errors
    /// When `source` is not a valid regex (or exceeds the default size limit).
    pub fn new(source: &str) -> Result<Self, regex::Error> {
        Ok(Self {
            source: source.to_owned(),
            regex: regex::bytes::Regex::new(source)?,
        })
    }

    /// The source text.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the pattern matches anywhere in `haystack`.
    pub fn is_match(&self, haystack: &[u8]) -> bool {
        self.regex.is_match(haystack)
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.source)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Pattern {}

/// A regex error on one line (the `regex` crate's messages span several).
pub(crate) fn regex_error(e: &regex::Error) -> String {
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where a load error is: a file and, when known, a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// 1-based column, 0 when unknown.
    pub col: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.col)?;
        }
        Ok(())
    }
}

/// One problem found while loading the suite.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct LoadError {
    /// Where.
    pub location: Location,
    /// What.
    pub message: String,
}

/// Every problem found while loading the suite, all files at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} error(s) loading the test suite:\n{}", .errors.len(), list(.errors))]
pub struct LoadErrors {
    /// The problems, in file order.
    pub errors: Vec<LoadError>,
}

fn list(errors: &[LoadError]) -> String {
    errors
        .iter()
        .map(|e| format!("  {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Loads every `*.yaml` and `*.yml` file below `dir` (recursively), sorted by path.
///
/// # Errors
/// Every problem of every file (unreadable file, YAML syntax, wrong field type, bad regex, bad
/// base64, `data` together with `encoded_request`, `isolated` without exactly one
/// `expect_ids` entry, …) in one [`LoadErrors`]; also when `dir` holds no test file.
pub fn load_suite(dir: &Path) -> Result<Suite, LoadErrors> {
    let mut errors = Vec::new();
    let mut paths = Vec::new();
    collect_files(dir, 0, &mut paths, &mut errors);
    paths.sort();
    if paths.is_empty() && errors.is_empty() {
        errors.push(error_at(dir, 0, 0, "no *.yaml or *.yml test files found"));
    }
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        match read_bounded(&path) {
            Ok(text) => match parse_file(&path, &text) {
                Ok(file) => files.push(file),
                Err(mut e) => errors.append(&mut e.errors),
            },
            Err(message) => errors.push(error_at(&path, 0, 0, &message)),
        }
    }
    if errors.is_empty() {
        Ok(Suite { files })
    } else {
        Err(LoadErrors { errors })
    }
}

/// Parses one test file's text; `path` is used for the file name, the `rule_id` fallback and
/// error locations.
///
/// # Errors
/// Every problem found in the file.
pub fn parse_file(path: &Path, text: &str) -> Result<TestFile, LoadErrors> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut cx = Cx {
        path,
        errors: Vec::new(),
    };
    let file = match yaml::parse(text) {
        Ok(doc) => Some(cx.file(doc.as_ref(), name)),
        Err(e) => {
            cx.errors.push(error_at(
                path,
                e.line,
                e.col,
                &format!("YAML: {}", e.message),
            ));
            None
        }
    };
    match file {
        Some(file) if cx.errors.is_empty() => Ok(file),
        _ => Err(LoadErrors { errors: cx.errors }),
    }
}

fn error_at(path: &Path, line: usize, col: usize, message: &str) -> LoadError {
    LoadError {
        location: Location {
            path: path.to_path_buf(),
            line,
            col,
        },
        message: message.to_owned(),
    }
}

fn collect_files(dir: &Path, depth: usize, out: &mut Vec<PathBuf>, errors: &mut Vec<LoadError>) {
    if depth > MAX_DIR_DEPTH {
        errors.push(error_at(dir, 0, 0, "directory nesting too deep"));
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(error_at(dir, 0, 0, &format!("cannot read directory: {e}")));
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                errors.push(error_at(dir, 0, 0, &format!("cannot read directory: {e}")));
                continue;
            }
        };
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => collect_files(&path, depth + 1, out, errors),
            Ok(_) => {
                let ext = path.extension().and_then(|e| e.to_str());
                if matches!(ext, Some("yaml" | "yml")) {
                    out.push(path);
                }
            }
            Err(e) => errors.push(error_at(&path, 0, 0, &format!("cannot stat: {e}"))),
        }
    }
}

fn read_bounded(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let mut bytes = Vec::new();
    // Bounded by `take`: test files are small; anything larger is rejected below.
    #[allow(clippy::disallowed_methods)]
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!("file larger than {MAX_FILE_BYTES} bytes"));
    }
    String::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))
}

/// The loading context: the file and the errors found so far.
struct Cx<'p> {
    path: &'p Path,
    errors: Vec<LoadError>,
}

type Map<'a, 'i> = &'a saphyr::AnnotatedMapping<'i, MarkedYaml<'i>>;

impl Cx<'_> {
    fn err(&mut self, node: &MarkedYaml<'_>, message: impl fmt::Display) {
        let (line, col) = yaml::position(node);
        self.errors
            .push(error_at(self.path, line, col, &message.to_string()));
    }

    /// Field `key` of `map`, if present.
    fn field<'a, 'i>(map: Map<'a, 'i>, key: &str) -> Option<&'a MarkedYaml<'i>> {
        map.iter()
            .find(|(k, _)| yaml::key_text(k) == Some(key))
            .map(|(_, v)| v)
    }

    fn mapping<'a, 'i>(&mut self, node: &'a MarkedYaml<'i>, what: &str) -> Option<Map<'a, 'i>> {
        match yaml::kind(node) {
            Kind::Map(map) => Some(map),
            Kind::Null => None,
            _ => {
                self.err(node, format!("`{what}` must be a mapping"));
                None
            }
        }
    }

    fn sequence<'a, 'i>(&mut self, node: &'a MarkedYaml<'i>, what: &str) -> &'a [MarkedYaml<'i>] {
        match yaml::kind(node) {
            Kind::Seq(items) => items,
            Kind::Null => &[],
            _ => {
                self.err(node, format!("`{what}` must be a sequence"));
                &[]
            }
        }
    }

    fn string(&mut self, map: Map<'_, '_>, key: &str) -> Option<String> {
        let node = Self::field(map, key)?;
        match yaml::string(node) {
            Ok(v) => v,
            Err(e) => {
                self.err(node, format!("`{key}`: {e}"));
                None
            }
        }
    }

    fn boolean(&mut self, map: Map<'_, '_>, key: &str) -> Option<bool> {
        let node = Self::field(map, key)?;
        match yaml::boolean(node) {
            Ok(v) => v,
            Err(e) => {
                self.err(node, format!("`{key}`: {e}"));
                None
            }
        }
    }

    fn uint<T: TryFrom<u64>>(&mut self, map: Map<'_, '_>, key: &str) -> Option<T> {
        let node = Self::field(map, key)?;
        self.uint_node(node, key)
    }

    fn uint_node<T: TryFrom<u64>>(&mut self, node: &MarkedYaml<'_>, what: &str) -> Option<T> {
        match yaml::uint(node) {
            Ok(Some(v)) => match T::try_from(v) {
                Ok(v) => Some(v),
                Err(_) => {
                    self.err(node, format!("`{what}`: {v} is out of range"));
                    None
                }
            },
            Ok(None) => None,
            Err(e) => {
                self.err(node, format!("`{what}`: {e}"));
                None
            }
        }
    }

    fn pattern(&mut self, map: Map<'_, '_>, key: &str) -> Option<Pattern> {
        let node = Self::field(map, key)?;
        let source = self.string(map, key)?;
        if source.is_empty() {
            return None; // go-ftw treats "" as "no expectation"
        }
        match Pattern::new(&source) {
            Ok(p) => Some(p),
            Err(e) => {
                self.err(node, format!("`{key}`: invalid regex: {}", regex_error(&e)));
                None
            }
        }
    }

    fn base64(&mut self, map: Map<'_, '_>, key: &str) -> Option<Vec<u8>> {
        let node = Self::field(map, key)?;
        let text = self.string(map, key)?;
        if text.is_empty() {
            return None;
        }
        // Go's base64.StdEncoding skips '\r' and '\n' while decoding.
        let compact: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
        match base64::engine::general_purpose::STANDARD.decode(compact) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                self.err(node, format!("`{key}`: invalid base64: {e}"));
                None
            }
        }
    }

    fn file(&mut self, doc: Option<&MarkedYaml<'_>>, name: String) -> TestFile {
        let fallback_id = || -> Option<u32> {
            let digits: String = name
                .chars()
                .skip_while(|c| !c.is_ascii_digit())
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        };
        let map = match doc {
            Some(doc) => self.mapping(doc, "the document"),
            None => None,
        };
        let Some(map) = map else {
            // Empty or comment-only file: no tests (not an error).
            return TestFile {
                path: self.path.to_path_buf(),
                rule_id: fallback_id().unwrap_or(0),
                name,
                tests: Vec::new(),
            };
        };
        let rule_id = match self.uint::<u32>(map, "rule_id") {
            Some(id) if id > 0 => id,
            _ => match fallback_id() {
                Some(id) => id,
                None => {
                    if let Some(doc) = doc {
                        self.err(doc, "`rule_id` is missing and the file name has no number");
                    }
                    0
                }
            },
        };
        let mut tests = Vec::new();
        if let Some(node) = Self::field(map, "tests") {
            for (index, item) in self.sequence(node, "tests").iter().enumerate() {
                if let Some(test) = self.test(item, rule_id, index) {
                    tests.push(test);
                }
            }
        }
        TestFile {
            path: self.path.to_path_buf(),
            name,
            rule_id,
            tests,
        }
    }

    fn test(&mut self, node: &MarkedYaml<'_>, rule_id: u32, index: usize) -> Option<TestCase> {
        let map = self.mapping(node, "tests[]")?;
        let position = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let test_id = match self.uint::<u32>(map, "test_id") {
            Some(id) if id > 0 => id,
            _ => position,
        };
        let tags = match Self::field(map, "tags") {
            Some(node) => self
                .sequence(node, "tags")
                .iter()
                .filter_map(|t| yaml::string(t).ok().flatten())
                .collect(),
            None => Vec::new(),
        };
        let mut stages = Vec::new();
        if let Some(node) = Self::field(map, "stages") {
            for item in self.sequence(node, "stages") {
                if let Some(stage) = self.stage(item) {
                    stages.push(stage);
                }
            }
        }
        Some(TestCase {
            rule_id,
            test_id,
            title: self.string(map, "test_title"),
            desc: self.string(map, "desc"),
            tags,
            stages,
        })
    }

    fn stage(&mut self, node: &MarkedYaml<'_>) -> Option<Stage> {
        let map = self.mapping(node, "stages[]")?;
        if let Some(legacy) = Self::field(map, "stage") {
            self.err(
                legacy,
                "the ftw v1 `stage:` wrapper is not supported (schema v2: put `input`/`output` directly in the stage)",
            );
            return None;
        }
        let input = match Self::field(map, "input") {
            Some(node) => self.input(node),
            None => Input::default(),
        };
        let output = match Self::field(map, "output") {
            Some(node) => self.output(node),
            None => Output::default(),
        };
        let has_data = input.data.as_ref().is_some_and(|d| !d.is_empty());
        if has_data && input.encoded_request.is_some() {
            self.err(
                node,
                "`data` and `encoded_request` must not be set together",
            );
        }
        if output.isolated && output.log.expect_ids.len() != 1 {
            self.err(
                node,
                "`isolated` is only valid when `log.expect_ids` has exactly one entry",
            );
        }
        Some(Stage {
            description: self.string(map, "description"),
            input,
            output,
        })
    }

    fn input(&mut self, node: &MarkedYaml<'_>) -> Input {
        let mut input = Input::default();
        let Some(map) = self.mapping(node, "input") else {
            return input;
        };
        input.dest_addr = self.string(map, "dest_addr");
        input.port = self.uint(map, "port");
        input.protocol = self.string(map, "protocol");
        input.method = self.string(map, "method");
        input.uri = self.string(map, "uri");
        input.version = self.string(map, "version");
        if let Some(node) = Self::field(map, "headers") {
            input.headers = self.header_map(node);
        }
        if let Some(node) = Self::field(map, "ordered_headers") {
            input.ordered_headers = Some(self.header_list(node));
        }
        input.data = match Self::field(map, "data") {
            Some(node) => self
                .string(map, "data")
                .and_then(|d| match expand_template(&d) {
                    Ok(bytes) => Some(bytes),
                    Err(e) => {
                        self.err(node, format!("`data`: {e}"));
                        None
                    }
                }),
            None => self.base64(map, "encoded_data"),
        };
        input.encoded_request = self.base64(map, "encoded_request");
        // go-ftw: autocomplete_headers wins; else stop_magic is its inverse; default true.
        input.autocomplete_headers = match (
            self.boolean(map, "autocomplete_headers"),
            self.boolean(map, "stop_magic"),
        ) {
            (Some(v), _) => v,
            (None, Some(stop)) => !stop,
            (None, None) => true,
        };
        input.virtual_host_mode = self.boolean(map, "virtual_host_mode").unwrap_or(false);
        input
    }

    fn header_map(&mut self, node: &MarkedYaml<'_>) -> Vec<(String, String)> {
        let Some(map) = self.mapping(node, "headers") else {
            return Vec::new();
        };
        let mut headers = Vec::with_capacity(map.len());
        for (key, value) in map {
            let Some(name) = yaml::key_text(key) else {
                self.err(key, "header names must be scalars");
                continue;
            };
            match yaml::string(value) {
                Ok(v) => headers.push((name.to_owned(), v.unwrap_or_default())),
                Err(e) => self.err(value, format!("header `{name}`: {e}")),
            }
        }
        headers
    }

    fn header_list(&mut self, node: &MarkedYaml<'_>) -> Vec<(String, String)> {
        let mut headers = Vec::new();
        for item in self.sequence(node, "ordered_headers") {
            let Some(map) = self.mapping(item, "ordered_headers[]") else {
                continue;
            };
            let name = self.string(map, "name").unwrap_or_default();
            let value = self.string(map, "value").unwrap_or_default();
            headers.push((name, value));
        }
        headers
    }

    fn output(&mut self, node: &MarkedYaml<'_>) -> Output {
        let mut output = Output::default();
        let Some(map) = self.mapping(node, "output") else {
            return output;
        };
        output.status = self.uint::<u16>(map, "status").filter(|s| *s != 0);
        output.response_contains = self.pattern(map, "response_contains");
        output.expect_error = self.boolean(map, "expect_error").unwrap_or(false);
        output.retry_once = self.boolean(map, "retry_once").unwrap_or(false);
        output.isolated = self.boolean(map, "isolated").unwrap_or(false);
        let mut has_expect_ids = false;
        let mut has_no_expect_ids = false;
        if let Some(log) = Self::field(map, "log").and_then(|n| self.mapping(n, "log")) {
            if let Some(node) = Self::field(log, "expect_ids") {
                has_expect_ids = true;
                output.log.expect_ids = self.ids(node, "expect_ids");
            }
            if let Some(node) = Self::field(log, "no_expect_ids") {
                has_no_expect_ids = true;
                output.log.no_expect_ids = self.ids(node, "no_expect_ids");
            }
            output.log.match_regex = self.pattern(log, "match_regex");
            output.log.no_match_regex = self.pattern(log, "no_match_regex");
        }
        // Legacy fields, converted as go-ftw's postProcessLogContains does: only when the
        // corresponding `log.*` fields are absent.
        if !has_expect_ids && output.log.match_regex.is_none() {
            output.log.match_regex = self.pattern(map, "log_contains");
        }
        if !has_no_expect_ids && output.log.no_match_regex.is_none() {
            output.log.no_match_regex = self.pattern(map, "no_log_contains");
        }
        output
    }

    fn ids(&mut self, node: &MarkedYaml<'_>, what: &str) -> Vec<u32> {
        let items = self.sequence(node, what);
        items
            .iter()
            .filter_map(|item| self.uint_node::<u32>(item, what))
            .collect()
    }
}

/// Expands the one Go template form CRS uses, `{{ "X" | repeat N }}` (and Sprig's equivalent
/// `{{ repeat N "X" }}`), anywhere in `data`. Text without such an action is returned as is;
/// any other `{{ … }}` is left verbatim (go-ftw would evaluate it with text/template + Sprig,
/// and send an empty body if it did not parse; CRS v4.28.0 has no such data).
fn expand_template(data: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(data.len());
    let mut rest = data;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        let action = &rest[start + 2..start + len];
        out.extend_from_slice(&rest.as_bytes()[..start]);
        match parse_repeat(action) {
            Some((text, count)) => {
                let total = text.len().saturating_mul(count);
                if out.len().saturating_add(total) > MAX_TEMPLATE_BYTES {
                    return Err(format!(
                        "template expands to more than {MAX_TEMPLATE_BYTES} bytes"
                    ));
                }
                out.extend_from_slice(text.repeat(count).as_bytes());
            }
            None => out.extend_from_slice(&rest.as_bytes()[start..start + len + 2]),
        }
        rest = &rest[start + len + 2..];
    }
    out.extend_from_slice(rest.as_bytes());
    Ok(out)
}

/// Parses `"X" | repeat N` or `repeat N "X"` (the inside of `{{ }}`).
fn parse_repeat(action: &str) -> Option<(String, usize)> {
    let action = action.trim();
    if let Some((text, call)) = action.split_once('|') {
        let text = go_string(text.trim())?;
        let count = call.trim().strip_prefix("repeat")?;
        if !count.starts_with(char::is_whitespace) {
            return None;
        }
        return Some((text, count.trim().parse().ok()?));
    }
    let args = action.strip_prefix("repeat")?;
    if !args.starts_with(char::is_whitespace) {
        return None;
    }
    let (count, text) = args.trim().split_once(char::is_whitespace)?;
    Some((go_string(text.trim())?, count.parse().ok()?))
}

/// A Go interpreted string literal with the simple escapes (`\"`, `\\`, `\n`, `\r`, `\t`).
fn go_string(literal: &str) -> Option<String> {
    let inner = literal.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(match chars.next()? {
                '"' => '"',
                '\\' => '\\',
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                _ => return None,
            }),
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn parse(text: &str) -> Result<TestFile, LoadErrors> {
        parse_file(Path::new("dir/920100.yaml"), text)
    }

    #[test]
    fn repeat_template() {
        assert_eq!(
            expand_template("a\n{{ \"1\" | repeat 3 }}\nb").unwrap(),
            b"a\n111\nb"
        );
        assert_eq!(expand_template("{{repeat 2 \"ab\"}}").unwrap(), b"abab");
        assert_eq!(expand_template("x={{ .Foo }}").unwrap(), b"x={{ .Foo }}");
        assert_eq!(expand_template("{{ unclosed").unwrap(), b"{{ unclosed");
        assert_eq!(
            expand_template("{{ \"1\" | repeatx 3 }}").unwrap(),
            b"{{ \"1\" | repeatx 3 }}"
        );
        assert!(expand_template("{{ \"1\" | repeat 99999999999 }}").is_err());
    }

    #[test]
    fn defaults_and_fallbacks() {
        let file = parse(
            "tests:\n  - stages:\n      - input: {}\n  - test_id: 7\n    stages: []\n  - test_id: 0\n",
        )
        .unwrap();
        assert_eq!(file.rule_id, 920100, "rule_id from the file name");
        let ids: Vec<u32> = file.tests.iter().map(|t| t.test_id).collect();
        assert_eq!(ids, [1, 7, 3]);
        let input = &file.tests[0].stages[0].input;
        assert!(input.autocomplete_headers);
        assert_eq!(input.method, None);
        assert_eq!(file.tests[0].id_string(), "920100-1");
    }

    #[test]
    fn fields_are_typed() {
        let file = parse(concat!(
            "rule_id: 1\n",
            "tests:\n",
            "  - test_id: 2\n",
            "    stages:\n",
            "      - input:\n",
            "          method: POST\n",
            "          headers: {B: 22, A: x, C: ~}\n",
            "          data: |\n",
            "            a=b\n",
            "          stop_magic: true\n",
            "          unknown_field: [1, 2]\n",
            "        output:\n",
            "          status: 403\n",
            "          log:\n",
            "            expect_ids: [920100, 920101]\n",
            "            match_regex: 'id \"\\d+\"'\n",
            "          retry_once: true\n",
            "          some_future_field: 1\n",
        ))
        .unwrap();
        let stage = &file.tests[0].stages[0];
        assert_eq!(
            stage.input.headers,
            [
                ("B".to_owned(), "22".to_owned()),
                ("A".to_owned(), "x".to_owned()),
                ("C".to_owned(), String::new())
            ]
        );
        assert_eq!(stage.input.data.as_deref(), Some(&b"a=b\n"[..]));
        assert!(
            !stage.input.autocomplete_headers,
            "stop_magic is the inverse"
        );
        assert_eq!(stage.output.status, Some(403));
        assert_eq!(stage.output.log.expect_ids, [920100, 920101]);
        assert!(
            stage
                .output
                .log
                .match_regex
                .as_ref()
                .unwrap()
                .is_match(b"[id \"5\"]")
        );
        assert!(stage.output.retry_once);
    }

    #[test]
    fn legacy_log_contains_is_converted_only_when_log_fields_are_absent() {
        let file = parse(concat!(
            "tests:\n",
            "  - stages:\n",
            "      - output: {log_contains: 'a', no_log_contains: 'b'}\n",
            "      - output: {log_contains: 'a', log: {expect_ids: []}}\n",
        ))
        .unwrap();
        let [one, two] = &file.tests[0].stages[..] else {
            panic!()
        };
        assert_eq!(one.output.log.match_regex.as_ref().unwrap().as_str(), "a");
        assert_eq!(
            one.output.log.no_match_regex.as_ref().unwrap().as_str(),
            "b"
        );
        assert!(
            two.output.log.match_regex.is_none(),
            "expect_ids present, even empty"
        );
    }

    #[test]
    fn base64_fields() {
        let file = parse(concat!(
            "tests:\n",
            "  - stages:\n",
            "      - input: {encoded_request: \"R0VUIC8g\\nSFRUUC8xLjENCg0K\"}\n",
            "      - input: {encoded_data: \"YT1i\"}\n",
        ))
        .unwrap();
        let stages = &file.tests[0].stages;
        assert_eq!(
            stages[0].input.encoded_request.as_deref(),
            Some(&b"GET / HTTP/1.1\r\n\r\n"[..])
        );
        assert_eq!(stages[1].input.data.as_deref(), Some(&b"a=b"[..]));
    }

    #[test]
    fn all_errors_are_reported_with_positions() {
        let errors = parse(concat!(
            "tests:\n",
            "  - test_id: x\n",
            "    stages:\n",
            "      - input: {port: '80', encoded_request: '!!'}\n",
            "        output: {status: [403], log: {match_regex: '('}, isolated: true}\n",
            "      - input: {data: 'a', encoded_request: 'YQ=='}\n",
        ))
        .unwrap_err()
        .errors;
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        let joined = text.join("\n");
        for needle in [
            "920100.yaml:2:",
            "`test_id`",
            "`port`",
            "invalid base64",
            "`status`",
            "invalid regex",
            "`data` and `encoded_request`",
            "`isolated`",
        ] {
            assert!(joined.contains(needle), "missing {needle:?} in:\n{joined}");
        }
    }

    #[test]
    fn empty_and_comment_only_files_have_no_tests() {
        assert!(parse("").unwrap().tests.is_empty());
        assert!(parse("# nothing\n").unwrap().tests.is_empty());
        assert!(parse("---\n").unwrap().tests.is_empty());
        assert!(parse("- a\n").is_err(), "a sequence is not a test file");
        assert!(parse("tests:\n  - stages:\n      - stage: {}\n").is_err());
    }
}
