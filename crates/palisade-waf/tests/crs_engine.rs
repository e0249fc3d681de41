//! The engine with the OWASP CRS loaded from `PALISADE_CRS_DIR` (or `../shared/crs`):
//! compiles with zero errors, and classic attacks match the rules that should catch them.
#![allow(missing_docs, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use palisade_seclang::{EngineMode, FsLoader, Parser};
use palisade_waf::crs::{self, CrsOptions};
use palisade_waf::engine::{ConnectionInfo, Engine, Transaction};

fn crs_dir() -> PathBuf {
    std::env::var_os("PALISADE_CRS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/crs"))
}

fn engine(mode: EngineMode, pl: u8) -> Arc<Engine> {
    let dir = crs_dir();
    assert!(
        dir.join("rules").is_dir(),
        "CRS not found at {}",
        dir.display()
    );
    let mut o = CrsOptions::new(dir.to_string_lossy());
    o.mode = mode;
    o.paranoia_level = pl;
    let text = crs::main_file(&o);
    let loader = FsLoader::new("/");
    let mut p = Parser::new(&loader);
    p.add_text("main.conf", &text);
    let rules = match p.finish().into_result() {
        Ok(r) => r,
        Err(d) => panic!("{d}"),
    };
    match Engine::compile(&rules, &loader) {
        Ok(e) => Arc::new(e),
        Err(d) => panic!("{d}"),
    }
}

fn run(
    e: &Arc<Engine>,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Transaction {
    let mut tx = Transaction::new(Arc::clone(e), ConnectionInfo::default());
    tx.request_line(method.as_bytes(), uri.as_bytes(), b"HTTP/1.1");
    for (k, v) in headers {
        tx.add_request_header(k.as_bytes(), v.as_bytes());
    }
    if tx.process_request_headers().is_none() {
        tx.process_request_body(body, None);
    }
    if tx.interruption().is_none() {
        tx.process_response_headers(200, b"HTTP/1.1", &[(b"Content-Type", b"text/plain")]);
        tx.process_response_body(b"ok", None);
    }
    tx.process_logging();
    tx
}

const BROWSER: &[(&str, &str)] = &[
    ("Host", "example.com"),
    (
        "User-Agent",
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    ),
    (
        "Accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ),
    ("Accept-Language", "en-US,en;q=0.5"),
    ("Accept-Encoding", "gzip, deflate, br"),
    ("Connection", "keep-alive"),
];

fn ids(tx: &Transaction) -> Vec<u32> {
    tx.matches().iter().map(|m| m.id).collect()
}

#[test]
fn crs_compiles_and_benign_get_passes() {
    let e = engine(EngineMode::On, 1);
    assert!(e.rule_count() > 600, "{}", e.rule_count());
    let tx = run(&e, "GET", "/index.html?page=2&sort=name", BROWSER, b"");
    assert!(
        tx.interruption().is_none(),
        "{:?} {:?}",
        tx.interruption(),
        ids(&tx)
    );
    assert!(ids(&tx).is_empty(), "{:?}", ids(&tx));
}

#[test]
fn sqli_is_blocked_with_anomaly_scoring() {
    let e = engine(EngineMode::On, 1);
    let tx = run(&e, "GET", "/?id=1%27%20or%20%271%27%3D%271", BROWSER, b"");
    let got = ids(&tx);
    assert!(got.contains(&942100), "{got:?}");
    let i = tx.interruption().expect("blocked");
    assert_eq!(i.rule_id, 949110, "{got:?}");
    let line = tx.matches()[0].error_log_line(&palisade_waf::engine::LogContext {
        client: "127.0.0.1",
        hostname: "example.com",
        uri: "/",
        unique_id: "x",
    });
    assert!(line.contains("[id \""), "{line}");
}

#[test]
fn xss_in_form_body_is_detected() {
    let e = engine(EngineMode::DetectionOnly, 1);
    let mut h = BROWSER.to_vec();
    h.push(("Content-Type", "application/x-www-form-urlencoded"));
    let tx = run(
        &e,
        "POST",
        "/comment",
        &h,
        b"text=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    );
    let got = ids(&tx);
    assert!(got.contains(&941100), "{got:?}");
    assert!(tx.interruption().is_none());
}

#[test]
fn json_body_is_inspected() {
    let e = engine(EngineMode::On, 1);
    let mut h = BROWSER.to_vec();
    h.push(("Content-Type", "application/json"));
    let tx = run(
        &e,
        "POST",
        "/api",
        &h,
        br#"{"q":"1' UNION SELECT password FROM users--"}"#,
    );
    let got = ids(&tx);
    assert!(got.iter().any(|i| (942000..943000).contains(i)), "{got:?}");
    assert!(tx.interruption().is_some());
}
