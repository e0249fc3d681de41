//! End-to-end tests of the gateway: real sockets on 127.0.0.1, an in-process `Gateway` in
//! front of the testkit `Origin`.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use palisade_config::Config;
use palisade_proxy::{Gateway, Inspector, NoopInspector, Outcome, RequestContext, Verdict};
use palisade_testkit::Origin;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longest wait for anything in these tests.
const WAIT: Duration = Duration::from_secs(10);

fn config_text(dir: &Path, upstream: &str, extra: &str) -> String {
    format!(
        r#"
data_dir = "{dir}"
trusted_proxies = ["10.0.0.0/8"]

[admin]
listen = "127.0.0.1:0"

[reload]
watch = false

[limits]
max_request_body = "2MiB"
inspect_body = "64KiB"

[[listener]]
name = "web"
address = "127.0.0.1:0"

{upstream}

[[site]]
name = "app"
hosts = ["*"]
upstream = "app"
{extra}
"#,
        dir = dir.display()
    )
}

fn upstream(targets: &[String]) -> String {
    let list: Vec<String> = targets.iter().map(|t| format!("{t:?}")).collect();
    format!(
        "[[upstream]]\nname = \"app\"\ntargets = [{}]\n",
        list.join(", ")
    )
}

fn parse(text: &str, dir: &Path) -> Config {
    match palisade_config::parse_str("test.toml", text, dir) {
        Ok(config) => config,
        Err(d) => panic!("config rejected:\n{d}\n{text}"),
    }
}

struct Harness {
    gateway: Gateway,
    origin: Origin,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Harness {
    async fn start(extra: &str, inspector: Arc<dyn Inspector>) -> Harness {
        let origin = Origin::start().await;
        let dir = tempfile::tempdir().unwrap();
        let text = config_text(dir.path(), &upstream(&[origin.url()]), extra);
        let gateway = Gateway::start(parse(&text, dir.path()), inspector)
            .await
            .unwrap();
        let addr = gateway.listener_addrs()[0].1;
        Harness {
            gateway,
            origin,
            addr,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn stop(self) {
        self.gateway.shutdown(Duration::from_secs(5)).await;
        self.origin.shutdown().await;
    }
}

fn h1_client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

fn h2c_client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http()
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }
}

async fn send(client: &Client<HttpConnector, Full<Bytes>>, req: Request<Full<Bytes>>) -> Reply {
    let resp = tokio::time::timeout(WAIT, client.request(req))
        .await
        .expect("response in time")
        .expect("response");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    Reply {
        status,
        headers,
        body,
    }
}

fn get(url: &str) -> Request<Full<Bytes>> {
    Request::get(url).body(Full::default()).unwrap()
}

/// Writes `raw` on a fresh connection and reads until the server closes it (or `WAIT`).
async fn raw(addr: SocketAddr, raw: &[u8]) -> String {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(raw).await.unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(3), tcp.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn status_of(response: &str) -> Option<u16> {
    response.split(' ').nth(1)?.parse().ok()
}

async fn metrics_text(gateway: &Gateway) -> String {
    let url = format!("http://{}/metrics", gateway.admin_addr());
    let reply = send(&h1_client(), get(&url)).await;
    assert_eq!(reply.status, StatusCode::OK);
    String::from_utf8(reply.body.to_vec()).unwrap()
}

#[tokio::test]
async fn http1_get_and_post_pass_through() {
    let h = Harness::start("", Arc::new(NoopInspector)).await;
    let client = h1_client();
    let reply = send(&client, get(&h.url("/echo?x=1"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = reply.json();
    assert_eq!(doc["method"], "GET");
    assert_eq!(doc["path"], "/echo?x=1");
    let id = reply.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(doc["headers"]["x-request-id"], id.as_str());
    assert_eq!(doc["headers"]["x-forwarded-for"], "127.0.0.1");
    assert_eq!(doc["headers"]["x-forwarded-proto"], "http");

    let body = vec![7u8; 300_000];
    let req = Request::post(h.url("/upload"))
        .body(Full::new(Bytes::from(body.clone())))
        .unwrap();
    let reply = send(&client, req).await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = reply.json();
    assert_eq!(doc["body_len"], 300_000);
    use sha2::Digest;
    assert_eq!(doc["body_sha256"], hex(&sha2::Sha256::digest(&body)));

    let reply = send(&client, get(&h.url("/status/503"))).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    h.stop().await;
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn h2c_prior_knowledge() {
    let h = Harness::start("", Arc::new(NoopInspector)).await;
    let client = h2c_client();
    for _ in 0..3 {
        let reply = send(&client, get(&h.url("/echo"))).await;
        assert_eq!(reply.status, StatusCode::OK);
        let doc = reply.json();
        assert_eq!(doc["method"], "GET");
        assert!(doc["headers"]["x-request-id"].is_string());
    }
    h.stop().await;
}

/// Each shape must be refused with 400 before anything reaches the origin.
#[tokio::test]
async fn smuggling_shapes_are_refused_before_the_origin() {
    let h = Harness::start("", Arc::new(NoopInspector)).await;
    let cases: &[(&str, &[u8])] = &[
        ("CL+TE", b"POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("TE+CL", b"POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"),
        ("duplicate CL equal", b"POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
        ("duplicate CL differ", b"POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
        ("CL +5", b"POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: +5\r\n\r\nhello"),
        ("CL 5,5", b"POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5,5\r\n\r\nhello"),
        ("CL space inside", b"POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5 5\r\n\r\nhello"),
        ("CL trailing space", b"POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5 \r\n\r\nhello"),
        ("CL two leading spaces", b"POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length:  5\r\n\r\nhello"),
        ("CL hex", b"POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 0x5\r\n\r\nhello"),
        ("TE chunked, identity", b"POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"),
        ("TE xchunked", b"POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"),
        ("TE identity", b"POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: identity\r\n\r\n"),
        ("TE chunked twice", b"POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("TE on HTTP/1.0", b"POST / HTTP/1.0\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("obs-fold", b"GET / HTTP/1.1\r\nHost: a.test\r\nX-A: 1\r\n  folded\r\n\r\n"),
        ("bare CR in value", b"GET / HTTP/1.1\r\nHost: a.test\r\nX-A: 1\r2\r\n\r\n"),
        ("NUL in value", b"GET / HTTP/1.1\r\nHost: a.test\r\nX-A: 1\x002\r\n\r\n"),
        ("missing Host on 1.1", b"GET / HTTP/1.1\r\nX-A: 1\r\n\r\n"),
        ("duplicate Host", b"GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n"),
        ("absolute-form other host", b"GET http://b.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n"),
        ("space before colon", b"GET / HTTP/1.1\r\nHost: a.test\r\nContent-Length : 5\r\n\r\nhello"),
    ];
    for (shape, bytes) in cases {
        let before = h.origin.requests();
        let response = raw(h.addr, bytes).await;
        assert_eq!(status_of(&response), Some(400), "{shape}: {response:?}");
        assert_eq!(h.origin.requests(), before, "{shape}: reached the origin");
    }
    // A smuggled second request behind a refused one never runs either.
    let before = h.origin.requests();
    let response = raw(
        h.addr,
        b"POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a.test\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&response), Some(400), "{response:?}");
    assert!(!response.contains("smuggled"));
    assert_eq!(h.origin.requests(), before);

    // A well-formed request still works on the same gateway, pipelined too.
    let response = raw(
        h.addr,
        b"POST /echo HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /echo HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(response.matches("HTTP/1.1 200 OK").count(), 2, "{response}");
    h.stop().await;
}

/// Denies requests carrying `x-attack`, and bodies containing `EVIL`.
#[derive(Default)]
struct Denier {
    logged: AtomicUsize,
    last_status: std::sync::Mutex<Option<StatusCode>>,
}

impl Inspector for Denier {
    fn request_headers(&self, tx: &mut RequestContext) -> Verdict {
        if tx.headers.contains_key("x-attack") {
            return Verdict::Deny {
                status: StatusCode::FORBIDDEN,
                reason: "x-attack header".into(),
            };
        }
        Verdict::Continue
    }

    fn wants_request_body(&self, tx: &RequestContext) -> bool {
        tx.method == Method::POST
    }

    fn request_body(&self, _tx: &mut RequestContext, body: &[u8], _complete: bool) -> Verdict {
        if body.windows(4).any(|w| w == b"EVIL") {
            return Verdict::Deny {
                status: StatusCode::FORBIDDEN,
                reason: "evil body".into(),
            };
        }
        Verdict::Continue
    }

    fn response_headers(&self, _: &mut RequestContext, _: StatusCode, _: &HeaderMap) -> Verdict {
        Verdict::Continue
    }

    fn wants_response_body(&self, _tx: &RequestContext) -> bool {
        false
    }

    fn response_body(&self, _: &mut RequestContext, _: &[u8], _: bool) -> Verdict {
        Verdict::Continue
    }

    fn logging(&self, _tx: &mut RequestContext, outcome: &Outcome) {
        *self.last_status.lock().unwrap() = outcome.status;
        self.logged.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn inspector_denies_on_header_and_body_before_the_origin() {
    let denier = Arc::new(Denier::default());
    let h = Harness::start("", denier.clone()).await;
    let client = h1_client();

    let req = Request::get(h.url("/echo"))
        .header("x-attack", "1")
        .body(Full::default())
        .unwrap();
    let reply = send(&client, req).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(&reply.body[..], b"403 Forbidden\n");
    assert!(reply.headers.contains_key("x-request-id"));
    assert_eq!(h.origin.requests(), 0);

    // 1 MB body with the marker near its start: inspected from the buffered prefix.
    let mut body = vec![b'a'; 1_000_000];
    body[10..14].copy_from_slice(b"EVIL");
    let req = Request::post(h.url("/upload"))
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let reply = send(&client, req).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(h.origin.requests(), 0);

    // A clean 1 MB body passes, beyond the inspection limit, intact.
    let body = vec![b'a'; 1_000_000];
    let req = Request::post(h.url("/upload"))
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let reply = send(&client, req).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["body_len"], 1_000_000);
    assert_eq!(h.origin.requests(), 1);

    // Phase 5 ran for all three (also after the denials).
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(denier.logged.load(Ordering::SeqCst), 3);
    h.stop().await;
}

/// What phase 1 saw: the parsed URI, the raw target and the raw head.
type Seen = (String, Option<Vec<u8>>, Option<Vec<u8>>);

/// Records what phase 1 saw of the last request.
#[derive(Default)]
struct Recorder {
    seen: std::sync::Mutex<Option<Seen>>,
}

impl Inspector for Recorder {
    fn request_headers(&self, tx: &mut RequestContext) -> Verdict {
        *self.seen.lock().unwrap() = Some((
            tx.uri.to_string(),
            tx.raw_target.as_deref().map(<[u8]>::to_vec),
            tx.raw_head.as_deref().map(<[u8]>::to_vec),
        ));
        Verdict::Continue
    }
    fn wants_request_body(&self, _: &RequestContext) -> bool {
        false
    }
    fn request_body(&self, _: &mut RequestContext, _: &[u8], _: bool) -> Verdict {
        Verdict::Continue
    }
    fn response_headers(&self, _: &mut RequestContext, _: StatusCode, _: &HeaderMap) -> Verdict {
        Verdict::Continue
    }
    fn wants_response_body(&self, _: &RequestContext) -> bool {
        false
    }
    fn response_body(&self, _: &mut RequestContext, _: &[u8], _: bool) -> Verdict {
        Verdict::Continue
    }
    fn logging(&self, _: &mut RequestContext, _: &Outcome) {}
}

#[tokio::test]
async fn raw_targets_reach_the_inspector_and_odd_request_lines_get_their_status() {
    let recorder = Arc::new(Recorder::default());
    let h = Harness::start("", recorder.clone()).await;

    // A target hyper's URI parser refuses: the inspector sees it as sent, with the head as
    // sent (header case kept); the origin gets it percent-encoded.
    let response = raw(
        h.addr,
        b"GET /echo?q=<script>\"x\"` HTTP/1.1\r\nHost: a.test\r\nUser-Agent: T\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&response), Some(200), "{response}");
    assert!(
        response.contains(r#""uri":"/echo?q=%3Cscript%3E%22x%22%60""#),
        "{response}"
    );
    let (uri, raw_target, raw_head) = recorder.seen.lock().unwrap().take().unwrap();
    assert_eq!(uri, "/echo?q=%3Cscript%3E%22x%22%60");
    assert_eq!(raw_target.as_deref(), Some(&b"/echo?q=<script>\"x\"`"[..]));
    let head = String::from_utf8(raw_head.unwrap()).unwrap();
    assert!(head.contains("\r\nUser-Agent: T\r\n"), "{head}");

    // HTTP/1.0 without Host goes to the catch-all site.
    let response = raw(h.addr, b"GET /echo HTTP/1.0\r\n\r\n").await;
    assert_eq!(status_of(&response), Some(200), "{response}");

    for (request, status) in [
        (&b"GET /echo HTTP/4.0\r\nHost: a.test\r\n\r\n"[..], 505),
        (b"GET /echo#frag HTTP/1.1\r\nHost: a.test\r\n\r\n", 400),
        (b"GET /echo HTTP/1.1\r\nHost:\r\n\r\n", 400),
        (b"CONNECT a.test HTTP/1.1\r\nHost: a.test\r\n\r\n", 400),
        (
            b"CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n",
            405,
        ),
    ] {
        let response = raw(h.addr, request).await;
        assert_eq!(
            status_of(&response),
            Some(status),
            "{}: {response}",
            String::from_utf8_lossy(request)
        );
    }
    assert_eq!(h.origin.requests(), 2);
    h.stop().await;
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let h = Harness::start("", Arc::new(NoopInspector)).await;
    // Declared up front.
    let response = raw(
        h.addr,
        b"POST /upload HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3000000\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&response), Some(413), "{response:?}");
    assert_eq!(h.origin.requests(), 0);

    // Chunked, counted while streaming.
    let mut req =
        b"POST /upload HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    let chunk = vec![b'x'; 65536];
    for _ in 0..40 {
        req.extend_from_slice(b"10000\r\n");
        req.extend_from_slice(&chunk);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let response = raw(h.addr, &req).await;
    assert_eq!(
        status_of(&response),
        Some(413),
        "{}",
        &response[..response.len().min(200)]
    );
    h.stop().await;
}

#[tokio::test]
async fn forwarded_for_from_trusted_and_untrusted_peers() {
    let h = Harness::start("", Arc::new(NoopInspector)).await;
    // 127.0.0.1 is not in trusted_proxies (10.0.0.0/8): the client's list is kept but the
    // request id it sent is replaced, and the peer is appended.
    let req = Request::get(h.url("/echo"))
        .header("x-forwarded-for", "1.2.3.4")
        .header("x-request-id", "client-chosen")
        .header("x-forwarded-proto", "https")
        .body(Full::default())
        .unwrap();
    let reply = send(&h1_client(), req).await;
    let doc = reply.json();
    assert_eq!(doc["headers"]["x-forwarded-for"], "1.2.3.4, 127.0.0.1");
    assert_eq!(doc["headers"]["x-forwarded-proto"], "http");
    assert_ne!(doc["headers"]["x-request-id"], "client-chosen");
    h.stop().await;

    // Now trust loopback.
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(dir.path(), &upstream(&[origin.url()]), "")
        .replace("[\"10.0.0.0/8\"]", "[\"127.0.0.0/8\"]");
    let gateway = Gateway::start(parse(&text, dir.path()), Arc::new(NoopInspector))
        .await
        .unwrap();
    let addr = gateway.listener_addrs()[0].1;
    let trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let req = Request::get(format!("http://{addr}/echo"))
        .header("x-forwarded-for", "1.2.3.4")
        .header("x-request-id", "client-chosen")
        .header("x-forwarded-proto", "https")
        .header("traceparent", trace)
        .header("tracestate", "k=v")
        .body(Full::default())
        .unwrap();
    let reply = send(&h1_client(), req).await;
    assert_eq!(reply.headers["x-request-id"], "client-chosen");
    let doc = reply.json();
    assert_eq!(doc["headers"]["x-forwarded-for"], "1.2.3.4, 127.0.0.1");
    assert_eq!(doc["headers"]["x-forwarded-proto"], "https");
    assert_eq!(doc["headers"]["x-request-id"], "client-chosen");
    let out = doc["headers"]["traceparent"].as_str().unwrap();
    assert!(
        out.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
        "{out}"
    );
    assert_ne!(out, trace);
    assert!(out.ends_with("-01"));
    assert_eq!(doc["headers"]["tracestate"], "k=v");
    gateway.shutdown(Duration::from_secs(5)).await;
    origin.shutdown().await;
}

#[tokio::test]
async fn no_route_is_404_and_metrics_have_every_name() {
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(dir.path(), &upstream(&[origin.url()]), "")
        .replace("hosts = [\"*\"]", "hosts = [\"shop.test\"]");
    let gateway = Gateway::start(parse(&text, dir.path()), Arc::new(NoopInspector))
        .await
        .unwrap();
    let addr = gateway.listener_addrs()[0].1;
    let response = raw(
        addr,
        b"GET / HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&response), Some(404), "{response}");
    let response = raw(
        addr,
        b"GET /echo HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&response), Some(200), "{response}");
    assert_eq!(origin.requests(), 1);

    let text = metrics_text(&gateway).await;
    for needle in [
        "palisade_http_requests_total{site=\"app\",status_class=\"2xx\",method=\"GET\"} 1",
        "palisade_http_requests_total{site=\"-\",status_class=\"4xx\",method=\"GET\"} 1",
        "palisade_http_request_duration_seconds_bucket{",
        "palisade_upstream_target_healthy{upstream=\"app\",target=\"http://127.0.0.1:",
        "palisade_config_reloads_total{result=\"success\"} 0",
        "palisade_config_reloads_total{result=\"failure\"} 0",
        "palisade_config_last_reload_success_timestamp_seconds",
        "palisade_connections_active{listener=\"web\"}",
        // `palisade_tls_handshakes_total` has no series before the first handshake, and
        // prometheus-client prints no TYPE line for an empty family.
        "# TYPE palisade_tls_handshake_failures counter",
        "# TYPE palisade_tls_certificate_expiry_timestamp_seconds gauge",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    let health = send(
        &h1_client(),
        get(&format!("http://{}/healthz", gateway.admin_addr())),
    )
    .await;
    assert_eq!(health.status, StatusCode::OK);
    let ready = send(
        &h1_client(),
        get(&format!("http://{}/readyz", gateway.admin_addr())),
    )
    .await;
    assert_eq!(ready.status, StatusCode::OK);
    gateway.record_reload_failure();
    assert!(
        metrics_text(&gateway)
            .await
            .contains("palisade_config_reloads_total{result=\"failure\"} 1")
    );
    gateway.shutdown(Duration::from_secs(5)).await;
    origin.shutdown().await;
}

#[tokio::test]
async fn reload_under_load_fails_no_request() {
    let a = Origin::start().await;
    let b = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg_a = parse(
        &config_text(dir.path(), &upstream(&[a.url()]), ""),
        dir.path(),
    );
    let cfg_b = parse(
        &config_text(dir.path(), &upstream(&[b.url()]), ""),
        dir.path(),
    );
    let gateway = Gateway::start(cfg_a.clone(), Arc::new(NoopInspector))
        .await
        .unwrap();
    let url = format!("http://{}/echo", gateway.listener_addrs()[0].1);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for i in 0..4 {
        let url = url.clone();
        let stop = stop.clone();
        clients.push(tokio::spawn(async move {
            let client = if i % 2 == 0 {
                h1_client()
            } else {
                h2c_client()
            };
            let mut statuses = Vec::new();
            // Bounded: at most 5000 requests per client.
            for _ in 0..5000 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                statuses.push(send(&client, get(&url)).await.status);
            }
            statuses
        }));
    }
    for round in 0..6 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let next = if round % 2 == 0 { &cfg_b } else { &cfg_a };
        gateway.reload(next.clone()).await.unwrap();
    }
    gateway.reload(cfg_b.clone()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    stop.store(true, Ordering::SeqCst);
    let mut total = 0;
    for c in clients {
        let statuses = c.await.unwrap();
        total += statuses.len();
        assert!(
            statuses.iter().all(|s| *s == StatusCode::OK),
            "{statuses:?}"
        );
    }
    assert!(total > 0);
    assert!(a.requests() > 0 && b.requests() > 0, "both targets served");
    let (before_a, before_b) = (a.requests(), b.requests());
    let reply = send(&h1_client(), get(&url)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!((a.requests(), b.requests()), (before_a, before_b + 1));
    let text = metrics_text(&gateway).await;
    assert!(
        text.contains("palisade_config_reloads_total{result=\"success\"} 7"),
        "{text}"
    );
    gateway.shutdown(Duration::from_secs(5)).await;
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn invalid_reload_keeps_the_old_config() {
    let h = Harness::start("", Arc::new(NoopInspector)).await;
    let other = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut bad = parse(
        &config_text(dir.path(), &upstream(&[other.url()]), ""),
        dir.path(),
    );
    bad.tls
        .certificates
        .push(palisade_config::CertificateSource {
            cert_file: dir.path().join("does-not-exist.pem"),
            key_file: dir.path().join("does-not-exist.key"),
        });
    assert!(h.gateway.reload(bad).await.is_err());
    let reply = send(&h1_client(), get(&h.url("/echo"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(h.origin.requests(), 1);
    assert_eq!(other.requests(), 0);
    let text = metrics_text(&h.gateway).await;
    assert!(
        text.contains("palisade_config_reloads_total{result=\"failure\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("palisade_config_reloads_total{result=\"success\"} 0"),
        "{text}"
    );
    other.shutdown().await;
    h.stop().await;
}

#[tokio::test]
async fn websocket_echo_through_the_proxy() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let h = Harness::start("", Arc::new(NoopInspector)).await;
    let (mut ws, resp) = tokio::time::timeout(
        WAIT,
        tokio_tungstenite::connect_async(format!("ws://{}/ws", h.addr)),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(resp.status(), StatusCode::SWITCHING_PROTOCOLS);
    for text in ["hello", "second message"] {
        ws.send(Message::text(text)).await.unwrap();
        let echoed = tokio::time::timeout(WAIT, ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(echoed.into_text().unwrap().as_str(), text);
    }
    ws.close(None).await.unwrap();
    h.stop().await;
}

#[tokio::test]
async fn unhealthy_target_is_ejected_and_recovers() {
    let a = Origin::start().await;
    let b = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    let up = format!(
        "{}health_check = {{ path = \"/healthz\", interval = \"100ms\", timeout = \"100ms\", healthy_threshold = 1, unhealthy_threshold = 1 }}\n",
        upstream(&[a.url(), b.url()])
    );
    let gateway = Gateway::start(
        parse(&config_text(dir.path(), &up, ""), dir.path()),
        Arc::new(NoopInspector),
    )
    .await
    .unwrap();
    let url = format!("http://{}/echo", gateway.listener_addrs()[0].1);
    let client = h1_client();
    a.set_healthy(false);
    // Wait (bounded) until the checker has seen it.
    let mut ejected = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if metrics_text(&gateway).await.contains(&format!(
            "palisade_upstream_target_healthy{{upstream=\"app\",target=\"{}\"}} 0",
            a.url()
        )) {
            ejected = true;
            break;
        }
    }
    assert!(ejected, "target never marked unhealthy");
    let before = a.requests();
    for _ in 0..10 {
        assert_eq!(send(&client, get(&url)).await.status, StatusCode::OK);
    }
    assert_eq!(a.requests(), before, "unhealthy target got traffic");
    a.set_healthy(true);
    let mut recovered = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(send(&client, get(&url)).await.status, StatusCode::OK);
        if a.requests() > before {
            recovered = true;
            break;
        }
    }
    assert!(recovered, "target never took traffic again");
    gateway.shutdown(Duration::from_secs(5)).await;
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn streams_20_mb_both_ways() {
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    let text =
        config_text(dir.path(), &upstream(&[origin.url()]), "").replace("\"2MiB\"", "\"64MiB\"");
    let gateway = Gateway::start(parse(&text, dir.path()), Arc::new(NoopInspector))
        .await
        .unwrap();
    let addr = gateway.listener_addrs()[0].1;
    let client = h1_client();
    let reply = send(&client, get(&format!("http://{addr}/download/20000000"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body.len(), 20_000_000);
    let body = Bytes::from(vec![3u8; 20_000_000]);
    let req = Request::post(format!("http://{addr}/upload"))
        .body(Full::new(body))
        .unwrap();
    let reply = send(&client, req).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["body_len"], 20_000_000);
    gateway.shutdown(Duration::from_secs(5)).await;
    origin.shutdown().await;
}

mod tls {
    use super::*;
    use rustls_pki_types::ServerName;
    use std::io::Write as _;

    struct Pki {
        ca_pem: String,
        cert: std::path::PathBuf,
        key: std::path::PathBuf,
    }

    fn pki(dir: &Path) -> Pki {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf_params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
        let cert = dir.join("leaf.pem");
        let key = dir.join("leaf.key");
        std::fs::File::create(&cert)
            .unwrap()
            .write_all(leaf.pem().as_bytes())
            .unwrap();
        std::fs::File::create(&key)
            .unwrap()
            .write_all(leaf_key.serialize_pem().as_bytes())
            .unwrap();
        Pki {
            ca_pem: ca_cert.pem(),
            cert,
            key,
        }
    }

    fn client_config(ca_pem: &str, alpn: &[&[u8]]) -> Arc<rustls::ClientConfig> {
        use rustls_pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        for der in rustls_pki_types::CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            roots.add(der.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Arc::new(config)
    }

    async fn connect(
        addr: SocketAddr,
        config: Arc<rustls::ClientConfig>,
    ) -> tokio_rustls::client::TlsStream<TcpStream> {
        let tcp = TcpStream::connect(addr).await.unwrap();
        tokio_rustls::TlsConnector::from(config)
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn http2_over_tls_with_redirect_and_hsts() {
        let origin = Origin::start().await;
        let dir = tempfile::tempdir().unwrap();
        let pki = pki(dir.path());
        let text = config_text(
            dir.path(),
            &upstream(&[origin.url()]),
            "redirect_https = true\nhsts = { max_age = \"365d\", include_subdomains = true }\n",
        )
        .replace(
            "[[listener]]\nname = \"web\"\naddress = \"127.0.0.1:0\"\n",
            &format!(
                "[[listener]]\nname = \"web\"\naddress = \"127.0.0.1:0\"\n\n[[listener]]\nname = \"tls\"\naddress = \"127.0.0.1:0\"\nprotocol = \"https\"\n\n[[tls.certificate]]\ncert = {:?}\nkey = {:?}\n",
                pki.cert.display().to_string(),
                pki.key.display().to_string()
            ),
        );
        let gateway = Gateway::start(parse(&text, dir.path()), Arc::new(NoopInspector))
            .await
            .unwrap();
        let addrs = gateway.listener_addrs();
        let plain = addrs[0].1;
        let tls = addrs[1].1;

        // Plain HTTP is redirected to the HTTPS listener.
        let response = raw(
            plain,
            b"GET /a?b=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert_eq!(status_of(&response), Some(308), "{response}");
        let location = format!("location: https://localhost:{}/a?b=1", tls.port());
        assert!(
            response.to_ascii_lowercase().contains(&location),
            "{response}"
        );
        assert_eq!(origin.requests(), 0);

        // HTTP/2 over TLS, negotiated by ALPN.
        let stream = connect(tls, client_config(&pki.ca_pem, &[b"h2"])).await;
        assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        let (mut sender, conn) = hyper::client::conn::http2::handshake(
            TokioExecutor::new(),
            hyper_util::rt::TokioIo::new(stream),
        )
        .await
        .unwrap();
        tokio::spawn(conn);
        for _ in 0..2 {
            let req = Request::get("https://localhost/echo")
                .body(Full::<Bytes>::default())
                .unwrap();
            let resp = sender.send_request(req).await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            assert_eq!(resp.version(), http::Version::HTTP_2);
            assert_eq!(
                resp.headers()["strict-transport-security"],
                "max-age=31536000; includeSubDomains"
            );
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(doc["headers"]["x-forwarded-proto"], "https");
        }
        drop(sender);

        // HTTP/1.1 over TLS too.
        let mut stream = connect(tls, client_config(&pki.ca_pem, &[b"http/1.1"])).await;
        stream
            .write_all(b"GET /echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        // Bounded: the answer is small; stop at 1 MiB or when the server closes.
        while out.len() < 1 << 20 {
            match tokio::time::timeout(WAIT, stream.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => out.extend_from_slice(&buf[..n]),
                _ => break,
            }
        }
        assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200 OK"));

        // A handshake that fails (client does not trust the CA).
        let tcp = TcpStream::connect(tls).await.unwrap();
        let other_dir = dir.path().join("other");
        std::fs::create_dir(&other_dir).unwrap();
        let untrusted = client_config(&self::pki(&other_dir).ca_pem, &[b"h2"]);
        let _ = tokio_rustls::TlsConnector::from(untrusted)
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await;

        let mut text = String::new();
        for _ in 0..50 {
            text = metrics_text(&gateway).await;
            if text.contains("palisade_tls_handshake_failures_total{listener=\"tls\"} 1") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            text.contains("palisade_tls_handshakes_total{listener=\"tls\",version=\"TLSv1.3\""),
            "{text}"
        );
        assert!(
            text.contains("palisade_tls_handshake_failures_total{listener=\"tls\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("palisade_tls_certificate_expiry_timestamp_seconds{cert="),
            "{text}"
        );
        gateway.shutdown(Duration::from_secs(5)).await;
        origin.shutdown().await;
    }
}

#[tokio::test]
async fn idle_keepalive_connections_are_closed() {
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(dir.path(), &upstream(&[origin.url()]), "")
        .replace("[limits]\n", "[limits]\nkeepalive_timeout = \"200ms\"\n");
    let gateway = Gateway::start(parse(&text, dir.path()), Arc::new(NoopInspector))
        .await
        .unwrap();
    let mut tcp = TcpStream::connect(gateway.listener_addrs()[0].1)
        .await
        .unwrap();
    tcp.write_all(b"GET /echo HTTP/1.1\r\nHost: a.test\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = loop {
        match tokio::time::timeout(WAIT, tcp.read(&mut buf)).await {
            Ok(Ok(0)) => break true,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Ok(Err(_)) => break true,
            Err(_) => break false,
        }
    };
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200 OK"));
    assert!(closed, "idle connection left open");
    gateway.shutdown(Duration::from_secs(5)).await;
    origin.shutdown().await;
}
