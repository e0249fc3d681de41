//! The origin's routes, over real loopback sockets, HTTP/1.1, h2c and h2 over TLS.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use http::{Request, StatusCode, Version};
use http_body_util::{BodyExt as _, Empty, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use palisade_testkit::Origin;
use rustls_pki_types::CertificateDer;
use sha2::Digest as _;
use tokio_tungstenite::tungstenite::Message;

type Body = http_body_util::combinators::BoxBody<Bytes, std::convert::Infallible>;

fn h1() -> Client<HttpConnector, Body> {
    Client::builder(TokioExecutor::new()).build(HttpConnector::new())
}

fn h2c() -> Client<HttpConnector, Body> {
    Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build(HttpConnector::new())
}

fn get(url: String) -> Request<Body> {
    Request::get(url).body(Empty::new().boxed()).unwrap()
}

async fn body_json(resp: http::Response<hyper::body::Incoming>) -> serde_json::Value {
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn echo_describes_the_request_and_counts_it() {
    let origin = Origin::start().await;
    let client = h1();
    let body = Bytes::from_static(b"hello world");
    let req = Request::post(format!("{}/echo?x=1", origin.url()))
        .header("x-test", "a")
        .body(Full::new(body.clone()).boxed())
        .unwrap();
    let resp = client.request(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let doc = body_json(resp).await;
    assert_eq!(doc["method"], "POST");
    assert_eq!(doc["path"], "/echo?x=1");
    assert_eq!(doc["version"], "HTTP/1.1");
    assert_eq!(doc["headers"]["x-test"], "a");
    assert_eq!(doc["body_len"], 11);
    assert_eq!(doc["body_sha256"], hex::encode(sha2::Sha256::digest(&body)));
    assert_eq!(origin.requests(), 1);
    assert_eq!(origin.last_request_headers().unwrap()["x-test"], "a");
}

#[tokio::test]
async fn h2c_prior_knowledge_is_served() {
    let origin = Origin::start().await;
    let resp = h2c()
        .request(get(format!("{}/anything", origin.url())))
        .await
        .unwrap();
    assert_eq!(resp.version(), Version::HTTP_2);
    let doc = body_json(resp).await;
    assert_eq!(doc["version"], "HTTP/2.0");
    assert_eq!(doc["authority"], origin.addr().to_string());
}

#[tokio::test]
async fn health_status_slow_and_download_routes() {
    let origin = Origin::start().await;
    let client = h1();
    let health =
        |c: &Client<HttpConnector, Body>| c.request(get(format!("{}/healthz", origin.url())));
    assert_eq!(health(&client).await.unwrap().status(), StatusCode::OK);
    origin.set_healthy(false);
    assert_eq!(
        health(&client).await.unwrap().status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(origin.requests(), 0, "health checks are not counted");
    assert_eq!(origin.health_requests(), 2);

    for (path, status) in [
        ("/status/418", 418),
        ("/status/503", 503),
        ("/status/abc", 400),
        ("/status/101", 400),
    ] {
        let resp = client
            .request(get(format!("{}{path}", origin.url())))
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), status, "{path}");
    }
    let resp = client
        .request(get(format!("{}/slow/50", origin.url())))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    let size = 1_000_000u64;
    let resp = client
        .request(get(format!("{}/download/{size}", origin.url())))
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-length"], size.to_string().as_str());
    let mut body = resp.into_body();
    let mut total = 0u64;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            assert!(data.iter().all(|b| *b == b'x'));
            total += data.len() as u64;
        }
    }
    assert_eq!(total, size);
}

#[tokio::test]
async fn reflect_answers_as_told() {
    let origin = Origin::start().await;
    let cases = [
        (
            r#"{"status":403,"headers":{"x-a":"1","set-cookie":["a=1","b=2"]},"body":"nope"}"#,
            403,
            &b"nope"[..],
        ),
        (r#"{"status":200,"encodedBody":"aGk="}"#, 200, b"hi"),
        (r#"{}"#, 200, b""),
        (
            r#"{"status":"x"}"#,
            400,
            b"status must be an integer in 200..=999",
        ),
        (r#"not json"#, 400, b"reflect body is not JSON"),
    ];
    for (spec, status, body) in cases {
        let req = Request::post(format!("{}/reflect", origin.url()))
            .body(Full::new(Bytes::from(spec)).boxed())
            .unwrap();
        let resp = h1().request(req).await.unwrap();
        assert_eq!(resp.status().as_u16(), status, "{spec}");
        if status == 403 {
            assert_eq!(resp.headers()["x-a"], "1");
            assert_eq!(resp.headers().get_all("set-cookie").iter().count(), 2);
        }
        let got = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&got[..], body, "{spec}");
    }
}

#[tokio::test]
async fn reflect_sniffs_content_type_as_go_does() {
    let origin = Origin::start().await;
    let cases = [
        (
            r#"{"body":"<html><p>x</p></html>"}"#,
            Some("text/html; charset=utf-8"),
        ),
        (
            r#"{"body":"  <!DOCTYPE html>"}"#,
            Some("text/html; charset=utf-8"),
        ),
        (
            r#"{"body":"<?xml version=\"1.0\"?><a/>"}"#,
            Some("text/xml; charset=utf-8"),
        ),
        (
            r#"{"body":"ORA-01756: quoted string"}"#,
            Some("text/plain; charset=utf-8"),
        ),
        (
            r#"{"encodedBody":"AAECAw=="}"#,
            Some("application/octet-stream"),
        ),
        (
            r#"{"body":"x","headers":{"content-type":"application/json"}}"#,
            Some("application/json"),
        ),
        (r#"{}"#, None),
    ];
    for (spec, want) in cases {
        let req = Request::post(format!("{}/reflect", origin.url()))
            .body(Full::new(Bytes::from(spec)).boxed())
            .unwrap();
        let resp = h1().request(req).await.unwrap();
        let got = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(got.as_deref(), want, "{spec}");
    }
}

#[tokio::test]
async fn websocket_echo() {
    let origin = Origin::start().await;
    let tcp = tokio::net::TcpStream::connect(origin.addr()).await.unwrap();
    let url = format!("ws://{}/ws", origin.addr());
    let (mut ws, resp) = tokio_tungstenite::client_async(url, tcp).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SWITCHING_PROTOCOLS);
    ws.send(Message::text("ping me")).await.unwrap();
    let back = ws.next().await.unwrap().unwrap();
    assert_eq!(back, Message::text("ping me"));
    ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::binary(vec![1u8, 2, 3])
    );
    ws.close(None).await.unwrap();
}

#[tokio::test]
async fn tls_with_alpn_h2_and_http11() {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf_params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    let origin = Origin::start_tls(&leaf.pem(), &leaf_key.serialize_pem()).await;
    assert!(origin.url().starts_with("https://127.0.0.1:"));

    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(ca.der().to_vec())).unwrap();
    for (alpn, want) in [
        (&b"h2"[..], Version::HTTP_2),
        (b"http/1.1", Version::HTTP_11),
    ] {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots.clone())
            .with_no_client_auth();
        cfg.alpn_protocols = vec![alpn.to_vec()];
        let tcp = tokio::net::TcpStream::connect(origin.addr()).await.unwrap();
        let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
        let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
            .connect(name, tcp)
            .await
            .unwrap();
        let io = TokioIo::new(tls);
        let req = Request::get("/echo")
            .header("host", "localhost")
            .body(Empty::<Bytes>::new())
            .unwrap();
        let resp = if want == Version::HTTP_2 {
            let (mut send, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                .await
                .unwrap();
            tokio::spawn(conn);
            let req = Request::get("https://localhost/echo")
                .body(Empty::<Bytes>::new())
                .unwrap();
            send.send_request(req).await.unwrap()
        } else {
            let (mut send, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
            tokio::spawn(conn);
            send.send_request(req).await.unwrap()
        };
        assert_eq!(resp.version(), want);
        assert_eq!(resp.status(), StatusCode::OK);
    }
    origin.shutdown().await;
}

#[tokio::test]
async fn dropping_the_origin_closes_the_port() {
    let origin = Origin::start().await;
    let addr = origin.addr();
    drop(origin);
    // The accept loop is aborted; connecting must be refused within a bounded wait.
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused);
}
