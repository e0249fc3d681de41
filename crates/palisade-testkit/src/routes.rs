//! Request handlers of the origin.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use sha2::{Digest as _, Sha256};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use crate::origin::State;

/// Longest wait `/slow/MS` accepts, in milliseconds.
pub const MAX_SLOW_MS: u64 = 120_000;
/// Largest size `/download/N` accepts, in bytes (64 GiB).
pub const MAX_DOWNLOAD: u64 = 64 << 30;
/// Largest `POST /reflect` request body, in bytes.
pub const MAX_REFLECT_BODY: usize = 1 << 20;

/// Size of one `/download` chunk.
const CHUNK_SIZE: usize = 64 * 1024;
static CHUNK: [u8; CHUNK_SIZE] = [b'x'; CHUNK_SIZE];

pub(crate) type RespBody = BoxBody<Bytes, Infallible>;

pub(crate) async fn handle(req: Request<Incoming>, state: Arc<State>) -> Response<RespBody> {
    let path = req.uri().path().to_owned();
    if path == "/healthz" {
        state.health_requests.fetch_add(1, Ordering::SeqCst);
        return if state.healthy.load(Ordering::SeqCst) {
            text(StatusCode::OK, "ok")
        } else {
            text(StatusCode::SERVICE_UNAVAILABLE, "unhealthy")
        };
    }
    state.requests.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut last) = state.last_headers.lock() {
        *last = Some(req.headers().clone());
    }

    if state.albedo {
        if path.trim_end_matches('/') == "/reflect" && req.method() == Method::POST {
            return reflect(req).await;
        }
        // Drain the body so the connection stays reusable.
        let _ = Limited::new(req.into_body(), MAX_REFLECT_BODY)
            .collect()
            .await;
        return empty(StatusCode::OK);
    }
    if let Some(n) = path.strip_prefix("/status/") {
        return match n
            .parse::<u16>()
            .ok()
            .filter(|n| *n >= 200)
            .and_then(|n| StatusCode::from_u16(n).ok())
        {
            Some(status) => empty(status),
            None => text(StatusCode::BAD_REQUEST, "bad status"),
        };
    }
    if let Some(n) = path.strip_prefix("/download/") {
        return match n.parse::<u64>().ok().filter(|n| *n <= MAX_DOWNLOAD) {
            Some(n) => Response::builder()
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .body(DownloadBody { remaining: n }.boxed())
                .unwrap_or_else(|_| empty(StatusCode::INTERNAL_SERVER_ERROR)),
            None => text(StatusCode::BAD_REQUEST, "bad size"),
        };
    }
    if let Some(ms) = path.strip_prefix("/slow/") {
        let Some(ms) = ms.parse::<u64>().ok().filter(|ms| *ms <= MAX_SLOW_MS) else {
            return text(StatusCode::BAD_REQUEST, "bad delay");
        };
        tokio::time::sleep(Duration::from_millis(ms)).await;
        return text(StatusCode::OK, "slow");
    }
    if path == "/ws" {
        return websocket(req, state);
    }
    if path == "/reflect" && req.method() == Method::POST {
        return reflect(req).await;
    }
    echo(req).await
}

async fn echo(req: Request<Incoming>) -> Response<RespBody> {
    let (parts, mut body) = req.into_parts();
    let mut hasher = Sha256::new();
    let mut len: u64 = 0;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                if let Some(data) = frame.data_ref() {
                    hasher.update(data);
                    len += data.len() as u64;
                }
            }
            Err(_) => return text(StatusCode::BAD_REQUEST, "body error"),
        }
    }
    let authority = parts.uri.authority().map(|a| a.to_string()).or_else(|| {
        parts
            .headers
            .get(header::HOST)
            .map(|h| String::from_utf8_lossy(h.as_bytes()).into_owned())
    });
    let doc = serde_json::json!({
        "method": parts.method.as_str(),
        "uri": parts.uri.to_string(),
        "path": parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"),
        "authority": authority,
        "version": format!("{:?}", parts.version),
        "headers": headers_json(&parts.headers),
        "body_len": len,
        "body_sha256": hex::encode(hasher.finalize()),
    });
    json(StatusCode::OK, &doc)
}

fn headers_json(headers: &HeaderMap) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for name in headers.keys() {
        let joined = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join(", ");
        map.insert(name.as_str().to_owned(), serde_json::Value::String(joined));
    }
    serde_json::Value::Object(map)
}

async fn reflect(req: Request<Incoming>) -> Response<RespBody> {
    let Ok(collected) = Limited::new(req.into_body(), MAX_REFLECT_BODY)
        .collect()
        .await
    else {
        return text(
            StatusCode::PAYLOAD_TOO_LARGE,
            "reflect body too large or broken",
        );
    };
    let Ok(spec) = serde_json::from_slice::<serde_json::Value>(&collected.to_bytes()) else {
        return text(StatusCode::BAD_REQUEST, "reflect body is not JSON");
    };
    match reflect_response(&spec) {
        Ok(resp) => resp,
        Err(why) => text(StatusCode::BAD_REQUEST, why),
    }
}

fn reflect_response(spec: &serde_json::Value) -> Result<Response<RespBody>, &'static str> {
    let status = match spec.get("status") {
        None => StatusCode::OK,
        Some(s) => s
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .filter(|s| *s >= 200)
            .and_then(|s| StatusCode::from_u16(s).ok())
            .ok_or("status must be an integer in 200..=999")?,
    };
    let body = match (spec.get("encodedBody"), spec.get("body")) {
        (Some(enc), _) => {
            let enc = enc.as_str().ok_or("encodedBody must be a string")?;
            base64::engine::general_purpose::STANDARD
                .decode(enc)
                .map_err(|_| "encodedBody is not base64")?
        }
        (None, Some(body)) => body
            .as_str()
            .ok_or("body must be a string")?
            .as_bytes()
            .to_vec(),
        (None, None) => Vec::new(),
    };
    let sniffed = (!body.is_empty()).then(|| sniff_content_type(&body));
    let mut resp = Response::new(Full::new(Bytes::from(body)).boxed());
    *resp.status_mut() = status;
    if let Some(headers) = spec.get("headers") {
        let headers = headers.as_object().ok_or("headers must be an object")?;
        for (name, value) in headers {
            let name =
                HeaderName::from_bytes(name.as_bytes()).map_err(|_| "invalid header name")?;
            if name == header::CONTENT_LENGTH || name == header::TRANSFER_ENCODING {
                continue;
            }
            let values: Vec<&str> = match value {
                serde_json::Value::String(s) => vec![s.as_str()],
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|v| v.as_str().ok_or("header values must be strings"))
                    .collect::<Result<_, _>>()?,
                _ => return Err("header values must be strings"),
            };
            for v in values {
                let v = HeaderValue::from_str(v).map_err(|_| "invalid header value")?;
                resp.headers_mut().append(name.clone(), v);
            }
        }
    }
    // Albedo is a Go server: like Go's `net/http`, it labels a body whose headers gave no
    // Content-Type with the type sniffed from its first bytes. The CRS response tests
    // (95x) depend on it, since the WAF inspects only listed response types.
    if let Some(ct) = sniffed
        && !resp.headers().contains_key(header::CONTENT_TYPE)
    {
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    Ok(resp)
}

/// The Content-Type Go's `http.DetectContentType` gives `body` for the kinds of content the
/// CRS response tests send (markup, documents, common binary formats, text).
fn sniff_content_type(body: &[u8]) -> &'static str {
    let head = &body[..body.len().min(512)];
    let trimmed = {
        let i = head
            .iter()
            .position(|c| !matches!(c, b'\t' | b'\n' | 0x0c | b'\r' | b' '))
            .unwrap_or(head.len());
        &head[i..]
    };
    const HTML_TAGS: [&[u8]; 17] = [
        b"<!DOCTYPE HTML",
        b"<HTML",
        b"<HEAD",
        b"<SCRIPT",
        b"<IFRAME",
        b"<H1",
        b"<DIV",
        b"<FONT",
        b"<TABLE",
        b"<A",
        b"<STYLE",
        b"<TITLE",
        b"<B",
        b"<BODY",
        b"<BR",
        b"<P",
        b"<!--",
    ];
    let html = HTML_TAGS.iter().any(|tag| {
        trimmed.len() > tag.len()
            && trimmed[..tag.len()].eq_ignore_ascii_case(tag)
            && matches!(trimmed[tag.len()], b' ' | b'>')
    });
    if html {
        return "text/html; charset=utf-8";
    }
    if trimmed.starts_with(b"<?xml") {
        return "text/xml; charset=utf-8";
    }
    const EXACT: [(&[u8], &str); 9] = [
        (b"%PDF-", "application/pdf"),
        (b"%!PS-Adobe-", "application/postscript"),
        (b"\xFE\xFF", "text/plain; charset=utf-16be"),
        (b"\xFF\xFE", "text/plain; charset=utf-16le"),
        (b"\xEF\xBB\xBF", "text/plain; charset=utf-8"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"\x89PNG\x0D\x0A\x1A\x0A", "image/png"),
        (b"\xFF\xD8\xFF", "image/jpeg"),
    ];
    if let Some((_, ct)) = EXACT.iter().find(|(sig, _)| head.starts_with(sig)) {
        return ct;
    }
    if head.starts_with(b"PK\x03\x04") {
        return "application/zip";
    }
    if head.starts_with(b"\x1F\x8B\x08") {
        return "application/x-gzip";
    }
    let binary = head
        .iter()
        .any(|&c| matches!(c, 0x00..=0x08 | 0x0B | 0x0E..=0x1A | 0x1C..=0x1F));
    if binary {
        "application/octet-stream"
    } else {
        "text/plain; charset=utf-8"
    }
}

fn websocket(mut req: Request<Incoming>, state: Arc<State>) -> Response<RespBody> {
    let wants_ws = req
        .headers()
        .get(header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    let Some(key) = req
        .headers()
        .get(header::SEC_WEBSOCKET_KEY)
        .filter(|_| wants_ws)
    else {
        return text(StatusCode::BAD_REQUEST, "expected a WebSocket upgrade");
    };
    let accept = derive_accept_key(key.as_bytes());
    let upgrade = hyper::upgrade::on(&mut req);
    let token = state.token.clone();
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else { return };
        let mut ws =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        loop {
            let msg = tokio::select! {
                () = token.cancelled() => return,
                msg = ws.next() => msg,
            };
            match msg {
                Some(Ok(msg @ (Message::Text(_) | Message::Binary(_)))) => {
                    if ws.send(msg).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                    let _ = ws.close(None).await;
                    return;
                }
                Some(Ok(_)) => {} // ping/pong/frame: tungstenite answers pings itself
            }
        }
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::SEC_WEBSOCKET_ACCEPT, accept)
        .body(http_body_util::Empty::new().boxed())
        .unwrap_or_else(|_| empty(StatusCode::INTERNAL_SERVER_ERROR))
}

fn text(status: StatusCode, body: &'static str) -> Response<RespBody> {
    let mut resp = Response::new(Full::new(Bytes::from_static(body.as_bytes())).boxed());
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    resp
}

fn empty(status: StatusCode) -> Response<RespBody> {
    let mut resp = Response::new(http_body_util::Empty::new().boxed());
    *resp.status_mut() = status;
    resp
}

fn json(status: StatusCode, doc: &serde_json::Value) -> Response<RespBody> {
    let mut resp = Response::new(Full::new(Bytes::from(doc.to_string())).boxed());
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// `N` bytes of `x` in chunks of [`CHUNK_SIZE`], produced on demand.
struct DownloadBody {
    remaining: u64,
}

impl Body for DownloadBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let n = self.remaining.min(CHUNK_SIZE as u64) as usize;
        self.remaining -= n as u64;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&CHUNK[..n])))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn download_body_is_made_of_bounded_chunks() {
        let size = 3 * CHUNK_SIZE as u64 + 17;
        let mut body = DownloadBody { remaining: size };
        assert_eq!(body.size_hint().exact(), Some(size));
        let mut sizes = Vec::new();
        while let Some(frame) = body.frame().await {
            sizes.push(frame.unwrap().into_data().unwrap().len());
        }
        assert_eq!(sizes, vec![CHUNK_SIZE, CHUNK_SIZE, CHUNK_SIZE, 17]);
        assert!(body.is_end_stream());
    }

    #[test]
    fn reflect_rejects_bad_specs() {
        for spec in [
            r#"{"status":99}"#,
            r#"{"status":1000}"#,
            r#"{"headers":{"bad name":"x"}}"#,
            r#"{"headers":{"x":1}}"#,
            r#"{"headers":[]}"#,
            r#"{"encodedBody":"***"}"#,
            r#"{"body":5}"#,
        ] {
            let spec: serde_json::Value = serde_json::from_str(spec).unwrap();
            assert!(reflect_response(&spec).is_err(), "{spec}");
        }
    }

    #[test]
    fn reflect_drops_framing_headers() {
        let spec = serde_json::json!({"headers":{"content-length":"999","transfer-encoding":"chunked","x":"y"}});
        let resp = reflect_response(&spec).unwrap();
        assert!(resp.headers().get("content-length").is_none());
        assert!(resp.headers().get("transfer-encoding").is_none());
        assert_eq!(resp.headers()["x"], "y");
    }
}
