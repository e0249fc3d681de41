//! Running the suite against a gateway: markers, requests, verdicts, the report.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::http::{self, Response};
use crate::log::{self, MarkerLine};
use crate::overrides::{OverrideEntry, Overrides};
use crate::request::{build_marker_request, build_request};
use crate::suite::{Output, Stage, Suite, TestCase, TestFile};
use crate::verdict::{self, Evidence};

/// Pause between two marker attempts.
const MARKER_RETRY_PAUSE: Duration = Duration::from_millis(10);
/// The run stops with an error after this many consecutive stages whose markers never
/// appeared in the log (go-ftw stops at the first: "Am I reading the correct log?").
pub(crate) const MAX_CONSECUTIVE_MARKER_FAILURES: usize = 3;

/// The gateway under test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Where every request goes (the tests' `dest_addr` and `port` are ignored).
    pub addr: SocketAddr,
    /// The error log the gateway writes rule matches and `X-CRS-Test` marker lines to.
    pub log_path: PathBuf,
}

/// How to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    /// Run only the tests of this rule id.
    pub filter: Option<u32>,
    /// Connect, read and write timeout of every request (go-ftw: 10 s read timeout).
    pub io_timeout: Duration,
    /// Marker requests sent per marker before giving up (go-ftw's `--max-marker-retries`;
    /// 0 counts as 1).
    pub max_marker_retries: u32,
    /// Log lines read backwards from the end when looking for a marker (go-ftw's
    /// `--max-marker-log-lines`).
    pub max_marker_log_lines: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            filter: None,
            io_timeout: Duration::from_secs(10),
            max_marker_retries: 20,
            max_marker_log_lines: 500,
        }
    }
}

/// What a run found.
///
/// `passed + failed` is the number of tests run. Overridden tests are counted there too, by
/// their **overridden** expectation (a test whose override expects nothing passes unless the
/// request fails at the transport level); `overridden` says how many tests had an override.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Tests whose every stage passed.
    pub passed: usize,
    /// Tests with at least one failed stage.
    pub failed: usize,
    /// Tests (passed or failed) whose expected output came from an override.
    pub overridden: usize,
    /// One entry per failed test, in run order.
    pub failures: Vec<Failure>,
    /// One entry per file run, in suite order.
    pub per_file: Vec<FileResult>,
}

/// Why one test failed (its first failed stage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The test file's name (`942100.yaml`).
    pub file: String,
    /// The rule id.
    pub rule_id: u32,
    /// The test id.
    pub test_id: u32,
    /// 0-based index of the failed stage.
    pub stage: usize,
    /// What was expected and what happened.
    pub reason: String,
    /// The response status, `None` when there was no response.
    pub status: Option<u16>,
    /// Rule ids found in the stage's marked log lines (empty when the markers were missing).
    pub seen_ids: Vec<u64>,
    /// The override's reason, when the failed expectation came from an override.
    pub override_reason: Option<String>,
}

impl Failure {
    /// go-ftw's id string, `<rule_id>-<test_id>`.
    pub fn id_string(&self) -> String {
        format!("{}-{}", self.rule_id, self.test_id)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (stage {}): {}",
            self.id_string(),
            self.stage,
            self.reason
        )?;
        let ids: Vec<String> = self.seen_ids.iter().map(u64::to_string).collect();
        write!(f, "; ids seen: [{}]", ids.join(", "))?;
        match self.status {
            Some(status) => write!(f, "; status {status}")?,
            None => write!(f, "; no response")?,
        }
        if let Some(reason) = &self.override_reason {
            write!(f, "; overridden: {reason}")?;
        }
        Ok(())
    }
}

/// The outcome for one test file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileResult {
    /// The file's name (`942100.yaml`).
    pub file: String,
    /// Where it was read from.
    pub path: PathBuf,
    /// Its rule id.
    pub rule_id: u32,
    /// Tests run.
    pub tests: usize,
    /// Tests passed.
    pub passed: usize,
    /// Ids of the failed tests, in file order.
    pub failed_tests: Vec<u32>,
}

/// Runs `suite` against `target`: for every stage a start marker, the request, an end marker,
/// the log check; prints `PASS|FAIL <file> <passed>/<total>` per file (with the failed test
/// ids), then one line per failure, a line with the number of overridden tests and, last,
/// exactly `N passed, N failed`.
///
/// Tests run one at a time, stages in order; a failed stage with `retry_once` is run once more
/// and the second verdict counts.
///
/// # Errors
/// Writing to `out` fails, or the markers of 3 consecutive
/// stages never appeared in the log (a wrong log path or a gateway without the marker rule;
/// go-ftw stops at the first such stage).
pub fn run(
    suite: &Suite,
    overrides: &Overrides,
    target: &Target,
    opts: &RunOptions,
    out: &mut dyn Write,
) -> io::Result<Report> {
    let mut runner = Runner {
        target,
        opts,
        marker_failures: 0,
        ids: StageIds::new(),
    };
    let mut report = Report::default();
    let mut used_overrides = BTreeSet::new();
    for file in &suite.files {
        if opts.filter.is_some_and(|id| id != file.rule_id) {
            continue;
        }
        let result = runner.file(file, overrides, &mut report, &mut used_overrides)?;
        if result.failed_tests.is_empty() {
            writeln!(
                out,
                "PASS {} {}/{}",
                result.file, result.passed, result.tests
            )?;
        } else {
            let failed: Vec<String> = result
                .failed_tests
                .iter()
                .map(|t| format!("{}-{t}", result.rule_id))
                .collect();
            writeln!(
                out,
                "FAIL {} {}/{}  failed: {}",
                result.file,
                result.passed,
                result.tests,
                failed.join(", ")
            )?;
        }
        out.flush()?;
        report.per_file.push(result);
    }
    if !report.failures.is_empty() {
        writeln!(out)?;
        writeln!(out, "failures:")?;
        for failure in &report.failures {
            writeln!(out, "  {failure}")?;
        }
    }
    for (index, entry) in overrides.entries().iter().enumerate() {
        let in_scope = opts.filter.is_none_or(|id| id == entry.rule_id);
        if in_scope && !used_overrides.contains(&index) {
            writeln!(
                out,
                "note: the override for rule {} ({}) matched no test",
                entry.rule_id,
                describe_tests(entry)
            )?;
        }
    }
    writeln!(
        out,
        "{} overridden (counted as passed only when their overridden expectation held)",
        report.overridden
    )?;
    writeln!(out, "{} passed, {} failed", report.passed, report.failed)?;
    out.flush()?;
    Ok(report)
}

fn describe_tests(entry: &OverrideEntry) -> String {
    if entry.test_ids.is_empty() {
        "all tests".to_owned()
    } else {
        let ids: Vec<String> = entry.test_ids.iter().map(u32::to_string).collect();
        format!("tests {}", ids.join(", "))
    }
}

/// Stage ids `<rule_id>-<test_id>-<pid><nonce>-<counter>`: unique within a run and, through the
/// process id and start time, across runs writing to the same log (go-ftw uses a UUID).
struct StageIds {
    prefix: String,
    counter: AtomicU64,
}

impl StageIds {
    fn new() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() ^ (d.as_secs() as u32));
        Self {
            prefix: format!("{:x}{nanos:08x}", std::process::id()),
            counter: AtomicU64::new(0),
        }
    }

    fn next(&self, test: &TestCase) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{}-{}-{}-{n}", test.rule_id, test.test_id, self.prefix)
    }
}

struct Runner<'a> {
    target: &'a Target,
    opts: &'a RunOptions,
    marker_failures: usize,
    ids: StageIds,
}

/// One stage's result.
struct StageResult {
    verdict: Result<(), String>,
    status: Option<u16>,
    seen_ids: Vec<u64>,
}

impl Runner<'_> {
    fn file(
        &mut self,
        file: &TestFile,
        overrides: &Overrides,
        report: &mut Report,
        used_overrides: &mut BTreeSet<usize>,
    ) -> io::Result<FileResult> {
        let mut result = FileResult {
            file: file.name.clone(),
            path: file.path.clone(),
            rule_id: file.rule_id,
            tests: 0,
            passed: 0,
            failed_tests: Vec::new(),
        };
        for test in &file.tests {
            let entry = overrides
                .entries()
                .iter()
                .enumerate()
                .find(|(_, e)| e.covers(test.rule_id, test.test_id));
            if let Some((index, _)) = entry {
                used_overrides.insert(index);
                report.overridden += 1;
            }
            let failure = self.test(test, entry.map(|(_, e)| e))?;
            result.tests += 1;
            match failure {
                None => {
                    result.passed += 1;
                    report.passed += 1;
                }
                Some(mut failure) => {
                    failure.file.clone_from(&file.name);
                    result.failed_tests.push(test.test_id);
                    report.failed += 1;
                    report.failures.push(failure);
                }
            }
        }
        Ok(result)
    }

    /// Runs every stage of `test`; returns the first failure, if any.
    fn test(
        &mut self,
        test: &TestCase,
        entry: Option<&OverrideEntry>,
    ) -> io::Result<Option<Failure>> {
        let mut first_failure = None;
        for (index, stage) in test.stages.iter().enumerate() {
            let overridden = entry.filter(|e| e.covers_stage(index));
            let output = match overridden {
                Some(e) => e.output.clone().unwrap_or_default(),
                None => stage.output.clone(),
            };
            let mut result = self.stage(test, stage, &output)?;
            if result.verdict.is_err() && output.retry_once {
                result = self.stage(test, stage, &output)?;
            }
            if let Err(reason) = result.verdict {
                first_failure.get_or_insert(Failure {
                    file: String::new(),
                    rule_id: test.rule_id,
                    test_id: test.test_id,
                    stage: index,
                    reason,
                    status: result.status,
                    seen_ids: result.seen_ids,
                    override_reason: overridden.map(|e| e.reason.clone()),
                });
            }
        }
        Ok(first_failure)
    }

    fn stage(
        &mut self,
        test: &TestCase,
        stage: &Stage,
        output: &Output,
    ) -> io::Result<StageResult> {
        let stage_id = self.ids.next(test);
        let host = marker_host(stage);
        let start = self.mark(&host, &format!("{stage_id}-s"));
        let request = build_request(&stage.input);
        let outcome = http::exchange(
            self.target.addr,
            &request,
            self.opts.io_timeout,
            http::is_head_request(&request),
        );
        let end = self.mark(&host, &format!("{stage_id}-e"));
        let evidence = match (&start, &end) {
            (Ok(start), Ok(end)) => log::marked_lines(&self.target.log_path, start, end)
                .map(|lines| Evidence {
                    ids: log::triggered_ids(&lines),
                    lines,
                })
                .map_err(|e| format!("cannot read the marked log lines: {e}")),
            (Err(e), _) => Err(format!("start marker not found in the log ({e})")),
            (_, Err(e)) => Err(format!("end marker not found in the log ({e})")),
        };
        if !output.expect_error {
            if start.is_err() || end.is_err() {
                self.marker_failures += 1;
                if self.marker_failures >= MAX_CONSECUTIVE_MARKER_FAILURES {
                    return Err(io::Error::other(format!(
                        "the log markers of {} consecutive stages (last: {}) never appeared in {}: \
                         is the gateway at {} writing `X-CRS-Test` marker lines to that log?",
                        self.marker_failures,
                        test.id_string(),
                        self.target.log_path.display(),
                        self.target.addr,
                    )));
                }
            } else {
                self.marker_failures = 0;
            }
        }
        let verdict = verdict::check(
            output,
            outcome.as_ref().map_err(String::as_str),
            evidence.as_ref().map_err(String::as_str),
        );
        Ok(StageResult {
            verdict,
            status: outcome.as_ref().ok().map(|r: &Response| r.status),
            seen_ids: evidence
                .map(|e| e.ids.into_iter().collect())
                .unwrap_or_default(),
        })
    }

    /// go-ftw's `markAndFlush`: send the marker request and look for its line in the log,
    /// up to `max_marker_retries` times.
    fn mark(&self, host: &str, marker: &str) -> Result<MarkerLine, String> {
        let request = build_marker_request(host, marker);
        let attempts = self.opts.max_marker_retries.max(1);
        let mut last = String::from("not found");
        for attempt in 0..attempts {
            if attempt > 0 {
                std::thread::sleep(MARKER_RETRY_PAUSE);
            }
            if let Err(e) = http::exchange(self.target.addr, &request, self.opts.io_timeout, false)
            {
                last = format!("marker request failed: {e}");
                continue;
            }
            match log::find_marker(
                &self.target.log_path,
                marker,
                self.opts.max_marker_log_lines,
            ) {
                Ok(Some(line)) => return Ok(line),
                Ok(None) => last = format!("{attempts} attempts"),
                Err(e) => last = format!("cannot read {}: {e}", self.target.log_path.display()),
            }
        }
        Err(last)
    }
}

/// The `Host` of marker requests: `localhost`, or with `virtual_host_mode` the stage's own.
fn marker_host(stage: &Stage) -> String {
    if stage.input.virtual_host_mode {
        let headers = stage
            .input
            .ordered_headers
            .as_ref()
            .unwrap_or(&stage.input.headers);
        if let Some((_, value)) = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("host")) {
            return value.clone();
        }
    }
    "localhost".to_owned()
}
