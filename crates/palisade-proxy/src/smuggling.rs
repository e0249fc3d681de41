//! Strict request framing: refuse every request whose framing two HTTP implementations could
//! read differently, before anything is forwarded.
//!
//! hyper parses HTTP/1.1 leniently in two ways that matter for smuggling: it silently merges
//! repeated identical `Content-Length` headers, and when `Transfer-Encoding` and
//! `Content-Length` are both present it drops `Content-Length` from the parsed headers, so the
//! service cannot see either shape. So on HTTP/1 connections a [`FramingGuard`] reads the same
//! bytes as hyper, just before it: it finds each request head, checks the raw bytes
//! ([`check_head`]) and follows the body framing (length or chunked) to the next head. Its
//! verdict for each head is queued in order; the service pops one per request and answers a
//! rejection with 400 (431 for oversized heads) and `Connection: close`. The checks, in the
//! order applied:
//!
//! | shape | status |
//! |---|---|
//! | NUL, bare CR, bare LF, other control bytes in the head | 400 |
//! | obs-fold (a header line starting with SP or HTAB) | 400 |
//! | unparsable head, invalid header name, invalid version | 400 |
//! | more headers than `max_headers`, head larger than `max_header_bytes` | 431 |
//! | more than one `Content-Length` line (even with equal values) | 400 |
//! | a `Content-Length` that is not 1–19 plain digits (`+5`, `5,5`, `0x5`, ` 5 `, empty) | 400 |
//! | `Transfer-Encoding` other than exactly one `chunked` line | 400 |
//! | `Transfer-Encoding` on HTTP/1.0 | 400 |
//! | `Transfer-Encoding` together with `Content-Length` | 400 |
//! | HTTP/1.1 without `Host` or with an empty one, more than one `Host`, an unusable `Host` value | 400 |
//! | a well-formed version of a later major than 1 (`HTTP/4.0`) | 505 |
//! | absolute-form target whose authority differs from `Host`, or with user info | 400 |
//! | a fragment (`#`) in the request target (RFC 9112 §3.2 has none) | 400 |
//! | `CONNECT` to a target that is not `host:port` | 400 |
//! | `CONNECT` (this is not a forward proxy) | 405 |
//!
//! The guard also holds each head back until it is complete, so that it can hand hyper a
//! repaired copy: bytes that clients and attackers send raw in a target but that hyper's URI
//! parser refuses (`"`, `<`, `>` and the backtick) are percent-encoded, and the target as
//! received travels with the verdict ([`Accepted::raw_target`]) for the WAF to inspect.
//! Without that, such requests would get a bare 400 from hyper that no rule ever saw.
//!
//! A guard that loses track of framing (a malformed chunked body) stops following the stream
//! and every later request on that connection is refused: fail closed. HTTP/2 requests are
//! checked on the parsed headers by [`check_h2`] (the h2 codec already rejects
//! connection-specific headers and `Content-Length` mismatches).

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use http::{HeaderMap, Method, StatusCode, header};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::router::{normalize_host, valid_port};

/// Most verdicts queued ahead of the service (pipelined requests). Beyond it the guard stops
/// and later requests are refused.
const MAX_QUEUED_VERDICTS: usize = 1024;
/// Longest chunk-size line (size plus extensions), bytes.
const MAX_CHUNK_LINE: usize = 4096;
/// Most hex digits in a chunk size (16 fit in a u64).
const MAX_CHUNK_SIZE_DIGITS: u8 = 16;
/// Longest plain-digit `Content-Length` (19 digits always fit in a u64).
const MAX_CONTENT_LENGTH_DIGITS: usize = 19;

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rejection {
    /// Status sent to the client.
    pub(crate) status: StatusCode,
    /// Short name of the shape, for logs.
    pub(crate) shape: &'static str,
}

impl Rejection {
    const fn bad(shape: &'static str) -> Self {
        Rejection {
            status: StatusCode::BAD_REQUEST,
            shape,
        }
    }

    const fn too_large(shape: &'static str) -> Self {
        Rejection {
            status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            shape,
        }
    }
}

/// How the body of an accepted head is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body.
    None,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked.
    Chunked,
    /// An upgrade request: bytes after it are not HTTP any more (if the upgrade happens).
    Upgrade,
}

/// What the guard learned about an accepted head.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Accepted {
    /// The request target as received, when the guard percent-encoded some of its bytes
    /// for hyper (see the module docs) or when it is not in origin form (`http://…`, `*`);
    /// `None` otherwise.
    pub(crate) raw_target: Option<Box<[u8]>>,
    /// The head as received (request line to the empty line): header names keep their
    /// case and every line its order, which hyper's parsed headers do not.
    pub(crate) head: Option<Box<[u8]>>,
}

/// The verdict queue shared by a connection's guard and its service.
#[derive(Debug, Clone, Default)]
pub(crate) struct Verdicts(Arc<Mutex<VecDeque<Result<Accepted, Rejection>>>>);

impl Verdicts {
    /// The verdict for the next request in order; a missing one is a rejection.
    pub(crate) fn next(&self) -> Result<Accepted, Rejection> {
        let mut queue = self.0.lock().unwrap_or_else(|e| e.into_inner());
        queue
            .pop_front()
            .unwrap_or(Err(Rejection::bad("framing not followed")))
    }

    fn push(&self, verdict: Result<Accepted, Rejection>) -> bool {
        let mut queue = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if queue.len() >= MAX_QUEUED_VERDICTS {
            return false;
        }
        queue.push_back(verdict);
        true
    }
}

/// Bytes hyper's URI parser refuses in a request target that Palisade accepts and passes on
/// percent-encoded.
fn needs_encoding(b: u8) -> bool {
    matches!(b, b'"' | b'<' | b'>' | b'`')
}

/// `target` with the bytes of [`needs_encoding`] percent-encoded, or `None` when it has none.
fn encode_target(target: &[u8]) -> Option<Vec<u8>> {
    if !target.iter().copied().any(needs_encoding) {
        return None;
    }
    let mut out = Vec::with_capacity(target.len() + 16);
    for &b in target {
        if needs_encoding(b) {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        } else {
            out.push(b);
        }
    }
    Some(out)
}

/// The byte range of the request target in a head's request line.
fn target_range(head: &[u8]) -> Option<std::ops::Range<usize>> {
    let line_end = memchr_lf(head)?;
    let line = &head[..line_end];
    let start = line.iter().position(|&b| b == b' ')? + 1;
    let len = line[start..].iter().position(|&b| b == b' ')?;
    Some(start..start + len)
}

/// Checks the raw bytes of one request head (request line to the empty line, inclusive).
pub(crate) fn check_head(head: &[u8], max_headers: usize) -> Result<Framing, Rejection> {
    check_bytes(head)?;
    // Header slots are lent uninitialised (httparse writes only the ones it fills), from
    // the stack for the usual limits.
    const ON_STACK: usize = 128;
    let uninit = std::mem::MaybeUninit::<httparse::Header<'_>>::uninit();
    if max_headers <= ON_STACK {
        let mut slots = [uninit; ON_STACK];
        check_parsed(head, &mut slots[..max_headers])
    } else {
        check_parsed(head, &mut vec![uninit; max_headers])
    }
}

fn check_parsed<'h>(
    head: &'h [u8],
    slots: &mut [std::mem::MaybeUninit<httparse::Header<'h>>],
) -> Result<Framing, Rejection> {
    let mut req = httparse::Request::new(&mut []);
    match req.parse_with_uninit_headers(head, slots) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(Rejection::bad("incomplete head")),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Rejection::too_large("too many headers"));
        }
        Err(httparse::Error::HeaderName) => return Err(Rejection::bad("invalid header name")),
        Err(httparse::Error::HeaderValue) => return Err(Rejection::bad("invalid header value")),
        Err(httparse::Error::Version) if names_other_version(head) => {
            return Err(Rejection {
                status: StatusCode::HTTP_VERSION_NOT_SUPPORTED,
                shape: "unsupported HTTP version",
            });
        }
        Err(httparse::Error::Version) => return Err(Rejection::bad("invalid version")),
        Err(_) => return Err(Rejection::bad("unparsable request line")),
    }
    let version = req.version.unwrap_or(1);
    let method = req.method.unwrap_or("");
    let target = req.path.unwrap_or("");
    if target.contains('#') {
        return Err(Rejection::bad("fragment in request target"));
    }
    if method == Method::CONNECT.as_str() {
        let authority_form = target.rsplit_once(':').is_some_and(|(host, port)| {
            !host.is_empty() && !host.contains('/') && valid_port(port)
        });
        if !authority_form {
            return Err(Rejection::bad("CONNECT target is not host:port"));
        }
        return Err(Rejection {
            status: StatusCode::METHOD_NOT_ALLOWED,
            shape: "CONNECT",
        });
    }

    let mut content_length: Option<u64> = None;
    let mut content_length_lines = 0usize;
    let mut te_lines = 0usize;
    let mut te_chunked = false;
    let mut host: Option<&[u8]> = None;
    let mut host_lines = 0usize;
    let mut upgrade = false;
    for h in req.headers.iter() {
        let name = h.name;
        if name.eq_ignore_ascii_case(header::CONTENT_LENGTH.as_str()) {
            content_length_lines += 1;
            let value = strict_value(head, h.value)
                .ok_or(Rejection::bad("Content-Length with surrounding whitespace"))?;
            if value.is_empty()
                || value.len() > MAX_CONTENT_LENGTH_DIGITS
                || !value.iter().all(u8::is_ascii_digit)
            {
                return Err(Rejection::bad("invalid Content-Length"));
            }
            content_length = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok());
            if content_length.is_none() {
                return Err(Rejection::bad("invalid Content-Length"));
            }
        } else if name.eq_ignore_ascii_case(header::TRANSFER_ENCODING.as_str()) {
            te_lines += 1;
            let value = strict_value(head, h.value).ok_or(Rejection::bad(
                "Transfer-Encoding with surrounding whitespace",
            ))?;
            te_chunked = value.eq_ignore_ascii_case(b"chunked");
            if !te_chunked {
                return Err(Rejection::bad("Transfer-Encoding other than chunked"));
            }
        } else if name.eq_ignore_ascii_case(header::HOST.as_str()) {
            host_lines += 1;
            host = Some(h.value);
        } else if name.eq_ignore_ascii_case(header::UPGRADE.as_str()) {
            upgrade = true;
        }
    }
    if content_length_lines > 1 {
        return Err(Rejection::bad("duplicate Content-Length"));
    }
    if te_lines > 1 {
        return Err(Rejection::bad("duplicate Transfer-Encoding"));
    }
    if te_lines == 1 && version == 0 {
        return Err(Rejection::bad("Transfer-Encoding on HTTP/1.0"));
    }
    if te_lines == 1 && content_length_lines == 1 {
        return Err(Rejection::bad("Content-Length with Transfer-Encoding"));
    }
    if host_lines > 1 {
        return Err(Rejection::bad("duplicate Host"));
    }
    let host = match host {
        // HTTP/1.1 needs a usable Host (RFC 9112 §3.2: the target URI of an http request
        // always has an authority). HTTP/1.0 may leave it empty; only catch-all sites
        // serve such requests.
        Some(raw) if raw.trim_ascii().is_empty() && version == 1 => {
            return Err(Rejection::bad("empty Host"));
        }
        Some(raw) if raw.trim_ascii().is_empty() => None,
        Some(raw) => Some(
            std::str::from_utf8(raw)
                .ok()
                .and_then(normalize_host)
                .ok_or(Rejection::bad("invalid Host"))?,
        ),
        None if version == 1 => return Err(Rejection::bad("missing Host")),
        None => None,
    };
    if !target.starts_with('/') && target != "*" {
        let encoded = encode_target(target.as_bytes());
        let target = match &encoded {
            Some(e) => std::str::from_utf8(e).unwrap_or(target),
            None => target,
        };
        check_absolute_target(target, host.as_deref())?;
    }
    if upgrade {
        return Ok(Framing::Upgrade);
    }
    Ok(match (te_chunked, content_length) {
        (true, _) => Framing::Chunked,
        (false, Some(0) | None) => Framing::None,
        (false, Some(n)) => Framing::Length(n),
    })
}

/// An absolute-form target must be http(s), carry no user info, and name the same host as
/// `Host` (which HTTP/1.1 clients must send anyway).
fn check_absolute_target(target: &str, host: Option<&str>) -> Result<(), Rejection> {
    let uri: http::Uri = target
        .parse()
        .map_err(|_| Rejection::bad("invalid request target"))?;
    let authority = uri
        .authority()
        .ok_or(Rejection::bad("invalid request target"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(Rejection::bad("absolute-form target with a foreign scheme"));
    }
    if authority.as_str().contains('@') {
        return Err(Rejection::bad("absolute-form target with user info"));
    }
    let target_host = normalize_host(authority.as_str());
    match (target_host, host) {
        (Some(t), Some(h)) if t == h => Ok(()),
        (Some(_), None) => Ok(()),
        _ => Err(Rejection::bad("absolute-form target differs from Host")),
    }
}

/// Whether the request line ends in a well-formed `HTTP/d.d` of a later major version than
/// 1 (`HTTP/4.0`): 505 rather than 400. HTTP/0.x request lines and unknown HTTP/1 minors stay
/// 400, as httpd answers them.
fn names_other_version(head: &[u8]) -> bool {
    let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    let Some(v) = line.rsplit(|&b| b == b' ').next() else {
        return false;
    };
    matches!(v, [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
        if (b'2'..=b'9').contains(major) && minor.is_ascii_digit())
}

/// `head` with the request line's version replaced by `HTTP/1.1`.
fn with_version_1_1(head: &[u8]) -> Vec<u8> {
    let line_end = memchr_lf(head).map_or(head.len(), |i| i.saturating_sub(1));
    let version_start = head[..line_end]
        .iter()
        .rposition(|&b| b == b' ')
        .map_or(line_end, |i| i + 1);
    let mut out = head[..version_start].to_vec();
    out.extend_from_slice(b"HTTP/1.1");
    out.extend_from_slice(&head[line_end..]);
    out
}

/// The raw bytes of a header value between `:` and CRLF, allowing one optional leading SP or
/// HTAB and nothing trailing. `None` when the line has more whitespace than that.
fn strict_value<'a>(head: &'a [u8], value: &'a [u8]) -> Option<&'a [u8]> {
    // httparse hands out sub-slices of `head`: find the value's offset to look around it.
    let start = (value.as_ptr() as usize).checked_sub(head.as_ptr() as usize)?;
    let end = start + value.len();
    let line_end = head[end..].iter().position(|&b| b == b'\r' || b == b'\n')? + end;
    if line_end != end {
        return None; // trailing whitespace (httparse trims it)
    }
    let colon = head[..start].iter().rposition(|&b| b == b':')?;
    let leading = &head[colon + 1..start];
    if leading.len() > 1 || leading.iter().any(|&b| b != b' ' && b != b'\t') {
        return None;
    }
    if value.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
        return None;
    }
    Some(value)
}

/// Byte-level checks: CRLF only, no NUL or other control bytes, no obs-fold.
fn check_bytes(head: &[u8]) -> Result<(), Rejection> {
    if plain_bytes(head) {
        return Ok(());
    }
    check_bytes_exactly(head)
}

/// The quick accept of [`check_bytes`]: no control byte but TAB, CR and LF, every LF after
/// a CR and not before SP or TAB, and as many CRs as LFs. `false` says "look closer".
fn plain_bytes(head: &[u8]) -> bool {
    // Branch-free over fixed blocks so that the compiler vectorises it.
    // `&` and `|`, not `&&` and `||`: no branches.
    let odd = |b: u8| ((b < 0x20) & (b != b'\t') & (b != b'\r') & (b != b'\n')) | (b == 0x7f);
    let mut blocks = head.chunks_exact(32);
    for block in &mut blocks {
        if block.iter().fold(false, |acc, &b| acc | odd(b)) {
            return false;
        }
    }
    if blocks.remainder().iter().any(|&b| odd(b)) {
        return false;
    }
    let mut lines = 0usize;
    for lf in memchr::memchr_iter(b'\n', head) {
        if lf == 0 || head[lf - 1] != b'\r' || matches!(head.get(lf + 1), Some(b' ' | b'\t')) {
            return false;
        }
        lines += 1;
    }
    memchr::memchr_iter(b'\r', head).count() == lines
}

/// [`check_bytes`], byte by byte, naming the first offence.
fn check_bytes_exactly(head: &[u8]) -> Result<(), Rejection> {
    let len = head.len();
    for (i, &b) in head.iter().enumerate() {
        match b {
            0 => return Err(Rejection::bad("NUL in head")),
            b'\r' if head.get(i + 1) != Some(&b'\n') => {
                return Err(Rejection::bad("bare CR in head"));
            }
            b'\r' => {}
            b'\n' => {
                if i == 0 || head[i - 1] != b'\r' {
                    return Err(Rejection::bad("bare LF in head"));
                }
                // A line starting with whitespace continues the previous one (obs-fold).
                if i + 1 < len && matches!(head[i + 1], b' ' | b'\t') {
                    return Err(Rejection::bad("obs-fold"));
                }
            }
            b'\t' => {}
            0x01..=0x1f | 0x7f => return Err(Rejection::bad("control byte in head")),
            _ => {}
        }
    }
    Ok(())
}

/// Checks an HTTP/2 request on its parsed headers.
pub(crate) fn check_h2(headers: &HeaderMap, authority: Option<&str>) -> Result<(), Rejection> {
    let mut lengths = headers.get_all(header::CONTENT_LENGTH).iter();
    if let Some(value) = lengths.next() {
        let bytes = value.as_bytes();
        if bytes.is_empty()
            || bytes.len() > MAX_CONTENT_LENGTH_DIGITS
            || !bytes.iter().all(u8::is_ascii_digit)
        {
            return Err(Rejection::bad("invalid Content-Length"));
        }
        if lengths.next().is_some() {
            return Err(Rejection::bad("duplicate Content-Length"));
        }
    }
    if headers.contains_key(header::TRANSFER_ENCODING) {
        return Err(Rejection::bad("Transfer-Encoding on HTTP/2"));
    }
    let mut hosts = headers.get_all(header::HOST).iter();
    let host = hosts.next();
    if hosts.next().is_some() {
        return Err(Rejection::bad("duplicate Host"));
    }
    let host = match host {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(normalize_host)
                .ok_or(Rejection::bad("invalid Host"))?,
        ),
        None => None,
    };
    let authority = match authority {
        Some(a) if a.contains('@') => return Err(Rejection::bad("authority with user info")),
        Some(a) => Some(normalize_host(a).ok_or(Rejection::bad("invalid authority"))?),
        None => None,
    };
    match (authority, host) {
        (Some(a), Some(h)) if a != h => Err(Rejection::bad(":authority differs from Host")),
        (None, None) => Err(Rejection::bad("missing authority")),
        _ => Ok(()),
    }
}

/// Follows HTTP/1 framing on the bytes read from a client, one step ahead of hyper.
#[derive(Debug)]
pub(crate) struct Sniffer {
    state: State,
    head: Vec<u8>,
    max_header_bytes: usize,
    max_headers: usize,
    verdicts: Verdicts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a request head.
    Head,
    /// Skipping a length-framed body.
    Body(u64),
    /// Inside a chunked body.
    Chunk(Chunk),
    /// No more HTTP/1 framing to follow (HTTP/2 preface, upgrade): pass bytes through.
    Passthrough,
    /// Lost track or refused: later requests are refused.
    Stopped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// The chunk-size line: value so far, digits seen, inside extensions, line length.
    Size {
        value: u64,
        digits: u8,
        ext: bool,
        line: usize,
    },
    /// Chunk data still to skip.
    Data(u64),
    /// The CRLF after chunk data; `cr` when the CR was seen.
    DataEnd { cr: bool },
    /// The trailer section: at a line start, bytes so far.
    Trailer {
        line_start: bool,
        cr: bool,
        total: usize,
    },
}

const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0";

impl Sniffer {
    /// A guard for one connection; `verdicts` is shared with the connection's service.
    pub(crate) fn new(max_header_bytes: usize, max_headers: usize, verdicts: Verdicts) -> Self {
        Sniffer {
            state: State::Head,
            head: Vec::new(),
            max_header_bytes,
            max_headers,
            verdicts,
        }
    }

    /// Follows `data`, just read from the client, and says which bytes hyper should read:
    /// the first `n` bytes of `data` (the returned `n`) as they are, then what this call
    /// appended to `out`: body bytes as they are, each head once it is complete (repaired,
    /// see the module docs), and everything held back once the guard stops. `out` must be
    /// empty on entry for the in-place prefix to keep the order; a non-empty `out` gets
    /// everything (`n` = 0).
    pub(crate) fn feed(&mut self, data: &[u8], out: &mut Vec<u8>) -> usize {
        let mut in_place = out.is_empty();
        let mut prefix = 0;
        let mut rest = data;
        while !rest.is_empty() {
            let (next, unchanged) = self.step(rest, out);
            let used = rest.len() - next.len();
            match unchanged {
                // The step passes `used` bytes as they are.
                Some(n) if in_place => {
                    debug_assert_eq!(n, used);
                    prefix += n;
                }
                Some(n) => out.extend_from_slice(&rest[..n]),
                None if in_place => {
                    // This step held back or repaired bytes into `out`: everything after
                    // it goes through `out` too.
                    in_place = false;
                }
                None => {}
            }
            rest = next;
        }
        prefix
    }

    /// One framing step over the start of `data`: the rest, and `Some(n)` when the step's
    /// `n` bytes pass unchanged (the caller places them), `None` when the step wrote what
    /// hyper gets into `out` itself.
    fn step<'d>(&mut self, data: &'d [u8], out: &mut Vec<u8>) -> (&'d [u8], Option<usize>) {
        match self.state {
            State::Passthrough | State::Stopped => (&[], Some(data.len())),
            State::Head => {
                if let Some(end) = self.head_in_place(data) {
                    return (&data[end..], Some(end));
                }
                (self.feed_head(data, out), None)
            }
            State::Body(left) => {
                let n = usize::try_from(left).unwrap_or(usize::MAX).min(data.len());
                let left = left - n as u64;
                self.state = if left == 0 {
                    State::Head
                } else {
                    State::Body(left)
                };
                (&data[n..], Some(n))
            }
            State::Chunk(chunk) => {
                let rest = self.feed_chunk(chunk, data);
                if self.state == State::Stopped {
                    // The chunk parser gave up somewhere in `data`: hyper gets it all.
                    return (&[], Some(data.len()));
                }
                (rest, Some(data.len() - rest.len()))
            }
        }
    }

    /// The common case, without copying: nothing held back yet, `data` starts with a
    /// complete head that is accepted as it is (no repair). Returns the head's length after
    /// recording its verdict; `None` leaves everything to [`Self::feed_head`], which
    /// handles every other case (and reaches the same verdicts).
    fn head_in_place(&mut self, data: &[u8]) -> Option<usize> {
        if !self.head.is_empty() || matches!(data.first(), None | Some(b'\r' | b'\n')) {
            return None;
        }
        let window = &data[..data.len().min(self.max_header_bytes + 4)];
        let end = find_head_end(window)?;
        if end > self.max_header_bytes || window.starts_with(H2_PREFACE) {
            return None;
        }
        let head = &data[..end];
        let range = target_range(head)?;
        if head[range.clone()].iter().copied().any(needs_encoding) {
            return None;
        }
        let framing = check_head(head, self.max_headers).ok()?;
        let accepted = Accepted {
            // Kept only when not in origin form; see `feed_head`.
            raw_target: (!head[range.clone()].starts_with(b"/")).then(|| head[range].into()),
            head: Some(head.into()),
        };
        if !self.verdicts.push(Ok(accepted)) {
            return None;
        }
        self.state = Self::after_head(framing);
        Some(end)
    }

    fn after_head(framing: Framing) -> State {
        match framing {
            Framing::None => State::Head,
            Framing::Length(n) => State::Body(n),
            Framing::Chunked => State::Chunk(Chunk::Size {
                value: 0,
                digits: 0,
                ext: false,
                line: 0,
            }),
            Framing::Upgrade => State::Passthrough,
        }
    }

    /// How many next bytes the sniffer passes on unchanged whatever they are (the rest of
    /// a length-framed body, or everything once it no longer follows framing); `0` while it
    /// reads heads or chunk framing.
    fn unchanged_ahead(&self) -> u64 {
        match self.state {
            State::Body(left) => left,
            State::Passthrough | State::Stopped => u64::MAX,
            State::Head | State::Chunk(_) => 0,
        }
    }

    /// Follows `n` bytes that hyper gets as they are; `n` is at most [`Self::unchanged_ahead`].
    fn pass(&mut self, n: u64) {
        if let State::Body(left) = self.state {
            let left = left.saturating_sub(n);
            self.state = if left == 0 {
                State::Head
            } else {
                State::Body(left)
            };
        }
    }

    /// The client closed its side: a head still held back goes to hyper as it is, so that
    /// hyper reports the incomplete message.
    pub(crate) fn eof(&mut self, out: &mut Vec<u8>) {
        out.append(&mut self.head);
    }

    /// Stops following a body whose framing broke (nothing is held back then).
    fn lose_track(&mut self) {
        self.state = State::Stopped;
    }

    fn stop(&mut self, verdict: Option<Rejection>, out: &mut Vec<u8>) {
        if let Some(rejection) = verdict {
            self.verdicts.push(Err(rejection));
        }
        self.state = State::Stopped;
        out.extend_from_slice(&self.head);
        self.head = Vec::new();
    }

    fn feed_head<'d>(&mut self, mut data: &'d [u8], out: &mut Vec<u8>) -> &'d [u8] {
        if self.head.is_empty() {
            // Empty lines before a request line are ignored (RFC 9112 §2.2), as hyper does.
            let skip = data
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
            data = &data[skip..];
            if data.is_empty() {
                return data;
            }
        }
        let old = self.head.len();
        let cap = (self.max_header_bytes + 4).saturating_sub(old);
        let take = data.len().min(cap);
        self.head.extend_from_slice(&data[..take]);
        if self.head.starts_with(H2_PREFACE)
            || (self.head.len() < H2_PREFACE.len() && H2_PREFACE.starts_with(&self.head))
        {
            if self.head.len() >= H2_PREFACE.len() {
                self.state = State::Passthrough;
                out.append(&mut self.head);
                self.head = Vec::new();
            }
            return &data[take..];
        }
        let search_from = old.saturating_sub(3);
        let end = find_head_end(&self.head[search_from..]).map(|e| e + search_from);
        let Some(end) = end else {
            if self.head.len() >= self.max_header_bytes + 4 {
                self.stop(Some(Rejection::too_large("request head too large")), out);
            }
            return &data[take..];
        };
        if end > self.max_header_bytes {
            self.stop(Some(Rejection::too_large("request head too large")), out);
            return &data[take..];
        }
        // `self.head` may hold bytes past the head's end (the body's first bytes): those
        // are handed back to the caller, not kept.
        self.head.truncate(end);
        let consumed = end - old;
        let verdict = check_head(&self.head, self.max_headers);
        match verdict {
            Err(rejection) => {
                if rejection.status == StatusCode::HTTP_VERSION_NOT_SUPPORTED {
                    // hyper would answer an unknown version with a bare 400 of its own; a
                    // head it can parse lets the service give the refusal its real status.
                    self.head = with_version_1_1(&self.head);
                }
                self.stop(Some(rejection), out);
                &data[consumed..]
            }
            Ok(framing) => {
                let mut accepted = Accepted::default();
                match target_range(&self.head)
                    .and_then(|r| encode_target(&self.head[r.clone()]).map(|e| (r, e)))
                {
                    Some((range, encoded)) => {
                        out.extend_from_slice(&self.head[..range.start]);
                        out.extend_from_slice(&encoded);
                        out.extend_from_slice(&self.head[range.end..]);
                        accepted.raw_target = Some(self.head[range].into());
                    }
                    None => {
                        out.extend_from_slice(&self.head);
                        // An absolute-form target loses its exact spelling in hyper's URI
                        // (`http://a` reads back as `http://a/`); keep it for the WAF.
                        if let Some(r) = target_range(&self.head)
                            && !self.head[r.clone()].starts_with(b"/")
                        {
                            accepted.raw_target = Some(self.head[r].into());
                        }
                    }
                }
                accepted.head = Some(std::mem::take(&mut self.head).into_boxed_slice());
                if !self.verdicts.push(Ok(accepted)) {
                    self.stop(None, out);
                    return &data[consumed..];
                }
                self.state = Self::after_head(framing);
                &data[consumed..]
            }
        }
    }

    fn feed_chunk<'d>(&mut self, chunk: Chunk, data: &'d [u8]) -> &'d [u8] {
        match chunk {
            Chunk::Data(left) => {
                let n = usize::try_from(left).unwrap_or(usize::MAX).min(data.len());
                let left = left - n as u64;
                self.state = State::Chunk(if left == 0 {
                    Chunk::DataEnd { cr: false }
                } else {
                    Chunk::Data(left)
                });
                return &data[n..];
            }
            Chunk::Size { .. } | Chunk::DataEnd { .. } | Chunk::Trailer { .. } => {}
        }
        let mut state = chunk;
        for (i, &b) in data.iter().enumerate() {
            state = match state {
                Chunk::Size {
                    value,
                    digits,
                    ext,
                    line,
                } => {
                    if line >= MAX_CHUNK_LINE {
                        self.lose_track();
                        return &[];
                    }
                    match b {
                        b'\n' if digits == 0 => {
                            self.lose_track();
                            return &[];
                        }
                        b'\n' if value == 0 => Chunk::Trailer {
                            line_start: true,
                            cr: false,
                            total: 0,
                        },
                        b'\n' => {
                            self.state = State::Chunk(Chunk::Data(value));
                            return &data[i + 1..];
                        }
                        b'\r' => Chunk::Size {
                            value,
                            digits,
                            ext,
                            line: line + 1,
                        },
                        _ if ext => Chunk::Size {
                            value,
                            digits,
                            ext,
                            line: line + 1,
                        },
                        b';' | b' ' | b'\t' if digits > 0 => Chunk::Size {
                            value,
                            digits,
                            ext: true,
                            line: line + 1,
                        },
                        _ => match (b as char).to_digit(16) {
                            Some(d) if digits < MAX_CHUNK_SIZE_DIGITS => Chunk::Size {
                                value: (value << 4) | u64::from(d),
                                digits: digits + 1,
                                ext,
                                line: line + 1,
                            },
                            _ => {
                                self.lose_track();
                                return &[];
                            }
                        },
                    }
                }
                Chunk::DataEnd { cr } => match b {
                    b'\r' if !cr => Chunk::DataEnd { cr: true },
                    b'\n' => Chunk::Size {
                        value: 0,
                        digits: 0,
                        ext: false,
                        line: 0,
                    },
                    _ => {
                        self.lose_track();
                        return &[];
                    }
                },
                Chunk::Trailer {
                    line_start,
                    cr,
                    total,
                } => {
                    if total >= self.max_header_bytes {
                        self.lose_track();
                        return &[];
                    }
                    match b {
                        b'\n' if line_start => {
                            self.state = State::Head;
                            return &data[i + 1..];
                        }
                        b'\r' if line_start && !cr => Chunk::Trailer {
                            line_start,
                            cr: true,
                            total: total + 1,
                        },
                        b'\n' => Chunk::Trailer {
                            line_start: true,
                            cr: false,
                            total: total + 1,
                        },
                        _ => Chunk::Trailer {
                            line_start: false,
                            cr: false,
                            total: total + 1,
                        },
                    }
                }
                Chunk::Data(left) => {
                    // Not produced inside this loop (a size line returns on entering data),
                    // but handled the same way as above should that change.
                    self.state = State::Chunk(Chunk::Data(left));
                    return &data[i..];
                }
            };
        }
        self.state = State::Chunk(state);
        &[]
    }
}

/// Position just after the empty line that ends a head (`\n\r\n` or `\n\n`).
fn find_head_end(bytes: &[u8]) -> Option<usize> {
    for at in memchr::memchr_iter(b'\n', bytes) {
        match bytes.get(at + 1) {
            Some(b'\n') => return Some(at + 2),
            Some(b'\r') if bytes.get(at + 2) == Some(&b'\n') => return Some(at + 3),
            _ => {}
        }
    }
    None
}

fn memchr_lf(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', bytes)
}

/// An I/O wrapper that shows every byte read to a [`Sniffer`] before hyper sees it, and
/// hands hyper what the sniffer lets through.
#[derive(Debug)]
pub(crate) struct FramingGuard<T> {
    inner: T,
    sniffer: Option<Sniffer>,
    /// Bytes for hyper not yet handed over, from `out_pos` on.
    out: Vec<u8>,
    out_pos: usize,
    eof: bool,
}

impl<T> FramingGuard<T> {
    /// Wraps `inner`; `None` passes everything through (HTTP/2 by ALPN).
    pub(crate) fn new(inner: T, sniffer: Option<Sniffer>) -> Self {
        FramingGuard {
            inner,
            sniffer,
            out: Vec::new(),
            out_pos: 0,
            eof: false,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for FramingGuard<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let Some(sniffer) = this.sniffer.as_mut() else {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        };
        // Bounded: every turn either hands bytes over, returns, or consumes input; a read
        // that the sniffer holds back entirely (a head in progress) reads again.
        loop {
            if this.out_pos < this.out.len() {
                let n = buf.remaining().min(this.out.len() - this.out_pos);
                buf.put_slice(&this.out[this.out_pos..this.out_pos + n]);
                this.out_pos += n;
                if this.out_pos == this.out.len() {
                    this.out.clear();
                    this.out_pos = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if this.eof || buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            let before = buf.filled().len();
            match Pin::new(&mut this.inner).poll_read(cx, buf) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {}
            }
            // Body bytes the sniffer would hand back unchanged stay where they are: large
            // uploads are not copied.
            let n = buf.filled().len() - before;
            if n > 0 && n as u64 <= sniffer.unchanged_ahead() {
                sniffer.pass(n as u64);
                return Poll::Ready(Ok(()));
            }
            // The sniffer leaves a prefix of the new bytes where they are (complete heads
            // it accepts as they are, body bytes); the rest goes into `out` (possibly held
            // back or repaired) and comes back from there, so it is taken out of `buf`.
            let read = &buf.filled()[before..];
            let kept = if read.is_empty() {
                this.eof = true;
                sniffer.eof(&mut this.out);
                0
            } else {
                sniffer.feed(read, &mut this.out)
            };
            buf.set_filled(before + kept);
            if kept > 0 {
                return Poll::Ready(Ok(()));
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for FramingGuard<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What hyper reads after `sniffer` sees `data`: the in-place prefix, then what the
    /// sniffer wrote, appended to `out`.
    fn feed(sniffer: &mut Sniffer, data: &[u8], out: &mut Vec<u8>) {
        let mut written = Vec::new();
        let kept = sniffer.feed(data, &mut written);
        out.extend_from_slice(&data[..kept]);
        out.extend_from_slice(&written);
    }

    fn check(head: &str) -> Result<Framing, &'static str> {
        check_head(head.as_bytes(), 100).map_err(|r| r.shape)
    }

    #[test]
    fn accepts_plain_requests() {
        let cases = [
            ("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", Framing::None),
            (
                "POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 5\r\n\r\n",
                Framing::Length(5),
            ),
            (
                "POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length:5\r\n\r\n",
                Framing::Length(5),
            ),
            (
                "POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n",
                Framing::Chunked,
            ),
            (
                "POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: CHUNKED\r\n\r\n",
                Framing::Chunked,
            ),
            ("GET / HTTP/1.0\r\n\r\n", Framing::None),
            (
                "GET http://a.test/x HTTP/1.1\r\nHost: a.test\r\n\r\n",
                Framing::None,
            ),
            (
                "GET http://A.test:80/x HTTP/1.1\r\nHost: a.test:80\r\n\r\n",
                Framing::None,
            ),
            (
                "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
                Framing::Upgrade,
            ),
            ("OPTIONS * HTTP/1.1\r\nHost: a.test\r\n\r\n", Framing::None),
            ("GET / HTTP/1.0\r\nHost:\r\n\r\n", Framing::None),
            (
                "GET /?q=<b>\"x\" HTTP/1.1\r\nHost: a\r\n\r\n",
                Framing::None,
            ),
        ];
        for (head, want) in cases {
            assert_eq!(check(head), Ok(want), "{head:?}");
        }
    }

    #[test]
    fn refuses_smuggling_shapes() {
        let cases = [
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                "Content-Length with Transfer-Encoding",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
                "Content-Length with Transfer-Encoding",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
                "duplicate Content-Length",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
                "duplicate Content-Length",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n",
                "invalid Content-Length",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,5\r\n\r\n",
                "invalid Content-Length",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n",
                "invalid Content-Length",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
                "invalid Content-Length",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
                "invalid Content-Length",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:  5 \r\n\r\n",
                "Content-Length with surrounding whitespace",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 \r\n\r\n",
                "Content-Length with surrounding whitespace",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n",
                "Transfer-Encoding other than chunked",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity, chunked\r\n\r\n",
                "Transfer-Encoding other than chunked",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n",
                "Transfer-Encoding other than chunked",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n",
                "Transfer-Encoding other than chunked",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
                "Transfer-Encoding other than chunked",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                "duplicate Transfer-Encoding",
            ),
            (
                "POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
                "Transfer-Encoding on HTTP/1.0",
            ),
            (
                "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  folded\r\n\r\n",
                "obs-fold",
            ),
            (
                "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\tfolded\r\n\r\n",
                "obs-fold",
            ),
            (
                "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n",
                "bare CR in head",
            ),
            (
                "GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n",
                "bare LF in head",
            ),
            (
                "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\0b\r\n\r\n",
                "NUL in head",
            ),
            (
                "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x01b\r\n\r\n",
                "control byte in head",
            ),
            (
                "GET / HTTP/1.1\r\nHost: a\r\nX A: b\r\n\r\n",
                "invalid header name",
            ),
            (
                "GET / HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n",
                "invalid header name",
            ),
            ("GET / HTTP/1.1\r\n\r\n", "missing Host"),
            (
                "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                "duplicate Host",
            ),
            (
                "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
                "duplicate Host",
            ),
            ("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "invalid Host"),
            (
                "GET http://evil.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n",
                "absolute-form target differs from Host",
            ),
            (
                "GET http://u@a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n",
                "absolute-form target with user info",
            ),
            (
                "GET ftp://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n",
                "absolute-form target with a foreign scheme",
            ),
            ("GET / HTTP/1.2\r\nHost: a\r\n\r\n", "invalid version"),
            ("GET / HTTP/0.9\r\nHost: a\r\n\r\n", "invalid version"),
            (
                "GET / HTTP/4.0\r\nHost: a\r\n\r\n",
                "unsupported HTTP version",
            ),
            ("GET / HTTX/1.1\r\nHost: a\r\n\r\n", "invalid version"),
            ("GET / HTTP/1.1\r\nHost:\r\n\r\n", "empty Host"),
            (
                "CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n",
                "CONNECT",
            ),
            (
                "CONNECT a.test HTTP/1.1\r\nHost: a.test\r\n\r\n",
                "CONNECT target is not host:port",
            ),
            (
                "GET /#frag HTTP/1.1\r\nHost: a\r\n\r\n",
                "fragment in request target",
            ),
        ];
        for (head, want) in cases {
            assert_eq!(check(head), Err(want), "{head:?}");
        }
    }

    #[test]
    fn too_many_headers_is_431() {
        let head = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n";
        let r = check_head(head.as_bytes(), 2).unwrap_err();
        assert_eq!(r.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    }

    #[test]
    fn sniffer_follows_keep_alive_framing() {
        let verdicts = Verdicts::default();
        let mut sniffer = Sniffer::new(1024, 100, verdicts.clone());
        let stream = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello\
            POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\
            5;ext=1\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n\
            \r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n\
            GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx";
        // Feed one byte at a time: the state machine must not depend on read boundaries.
        let mut out = Vec::new();
        for b in stream.iter() {
            feed(&mut sniffer, std::slice::from_ref(b), &mut out);
        }
        // hyper reads the same bytes, less the empty line before the third request.
        let mut expected = stream.to_vec();
        let skipped = expected
            .windows(9)
            .position(|w| w == b"\r\n\r\n\r\nGET")
            .unwrap()
            + 4;
        expected.drain(skipped..skipped + 2);
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&expected)
        );
        assert_eq!(verdicts.next().map(|a| a.raw_target), Ok(None));
        assert_eq!(verdicts.next().map(|a| a.raw_target), Ok(None));
        assert_eq!(verdicts.next().map(|a| a.raw_target), Ok(None));
        assert_eq!(
            verdicts.next().unwrap_err().shape,
            "duplicate Content-Length"
        );
        // Nothing after a refusal is followed: fail closed.
        assert!(verdicts.next().is_err());
    }

    #[test]
    fn sniffer_sees_a_smuggled_request_inside_a_body_as_body() {
        let verdicts = Verdicts::default();
        let mut sniffer = Sniffer::new(1024, 100, verdicts.clone());
        let inner = "GET /admin HTTP/1.1\r\nHost: a\r\n\r\n";
        let stream = format!(
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n{inner}GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            inner.len()
        );
        let mut out = Vec::new();
        feed(&mut sniffer, stream.as_bytes(), &mut out);
        assert_eq!(out, stream.as_bytes());
        assert_eq!(verdicts.next().map(|a| a.raw_target), Ok(None));
        assert_eq!(verdicts.next().map(|a| a.raw_target), Ok(None));
        assert_eq!(verdicts.0.lock().unwrap().len(), 0);
    }

    #[test]
    fn sniffer_stops_on_h2_preface_and_oversized_heads() {
        let verdicts = Verdicts::default();
        let mut sniffer = Sniffer::new(1024, 100, verdicts.clone());
        let mut out = Vec::new();
        for part in [&b"PRI * HT"[..], b"TP/2.0\r\n\r\nSM\r\n\r\n"] {
            feed(&mut sniffer, part, &mut out);
        }
        assert_eq!(sniffer.state, State::Passthrough);
        assert_eq!(out, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

        let mut sniffer = Sniffer::new(64, 100, verdicts.clone());
        let big = format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n", "a".repeat(100));
        let mut out = Vec::new();
        feed(&mut sniffer, big.as_bytes(), &mut out);
        // hyper gets the whole oversized head and answers it (431) itself.
        assert_eq!(out, big.as_bytes());
        assert_eq!(
            verdicts.next().unwrap_err().status,
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
        );
    }

    #[test]
    fn sniffer_stops_on_broken_chunks() {
        let verdicts = Verdicts::default();
        let mut sniffer = Sniffer::new(1024, 100, verdicts.clone());
        let stream = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
        let mut out = Vec::new();
        feed(&mut sniffer, stream, &mut out);
        assert_eq!(out, stream);
        assert_eq!(verdicts.next().map(|a| a.raw_target), Ok(None));
        assert_eq!(sniffer.state, State::Stopped);
        assert!(verdicts.next().is_err());
    }

    #[test]
    fn sniffer_repairs_targets_hyper_refuses_and_keeps_the_original() {
        let verdicts = Verdicts::default();
        let mut sniffer = Sniffer::new(1024, 100, verdicts.clone());
        let stream = "GET /a?x=<script>\"`</script> HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n<>\
            GET /plain HTTP/1.1\r\nHost: a\r\n\r\n";
        let mut out = Vec::new();
        for b in stream.as_bytes() {
            feed(&mut sniffer, std::slice::from_ref(b), &mut out);
        }
        assert_eq!(
            String::from_utf8_lossy(&out),
            "GET /a?x=%3Cscript%3E%22%60%3C/script%3E HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n<>\
             GET /plain HTTP/1.1\r\nHost: a\r\n\r\n"
        );
        let first = verdicts.next().unwrap();
        assert_eq!(
            first.raw_target.as_deref(),
            Some(&b"/a?x=<script>\"`</script>"[..])
        );
        assert_eq!(
            first.head.as_deref(),
            Some(
                &b"GET /a?x=<script>\"`</script> HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n"
                    [..]
            )
        );
        assert_eq!(verdicts.next().map(|a| a.raw_target), Ok(None));
        // The repaired target is one hyper's URI parser takes.
        assert!(http::Uri::try_from("/a?x=%3Cscript%3E%22%60%3C/script%3E").is_ok());
    }

    #[test]
    fn sniffer_gives_hyper_a_parsable_head_for_an_unknown_version() {
        let verdicts = Verdicts::default();
        let mut sniffer = Sniffer::new(1024, 100, verdicts.clone());
        let mut out = Vec::new();
        feed(&mut sniffer, b"GET / HTTP/4.0\r\nHost: a\r\n\r\n", &mut out);
        assert_eq!(out, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        let r = verdicts.next().unwrap_err();
        assert_eq!(r.status, StatusCode::HTTP_VERSION_NOT_SUPPORTED);
    }

    #[test]
    fn body_bytes_pass_without_the_sniffer_holding_them() {
        let verdicts = Verdicts::default();
        let mut sniffer = Sniffer::new(1024, 100, verdicts.clone());
        let mut out = Vec::new();
        feed(
            &mut sniffer,
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n",
            &mut out,
        );
        assert_eq!(sniffer.unchanged_ahead(), 10);
        sniffer.pass(4);
        assert_eq!(sniffer.unchanged_ahead(), 6);
        sniffer.pass(6);
        assert_eq!(sniffer.state, State::Head);
        assert_eq!(sniffer.unchanged_ahead(), 0);
    }

    #[test]
    fn sniffer_hands_over_an_unfinished_head_at_eof() {
        let verdicts = Verdicts::default();
        let mut sniffer = Sniffer::new(1024, 100, verdicts.clone());
        let mut out = Vec::new();
        feed(&mut sniffer, b"GET / HTTP/1.1\r\nHo", &mut out);
        assert!(out.is_empty());
        sniffer.eof(&mut out);
        assert_eq!(out, b"GET / HTTP/1.1\r\nHo");
    }

    #[test]
    fn h2_checks() {
        let mut h = HeaderMap::new();
        assert!(check_h2(&h, Some("a.test")).is_ok());
        assert!(check_h2(&h, None).is_err());
        h.insert(header::HOST, "b.test".parse().unwrap());
        assert_eq!(
            check_h2(&h, Some("a.test")).unwrap_err().shape,
            ":authority differs from Host"
        );
        assert!(check_h2(&h, None).is_ok());
        h.append(header::HOST, "b.test".parse().unwrap());
        assert!(check_h2(&h, None).is_err());
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_LENGTH, "+5".parse().unwrap());
        assert!(check_h2(&h, Some("a")).is_err());
    }

    /// Pieces that make heads and streams interesting for the framing guard: good lines,
    /// the smuggling shapes, stray CR / LF / NUL / controls, folds, bodies.
    fn piece() -> impl proptest::strategy::Strategy<Value = &'static [u8]> {
        proptest::sample::select(vec![
            &b"GET / HTTP/1.1\r\n"[..],
            b"POST /a?b=\"c\" HTTP/1.1\r\n",
            b"GET http://a/x HTTP/1.1\r\n",
            b"GET / HTTP/1.0\r\n",
            b"GET / HTTP/4.0\r\n",
            b"Host: a\r\n",
            b"Host: b\r\n",
            b"Content-Length: 3\r\n",
            b"Content-Length:  3\r\n",
            b"Transfer-Encoding: chunked\r\n",
            b"X: y\r\n",
            b" folded\r\n",
            b"\r\n",
            b"\n",
            b"\r",
            b"\0",
            b"\x01",
            b"\x7f",
            b"\t",
            b"abc",
            b"3\r\nabc\r\n0\r\n\r\n",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        ])
    }

    fn drain(verdicts: &Verdicts) -> Vec<Result<Accepted, Rejection>> {
        let mut queue = verdicts.0.lock().unwrap();
        queue.drain(..).collect()
    }

    proptest::proptest! {
        /// The quick byte check never accepts what the exact one refuses.
        #[test]
        fn plain_bytes_agrees_with_the_exact_check(
            pieces in proptest::collection::vec(piece(), 0..24),
        ) {
            let head = pieces.concat();
            if plain_bytes(&head) {
                proptest::prop_assert!(check_bytes_exactly(&head).is_ok());
            }
        }

        /// Whole reads (the in-place path) and byte-at-a-time reads (the copying path)
        /// give hyper the same bytes and the service the same verdicts.
        #[test]
        fn in_place_and_copying_paths_agree(
            pieces in proptest::collection::vec(piece(), 0..24),
            split in 0usize..400,
        ) {
            let stream = pieces.concat();
            let run = |chunks: &mut dyn Iterator<Item = &[u8]>| {
                let verdicts = Verdicts::default();
                let mut sniffer = Sniffer::new(256, 8, verdicts.clone());
                let mut out = Vec::new();
                for chunk in chunks {
                    feed(&mut sniffer, chunk, &mut out);
                }
                sniffer.eof(&mut out);
                (out, drain(&verdicts))
            };
            let whole = run(&mut std::iter::once(&stream[..]));
            let bytewise = run(&mut stream.chunks(1));
            let at = split.min(stream.len());
            let two = run(&mut [&stream[..at], &stream[at..]].into_iter());
            proptest::prop_assert_eq!(&whole, &bytewise);
            proptest::prop_assert_eq!(&whole, &two);
        }
    }
}
