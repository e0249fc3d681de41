//! Integration tests: the real CRS v4.28.0 suite loads completely, and `run` works end to end
//! against a tiny in-test gateway (std::net on 127.0.0.1:0) that appends ModSecurity-style
//! lines to a temporary error log.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use palisade_conformance::{Overrides, RunOptions, Target, build_request, load_suite, run};

/// `PALISADE_CRS_DIR`, else `<workspace>/../shared/crs`.
fn crs_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("PALISADE_CRS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/crs"),
    };
    dir.join("tests/regression/tests").is_dir().then_some(dir)
}

#[test]
fn the_whole_crs_suite_loads() {
    let Some(crs) = crs_dir() else {
        println!("note: CRS not found (set PALISADE_CRS_DIR); skipping the CRS suite test");
        return;
    };
    let suite = match load_suite(&crs.join("tests/regression/tests")) {
        Ok(suite) => suite,
        Err(errors) => panic!("{errors}"),
    };
    assert_eq!(suite.files.len(), 323);
    assert_eq!(suite.test_count(), 5003);
    assert_eq!(suite.stage_count(), 5009);
    let paths: Vec<&PathBuf> = suite.files.iter().map(|f| &f.path).collect();
    assert!(paths.windows(2).all(|w| w[0] < w[1]), "sorted by path");
    assert_eq!(
        suite
            .files
            .iter()
            .filter(|f| f.name.ends_with(".yml"))
            .count(),
        1
    );

    let file = |name: &str| suite.files.iter().find(|f| f.name == name).unwrap();
    assert!(file("920539.yaml").tests.is_empty(), "comment-only file");
    assert_eq!(file("933200.yaml").rule_id, 9331200, "kept as written");

    // The repeat template of 920400-1 expands to 64,200 ones inside a multipart body.
    let big = &file("920400.yaml").tests[0].stages[0].input;
    let data = big.data.as_ref().unwrap();
    assert_eq!(data.iter().filter(|&&b| b == b'1').count(), 64_200 + 18);
    let request = build_request(big);
    assert!(request.windows(4).any(|w| w == b"\r\n\r\n"));
    assert!(
        String::from_utf8_lossy(&request).contains("Content-Length: 64200\r\n"),
        "the test's own Content-Length is kept"
    );

    // encoded_request with embedded newlines decodes (Go skips \r and \n in base64).
    let chunked = &file("920171.yaml").tests[0].stages[0].input;
    assert!(build_request(chunked).starts_with(b"POST / HTTP/1.1\r\nAccept: */*\r\n"));

    // The only expect_error test and the retry_once tests are loaded as such.
    let expect_error: Vec<String> = suite
        .files
        .iter()
        .flat_map(|f| &f.tests)
        .filter(|t| t.stages.iter().any(|s| s.output.expect_error))
        .map(|t| t.id_string())
        .collect();
    assert_eq!(expect_error, ["920430-5"]);
    let retry = suite
        .files
        .iter()
        .flat_map(|f| &f.tests)
        .filter(|t| t.stages.iter().any(|s| s.output.retry_once))
        .count();
    assert_eq!(retry, 5);

    // Every stage builds.
    for test in suite.files.iter().flat_map(|f| &f.tests) {
        for stage in &test.stages {
            assert!(
                !build_request(&stage.input).is_empty(),
                "{}",
                test.id_string()
            );
        }
    }
}

/// A fake gateway: answers marker requests by logging the marker header, logs rule 942100 for
/// URIs containing `/attack` (403), closes without answering for `/drop`, and answers 200
/// otherwise. Log lines are written before the response, as a synchronous WAF logger would.
struct FakeGateway {
    addr: std::net::SocketAddr,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<Vec<u8>>>>,
    handle: Option<JoinHandle<()>>,
}

impl FakeGateway {
    fn start(log_path: &Path) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log_path = log_path.to_path_buf();
        let handle = {
            let stop = Arc::clone(&stop);
            let requests = Arc::clone(&requests);
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(60);
                let mut served = 0u32;
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline && served < 1000 {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            served += 1;
                            serve(stream, &log_path, &requests);
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(1)),
                    }
                }
            })
        };
        Self {
            addr,
            stop,
            requests,
            handle: Some(handle),
        }
    }

    fn requests(&self) -> Vec<String> {
        let requests = self.requests.lock().unwrap();
        requests
            .iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect()
    }
}

impl Drop for FakeGateway {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

fn serve(mut stream: TcpStream, log_path: &Path, requests: &Mutex<Vec<Vec<u8>>>) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let content_length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while raw.len() < head_end + content_length {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    requests.lock().unwrap().push(raw.clone());
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    let marker = head
        .lines()
        .find_map(|l| l.strip_prefix("X-CRS-Test: "))
        .map(str::to_owned);
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .unwrap();
    let prefix = "[Mon Jan 05 10:00:00.000000 2026] [security2:error] [client 127.0.0.1] ModSecurity: Warning.";
    let status = if let Some(marker) = marker {
        writeln!(
            log,
            "{prefix} Matched \"Operator `Rx' with parameter `^.*$' against variable `REQUEST_HEADERS:X-CRS-Test' (Value: `{marker}' )\" [file \"crs-setup.conf\"] [line \"1\"] [id \"999999\"] [msg \"X-CRS-Test {marker}\"] [hostname \"localhost\"] [uri \"/status/200\"] [unique_id \"u\"]"
        )
        .unwrap();
        200
    } else if request_line.contains("/drop") {
        return; // close without a response
    } else if request_line.contains("/attack") {
        writeln!(
            log,
            "{prefix} detected SQLi using libinjection. [file \"REQUEST-942.conf\"] [line \"46\"] [id \"942100\"] [msg \"SQL Injection Attack Detected via libinjection\"] [data \"Matched Data: s&sos found within ARGS:x: 1' or '1'='1\"] [severity \"CRITICAL\"]"
        )
        .unwrap();
        writeln!(
            log,
            "{prefix} Access denied with code 403 (phase 2). [id \"949110\"] [msg \"Inbound Anomaly Score Exceeded (Total Score: 5)\"]"
        )
        .unwrap();
        403
    } else {
        200
    };
    log.flush().unwrap();
    let reason = if status == 200 { "OK" } else { "Forbidden" };
    let _ = stream.write_all(
        format!("HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
}

fn write_suite(dir: &Path, name: &str, yaml: &str) -> PathBuf {
    let suite_dir = dir.join("suite");
    std::fs::create_dir_all(suite_dir.join("REQUEST-942")).unwrap();
    std::fs::write(suite_dir.join("REQUEST-942").join(name), yaml).unwrap();
    suite_dir
}

fn fast_options() -> RunOptions {
    RunOptions {
        io_timeout: Duration::from_secs(5),
        max_marker_retries: 5,
        ..RunOptions::default()
    }
}

const TWO_TESTS: &str = r#"---
meta:
  author: test
rule_id: 942100
tests:
  - test_id: 1
    desc: an attack the gateway logs
    stages:
      - input:
          dest_addr: "127.0.0.1"
          port: 80
          method: GET
          uri: "/attack?x=1' or '1'='1"
          headers:
            User-Agent: OWASP CRS test agent
            Host: localhost
        output:
          log:
            expect_ids: [942100]
  - test_id: 2
    desc: a benign request, wrongly expected to be logged
    stages:
      - input:
          uri: /benign
          headers:
            Host: localhost
        output:
          log:
            expect_ids: [942100]
"#;

#[test]
fn end_to_end_one_pass_one_fail() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("error.log");
    std::fs::write(&log_path, "older content\n").unwrap();
    let suite = load_suite(&write_suite(dir.path(), "942100.yaml", TWO_TESTS)).unwrap();
    let gateway = FakeGateway::start(&log_path);
    let target = Target {
        addr: gateway.addr,
        log_path: log_path.clone(),
    };
    let mut out = Vec::new();
    let report = run(
        &suite,
        &Overrides::empty(),
        &target,
        &fast_options(),
        &mut out,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();

    assert_eq!((report.passed, report.failed, report.overridden), (1, 1, 0));
    assert!(
        text.contains("FAIL 942100.yaml 1/2  failed: 942100-2\n"),
        "{text}"
    );
    assert!(text.ends_with("\n0 overridden (counted as passed only when their overridden expectation held)\n1 passed, 1 failed\n"), "{text}");
    let failure = &report.failures[0];
    assert_eq!(
        (failure.rule_id, failure.test_id, failure.stage),
        (942100, 2, 0)
    );
    assert_eq!(failure.reason, "expected ids missing: 942100");
    assert_eq!(failure.status, Some(200));
    assert!(failure.seen_ids.is_empty());
    assert!(
        text.contains("942100-2 (stage 0): expected ids missing: 942100; ids seen: []; status 200")
    );
    assert_eq!(report.per_file[0].failed_tests, [2]);

    // Three requests per stage: start marker, the test request, end marker.
    let requests = gateway.requests();
    assert_eq!(requests.len(), 6);
    assert!(requests[0].starts_with("GET /status/200 HTTP/1.1\r\nAccept: */*\r\nUser-Agent: go-ftw test agent\r\nHost: localhost\r\nX-CRS-Test: 942100-1-"));
    assert!(requests[0].ends_with("-s\r\nConnection: close\r\n\r\n"));
    assert_eq!(
        requests[1],
        "GET /attack?x=1' or '1'='1 HTTP/1.1\r\nHost: localhost\r\nUser-Agent: OWASP CRS test agent\r\nConnection: close\r\n\r\n"
    );
    assert!(requests[2].contains("-e\r\n"));
}

const MORE_TESTS: &str = r#"
rule_id: 942100
tests:
  - test_id: 1
    stages:
      - input: {uri: /benign}
        output: {log: {expect_ids: [942100]}}
  - test_id: 2
    stages:
      - input: {uri: /drop}
        output: {expect_error: true}
  - test_id: 3
    stages:
      - input: {uri: /attack}
        output: {status: 403, log: {match_regex: 'Matched Data: \S+ found within ARGS:x', no_expect_ids: [920100]}}
      - input: {uri: /benign}
        output: {log: {no_match_regex: '\[id "\d+"\]'}}
  - test_id: 4
    stages:
      - input: {uri: /benign}
        output: {status: 403, retry_once: true}
  - test_id: 5
    stages:
      - input: {uri: /attack}
        output: {status: 200}
"#;

#[test]
fn end_to_end_overrides_expect_error_and_retry() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("error.log");
    let suite = load_suite(&write_suite(dir.path(), "942100.yaml", MORE_TESTS)).unwrap();
    let overrides = Overrides::parse(
        r#"
[[override]]
rule_id = 942100
test_ids = [1]
reason = "the fake gateway has no SQLi detection"

[[override]]
rule_id = 942100
test_ids = [5]
reason = "blocked is fine"
[override.output]
status = 404

[[override]]
rule_id = 1
reason = "never used"
"#,
    )
    .unwrap();
    let gateway = FakeGateway::start(&log_path);
    let target = Target {
        addr: gateway.addr,
        log_path,
    };
    let mut out = Vec::new();
    let report = run(&suite, &overrides, &target, &fast_options(), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    // 1 overridden to pass, 2 expect_error passes, 3 passes (two stages), 4 fails twice
    // (retried), 5 fails its overridden expectation.
    assert_eq!((report.passed, report.failed, report.overridden), (3, 2, 2));
    assert!(
        text.contains("FAIL 942100.yaml 3/5  failed: 942100-4, 942100-5\n"),
        "{text}"
    );
    assert!(text.contains("942100-5 (stage 0): expected status 404, got 403; ids seen: [942100, 949110]; status 403; overridden: blocked is fine"), "{text}");
    assert!(
        text.contains("note: the override for rule 1 (all tests) matched no test"),
        "{text}"
    );
    assert!(text.ends_with("\n2 overridden (counted as passed only when their overridden expectation held)\n3 passed, 2 failed\n"), "{text}");
    // Test 4 ran twice: 3 requests per stage, 1 + 1 + 2 + 2 + 1 stage runs.
    assert_eq!(gateway.requests().len(), 3 * 7);

    // The filter runs one rule only.
    let mut out = Vec::new();
    let filtered = RunOptions {
        filter: Some(1),
        ..fast_options()
    };
    let report = run(&suite, &overrides, &target, &filtered, &mut out).unwrap();
    assert_eq!((report.passed, report.failed), (0, 0));
    assert!(
        String::from_utf8(out)
            .unwrap()
            .ends_with("0 passed, 0 failed\n")
    );
}

#[test]
fn a_log_without_markers_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let suite = load_suite(&write_suite(dir.path(), "942100.yaml", MORE_TESTS)).unwrap();
    let gateway = FakeGateway::start(&dir.path().join("error.log"));
    let target = Target {
        addr: gateway.addr,
        log_path: dir.path().join("some-other.log"),
    };
    let options = RunOptions {
        max_marker_retries: 2,
        ..fast_options()
    };
    let mut out = Vec::new();
    let error = run(&suite, &Overrides::empty(), &target, &options, &mut out).unwrap_err();
    assert!(error.to_string().contains("consecutive stages"), "{error}");
    assert!(error.to_string().contains("some-other.log"), "{error}");
}
