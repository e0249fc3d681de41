//! Overrides: reasoned replacements of the expected output of chosen tests, the TOML
//! counterpart of go-ftw's `--overrides` platform files (`test_overrides`).
//!
//! ```toml
//! [[override]]
//! rule_id = 920100
//! test_ids = [4, 5]          # empty or absent: every test of the rule
//! stage_ids = [0]            # optional, 0-based; empty or absent: every stage
//! reason = "hyper rejects the request line before the WAF sees it"
//! [override.output]          # absent: no expectation (passes unless a transport error)
//! status = 400
//! expect_error = false
//! retry_once = false
//! isolated = false
//! response_contains = "regex"
//! [override.output.log]
//! expect_ids = [920100]
//! no_expect_ids = []
//! match_regex = "regex"
//! no_match_regex = "regex"
//! ```
//!
//! As in go-ftw, an override's `output` **replaces** the whole output of the stages it covers.
//! Every entry needs a non-empty `reason`; unknown keys, bad regexes and two entries covering
//! the same test are errors, all reported at once with line and column.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use crate::suite::{LogExpect, Output, Pattern, regex_error};

/// Largest overrides file read.
const MAX_OVERRIDES_BYTES: u64 = 4 * 1024 * 1024;

/// A set of reasoned output overrides.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    entries: Vec<OverrideEntry>,
}

/// One `[[override]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct OverrideEntry {
    /// The rule whose tests are overridden.
    pub rule_id: u32,
    /// The tests; empty means every test of the rule.
    pub test_ids: Vec<u32>,
    /// 0-based stage indices; empty means every stage.
    pub stage_ids: Vec<usize>,
    /// Why (required, non-empty).
    pub reason: String,
    /// The replacement output; `None` expects nothing (passes unless a transport error).
    pub output: Option<Output>,
}

impl OverrideEntry {
    /// Whether this entry covers test `test_id` of rule `rule_id`.
    pub fn covers(&self, rule_id: u32, test_id: u32) -> bool {
        self.rule_id == rule_id && (self.test_ids.is_empty() || self.test_ids.contains(&test_id))
    }

    /// Whether this entry applies to the stage at `index` (0-based).
    pub fn covers_stage(&self, index: usize) -> bool {
        self.stage_ids.is_empty() || self.stage_ids.contains(&index)
    }
}

impl Overrides {
    /// No overrides.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Reads and parses an overrides file.
    ///
    /// # Errors
    /// A message naming the file and every problem in it.
    pub fn load(path: &Path) -> Result<Self, String> {
        let file = std::fs::File::open(path)
            .map_err(|e| format!("{}: cannot open: {e}", path.display()))?;
        let mut bytes = Vec::new();
        // Bounded by `take`; larger files are rejected below.
        #[allow(clippy::disallowed_methods)]
        file.take(MAX_OVERRIDES_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        if bytes.len() as u64 > MAX_OVERRIDES_BYTES {
            return Err(format!(
                "{}: larger than {MAX_OVERRIDES_BYTES} bytes",
                path.display()
            ));
        }
        let text =
            String::from_utf8(bytes).map_err(|e| format!("{}: not UTF-8: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| {
            e.lines()
                .map(|line| format!("{}:{line}", path.display()))
                .collect::<Vec<_>>()
                .join("\n")
        })
    }

    /// Parses overrides from TOML text.
    ///
    /// # Errors
    /// Every problem, one per line, each starting with `line:col: `.
    pub fn parse(text: &str) -> Result<Self, String> {
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let (line, col) = e.span().map_or((0, 0), |span| line_col(text, span.start));
            format!("{line}:{col}: {}", e.message().trim_end())
        })?;
        let mut errors = Vec::new();
        let mut entries = Vec::with_capacity(raw.entries.len());
        // (rule, test or None for "all") -> line and column of the entry that claimed it first.
        let mut claimed: BTreeMap<(u32, Option<u32>), (usize, usize)> = BTreeMap::new();
        for spanned in raw.entries {
            let at = line_col(text, spanned.span().start);
            let raw = spanned.into_inner();
            let mut err = |message: String| errors.push(format!("{}:{}: {message}", at.0, at.1));
            if raw.reason.trim().is_empty() {
                err(format!(
                    "override for rule {}: `reason` must not be empty",
                    raw.rule_id
                ));
            }
            let keys: Vec<Option<u32>> = if raw.test_ids.is_empty() {
                vec![None]
            } else {
                raw.test_ids.iter().copied().map(Some).collect()
            };
            for key in keys {
                let conflict = claimed
                    .range((raw.rule_id, None)..=(raw.rule_id, Some(u32::MAX)))
                    .find(|((_, test), _)| key.is_none() || test.is_none() || *test == key)
                    .map(|(_, first)| *first);
                if let Some(first_at) = conflict {
                    err(format!(
                        "rule {} {}: already overridden by the entry at {}:{}",
                        raw.rule_id,
                        key.map_or_else(|| "(all tests)".to_owned(), |t| format!("test {t}")),
                        first_at.0,
                        first_at.1
                    ));
                } else {
                    claimed.insert((raw.rule_id, key), at);
                }
            }
            let output = match raw.output {
                Some(output) => match output.into_output() {
                    Ok(output) => Some(output),
                    Err(problems) => {
                        for problem in problems {
                            err(format!("override for rule {}: {problem}", raw.rule_id));
                        }
                        None
                    }
                },
                None => None,
            };
            entries.push(OverrideEntry {
                rule_id: raw.rule_id,
                test_ids: raw.test_ids,
                stage_ids: raw.stage_ids,
                reason: raw.reason.trim().to_owned(),
                output,
            });
        }
        if errors.is_empty() {
            Ok(Self { entries })
        } else {
            Err(errors.join("\n"))
        }
    }

    /// The entries, in file order.
    pub fn entries(&self) -> &[OverrideEntry] {
        &self.entries
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry covering test `test_id` of rule `rule_id`, if any (at most one can).
    pub fn find(&self, rule_id: u32, test_id: u32) -> Option<&OverrideEntry> {
        self.entries.iter().find(|e| e.covers(rule_id, test_id))
    }
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, col)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default, rename = "override")]
    entries: Vec<toml::Spanned<RawEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    rule_id: u32,
    #[serde(default)]
    test_ids: Vec<u32>,
    #[serde(default)]
    stage_ids: Vec<usize>,
    reason: String,
    output: Option<RawOutput>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    status: Option<u16>,
    response_contains: Option<String>,
    log: Option<RawLog>,
    #[serde(default)]
    expect_error: bool,
    #[serde(default)]
    retry_once: bool,
    #[serde(default)]
    isolated: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLog {
    #[serde(default)]
    expect_ids: Vec<u32>,
    #[serde(default)]
    no_expect_ids: Vec<u32>,
    match_regex: Option<String>,
    no_match_regex: Option<String>,
}

impl RawOutput {
    fn into_output(self) -> Result<Output, Vec<String>> {
        let mut problems = Vec::new();
        let mut pattern = |what: &str, source: Option<String>| -> Option<Pattern> {
            let source = source.filter(|s| !s.is_empty())?;
            Pattern::new(&source)
                .map_err(|e| problems.push(format!("`{what}`: invalid regex: {}", regex_error(&e))))
                .ok()
        };
        let log = self.log.unwrap_or_default();
        let output = Output {
            status: self.status.filter(|s| *s != 0),
            response_contains: pattern("response_contains", self.response_contains),
            log: LogExpect {
                match_regex: pattern("log.match_regex", log.match_regex),
                no_match_regex: pattern("log.no_match_regex", log.no_match_regex),
                expect_ids: log.expect_ids,
                no_expect_ids: log.no_expect_ids,
            },
            expect_error: self.expect_error,
            retry_once: self.retry_once,
            isolated: self.isolated,
        };
        if output.isolated && output.log.expect_ids.len() != 1 {
            problems.push("`isolated` needs exactly one `log.expect_ids` entry".to_owned());
        }
        if problems.is_empty() {
            Ok(output)
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn parses_entries_with_and_without_output() {
        let overrides = Overrides::parse(
            r#"
[[override]]
rule_id = 920100
test_ids = [4, 5]
reason = "hyper answers 400 before the WAF"
[override.output]
status = 400
[override.output.log]
no_expect_ids = [920100]
match_regex = 'id "\d+"'

[[override]]
rule_id = 932200
reason = "  needs a real shell  "
"#,
        )
        .unwrap();
        let [first, second] = overrides.entries() else {
            panic!()
        };
        assert_eq!(first.test_ids, [4, 5]);
        let output = first.output.as_ref().unwrap();
        assert_eq!(output.status, Some(400));
        assert_eq!(output.log.no_expect_ids, [920100]);
        assert!(
            output
                .log
                .match_regex
                .as_ref()
                .unwrap()
                .is_match(b"[id \"1\"]")
        );
        assert_eq!(second.reason, "needs a real shell");
        assert_eq!(second.output, None);
        assert!(overrides.find(920100, 4).is_some());
        assert!(overrides.find(920100, 3).is_none());
        assert!(
            overrides.find(932200, 77).is_some(),
            "empty test_ids: all tests"
        );
        assert!(Overrides::parse("").unwrap().is_empty());
        assert!(Overrides::empty().is_empty());
    }

    #[test]
    fn reason_is_required_and_non_empty() {
        let missing = Overrides::parse("[[override]]\nrule_id = 1\n").unwrap_err();
        assert!(missing.contains("reason"), "{missing}");
        let empty = Overrides::parse("[[override]]\nrule_id = 1\nreason = \"  \"\n").unwrap_err();
        assert!(
            empty.starts_with("1:1: ") && empty.contains("must not be empty"),
            "{empty}"
        );
    }

    #[test]
    fn every_problem_is_reported() {
        let text = r#"
[[override]]
rule_id = 1
test_ids = [1]
reason = ""

[[override]]
rule_id = 1
test_ids = [2, 1]
reason = "dup"
[override.output.log]
match_regex = "("

[[override]]
rule_id = 2
reason = "all"

[[override]]
rule_id = 2
test_ids = [9]
reason = "clashes with all"
[override.output]
isolated = true
"#;
        let errors = Overrides::parse(text).unwrap_err();
        let lines: Vec<&str> = errors.lines().collect();
        assert_eq!(lines.len(), 5, "{errors}");
        assert!(lines[0].starts_with("2:1: ") && lines[0].contains("must not be empty"));
        assert!(
            lines[1].starts_with("7:1: ")
                && lines[1].contains("test 1: already overridden by the entry at 2:1")
        );
        assert!(lines[2].contains("invalid regex"));
        assert!(lines[3].contains("test 9: already overridden"));
        assert!(lines[4].contains("`isolated`"));
    }

    #[test]
    fn unknown_keys_are_rejected_with_a_position() {
        let error = Overrides::parse("[[override]]\nrule_id = 1\nreason = \"r\"\nreasons = 2\n")
            .unwrap_err();
        assert!(error.starts_with("4:"), "{error}");
        let error = Overrides::parse(
            "[[override]]\nrule_id = 1\nreason = \"r\"\n[override.output]\nstatuss = 1\n",
        )
        .unwrap_err();
        assert!(error.contains("statuss"), "{error}");
    }

    #[test]
    fn load_prefixes_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("o.toml");
        std::fs::write(&path, "[[override]]\nrule_id = 1\nreason = \"\"\n").unwrap();
        let error = Overrides::load(&path).unwrap_err();
        assert!(
            error.starts_with(&format!("{}:1:1: ", path.display())),
            "{error}"
        );
        assert!(Overrides::load(&dir.path().join("missing.toml")).is_err());
    }
}
