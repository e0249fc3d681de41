//! One request over a fresh TCP connection, and the response read back.
//!
//! go-ftw reads a response with Go's `http.ReadResponse`: a transport error (connect refused,
//! reset or timeout before a complete status line and header block, a malformed status line)
//! is an *error* for `expect_error`; anything with a valid head is a *response*. We do the same,
//! and then keep reading the body as framed by the response (`Content-Length`, chunked, or until
//! the server closes), bounded by [`MAX_RESPONSE_BYTES`] and the I/O timeout, so that the raw
//! response is available to `response_contains` and a server that ignores `Connection: close`
//! does not cost a timeout per request.
//!
//! Differences from go-ftw, both in the lenient direction: a failed *write* still reads the
//! response (a gateway may answer 400 and close before taking the whole request), and the body
//! is read in full rather than whatever the 4 KiB read buffer happened to hold.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Most bytes read from one response.
pub(crate) const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// A response with a valid head.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    /// The status code.
    pub(crate) status: u16,
    /// Everything read: head and (bounded) body.
    pub(crate) raw: Vec<u8>,
}

/// Sends `request` to `addr` on a new connection and reads the response.
///
/// `head` says the request was a `HEAD` (no body follows the response head). Every socket
/// operation is bounded by `timeout`.
pub(crate) fn exchange(
    addr: SocketAddr,
    request: &[u8],
    timeout: Duration,
    head: bool,
) -> Result<Response, String> {
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| format!("socket options: {e}"))?;
    let _ = stream.set_nodelay(true);
    let write_error = stream
        .write_all(request)
        .and_then(|()| stream.flush())
        .err();
    let result = read_response(&mut stream, timeout, head);
    let _ = stream.shutdown(Shutdown::Both);
    match (result, write_error) {
        (Ok(response), _) => Ok(response),
        (Err(e), Some(w)) => Err(format!("write: {w}; read: {e}")),
        (Err(e), None) => Err(e),
    }
}

/// Whether the request bytes start with `HEAD ` (so no body follows the response head).
pub(crate) fn is_head_request(request: &[u8]) -> bool {
    request.starts_with(b"HEAD ")
}

fn read_response(
    stream: &mut TcpStream,
    timeout: Duration,
    head: bool,
) -> Result<Response, String> {
    let deadline = Instant::now() + timeout;
    let mut raw = Vec::with_capacity(4096);
    let mut chunk = [0u8; 16 * 1024];
    let mut parsed: Option<(u16, Framing)> = None;
    loop {
        if let Some((status, framing)) = &parsed
            && (framing.complete(&raw) || raw.len() >= MAX_RESPONSE_BYTES)
        {
            return Ok(Response {
                status: *status,
                raw,
            });
        }
        if Instant::now() >= deadline {
            return finish(parsed, raw, "timed out");
        }
        match stream.read(&mut chunk) {
            Ok(0) => return finish(parsed, raw, "connection closed"),
            Ok(n) => {
                let room = MAX_RESPONSE_BYTES.saturating_sub(raw.len());
                raw.extend_from_slice(&chunk[..n.min(room)]);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return finish(parsed, raw, &e.to_string()),
        }
        if parsed.is_none() {
            parsed = parse_head(&raw, head)?;
        }
    }
}

/// End of input: a response if the head was complete, else a transport error.
fn finish(parsed: Option<(u16, Framing)>, raw: Vec<u8>, why: &str) -> Result<Response, String> {
    match parsed {
        Some((status, _)) => Ok(Response { status, raw }),
        None if raw.is_empty() => Err(format!("no response ({why})")),
        None => Err(format!(
            "incomplete response head after {} bytes ({why})",
            raw.len()
        )),
    }
}

/// How the body of a response is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// No body; the response ends with its head (`head_len` bytes).
    Empty { head_len: usize },
    /// `Content-Length` bytes after the head.
    Length { end: usize },
    /// Chunked body starting at `start`.
    Chunked { start: usize },
    /// Until the server closes the connection.
    UntilClose,
}

impl Framing {
    fn complete(self, raw: &[u8]) -> bool {
        match self {
            Framing::Empty { head_len } => raw.len() >= head_len,
            Framing::Length { end } => raw.len() >= end,
            Framing::Chunked { start } => chunked_complete(raw.get(start..).unwrap_or_default()),
            Framing::UntilClose => false,
        }
    }
}

/// Parses the status line as soon as it is complete (an invalid one is an error right away, as
/// in `http.ReadResponse`) and the framing once the whole head is there. `Ok(None)`: need more.
fn parse_head(raw: &[u8], head_request: bool) -> Result<Option<(u16, Framing)>, String> {
    let Some(line_end) = raw.iter().position(|&b| b == b'\n') else {
        return Ok(None);
    };
    let status = parse_status_line(&raw[..line_end])?;
    let Some(head_len) = head_end(raw) else {
        return Ok(None);
    };
    let head = &raw[..head_len];
    let framing = if head_request || (100..200).contains(&status) || status == 204 || status == 304
    {
        Framing::Empty { head_len }
    } else if header_values(head, "transfer-encoding")
        .any(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        Framing::Chunked { start: head_len }
    } else if let Some(len) = header_values(head, "content-length")
        .next()
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        Framing::Length {
            end: head_len.saturating_add(len),
        }
    } else {
        Framing::UntilClose
    };
    Ok(Some((status, framing)))
}

/// Go's status-line rules: `PROTO SP CODE [SP REASON]`, a three-digit code, `HTTP/d.d`.
fn parse_status_line(line: &[u8]) -> Result<u16, String> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let text = String::from_utf8_lossy(line);
    let malformed = || {
        let shown: String = text.chars().take(80).collect();
        format!("malformed HTTP response {shown:?}")
    };
    let (proto, rest) = text.split_once(' ').ok_or_else(malformed)?;
    let code = rest.trim_start_matches(' ').split(' ').next().unwrap_or("");
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("malformed HTTP status code {code:?}"));
    }
    let version = proto.as_bytes();
    let valid_version = version.len() == 8
        && version.starts_with(b"HTTP/")
        && version[5].is_ascii_digit()
        && version[6] == b'.'
        && version[7].is_ascii_digit();
    if !valid_version {
        return Err(format!("malformed HTTP version {proto:?}"));
    }
    code.parse().map_err(|_| malformed())
}

/// Length of the head including the empty line that ends it (`\r\n\r\n` or bare `\n\n`).
fn head_end(raw: &[u8]) -> Option<usize> {
    let mut start = 0;
    while let Some(offset) = raw[start..].iter().position(|&b| b == b'\n') {
        let end = start + offset;
        let line = &raw[start..end];
        if start > 0 && (line.is_empty() || line == b"\r") {
            return Some(end + 1);
        }
        start = end + 1;
    }
    None
}

/// Values of header `name` (lower-case) in `head`.
fn header_values<'a>(head: &'a [u8], name: &'a str) -> impl Iterator<Item = String> + 'a {
    head.split(|&b| b == b'\n').skip(1).filter_map(move |line| {
        let line = String::from_utf8_lossy(line);
        let (n, v) = line.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

/// Whether `body` holds a complete chunked body (last chunk and trailers).
fn chunked_complete(body: &[u8]) -> bool {
    let mut pos = 0;
    loop {
        let Some(offset) = body[pos..].iter().position(|&b| b == b'\n') else {
            return false;
        };
        let line = String::from_utf8_lossy(&body[pos..pos + offset]);
        let size_text = line.split(';').next().unwrap_or("").trim();
        let Ok(size) = usize::from_str_radix(size_text, 16) else {
            return true; // malformed: stop reading, keep what we have
        };
        pos += offset + 1;
        if size == 0 {
            // Trailers until an empty line.
            return head_end_from(body, pos);
        }
        pos = pos.saturating_add(size);
        // The CRLF after the chunk data.
        match body.get(pos..) {
            Some(rest) if rest.starts_with(b"\r\n") => pos += 2,
            Some(rest) if rest.starts_with(b"\n") => pos += 1,
            Some(rest) if rest.len() < 2 => return false,
            Some(_) => return true, // malformed
            None => return false,
        }
    }
}

fn head_end_from(body: &[u8], mut pos: usize) -> bool {
    while let Some(offset) = body
        .get(pos..)
        .and_then(|r| r.iter().position(|&b| b == b'\n'))
    {
        let line = &body[pos..pos + offset];
        if line.is_empty() || line == b"\r" {
            return true;
        }
        pos += offset + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(parse_status_line(b"HTTP/1.1 200 OK\r"), Ok(200));
        assert_eq!(parse_status_line(b"HTTP/1.0 403"), Ok(403));
        assert_eq!(parse_status_line(b"HTTP/2.0  404 Not Found"), Ok(404));
        assert!(parse_status_line(b"<html>").is_err());
        assert!(parse_status_line(b"HTTP/1.1 20 OK").is_err());
        assert!(parse_status_line(b"HTTP/1.10 200 OK").is_err());
        assert!(parse_status_line(b"ICY 200 OK").is_err());
    }

    #[test]
    fn framing() {
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n";
        let (status, framing) = parse_head(head, false).unwrap().unwrap();
        assert_eq!(status, 200);
        assert!(!framing.complete(head));
        assert!(framing.complete(&[&head[..], b"abc"].concat()));
        let (_, framing) = parse_head(head, true).unwrap().unwrap();
        assert!(framing.complete(head), "HEAD: no body");
        assert_eq!(
            parse_head(b"HTTP/1.1 200 OK\r\nA: b\r\n", false).unwrap(),
            None
        );
        assert!(parse_head(b"garbage\r\n", false).is_err());
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        let (_, framing) = parse_head(chunked, false).unwrap().unwrap();
        assert!(!framing.complete(&[&chunked[..], b"3\r\nabc\r\n"].concat()));
        assert!(framing.complete(&[&chunked[..], b"3\r\nabc\r\n0\r\n\r\n"].concat()));
        let (_, framing) = parse_head(b"HTTP/1.0 200 OK\n\n", false).unwrap().unwrap();
        assert_eq!(framing, Framing::UntilClose);
    }

    #[test]
    fn exchange_over_loopback() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            for reply in [
                &b"HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno"[..],
                b"",
                b"junk\r\n",
            ] {
                let (mut s, _) = listener.accept().unwrap();
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                s.write_all(reply).unwrap();
                // Keep the connection open a moment: framing, not EOF, must end the read.
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let timeout = Duration::from_secs(5);
        let response = exchange(addr, b"GET / HTTP/1.1\r\n\r\n", timeout, false).unwrap();
        assert_eq!(response.status, 403);
        assert!(response.raw.ends_with(b"no"));
        assert!(exchange(addr, b"GET / HTTP/1.1\r\n\r\n", timeout, false).is_err());
        assert!(exchange(addr, b"GET / HTTP/1.1\r\n\r\n", timeout, false).is_err());
        server.join().unwrap();
    }
}
