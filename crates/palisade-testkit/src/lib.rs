//! Dev-only test helpers: an in-process origin server on `127.0.0.1:0` and small socket helpers.
//!
//! [`Origin`] serves HTTP/1.1 and HTTP/2 (h2c prior knowledge, or h2 by ALPN over TLS) on a
//! loopback port chosen by the OS, and stops when dropped. Its routes:
//!
//! | route | answer |
//! |---|---|
//! | `/healthz` | `200 ok` or `503 unhealthy`, per [`Origin::set_healthy`] (not counted in [`Origin::requests`]) |
//! | `/status/N` | status `N` (200..=999), empty body |
//! | `/download/N` | `N` bytes of `x`, streamed in 64 KiB chunks, never buffered whole |
//! | `/slow/MS` | waits `MS` milliseconds (at most [`MAX_SLOW_MS`]), then `200 slow` |
//! | `/ws` | WebSocket echo (text and binary messages are sent back) |
//! | `POST /reflect` | answers with the status, headers and body described by the JSON request body |
//! | `/echo` and every other path | `200` with a JSON description of the request (see below) |
//!
//! The echo body is `{"method","uri","path","authority","version","headers":{..},"body_len","body_sha256"}`.
//! The request body is read frame by frame into a length count and a SHA-256, never buffered.
//! `headers` maps each lower-case name to its value; repeated headers are joined with `", "`.
//! `authority` is the URI authority (HTTP/2) or the `Host` header (HTTP/1.1), or `null`.
//!
//! The reflect body follows the albedo format: `{"status":int,"headers":{name:value|[values]},
//! "body":string,"encodedBody":base64}`; `encodedBody` wins over `body`; both are optional.
//! `content-length` and `transfer-encoding` in `headers` are ignored (the server frames the body).
//! A non-empty body without a `Content-Type` in `headers` gets the type Go's
//! `http.DetectContentType` would give it (albedo is a Go server): `text/html; charset=utf-8`
//! for markup, `text/plain; charset=utf-8` for other text, and so on.
//! The reflect request body is limited to [`MAX_REFLECT_BODY`] bytes.
//!
//! This crate must not be a dependency of any non-dev target.

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod origin;
mod routes;

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

pub use origin::Origin;
pub use routes::{MAX_DOWNLOAD, MAX_REFLECT_BODY, MAX_SLOW_MS};

/// A loopback TCP port that was free a moment ago (bound to port 0, then released).
///
/// Nothing listens on it afterwards, so connecting to it is refused — useful for "dead target"
/// tests. Another process could take it in the meantime; tests should tolerate that rare race.
///
/// # Panics
///
/// If no loopback port can be bound at all.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener
        .local_addr()
        .expect("local address of a bound listener")
        .port()
}

/// Waits until a TCP connection to `addr` succeeds, retrying every 20 ms, for at most `timeout`.
///
/// # Errors
///
/// [`std::io::ErrorKind::TimedOut`] (carrying the last connect error) when `timeout` elapses.
pub async fn wait_for_port(addr: SocketAddr, timeout: Duration) -> std::io::Result<()> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        let last = match tokio::time::timeout(remaining, tokio::net::TcpStream::connect(addr)).await
        {
            Ok(Ok(_stream)) => return Ok(()),
            Ok(Err(e)) => e.to_string(),
            Err(_) => "connect attempt timed out".to_owned(),
        };
        if tokio::time::Instant::now() >= deadline {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("{addr} not reachable within {timeout:?}: {last}"),
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn free_port_is_refused_and_wait_times_out() {
        let port = free_port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let err = wait_for_port(addr, Duration::from_millis(100))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn wait_for_port_sees_a_listener() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        wait_for_port(addr, Duration::from_secs(5)).await.unwrap();
    }
}
