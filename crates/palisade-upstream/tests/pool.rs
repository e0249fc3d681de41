//! Pools against in-process origins over real loopback sockets.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use http::{Method, Request, StatusCode, Version};
use http_body::Frame;
use http_body_util::BodyExt as _;
use palisade_config::{
    Balance, HealthCheck, PassiveHealth, Scheme, Target, Upstream, UpstreamProtocol,
    UpstreamTimeouts, UpstreamTls,
};
use palisade_testkit::{Origin, free_port};
use palisade_upstream::{BoxError, Pool, UpstreamBody, UpstreamError};

fn target(scheme: Scheme, host: &str, port: u16, weight: u32) -> Target {
    Target {
        scheme,
        host: host.to_owned(),
        port,
        weight,
    }
}

fn http_target(port: u16, weight: u32) -> Target {
    target(Scheme::Http, "127.0.0.1", port, weight)
}

fn upstream(targets: Vec<Target>) -> Upstream {
    Upstream {
        name: "test".into(),
        targets,
        balance: Balance::RoundRobin,
        protocol: UpstreamProtocol::Http1,
        health_check: None,
        passive: PassiveHealth {
            consecutive_failures: 0,
            ejection: Duration::from_secs(30),
        },
        timeouts: UpstreamTimeouts {
            connect: Duration::from_secs(5),
            read: Duration::from_secs(30),
            idle: Duration::from_secs(60),
            total: Duration::from_secs(60),
        },
        retries: 0,
        max_idle_per_target: 8,
        tls: UpstreamTls {
            ca_file: None,
            server_name: None,
            dangerous_skip_verify: false,
        },
    }
}

fn req(method: Method, path: &str, body: UpstreamBody) -> Request<UpstreamBody> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("host", "example.test")
        .body(body)
        .unwrap()
}

async fn get(
    pool: &Pool,
    path: &str,
) -> Result<http::Response<hyper::body::Incoming>, UpstreamError> {
    pool.send(req(Method::GET, path, UpstreamBody::Empty)).await
}

async fn json(resp: http::Response<hyper::body::Incoming>) -> serde_json::Value {
    serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap()
}

/// Polls `cond` every 20 ms for at most `limit`.
async fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cond()
}

#[tokio::test]
async fn round_robin_follows_weights() {
    let (a, b) = (Origin::start().await, Origin::start().await);
    let pool = Pool::new(&upstream(vec![
        http_target(a.addr().port(), 3),
        http_target(b.addr().port(), 1),
    ]))
    .unwrap();
    assert_eq!(pool.name(), "test");
    for _ in 0..40 {
        let resp = get(&pool, "/echo").await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let doc = json(resp).await;
        assert_eq!(
            doc["headers"]["host"], "example.test",
            "Host is passed as set by the proxy"
        );
        assert_eq!(doc["path"], "/echo");
    }
    assert_eq!((a.requests(), b.requests()), (30, 10));
    let status = pool.status();
    assert_eq!(
        status[0].target,
        format!("http://127.0.0.1:{}", a.addr().port())
    );
    assert_eq!(status[0].requests, 30);
    assert_eq!(status[1].requests, 10);
    assert!(
        status
            .iter()
            .all(|s| s.healthy && !s.ejected && s.in_flight == 0 && s.failures == 0)
    );
}

#[tokio::test]
async fn least_connections_prefers_the_idle_target() {
    let (a, b) = (Origin::start().await, Origin::start().await);
    let mut cfg = upstream(vec![
        http_target(a.addr().port(), 1),
        http_target(b.addr().port(), 1),
    ]);
    cfg.balance = Balance::LeastConnections;
    let pool = Arc::new(Pool::new(&cfg).unwrap());
    // Occupy one target with a slow request.
    let slow = tokio::spawn({
        let pool = pool.clone();
        async move { get(&pool, "/slow/1500").await.unwrap().status() }
    });
    assert!(
        eventually(Duration::from_secs(5), || pool
            .status()
            .iter()
            .any(|s| s.in_flight == 1))
        .await
    );
    let busy = pool.status().iter().position(|s| s.in_flight == 1).unwrap();
    let (busy_origin, idle_origin) = if busy == 0 { (&a, &b) } else { (&b, &a) };
    let before = busy_origin.requests();
    for _ in 0..10 {
        assert_eq!(get(&pool, "/echo").await.unwrap().status(), StatusCode::OK);
    }
    assert_eq!(
        busy_origin.requests(),
        before,
        "nothing more went to the busy target"
    );
    assert_eq!(idle_origin.requests(), 10);
    assert_eq!(slow.await.unwrap(), StatusCode::OK);
}

#[tokio::test]
async fn active_health_moves_traffic_and_brings_it_back() {
    let (a, b) = (Origin::start().await, Origin::start().await);
    let mut cfg = upstream(vec![
        http_target(a.addr().port(), 1),
        http_target(b.addr().port(), 1),
    ]);
    cfg.health_check = Some(HealthCheck {
        path: "/healthz".into(),
        interval: Duration::from_millis(50),
        timeout: Duration::from_secs(1),
        healthy_threshold: 2,
        unhealthy_threshold: 2,
        expect_status: vec![200..=299],
    });
    let pool = Arc::new(Pool::new(&cfg).unwrap());
    let checker = pool.spawn_health_checks();
    assert_eq!(checker.tasks(), 2);
    a.set_healthy(false);
    assert!(eventually(Duration::from_secs(10), || pool.healthy_count() == 1).await);
    assert!(!pool.status()[0].healthy);
    let before = a.requests();
    for _ in 0..6 {
        get(&pool, "/echo").await.unwrap();
    }
    assert_eq!(a.requests(), before, "the unhealthy target got no traffic");
    assert_eq!(b.requests(), 6);
    a.set_healthy(true);
    assert!(eventually(Duration::from_secs(10), || pool.healthy_count() == 2).await);
    for _ in 0..6 {
        get(&pool, "/echo").await.unwrap();
    }
    assert_eq!(a.requests(), before + 3, "traffic came back");
    // Dropping the checker stops the probes.
    drop(checker);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let probes = a.health_requests();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(a.health_requests(), probes);
}

#[tokio::test]
async fn panic_mode_fails_open_when_every_target_is_unhealthy() {
    let a = Origin::start().await;
    let mut cfg = upstream(vec![http_target(a.addr().port(), 1)]);
    cfg.health_check = Some(HealthCheck {
        path: "/healthz".into(),
        interval: Duration::from_millis(50),
        timeout: Duration::from_secs(1),
        healthy_threshold: 1,
        unhealthy_threshold: 1,
        expect_status: vec![],
    });
    let pool = Arc::new(Pool::new(&cfg).unwrap());
    let _checker = pool.spawn_health_checks();
    a.set_healthy(false);
    assert!(eventually(Duration::from_secs(10), || pool.healthy_count() == 0).await);
    let resp = get(&pool, "/echo").await.unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "fails open to the only target"
    );
    assert!(pool.panic_count() >= 1);
    // A pool without targets has nothing to fail open to.
    let empty = Pool::new(&upstream(vec![])).unwrap();
    let err = get(&empty, "/").await.unwrap_err();
    assert!(matches!(err, UpstreamError::NoHealthyTarget { .. }));
    assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn passive_ejection_on_refused_connections_and_return() {
    let a = Origin::start().await;
    let dead = free_port();
    let mut cfg = upstream(vec![http_target(dead, 1), http_target(a.addr().port(), 1)]);
    cfg.passive = PassiveHealth {
        consecutive_failures: 2,
        ejection: Duration::from_millis(500),
    };
    let pool = Pool::new(&cfg).unwrap();
    let mut errors = 0;
    for _ in 0..8 {
        match get(&pool, "/echo").await {
            Ok(resp) => assert_eq!(resp.status(), StatusCode::OK),
            Err(e) => {
                assert!(matches!(e, UpstreamError::Connect { .. }), "{e}");
                assert_eq!(e.status(), StatusCode::BAD_GATEWAY);
                errors += 1;
            }
        }
    }
    assert_eq!(errors, 2, "two refusals eject the dead target");
    assert!(pool.status()[0].ejected);
    assert_eq!(pool.status()[0].failures, 2);
    assert_eq!(pool.healthy_count(), 1);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(!pool.status()[0].ejected, "back after the ejection");
    let mut errors_after = 0;
    for _ in 0..4 {
        if get(&pool, "/echo").await.is_err() {
            errors_after += 1;
        }
    }
    assert_eq!(
        errors_after, 1,
        "half-open: it got traffic again and one failure re-ejected it"
    );
    assert!(pool.status()[0].ejected);
}

#[tokio::test]
async fn retries_for_get_never_for_post() {
    let a = Origin::start().await;
    let dead = free_port();
    let mut cfg = upstream(vec![http_target(dead, 1), http_target(a.addr().port(), 1)]);
    cfg.retries = 2;
    let pool = Pool::new(&cfg).unwrap();
    for _ in 0..6 {
        let resp = get(&pool, "/echo").await.unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::OK,
            "GET is retried on the live target"
        );
    }
    assert_eq!(a.requests(), 6);
    let full = || UpstreamBody::Full(Bytes::from_static(b"payload"));
    let (mut ok, mut failed) = (0, 0);
    for _ in 0..6 {
        match pool.send(req(Method::POST, "/echo", full())).await {
            Ok(_) => ok += 1,
            Err(e) => {
                assert!(matches!(e, UpstreamError::Connect { .. }));
                failed += 1;
            }
        }
    }
    assert_eq!((ok, failed), (3, 3), "POST is never retried");
    assert_eq!(a.requests(), 9);
    // PUT with a full body is retried.
    for _ in 0..4 {
        pool.send(req(Method::PUT, "/echo", full())).await.unwrap();
    }
    // A streamed GET body cannot be replayed, so it is not retried either.
    let mut stream_failed = 0;
    for _ in 0..4 {
        let body =
            http_body_util::StreamBody::new(futures_util::stream::iter(vec![Ok::<_, BoxError>(
                Frame::data(Bytes::from_static(b"x")),
            )]));
        if pool
            .send(req(
                Method::GET,
                "/echo",
                UpstreamBody::Stream(Box::new(body)),
            ))
            .await
            .is_err()
        {
            stream_failed += 1;
        }
    }
    assert_eq!(stream_failed, 2);
}

#[tokio::test]
async fn total_timeout_on_a_slow_origin() {
    let a = Origin::start().await;
    let mut cfg = upstream(vec![http_target(a.addr().port(), 1)]);
    cfg.timeouts.total = Duration::from_millis(200);
    cfg.retries = 3;
    let pool = Pool::new(&cfg).unwrap();
    let err = get(&pool, "/slow/3000").await.unwrap_err();
    assert!(matches!(err, UpstreamError::Timeout { .. }), "{err}");
    assert_eq!(err.status(), StatusCode::GATEWAY_TIMEOUT);
    assert!(!err.is_retryable());
    assert_eq!(a.requests(), 1, "a timeout after sending is not retried");
    assert_eq!(pool.status()[0].failures, 1);
}

#[tokio::test]
async fn connect_timeout_against_a_full_backlog() {
    // A listener that never accepts: with a backlog of 1, further SYNs go unanswered.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        if let Ok(Ok(s)) = tokio::time::timeout(
            Duration::from_millis(100),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            fillers.push(s);
        }
    }
    let mut cfg = upstream(vec![http_target(addr.port(), 1)]);
    cfg.timeouts.connect = Duration::from_millis(200);
    let pool = Pool::new(&cfg).unwrap();
    match get(&pool, "/").await {
        Err(UpstreamError::ConnectTimeout { after, .. }) => {
            assert_eq!(after, Duration::from_millis(200))
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a never-accepting listener answered"),
    }
}

#[tokio::test]
async fn streamed_100_mb_request_body_reaches_the_origin() {
    let a = Origin::start().await;
    let pool = Pool::new(&upstream(vec![http_target(a.addr().port(), 1)])).unwrap();
    const CHUNK: usize = 64 * 1024;
    const CHUNKS: usize = 1600; // 100 MiB + change: 104_857_600 bytes
    let chunk = Bytes::from(vec![b'z'; CHUNK]);
    let stream = futures_util::stream::iter(
        (0..CHUNKS).map(move |_| Ok::<_, BoxError>(Frame::data(chunk.clone()))),
    );
    let body = UpstreamBody::Stream(Box::new(http_body_util::StreamBody::new(stream)));
    let peak_before = peak_rss_bytes();
    let started = std::time::Instant::now();
    let resp = pool.send(req(Method::POST, "/echo", body)).await.unwrap();
    let doc = json(resp).await;
    assert_eq!(doc["body_len"], (CHUNK * CHUNKS) as u64);
    if let (Some(before), Some(after)) = (peak_before, peak_rss_bytes()) {
        let grown = after.saturating_sub(before);
        println!(
            "100 MiB streamed in {:?}; peak RSS grew by {} KiB",
            started.elapsed(),
            grown / 1024
        );
        // Buffering the body whole (in the pool or the origin) would add at least 100 MiB.
        assert!(grown < 64 << 20, "peak RSS grew by {grown} bytes");
    }
}

/// Peak resident set size of this process (`VmHWM`), where /proc exists.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[tokio::test]
async fn failing_request_body_is_not_blamed_on_the_target() {
    let a = Origin::start().await;
    let mut cfg = upstream(vec![http_target(a.addr().port(), 1)]);
    cfg.passive = PassiveHealth {
        consecutive_failures: 1,
        ejection: Duration::from_secs(60),
    };
    let pool = Pool::new(&cfg).unwrap();
    let stream = futures_util::stream::iter(vec![
        Ok::<_, BoxError>(Frame::data(Bytes::from_static(b"abc"))),
        Err("client went away".into()),
    ]);
    let mut r = req(
        Method::POST,
        "/echo",
        UpstreamBody::Stream(Box::new(http_body_util::StreamBody::new(stream))),
    );
    r.headers_mut()
        .insert("content-length", "100".parse().unwrap());
    let err = pool.send(r).await.unwrap_err();
    assert!(matches!(err, UpstreamError::RequestBody { .. }), "{err}");
    assert!(!pool.status()[0].ejected);
}

#[tokio::test]
async fn h2c_upstream() {
    let a = Origin::start().await;
    let mut cfg = upstream(vec![http_target(a.addr().port(), 1)]);
    cfg.protocol = UpstreamProtocol::Http2;
    let pool = Pool::new(&cfg).unwrap();
    for _ in 0..3 {
        let resp = pool
            .send(req(
                Method::POST,
                "/echo?q=1",
                UpstreamBody::Full(Bytes::from_static(b"hey")),
            ))
            .await
            .unwrap();
        assert_eq!(resp.version(), Version::HTTP_2);
        let doc = json(resp).await;
        assert_eq!(doc["version"], "HTTP/2.0");
        assert_eq!(doc["authority"], "example.test", "Host became :authority");
        assert_eq!(doc["path"], "/echo?q=1");
        assert_eq!(doc["body_len"], 3);
    }
}

struct Pki {
    ca_pem: String,
    leaf_pem: String,
    leaf_key: String,
}

fn pki() -> Pki {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf_params = rcgen::CertificateParams::new(vec!["origin.test".to_owned()]).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    Pki {
        ca_pem: ca.pem(),
        leaf_pem: leaf.pem(),
        leaf_key: leaf_key.serialize_pem(),
    }
}

fn tls_upstream(
    port: u16,
    ca_pem: &str,
    dir: &tempfile::TempDir,
    protocol: UpstreamProtocol,
) -> Upstream {
    let path = dir.path().join(format!("ca-{}.pem", free_port()));
    std::fs::write(&path, ca_pem).unwrap();
    let mut cfg = upstream(vec![target(Scheme::Https, "127.0.0.1", port, 1)]);
    cfg.protocol = protocol;
    cfg.tls = UpstreamTls {
        ca_file: Some(path),
        server_name: Some("origin.test".into()),
        dangerous_skip_verify: false,
    };
    cfg
}

#[tokio::test]
async fn https_verified_with_custom_ca_h1_and_h2_and_refused_with_the_wrong_ca() {
    let good = pki();
    let other = pki();
    let origin = Origin::start_tls(&good.leaf_pem, &good.leaf_key).await;
    let dir = tempfile::tempdir().unwrap();
    let port = origin.addr().port();

    for (protocol, version) in [
        (UpstreamProtocol::Http1, Version::HTTP_11),
        (UpstreamProtocol::Http2, Version::HTTP_2),
    ] {
        let pool = Pool::new(&tls_upstream(port, &good.ca_pem, &dir, protocol)).unwrap();
        assert_eq!(pool.status()[0].target, format!("https://127.0.0.1:{port}"));
        let resp = get(&pool, "/echo").await.unwrap();
        assert_eq!(resp.version(), version);
        assert_eq!(json(resp).await["version"], format!("{version:?}"));
    }

    let before = origin.requests();
    let pool = Pool::new(&tls_upstream(
        port,
        &other.ca_pem,
        &dir,
        UpstreamProtocol::Http1,
    ))
    .unwrap();
    let err = get(&pool, "/echo").await.unwrap_err();
    assert!(matches!(err, UpstreamError::Tls { .. }), "{err}");
    assert!(!err.is_retryable());
    assert_eq!(
        origin.requests(),
        before,
        "nothing reached the origin over an unverified connection"
    );

    let mut cfg = tls_upstream(port, &good.ca_pem, &dir, UpstreamProtocol::Http1);
    cfg.tls.server_name = Some("wrong.test".into());
    let err = get(&Pool::new(&cfg).unwrap(), "/echo").await.unwrap_err();
    assert!(
        matches!(err, UpstreamError::Tls { .. }),
        "name mismatch: {err}"
    );

    let mut cfg = tls_upstream(port, &good.ca_pem, &dir, UpstreamProtocol::Http1);
    cfg.tls.ca_file = Some(dir.path().join("missing.pem"));
    assert!(matches!(
        Pool::new(&cfg),
        Err(UpstreamError::InvalidConfig { .. })
    ));
}

#[tokio::test]
async fn websocket_upgrade_through_the_pool() {
    let a = Origin::start().await;
    for protocol in [UpstreamProtocol::Http1, UpstreamProtocol::Http2] {
        let mut cfg = upstream(vec![http_target(a.addr().port(), 1)]);
        cfg.protocol = protocol;
        let pool = Pool::new(&cfg).unwrap();
        let r = Request::get("/ws")
            .header("host", "example.test")
            .header("connection", "upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .body(UpstreamBody::Empty)
            .unwrap();
        let resp = pool.send(r).await.unwrap();
        assert_eq!(resp.status(), StatusCode::SWITCHING_PROTOCOLS);
        assert_eq!(
            resp.headers()["sec-websocket-accept"],
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        let upgraded = hyper::upgrade::on(resp).await.unwrap();
        let mut ws = tokio_tungstenite::WebSocketStream::from_raw_socket(
            hyper_util::rt::TokioIo::new(upgraded),
            tokio_tungstenite::tungstenite::protocol::Role::Client,
            None,
        )
        .await;
        ws.send(tokio_tungstenite::tungstenite::Message::text("hello"))
            .await
            .unwrap();
        let back = ws.next().await.unwrap().unwrap();
        assert_eq!(back.into_text().unwrap().as_str(), "hello");
    }
}

#[tokio::test]
async fn read_timeout_between_body_frames() {
    let a = Origin::start().await;
    let mut cfg = upstream(vec![http_target(a.addr().port(), 1)]);
    cfg.timeouts.read = Duration::from_secs(5);
    let pool = Pool::new(&cfg).unwrap();
    assert_eq!(pool.read_timeout(), Duration::from_secs(5));
    let resp = pool
        .send_timed(0, req(Method::GET, "/download/300000", UpstreamBody::Empty))
        .await
        .unwrap();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body.len(), 300_000);
}
