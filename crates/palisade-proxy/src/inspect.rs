//! The inspection hooks the request path drives, phase by phase.
//!
//! An [`Inspector`] (the WAF engine, later) sees every request in five phases:
//!
//! 1. [`Inspector::request_headers`]: the request head, before anything is sent upstream;
//! 2. [`Inspector::request_body`]: the buffered request body prefix (at most
//!    `limits.inspect_body` bytes), only when [`Inspector::wants_request_body`] said so, and
//!    still before anything is sent upstream;
//! 3. [`Inspector::response_headers`]: the upstream's response head;
//! 4. [`Inspector::response_body`]: the buffered response body prefix, when
//!    [`Inspector::wants_response_body`] said so;
//! 5. [`Inspector::logging`]: always, exactly once, also after a block, a redirect, a drop or an
//!    error.
//!
//! Hooks are synchronous and must not block: they get bytes and headers and return a
//! [`Verdict`]. A non-`Continue` verdict is turned into a response by the one rescue point
//! (`rescue.rs`); the inspector never writes responses itself.

use std::any::Any;
use std::net::IpAddr;
use std::time::Duration;

use http::{HeaderMap, Method, StatusCode, Uri, Version};

/// What the request path does after a phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Carry on.
    Continue,
    /// Answer with `status` instead (a short plain body). `reason` goes to logs, never to the
    /// client.
    Deny {
        /// The status sent to the client.
        status: StatusCode,
        /// Why, for logs and events.
        reason: String,
    },
    /// Answer with a redirect to `location`.
    Redirect {
        /// A 3xx status (301, 302, 303, 307 or 308; anything else is sent as 302).
        status: StatusCode,
        /// The `Location` header value.
        location: String,
    },
    /// Close the connection without an answer (HTTP/2: reset the stream).
    Drop,
}

/// The phase in which an inspector interrupted a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Phase 1, request head.
    RequestHeaders,
    /// Phase 2, request body.
    RequestBody,
    /// Phase 3, response head.
    ResponseHeaders,
    /// Phase 4, response body.
    ResponseBody,
}

/// Everything the inspector knows about one request. Owned by the request path; the
/// inspector keeps its own per-request state in [`RequestContext::extension`].
pub struct RequestContext {
    /// The matched site's name, or `None` when no site matched (the request is answered 404
    /// or 400 and phase 1 does not run; phase 5 still does).
    pub site: Option<String>,
    /// The request id sent upstream and back to the client in `X-Request-Id`.
    pub request_id: String,
    /// The client address after trusted-proxy resolution.
    pub client_ip: IpAddr,
    /// The TCP peer address (the client, or the nearest proxy).
    pub peer_ip: IpAddr,
    /// Whether the request arrived over TLS.
    pub tls: bool,
    /// Request method.
    pub method: Method,
    /// Request target as received.
    pub uri: Uri,
    /// HTTP version as received.
    pub version: Version,
    /// Request headers as received (before hop-by-hop removal and forwarding headers).
    pub headers: HeaderMap,
    /// The HTTP/1 request target exactly as received, when it held bytes (`"`, `<`, `>`,
    /// backtick) that the gateway percent-encoded for its parser (`uri` then holds the
    /// encoded form, which is also what the upstream gets), or when it is not in origin
    /// form (`http://host`, `*`). `None` otherwise: `uri` is then the target as received.
    pub raw_target: Option<Box<[u8]>>,
    /// The HTTP/1 request head as received, request line to the empty line (`None` on
    /// HTTP/2): header names in their original case and every line in its order, which
    /// `headers` (lower-case names, grouped by name) does not keep.
    pub raw_head: Option<Box<[u8]>>,
    /// The inspector's own per-request state (its transaction).
    pub extension: Option<Box<dyn Any + Send>>,
}

impl std::fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Headers are left out on purpose: they may hold cookies and credentials.
        f.debug_struct("RequestContext")
            .field("site", &self.site)
            .field("request_id", &self.request_id)
            .field("client_ip", &self.client_ip)
            .field("method", &self.method)
            .field("uri", &self.uri.path())
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// How a request ended, for phase 5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The status sent to the client (`None` when the connection was dropped or closed before
    /// a response head was sent).
    pub status: Option<StatusCode>,
    /// Which interruption, if any, produced the response.
    pub interruption: Option<Interruption>,
    /// Response body bytes sent to the client.
    pub response_bytes: u64,
    /// Whether the response body was sent to its end.
    pub completed: bool,
    /// From the request head to the end (or abandonment) of the response body.
    pub duration: Duration,
}

/// Why a response did not come from the upstream as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interruption {
    /// An inspector verdict in the given phase.
    Inspector(Phase),
    /// The request was malformed or ambiguous (400, 431, 413...), answered before routing.
    BadRequest,
    /// No site matched.
    NoRoute,
    /// A site redirect (`redirect_https`).
    RedirectHttps,
    /// The upstream failed (connect, timeout, no healthy target...).
    Upstream,
    /// An internal error.
    Internal,
}

/// The inspection hooks. See the module documentation for the order of calls.
pub trait Inspector: Send + Sync + 'static {
    /// Phase 1: the request head.
    fn request_headers(&self, tx: &mut RequestContext) -> Verdict;
    /// Whether phase 2 runs. `false` streams the request body straight through.
    fn wants_request_body(&self, tx: &RequestContext) -> bool;
    /// Phase 2: the buffered body; `complete` is `false` when it was cut at
    /// `limits.inspect_body` and the rest streams after it.
    fn request_body(&self, tx: &mut RequestContext, body: &[u8], complete: bool) -> Verdict;
    /// Phase 3: the upstream's response head.
    fn response_headers(
        &self,
        tx: &mut RequestContext,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Verdict;
    /// Whether phase 4 runs. `false` streams the response body straight through.
    fn wants_response_body(&self, tx: &RequestContext) -> bool;
    /// Phase 4: the buffered response body prefix.
    fn response_body(&self, tx: &mut RequestContext, body: &[u8], complete: bool) -> Verdict;
    /// Phase 5: always runs once per request, also after a block or an error.
    fn logging(&self, tx: &mut RequestContext, outcome: &Outcome);
}

/// An inspector that lets everything through and buffers nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopInspector;

impl Inspector for NoopInspector {
    fn request_headers(&self, _tx: &mut RequestContext) -> Verdict {
        Verdict::Continue
    }

    fn wants_request_body(&self, _tx: &RequestContext) -> bool {
        false
    }

    fn request_body(&self, _tx: &mut RequestContext, _body: &[u8], _complete: bool) -> Verdict {
        Verdict::Continue
    }

    fn response_headers(
        &self,
        _tx: &mut RequestContext,
        _status: StatusCode,
        _headers: &HeaderMap,
    ) -> Verdict {
        Verdict::Continue
    }

    fn wants_response_body(&self, _tx: &RequestContext) -> bool {
        false
    }

    fn response_body(&self, _tx: &mut RequestContext, _body: &[u8], _complete: bool) -> Verdict {
        Verdict::Continue
    }

    fn logging(&self, _tx: &mut RequestContext, _outcome: &Outcome) {}
}
