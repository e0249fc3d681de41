//! The verdict for one stage, in go-ftw's `checkResult` order:
//!
//! 1. `expect_error`: pass if and only if the request failed at the transport level; nothing
//!    else is checked.
//! 2. An unexpected transport error fails the stage.
//! 3. (Not in go-ftw's checks, where it aborts the whole run:) a start or end marker that never
//!    appeared in the log fails the stage.
//! 4. `status`, if set, must equal the response status.
//! 5. `response_contains`, if set, must match the raw response.
//! 6. Logs: `match_regex` must match some marked line; every `expect_ids` id must be present;
//!    with `isolated`, exactly one id may be present; `no_match_regex` must match no marked
//!    line; no `no_expect_ids` id may be present.
//!
//! `retry_once` (run the stage again once when it fails) is the runner's business.

use std::collections::BTreeSet;

use crate::http::Response;
use crate::suite::Output;

/// What the log said about a stage: the marked lines and the rule ids on them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Evidence {
    /// Lines strictly between the start and end marker lines, original case.
    pub(crate) lines: Vec<Vec<u8>>,
    /// Rule ids found on those lines.
    pub(crate) ids: BTreeSet<u64>,
}

/// Checks `output` against what happened. `Err` carries the first unmet expectation.
pub(crate) fn check(
    output: &Output,
    outcome: Result<&Response, &str>,
    evidence: Result<&Evidence, &str>,
) -> Result<(), String> {
    if output.expect_error {
        return match outcome {
            Err(_) => Ok(()),
            Ok(response) => Err(format!(
                "expected a transport error (no response), got status {}",
                response.status
            )),
        };
    }
    let response = outcome.map_err(|e| format!("transport error: {e}"))?;
    let evidence = evidence.map_err(str::to_owned)?;
    if let Some(status) = output.status
        && status != response.status
    {
        return Err(format!("expected status {status}, got {}", response.status));
    }
    if let Some(pattern) = &output.response_contains
        && !pattern.is_match(&response.raw)
    {
        return Err(format!("response does not match `{}`", pattern.as_str()));
    }
    let log = &output.log;
    if let Some(pattern) = &log.match_regex
        && !evidence.lines.iter().any(|l| pattern.is_match(l))
    {
        return Err(format!("no marked log line matches `{}`", pattern.as_str()));
    }
    let missing: Vec<String> = log
        .expect_ids
        .iter()
        .filter(|id| !evidence.ids.contains(&u64::from(**id)))
        .map(u32::to_string)
        .collect();
    if !missing.is_empty() {
        return Err(format!("expected ids missing: {}", missing.join(", ")));
    }
    if output.isolated && evidence.ids.len() != 1 {
        return Err(format!(
            "isolated: expected exactly one rule id in the log, found {}",
            evidence.ids.len()
        ));
    }
    if let Some(pattern) = &log.no_match_regex
        && let Some(line) = evidence.lines.iter().find(|l| pattern.is_match(l))
    {
        let shown: String = String::from_utf8_lossy(line).chars().take(160).collect();
        return Err(format!(
            "a marked log line matches `{}`: {shown}",
            pattern.as_str()
        ));
    }
    let unexpected: Vec<String> = log
        .no_expect_ids
        .iter()
        .filter(|id| evidence.ids.contains(&u64::from(**id)))
        .map(u32::to_string)
        .collect();
    if !unexpected.is_empty() {
        return Err(format!("unexpected ids present: {}", unexpected.join(", ")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::suite::{LogExpect, Pattern};

    fn response(status: u16) -> Response {
        Response {
            status,
            raw: format!("HTTP/1.1 {status} X\r\n\r\nbody").into_bytes(),
        }
    }

    fn evidence(lines: &[&str]) -> Evidence {
        let lines: Vec<Vec<u8>> = lines.iter().map(|l| l.as_bytes().to_vec()).collect();
        Evidence {
            ids: crate::log::triggered_ids(&lines),
            lines,
        }
    }

    fn pattern(p: &str) -> Option<Pattern> {
        Some(Pattern::new(p).unwrap())
    }

    /// Runs `check` and returns the reason's first word(s) for compact assertions.
    fn verdict(
        output: &Output,
        outcome: Result<&Response, &str>,
        ev: Result<&Evidence, &str>,
    ) -> String {
        match check(output, outcome, ev) {
            Ok(()) => "pass".to_owned(),
            Err(reason) => reason,
        }
    }

    #[test]
    fn expect_error_decides_alone() {
        let output = Output {
            expect_error: true,
            status: Some(200),
            log: LogExpect {
                expect_ids: vec![1],
                ..LogExpect::default()
            },
            ..Output::default()
        };
        assert_eq!(verdict(&output, Err("reset"), Err("no marker")), "pass");
        let r = response(400);
        assert!(
            verdict(&output, Ok(&r), Ok(&evidence(&[]))).starts_with("expected a transport error")
        );
    }

    #[test]
    fn transport_error_then_markers_then_status() {
        let output = Output {
            status: Some(403),
            ..Output::default()
        };
        let ev = evidence(&[]);
        assert!(verdict(&output, Err("refused"), Err("no marker")).starts_with("transport error"));
        let r = response(403);
        assert_eq!(
            verdict(&output, Ok(&r), Err("start marker not found")),
            "start marker not found"
        );
        assert_eq!(verdict(&output, Ok(&r), Ok(&ev)), "pass");
        let r = response(200);
        assert_eq!(
            verdict(&output, Ok(&r), Ok(&ev)),
            "expected status 403, got 200"
        );
        // No expectations at all: any response passes.
        assert_eq!(verdict(&Output::default(), Ok(&r), Ok(&ev)), "pass");
    }

    #[test]
    fn status_before_response_before_logs() {
        let output = Output {
            status: Some(200),
            response_contains: pattern("nomatch"),
            log: LogExpect {
                expect_ids: vec![5],
                ..LogExpect::default()
            },
            ..Output::default()
        };
        let ev = evidence(&[]);
        let r = response(500);
        assert!(verdict(&output, Ok(&r), Ok(&ev)).starts_with("expected status"));
        let r = response(200);
        assert!(verdict(&output, Ok(&r), Ok(&ev)).starts_with("response does not match"));
    }

    #[test]
    fn log_checks_in_order() {
        let ev = evidence(&[
            r#"ModSecurity: Warning. Matched Data: x found within ARGS:a [id "942100"]"#,
            r#"[id "949110"] [msg "Inbound Anomaly Score Exceeded (Total Score: 5)"]"#,
        ]);
        let r = response(200);
        let run = |log: LogExpect, isolated: bool| {
            verdict(
                &Output {
                    log,
                    isolated,
                    ..Output::default()
                },
                Ok(&r),
                Ok(&ev),
            )
        };
        let expect = |ids: &[u32]| LogExpect {
            expect_ids: ids.to_vec(),
            ..LogExpect::default()
        };
        assert_eq!(run(expect(&[942100, 949110]), false), "pass");
        assert_eq!(
            run(expect(&[942100, 1, 2]), false),
            "expected ids missing: 1, 2"
        );
        assert!(run(expect(&[942100]), true).starts_with("isolated"));
        let no = LogExpect {
            no_expect_ids: vec![949110, 3],
            ..LogExpect::default()
        };
        assert_eq!(run(no, false), "unexpected ids present: 949110");
        // match_regex is case-sensitive on the original line.
        let m = LogExpect {
            match_regex: pattern(r"Inbound Anomaly Score Exceeded \(Total Score: "),
            ..LogExpect::default()
        };
        assert_eq!(run(m, false), "pass");
        let m = LogExpect {
            match_regex: pattern("matched data"),
            ..LogExpect::default()
        };
        assert!(run(m, false).starts_with("no marked log line matches"));
        let nm = LogExpect {
            no_match_regex: pattern(r#"\[id "\d+"\]"#),
            ..LogExpect::default()
        };
        assert!(run(nm, false).starts_with("a marked log line matches"));
        // match_regex is checked before expect_ids, no_match_regex before no_expect_ids.
        let both = LogExpect {
            match_regex: pattern("absent"),
            expect_ids: vec![1],
            no_match_regex: pattern("942100"),
            no_expect_ids: vec![942100],
        };
        assert!(run(both, false).starts_with("no marked log line matches"));
        let both = LogExpect {
            no_match_regex: pattern("942100"),
            no_expect_ids: vec![942100],
            ..LogExpect::default()
        };
        assert!(run(both, false).starts_with("a marked log line matches"));
    }
}
