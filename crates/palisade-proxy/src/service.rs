//! The request path, one request at a time: framing checks, routing, client identity,
//! phases 1–4, the upstream exchange, and the hand-over to the rescue point and phase 5.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::uri::PathAndQuery;
use http::{Request, Response, StatusCode, Uri, Version};
use http_body::Body as _;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use palisade_config::Hsts;
use palisade_upstream::UpstreamBody;

use crate::Shared;
use crate::body::{BufferError, FinishBody, Finisher, InnerBody, Limited, Prefixed, buffer};
use crate::headers::{self, Hop, X_REQUEST_ID};
use crate::inspect::{Inspector, Interruption, Outcome, Phase, RequestContext, Verdict};
use crate::rescue::{Stop, rescue};
use crate::router::normalize_host;
use crate::runtime::Runtime;
use crate::server::{Activity, ActivityGuard};
use crate::smuggling::{self, Verdicts};

/// What the service knows about the connection a request came on.
#[derive(Debug)]
pub(crate) struct ConnInfo {
    /// TCP peer.
    pub(crate) peer: SocketAddr,
    /// `peer`'s address as `X-Forwarded-For` gets it, made once per connection.
    pub(crate) peer_value: HeaderValue,
    /// `local`'s port as `X-Forwarded-Port` gets it.
    pub(crate) port_value: HeaderValue,
    /// The worker the connection runs on: it picks that worker's upstream connections.
    pub(crate) shard: usize,
    /// Whether the connection is TLS.
    pub(crate) tls: bool,
    /// The HTTP/1 framing verdicts of this connection (`None` on HTTP/2-only connections).
    pub(crate) verdicts: Option<Verdicts>,
    /// Requests in flight and the time of the last one, for the keep-alive timeout.
    pub(crate) activity: Arc<Activity>,
}

/// The service asks hyper to close the connection (HTTP/2: reset the stream) unanswered.
#[derive(Debug, thiserror::Error)]
#[error("request dropped by the inspector")]
pub(crate) struct Dropped;

/// Handles one request.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    conn: Arc<ConnInfo>,
    req: Request<Incoming>,
) -> Result<Response<FinishBody>, Dropped> {
    let start = Instant::now();
    let rt = shared.runtime.load_full();
    let trusted = &rt.config.trusted_proxies;
    let peer_ip = conn.peer.ip();
    let peer_trusted = headers::is_trusted(trusted, peer_ip);
    let ctx = RequestContext {
        site: None,
        request_id: headers::request_id(req.headers(), peer_trusted),
        client_ip: headers::client_ip(req.headers(), peer_ip, trusted),
        peer_ip,
        tls: conn.tls,
        method: req.method().clone(),
        uri: req.uri().clone(),
        version: req.version(),
        headers: req.headers().clone(),
        raw_target: None,
        raw_head: None,
        extension: None,
    };
    let request_id = HeaderValue::from_str(&ctx.request_id).ok();
    let mut tx = Tx {
        inspector: Arc::clone(&shared.inspector),
        request_id,
        rt: Arc::clone(&rt),
        site: None,
        ctx,
        start,
        hsts: None,
        _activity: conn.activity.begin(),
    };
    match proxy(&shared, &rt, &conn, &mut tx, req).await {
        Ok(resp) => Ok(tx.respond(resp, None)),
        Err(stop) => {
            let rescued = rescue(stop);
            match rescued.response {
                Some(resp) => Ok(tx.respond(resp, Some(rescued.interruption))),
                None => {
                    tx.finish_now(None, Some(rescued.interruption));
                    Err(Dropped)
                }
            }
        }
    }
}

/// The per-request state carried to phase 5.
struct Tx {
    inspector: Arc<dyn Inspector>,
    /// `ctx.request_id` as a header value, made once for the upstream and the client.
    request_id: Option<HeaderValue>,
    rt: Arc<Runtime>,
    site: Option<usize>,
    ctx: RequestContext,
    start: Instant,
    hsts: Option<HeaderValue>,
    _activity: ActivityGuard,
}

impl Tx {
    /// Adds the response headers every answer gets and wraps the body for phase 5.
    fn respond(
        mut self,
        mut resp: Response<InnerBody>,
        interruption: Option<Interruption>,
    ) -> Response<FinishBody> {
        if let Some(id) = self.request_id.take() {
            resp.headers_mut().insert(&X_REQUEST_ID, id);
        }
        if let Some(hsts) = &self.hsts {
            resp.headers_mut()
                .insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
        }
        let status = resp.status();
        let (parts, body) = resp.into_parts();
        let finish = Box::new(Finish {
            tx: self,
            status: Some(status),
            interruption,
        });
        Response::from_parts(parts, FinishBody::new(body, finish))
    }

    fn finish_now(self, status: Option<StatusCode>, interruption: Option<Interruption>) {
        Box::new(Finish {
            tx: self,
            status,
            interruption,
        })
        .finish(0, false);
    }
}

struct Finish {
    tx: Tx,
    status: Option<StatusCode>,
    interruption: Option<Interruption>,
}

impl Finisher for Finish {
    fn finish(self: Box<Self>, bytes: u64, completed: bool) {
        let Finish {
            mut tx,
            status,
            interruption,
        } = *self;
        let duration = tx.start.elapsed();
        let metrics = match tx.site {
            Some(i) => tx.rt.site_metrics.get(i).unwrap_or(&tx.rt.no_site_metrics),
            None => &tx.rt.no_site_metrics,
        };
        metrics.record(&tx.ctx.method, status, duration);
        let outcome = Outcome {
            status,
            interruption,
            response_bytes: bytes,
            completed,
            duration,
        };
        tracing::debug!(
            request_id = %tx.ctx.request_id,
            site = tx.ctx.site.as_deref().unwrap_or("-"),
            client = %tx.ctx.client_ip,
            method = %tx.ctx.method,
            path = tx.ctx.uri.path(),
            status = status.map(|s| s.as_u16()),
            bytes,
            completed,
            ms = duration.as_millis() as u64,
            "request"
        );
        tx.inspector.logging(&mut tx.ctx, &outcome);
    }
}

fn verdict(phase: Phase, v: Verdict) -> Result<(), Stop> {
    match v {
        Verdict::Continue => Ok(()),
        other => Err(Stop::Verdict(phase, other)),
    }
}

async fn proxy(
    shared: &Shared,
    rt: &Runtime,
    conn: &ConnInfo,
    tx: &mut Tx,
    mut req: Request<Incoming>,
) -> Result<Response<InnerBody>, Stop> {
    let limits = &rt.config.limits;
    // 1. Framing, before anything else.
    let h2 = req.version() == Version::HTTP_2;
    if h2 {
        smuggling::check_h2(req.headers(), req.uri().authority().map(|a| a.as_str()))
            .map_err(Stop::Reject)?;
    } else if let Some(verdicts) = &conn.verdicts {
        let accepted = verdicts.next().map_err(Stop::Reject)?;
        tx.ctx.raw_target = accepted.raw_target;
        tx.ctx.raw_head = accepted.head;
    }

    // 2. Route.
    let raw_host: Option<String> = match req.uri().authority() {
        Some(a) if h2 || req.headers().get(header::HOST).is_none() => Some(a.as_str().to_owned()),
        _ => req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    // HTTP/1.0 may omit Host or send it empty (the guard refuses both on HTTP/1.1): such requests
    // go to the catch-all sites (`*`) only. The framing guard already refused bad values.
    let host = match raw_host.as_deref().map(str::trim) {
        None | Some("") if !h2 => String::new(),
        other => other.and_then(normalize_host).ok_or(Stop::BadHost)?,
    };
    let site_index = rt
        .router
        .route(&host, req.uri().path())
        .ok_or(Stop::NoRoute)?;
    let site = rt
        .config
        .sites
        .get(site_index)
        .ok_or(Stop::Internal("router returned an unknown site"))?;
    tx.site = Some(site_index);
    tx.ctx.site = Some(site.name.clone());
    if conn.tls {
        tx.hsts = site.hsts.as_ref().map(hsts_value);
    }

    // 3. HTTPS redirect.
    if site.redirect_https && !conn.tls {
        if host.is_empty() {
            return Err(Stop::BadHost);
        }
        let port = shared.https_port.load(Ordering::Relaxed);
        let port = if port == 0 || port == 443 {
            String::new()
        } else {
            format!(":{port}")
        };
        let path = req.uri().path_and_query().map_or("/", PathAndQuery::as_str);
        return Err(Stop::RedirectHttps(format!("https://{host}{port}{path}")));
    }

    // 4. Phase 1.
    verdict(
        Phase::RequestHeaders,
        tx.inspector.request_headers(&mut tx.ctx),
    )?;

    // 5. Body size up front.
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_request_body_bytes) {
        return Err(Stop::TooLarge);
    }
    let upgrade = !h2 && headers::wants_upgrade(req.headers());
    let client_upgrade = upgrade.then(|| hyper::upgrade::on(&mut req));

    // 6. Upstream request head.
    let (mut parts, mut incoming) = req.into_parts();
    let mut out = std::mem::take(&mut parts.headers);
    headers::strip_hop_by_hop(&mut out, upgrade);
    out.remove(header::EXPECT);
    headers::set_forwarded(
        &mut out,
        Hop {
            peer: &conn.peer_value,
            peer_trusted: headers::is_trusted(&rt.config.trusted_proxies, conn.peer.ip()),
            proto: if conn.tls { "https" } else { "http" },
            host: raw_host.as_deref().filter(|h| !h.trim().is_empty()),
            port: &conn.port_value,
        },
    );
    if let Some(id) = &tx.request_id {
        out.insert(&X_REQUEST_ID, id.clone());
    }
    headers::propagate_trace(&mut out);
    if site.preserve_host {
        if !out.contains_key(header::HOST)
            && let Some(v) = raw_host
                .as_deref()
                .and_then(|h| HeaderValue::from_str(h).ok())
        {
            out.insert(header::HOST, v);
        }
    } else {
        out.remove(header::HOST);
    }

    // 7. Body: buffered for phase 2, or streamed with the limit counted.
    let exceeded = Arc::new(AtomicBool::new(false));
    let limit = limits.max_request_body_bytes;
    let body = if upgrade || incoming.is_end_stream() {
        // Phase 2 still runs: inspectors check arguments there, not only bodies.
        if tx.inspector.wants_request_body(&tx.ctx) {
            verdict(
                Phase::RequestBody,
                tx.inspector.request_body(&mut tx.ctx, &[], true),
            )?;
        }
        UpstreamBody::Empty
    } else if tx.inspector.wants_request_body(&tx.ctx) {
        let want = limits.inspect_body_bytes;
        let (prefix, complete) = match buffer(&mut incoming, want, limit).await {
            Ok(done) => done,
            Err(BufferError::TooLarge) => return Err(Stop::TooLarge),
            Err(BufferError::Body(_)) => return Err(Stop::ClientBody),
        };
        // Without `complete` the inspector sees at most `want` bytes; all of them go on.
        let shown = if complete {
            &prefix[..]
        } else {
            &prefix[..prefix.len().min(want)]
        };
        let checked = verdict(
            Phase::RequestBody,
            tx.inspector.request_body(&mut tx.ctx, shown, complete),
        );
        if let Err(stop) = checked {
            if !complete {
                // The client is still sending: read (and drop) a bounded rest so that it
                // gets the refusal instead of a connection reset, as nginx's lingering
                // close does.
                tokio::spawn(drain(incoming));
            }
            return Err(stop);
        }
        if complete {
            UpstreamBody::Full(prefix)
        } else {
            let seen = prefix.len() as u64;
            let rest = Limited::new(incoming, seen, limit, Arc::clone(&exceeded));
            UpstreamBody::Stream(Box::new(Prefixed::new(prefix, rest)))
        }
    } else {
        UpstreamBody::Stream(Box::new(Limited::new(
            incoming,
            0,
            limit,
            Arc::clone(&exceeded),
        )))
    };

    let path = parts
        .uri
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    let uri = Uri::from(path);
    let mut upstream_req = Request::new(body);
    *upstream_req.method_mut() = parts.method;
    *upstream_req.uri_mut() = uri;
    *upstream_req.headers_mut() = out;

    // 8. Upstream.
    let entry = rt
        .pools
        .get(site.upstream)
        .ok_or(Stop::Internal("site names an unknown upstream"))?;
    let mut resp = match entry.pool.send_timed(conn.shard, upstream_req).await {
        Ok(resp) => resp,
        Err(_) if exceeded.load(Ordering::SeqCst) => return Err(Stop::TooLarge),
        Err(e) => return Err(Stop::Upstream(e)),
    };

    // 9. Phase 3.
    let status = resp.status();
    verdict(
        Phase::ResponseHeaders,
        tx.inspector
            .response_headers(&mut tx.ctx, status, resp.headers()),
    )?;

    // WebSocket and other upgrades: join both sides.
    if status == StatusCode::SWITCHING_PROTOCOLS {
        let Some(client_upgrade) = client_upgrade else {
            return Err(Stop::Upstream(palisade_upstream::UpstreamError::Protocol {
                target: entry.pool.name().to_owned(),
                source: "101 to a request that did not ask for an upgrade".into(),
                before_response: false,
            }));
        };
        let upstream_upgrade = hyper::upgrade::on(&mut resp);
        tokio::spawn(async move {
            match tokio::try_join!(client_upgrade, upstream_upgrade) {
                Ok((client, upstream)) => {
                    let mut client = TokioIo::new(client);
                    let mut upstream = TokioIo::new(upstream);
                    if let Err(e) = tokio::io::copy_bidirectional(&mut client, &mut upstream).await
                    {
                        tracing::debug!(error = %e, "upgraded connection ended");
                    }
                }
                Err(e) => tracing::debug!(error = %e, "upgrade failed"),
            }
        });
        let (mut parts, _) = resp.into_parts();
        headers::strip_hop_by_hop(&mut parts.headers, true);
        return Ok(Response::from_parts(
            parts,
            crate::rescue::full(Bytes::new()),
        ));
    }

    let (mut parts, mut body) = resp.into_parts();
    headers::strip_hop_by_hop(&mut parts.headers, false);

    // 10. Phase 4.
    let body: InnerBody = if tx.inspector.wants_response_body(&tx.ctx) {
        let want = limits.inspect_body_bytes;
        let (prefix, complete) = match buffer(&mut body, want, u64::MAX).await {
            Ok(done) => done,
            Err(BufferError::TooLarge) => return Err(Stop::Internal("unbounded response limit")),
            Err(BufferError::Body(e)) => {
                return Err(Stop::Upstream(palisade_upstream::UpstreamError::Protocol {
                    target: entry.pool.name().to_owned(),
                    source: e,
                    before_response: false,
                }));
            }
        };
        verdict(
            Phase::ResponseBody,
            tx.inspector.response_body(&mut tx.ctx, &prefix, complete),
        )?;
        Prefixed::new(prefix, body).boxed_unsync()
    } else {
        body.boxed_unsync()
    };
    Ok(Response::from_parts(parts, body))
}

/// Most request-body bytes read and dropped after a refusal, and for how long.
const DRAIN_BYTES: usize = 8 * 1024 * 1024;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(5);

/// Reads and drops up to [`DRAIN_BYTES`] of a refused request's body within [`DRAIN_TIME`];
/// beyond that the connection closes as it would have.
async fn drain(mut body: Incoming) {
    let read = async {
        let mut seen = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, Bytes::len);
            if seen > DRAIN_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, read).await;
}

fn hsts_value(hsts: &Hsts) -> HeaderValue {
    let mut value = format!("max-age={}", hsts.max_age.as_secs());
    if hsts.include_subdomains {
        value.push_str("; includeSubDomains");
    }
    if hsts.preload {
        value.push_str("; preload");
    }
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("max-age=0"))
}
