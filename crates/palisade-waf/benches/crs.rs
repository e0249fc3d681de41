//! The engine with OWASP CRS at paranoia level 1, default thresholds, blocking mode (the
//! gateway's default): full transactions for four typical requests, and the time to load
//! CRS (parse and compile).
//!
//! Each request runs phases 1 and 2 (request headers and body), then — unless blocked —
//! phase 3 and 4 on a small `200 text/html` response, and always phase 5 (logging).
//!
//! CRS is read from `PALISADE_CRS_DIR` (or `../shared/crs` beside the workspace); without
//! it the benchmark says so and exits.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput};
use palisade_seclang::{FsLoader, Parser, RuleSet};
use palisade_waf::crs::{self, CrsOptions};
use palisade_waf::engine::{ConnectionInfo, Engine, Transaction};

fn crs_dir() -> PathBuf {
    std::env::var_os("PALISADE_CRS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/crs"))
}

fn main_text(dir: &Path) -> String {
    // Paranoia level 1, inbound 5 / outbound 4, blocking: the gateway's defaults.
    let mut o = CrsOptions::new(dir.to_string_lossy());
    o.has_setup_conf = dir.join("crs-setup.conf").is_file();
    crs::main_file(&o)
}

fn parse(text: &str, loader: &FsLoader) -> RuleSet {
    let mut p = Parser::new(loader);
    p.add_text("main.conf", text);
    match p.finish().into_result() {
        Ok(r) => r,
        Err(d) => panic!("CRS does not parse: {d}"),
    }
}

fn compile(rules: &RuleSet, loader: &FsLoader) -> Engine {
    match Engine::compile(rules, loader) {
        Ok(e) => e,
        Err(d) => panic!("CRS does not compile: {d}"),
    }
}

/// One request and what the engine should decide about it.
struct Request {
    name: &'static str,
    method: &'static str,
    uri: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    blocked: bool,
}

const RESPONSE_BODY: &[u8] = b"<!doctype html><html><head><meta charset=\"utf-8\">\
<title>Shop</title></head><body><h1>Results</h1><ul><li>Trail runner</li>\
<li>Road runner</li><li>Racing flat</li></ul><p>3 products found.</p></body></html>";

fn run(engine: &Arc<Engine>, r: &Request) -> Transaction {
    let mut tx = Transaction::new(Arc::clone(engine), ConnectionInfo::default());
    tx.request_line(r.method.as_bytes(), r.uri.as_bytes(), b"HTTP/1.1");
    for (k, v) in &r.headers {
        tx.add_request_header(k.as_bytes(), v.as_bytes());
    }
    if tx.process_request_headers().is_none() {
        tx.process_request_body(&r.body, None);
    }
    if tx.interruption().is_none() {
        let len = RESPONSE_BODY.len().to_string();
        let headers: [(&[u8], &[u8]); 3] = [
            (b"Content-Type", b"text/html; charset=utf-8"),
            (b"Content-Length", len.as_bytes()),
            (b"Cache-Control", b"no-cache"),
        ];
        if tx
            .process_response_headers(200, b"HTTP/1.1", &headers)
            .is_none()
        {
            tx.process_response_body(RESPONSE_BODY, None);
        }
    }
    tx.process_logging();
    tx
}

/// Chrome 131 on Windows, navigating within a shop.
fn browser_headers() -> Vec<(&'static str, String)> {
    [
        ("Host", "shop.example.com"),
        ("Connection", "keep-alive"),
        (
            "sec-ch-ua",
            "\"Google Chrome\";v=\"131\", \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"",
        ),
        ("sec-ch-ua-mobile", "?0"),
        ("sec-ch-ua-platform", "\"Windows\""),
        ("Upgrade-Insecure-Requests", "1"),
        (
            "User-Agent",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/131.0.0.0 Safari/537.36",
        ),
        (
            "Accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,\
             image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
        ),
        ("Sec-Fetch-Site", "same-origin"),
        ("Sec-Fetch-Mode", "navigate"),
        ("Sec-Fetch-User", "?1"),
        ("Sec-Fetch-Dest", "document"),
        (
            "Referer",
            "https://shop.example.com/products/shoes?color=blue",
        ),
        ("Accept-Encoding", "gzip, deflate, br, zstd"),
        ("Accept-Language", "en-GB,en-US;q=0.9,en;q=0.8,de;q=0.7"),
        (
            "Cookie",
            "session_id=3f9a1c7e5b2d4a6f8e0c1b3d5f7a9c2e; cart=7; theme=dark; \
             _ga=GA1.1.1234567890.1700000000; consent=analytics%3Dfalse%26ads%3Dfalse",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect()
}

fn with(
    mut headers: Vec<(&'static str, String)>,
    extra: &[(&'static str, String)],
) -> Vec<(&'static str, String)> {
    headers.extend(extra.iter().cloned());
    headers
}

/// About 2 KiB of checkout form fields.
fn form_body() -> Vec<u8> {
    let mut fields: Vec<(String, String)> = vec![
        ("first_name".into(), "Margaret".into()),
        ("last_name".into(), "Hamilton-Smythe".into()),
        ("email".into(), "margaret.hamilton%40example.org".into()),
        ("phone".into(), "%2B44+20+7946+0958".into()),
        ("address_line1".into(), "221B+Baker+Street".into()),
        ("address_line2".into(), "Flat+2".into()),
        ("city".into(), "London".into()),
        ("postcode".into(), "NW1+6XE".into()),
        ("country".into(), "GB".into()),
        ("shipping_method".into(), "express".into()),
        ("gift_wrap".into(), "0".into()),
        ("newsletter".into(), "1".into()),
        (
            "csrf_token".into(),
            "b7c1e9f04a2d4c8e9f3a6b1d7e2c5f80".into(),
        ),
    ];
    let note = "Please+leave+the+parcel+with+the+neighbour+at+number+23+if+nobody+is+home.+\
                The+side+gate+is+usually+open+during+the+day%2C+thank+you+very+much.";
    fields.push(("delivery_notes".into(), note.into()));
    for i in 0..12 {
        fields.push((
            format!("items%5B{i}%5D%5Bsku%5D"),
            format!("SHOE-{:05}", 1000 + i),
        ));
        fields.push((format!("items%5B{i}%5D%5Bqty%5D"), format!("{}", 1 + i % 3)));
        fields.push((
            format!("items%5B{i}%5D%5Bsize%5D"),
            format!("EU+{}", 38 + i % 8),
        ));
    }
    let mut body = String::new();
    for (k, v) in &fields {
        if !body.is_empty() {
            body.push('&');
        }
        body.push_str(k);
        body.push('=');
        body.push_str(v);
    }
    while body.len() < 2048 {
        body.push_str("&comment=Great+service");
    }
    body.truncate(2048);
    // Do not end on a cut escape.
    while body.ends_with('%') || body[body.len().saturating_sub(2)..].starts_with('%') {
        body.pop();
    }
    body.into_bytes()
}

/// About 64 KiB of JSON: an array of product objects (strings, numbers, a nested object and
/// a small array), with fewer leaves than `SecArgumentsLimit`.
fn json_body() -> Vec<u8> {
    let words = [
        "lightweight",
        "breathable",
        "mesh",
        "upper",
        "with",
        "a",
        "cushioned",
        "midsole",
        "for",
        "long",
        "runs",
        "on",
        "road",
        "and",
        "trail",
        "durable",
        "rubber",
        "outsole",
        "reflective",
        "details",
    ];
    let mut s = String::from("{\"page\":1,\"per_page\":120,\"items\":[");
    let mut i = 0usize;
    loop {
        let mut desc = String::new();
        for w in 0..90 {
            if w > 0 {
                desc.push(' ');
            }
            desc.push_str(words[(i * 7 + w * 3) % words.len()]);
        }
        let item = format!(
            "{{\"id\":{},\"sku\":\"SHOE-{:05}\",\"name\":\"Runner model {}\",\
             \"price\":{}.{:02},\"description\":\"{desc}\",\
             \"stock\":{{\"warehouse\":\"LON-{}\",\"count\":{}}}}}",
            10_000 + i,
            i,
            i,
            40 + i % 90,
            i % 100,
            i % 4,
            (i * 13) % 250,
        );
        if s.len() + item.len() + 3 > 64 * 1024 {
            break;
        }
        if i > 0 {
            s.push(',');
        }
        s.push_str(&item);
        i += 1;
    }
    s.push_str("]}");
    s.into_bytes()
}

fn requests() -> Vec<Request> {
    let form = form_body();
    let json = json_body();
    vec![
        Request {
            name: "benign_get",
            method: "GET",
            uri: "/products/search?q=running+shoes&page=2&sort=price_asc".into(),
            headers: browser_headers(),
            body: Vec::new(),
            blocked: false,
        },
        Request {
            name: "form_post_2k",
            method: "POST",
            uri: "/checkout/address".into(),
            headers: with(
                browser_headers(),
                &[
                    (
                        "Content-Type",
                        "application/x-www-form-urlencoded".to_owned(),
                    ),
                    ("Content-Length", form.len().to_string()),
                    ("Origin", "https://shop.example.com".to_owned()),
                ],
            ),
            body: form,
            blocked: false,
        },
        Request {
            name: "json_post_64k",
            method: "POST",
            uri: "/api/v1/products/import".into(),
            headers: with(
                browser_headers(),
                &[
                    ("Content-Type", "application/json".to_owned()),
                    ("Content-Length", json.len().to_string()),
                    ("Origin", "https://shop.example.com".to_owned()),
                ],
            ),
            body: json,
            blocked: false,
        },
        Request {
            name: "attack_get",
            method: "GET",
            uri: "/products?id=1%27%20UNION%20SELECT%20password%20FROM%20users--\
                  &q=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E"
                .into(),
            headers: browser_headers(),
            body: Vec::new(),
            blocked: true,
        },
    ]
}

fn bench_requests(c: &mut Criterion, engine: &Arc<Engine>) {
    let mut group = c.benchmark_group("crs_pl1_request");
    for r in requests() {
        let tx = run(engine, &r);
        let ids: Vec<u32> = tx.matches().iter().map(|m| m.id).collect();
        assert_eq!(
            tx.interruption().is_some(),
            r.blocked,
            "{}: interruption {:?}, matched rules {ids:?}, body error {:?}",
            r.name,
            tx.interruption(),
            tx.request_body_error()
        );
        eprintln!(
            "{}: {} body bytes, blocked: {}, matched rules: {ids:?}",
            r.name,
            r.body.len(),
            r.blocked
        );
        drop(tx);
        group.throughput(Throughput::Elements(1));
        group.bench_function(r.name, |b| b.iter(|| black_box(run(engine, black_box(&r)))));
    }
    group.finish();
}

fn bench_load(c: &mut Criterion, dir: &Path) {
    let text = main_text(dir);
    let loader = FsLoader::new("/");
    let rules = parse(&text, &loader);
    let mut group = c.benchmark_group("crs_pl1_load");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(15));
    group.bench_function("parse", |b| b.iter(|| black_box(parse(&text, &loader))));
    group.bench_function("compile", |b| {
        b.iter(|| black_box(compile(&rules, &loader)));
    });
    group.bench_function("parse_and_compile", |b| {
        b.iter(|| black_box(compile(&parse(&text, &loader), &loader)));
    });
    group.finish();
}

fn main() {
    let dir = crs_dir();
    if !dir.join("rules").is_dir() {
        eprintln!(
            "CRS not found at {} (set PALISADE_CRS_DIR): skipping the CRS benchmarks",
            dir.display()
        );
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let loader = FsLoader::new("/");
    let engine = Arc::new(compile(&parse(&main_text(&dir), &loader), &loader));
    bench_requests(&mut c, &engine);
    bench_load(&mut c, &dir);
    c.final_summary();
}
