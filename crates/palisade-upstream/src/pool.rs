//! The pool: target choice, attempts with timeouts and retries, passive health, transports.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::request::Parts;
use http::uri::{Authority, Scheme as UriScheme};
use http::{HeaderValue, Method, Request, Response, Uri, Version, header};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper::client::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use palisade_config::{Balance, HealthCheck, Scheme, Upstream, UpstreamProtocol};
use tokio::time::Instant;
use tokio_rustls::TlsConnector;

use crate::balance::{LeastConnections, RoundRobin};
use crate::body::{ReadTimeoutBody, RequestBodyError, UpstreamBody};
use crate::connect::{ConnectError, Connector, Endpoint};
use crate::h1::H1Pool;
use crate::health::{Active, HealthChecker, Passive, status_ok};
use crate::{BoxError, UpstreamError};

/// The shard number health probes send on: their own client, apart from the data plane's.
const PROBE_SHARD: usize = usize::MAX;

/// Largest health-check response body read (the rest is discarded with the connection).
const MAX_PROBE_BODY: usize = 64 * 1024;

/// The state of one target as reported by [`Pool::status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetStatus {
    /// Target URL, e.g. `http://127.0.0.1:3000`.
    pub target: String,
    /// Active health: `false` after `unhealthy_threshold` failed checks.
    pub healthy: bool,
    /// Passive health: currently sitting out an ejection.
    pub ejected: bool,
    /// Requests sent and not yet answered with a response head.
    pub in_flight: usize,
    /// Attempts sent to this target (retries count separately).
    pub requests: u64,
    /// Attempts that failed (connect error, timeout, protocol error or 5xx).
    pub failures: u64,
}

#[derive(Debug)]
struct Health {
    active: Active,
    passive: Passive,
}

struct TargetState {
    url: String,
    authority: Authority,
    scheme: UriScheme,
    weight: u32,
    in_flight: AtomicUsize,
    requests: AtomicU64,
    failures: AtomicU64,
    health: Mutex<Health>,
    /// The multiplexed HTTP/2 connection and when it was last used.
    h2: tokio::sync::Mutex<Option<(http2::SendRequest<UpstreamBody>, Instant)>>,
}

impl TargetState {
    fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        self.health.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn available(&self, now: Instant) -> bool {
        let h = self.health();
        h.active.healthy && !h.passive.is_ejected(now)
    }
}

/// An upstream pool: its targets, their health, and the connections to them.
///
/// `Send + Sync`; share it as `Arc<Pool>`. See the crate docs for the policies.
pub struct Pool {
    name: String,
    cfg: Upstream,
    targets: Vec<TargetState>,
    weights: Vec<u32>,
    round_robin: RoundRobin,
    least: LeastConnections,
    /// HTTP/1.1 connections, one set per shard plus one for the health probes: a shard's
    /// connections are driven by tasks on that shard's event loop.
    h1: H1Pool,
    h2: Option<Connector>,
    panics: AtomicU64,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("name", &self.name)
            .field("targets", &self.status())
            .finish()
    }
}

struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn new(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Self(counter)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Pool {
    /// Builds the pool with one shard (no connection is made yet).
    ///
    /// # Errors
    ///
    /// [`UpstreamError::InvalidConfig`] when a target host cannot form a URI authority or the
    /// TLS settings cannot be loaded (for example an unreadable `ca_file`).
    pub fn new(cfg: &Upstream) -> Result<Self, UpstreamError> {
        Self::sharded(cfg, 1)
    }

    /// Builds the pool with `shards` separate sets of idle HTTP/1.1 connections (at least
    /// one), one per event loop that sends through it: [`Pool::send_on`] with shard `i`
    /// reuses only connections that shard `i` opened, so a request and its upstream
    /// connection stay on one thread. Limits such as `max_idle_per_target` apply per shard.
    ///
    /// # Errors
    ///
    /// As [`Pool::new`].
    pub fn sharded(cfg: &Upstream, shards: usize) -> Result<Self, UpstreamError> {
        let invalid = |reason: String| UpstreamError::InvalidConfig {
            pool: cfg.name.clone(),
            reason,
        };
        let mut endpoints = HashMap::new();
        let mut targets = Vec::with_capacity(cfg.targets.len());
        for t in &cfg.targets {
            let host = t.host.trim_start_matches('[').trim_end_matches(']');
            let auth_text = if host.contains(':') {
                format!("[{host}]:{}", t.port)
            } else {
                format!("{host}:{}", t.port)
            };
            let authority: Authority = auth_text
                .parse()
                .map_err(|e| invalid(format!("target host {:?}: {e}", t.host)))?;
            let (scheme, server_name) = match t.scheme {
                Scheme::Http => (UriScheme::HTTP, None),
                Scheme::Https => {
                    let name = palisade_tls::upstream_server_name(&cfg.tls, host)
                        .map_err(|e| invalid(e.to_string()))?;
                    (UriScheme::HTTPS, Some(name))
                }
            };
            endpoints.insert(
                auth_text.clone(),
                Endpoint {
                    host: host.to_owned(),
                    port: t.port,
                    server_name,
                },
            );
            targets.push(TargetState {
                url: format!("{scheme}://{auth_text}"),
                authority,
                scheme,
                weight: t.weight.max(1),
                in_flight: AtomicUsize::new(0),
                requests: AtomicU64::new(0),
                failures: AtomicU64::new(0),
                health: Mutex::new(Health {
                    active: Active::new(),
                    passive: Passive::default(),
                }),
                h2: tokio::sync::Mutex::new(None),
            });
        }
        let any_tls = cfg.targets.iter().any(|t| t.scheme == Scheme::Https);
        let tls = |h2: bool| -> Result<Option<TlsConnector>, UpstreamError> {
            if !any_tls {
                return Ok(None);
            }
            let config =
                palisade_tls::client_config(&cfg.tls, h2).map_err(|e| invalid(e.to_string()))?;
            Ok(Some(TlsConnector::from(config)))
        };
        let connect = cfg.timeouts.connect;
        let h1_connector = Connector::new(endpoints.clone(), connect, tls(false)?, false);
        let h2 = match cfg.protocol {
            UpstreamProtocol::Http1 => None,
            UpstreamProtocol::Http2 => Some(Connector::new(endpoints, connect, tls(true)?, true)),
        };
        let h1 = H1Pool::new(
            shards.max(1) + 1,
            targets.len(),
            h1_connector,
            cfg.max_idle_per_target,
            cfg.timeouts.idle,
        );
        let weights = targets.iter().map(|t| t.weight).collect();
        Ok(Self {
            name: cfg.name.clone(),
            cfg: cfg.clone(),
            round_robin: RoundRobin::new(targets.len()),
            least: LeastConnections::default(),
            targets,
            weights,
            h1,
            h2,
            panics: AtomicU64::new(0),
        })
    }

    /// The pool's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The `read` timeout: the longest wait between response body frames that
    /// [`Pool::send_timed`] allows.
    pub fn read_timeout(&self) -> Duration {
        self.cfg.timeouts.read
    }

    /// Sends a request to a target of the pool.
    ///
    /// `req` carries an origin-form URI (path and query) and the `Host` header; the pool picks
    /// the target, sets scheme and authority, applies the connect and total timeouts, retries
    /// when allowed (see the crate docs) and records passive-health outcomes. HTTP/1.1
    /// upgrades work: a `101` response can be passed to `hyper::upgrade::on`.
    ///
    /// The response body is not time-limited; see [`Pool::send_timed`].
    ///
    /// # Errors
    ///
    /// The last attempt's [`UpstreamError`].
    pub async fn send(
        &self,
        req: Request<UpstreamBody>,
    ) -> Result<Response<Incoming>, UpstreamError> {
        self.send_on(0, req).await
    }

    /// [`Pool::send`] through shard `shard`'s connections (see [`Pool::sharded`]; an
    /// out-of-range shard uses shard 0).
    ///
    /// # Errors
    ///
    /// As [`Pool::send`].
    pub async fn send_on(
        &self,
        shard: usize,
        req: Request<UpstreamBody>,
    ) -> Result<Response<Incoming>, UpstreamError> {
        let (mut parts, body) = req.into_parts();
        let replayable = is_idempotent(&parts.method) && body.try_clone().is_some();
        let attempts = if replayable {
            1 + self.cfg.retries as usize
        } else {
            1
        };
        let upgrade = is_upgrade(&parts.headers);
        let mut body = Some(body);
        let mut tried: Vec<usize> = Vec::with_capacity(attempts);
        let mut extensions = Some(std::mem::take(&mut parts.extensions));
        let mut attempt = 0;
        loop {
            attempt += 1;
            let idx = self.pick(&tried)?;
            tried.push(idx);
            let this_body = match (&body, attempt < attempts) {
                (Some(b), true) => b.try_clone().unwrap_or_default(),
                _ => body.take().unwrap_or_default(),
            };
            // The headers are cloned only for an attempt that may be followed by another.
            let headers = if attempt < attempts {
                parts.headers.clone()
            } else {
                std::mem::take(&mut parts.headers)
            };
            let result = self
                .attempt(
                    shard,
                    idx,
                    &parts,
                    headers,
                    extensions.take(),
                    this_body,
                    upgrade,
                )
                .await;
            match result {
                Ok(resp) => return Ok(resp),
                Err(e) if e.is_retryable() && attempt < attempts => {
                    tracing::debug!(pool = %self.name, target = %self.targets[idx].url, error = %e, attempt, "retrying upstream request");
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Like [`Pool::send_on`], with the response body wrapped so that each wait for a frame is
    /// bounded by the `read` timeout.
    ///
    /// # Errors
    ///
    /// As [`Pool::send`].
    pub async fn send_timed(
        &self,
        shard: usize,
        req: Request<UpstreamBody>,
    ) -> Result<Response<ReadTimeoutBody<Incoming>>, UpstreamError> {
        let read = self.read_timeout();
        let resp = self.send_on(shard, req).await?;
        Ok(resp.map(|b| ReadTimeoutBody::new(b, read)))
    }

    /// Starts one active health-check task per target (none without a `health_check`) and
    /// the task that closes idle connections past the `idle` timeout. They stop when the
    /// returned [`HealthChecker`] is dropped, or when the pool is.
    pub fn spawn_health_checks(self: &Arc<Self>) -> HealthChecker {
        HealthChecker::spawn(
            Arc::downgrade(self),
            self.targets.len(),
            self.cfg.health_check.clone(),
            self.cfg.timeouts.idle,
        )
    }

    /// Closes idle HTTP/1.1 connections that are closed or past the `idle` timeout (the
    /// task started by [`Pool::spawn_health_checks`] calls this periodically).
    pub fn reap_idle(&self) {
        self.h1.reap();
    }

    /// Idle HTTP/1.1 connections the pool holds, over all shards and targets.
    pub fn idle_connections(&self) -> usize {
        self.h1.idle_count()
    }

    /// The state of every target, in configuration order.
    pub fn status(&self) -> Vec<TargetStatus> {
        let now = Instant::now();
        self.targets
            .iter()
            .map(|t| {
                let h = t.health();
                TargetStatus {
                    target: t.url.clone(),
                    healthy: h.active.healthy,
                    ejected: h.passive.is_ejected(now),
                    in_flight: t.in_flight.load(Ordering::SeqCst),
                    requests: t.requests.load(Ordering::SeqCst),
                    failures: t.failures.load(Ordering::SeqCst),
                }
            })
            .collect()
    }

    /// Targets that take traffic now: actively healthy and not ejected.
    pub fn healthy_count(&self) -> usize {
        let now = Instant::now();
        self.targets.iter().filter(|t| t.available(now)).count()
    }

    /// How many target choices were made in panic mode (no target available, so all were
    /// candidates).
    pub fn panic_count(&self) -> u64 {
        self.panics.load(Ordering::SeqCst)
    }

    fn pick(&self, tried: &[usize]) -> Result<usize, UpstreamError> {
        let now = Instant::now();
        let all: Vec<usize> = (0..self.targets.len()).collect();
        let available: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| self.targets[i].available(now))
            .collect();
        let untried = |set: &[usize]| -> Vec<usize> {
            set.iter().copied().filter(|i| !tried.contains(i)).collect()
        };
        let candidates = if available.is_empty() {
            // Panic mode: every target is unhealthy or ejected. Fail open over all of them.
            let previous = self.panics.fetch_add(1, Ordering::SeqCst);
            if previous == 0 {
                tracing::warn!(pool = %self.name, "no healthy target: panic mode, balancing over all targets");
            } else {
                tracing::debug!(pool = %self.name, "panic mode choice");
            }
            let rest = untried(&all);
            if rest.is_empty() { all } else { rest }
        } else {
            let rest = untried(&available);
            if rest.is_empty() { available } else { rest }
        };
        let chosen = match self.cfg.balance {
            Balance::RoundRobin => self.round_robin.pick(&candidates, &self.weights),
            Balance::LeastConnections => self.least.pick(&candidates, &self.weights, |i| {
                self.targets[i].in_flight.load(Ordering::SeqCst)
            }),
        };
        chosen.ok_or_else(|| UpstreamError::NoHealthyTarget {
            pool: self.name.clone(),
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &self,
        shard: usize,
        idx: usize,
        parts: &Parts,
        headers: http::HeaderMap,
        extensions: Option<http::Extensions>,
        body: UpstreamBody,
        upgrade: bool,
    ) -> Result<Response<Incoming>, UpstreamError> {
        let target = &self.targets[idx];
        let _guard = InFlight::new(&target.in_flight);
        target.requests.fetch_add(1, Ordering::SeqCst);
        let use_h2 = self.h2.is_some() && !upgrade;
        let req = self.build(target, parts, headers, extensions, body, use_h2);
        let total = self.cfg.timeouts.total;
        let outcome =
            match tokio::time::timeout(total, self.transmit(shard, idx, req, use_h2)).await {
                Ok(result) => result,
                Err(_) => Err(UpstreamError::Timeout {
                    target: target.url.clone(),
                    after: total,
                }),
            };
        let failed = match &outcome {
            Ok(resp) => resp.status().is_server_error(),
            Err(e) => e.is_target_failure(),
        };
        let neutral = matches!(&outcome, Err(e) if !e.is_target_failure());
        if failed {
            target.failures.fetch_add(1, Ordering::SeqCst);
        }
        if !neutral {
            self.record_passive(idx, !failed);
        }
        outcome
    }

    fn build(
        &self,
        target: &TargetState,
        parts: &Parts,
        mut headers: http::HeaderMap,
        extensions: Option<http::Extensions>,
        body: UpstreamBody,
        h2: bool,
    ) -> Request<UpstreamBody> {
        let mut authority = target.authority.clone();
        if h2 {
            // HTTP/2 carries the host in :authority; a differing Host header is malformed.
            if let Some(a) = headers
                .remove(header::HOST)
                .and_then(|h| h.to_str().ok().and_then(|h| h.parse::<Authority>().ok()))
            {
                authority = a;
            }
        } else if !headers.contains_key(header::HOST)
            && let Ok(v) = HeaderValue::from_str(target.authority.as_str())
        {
            headers.insert(header::HOST, v);
        }
        let uri = if h2 {
            let path = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            Uri::builder()
                .scheme(target.scheme.clone())
                .authority(authority)
                .path_and_query(path)
                .build()
                .unwrap_or_else(|_| {
                    // Scheme and authority are valid by construction and the path came
                    // from a valid URI; fall back to the target root rather than panic.
                    Uri::from_static("/")
                })
        } else {
            // HTTP/1.1 sends the origin form; the authority is in `Host`.
            parts
                .uri
                .path_and_query()
                .cloned()
                .map_or_else(|| Uri::from_static("/"), Uri::from)
        };
        let mut req = Request::new(body);
        *req.method_mut() = parts.method.clone();
        *req.uri_mut() = uri;
        *req.version_mut() = if h2 {
            Version::HTTP_2
        } else {
            Version::HTTP_11
        };
        *req.headers_mut() = headers;
        if let Some(ext) = extensions {
            *req.extensions_mut() = ext;
        }
        req
    }

    async fn transmit(
        &self,
        shard: usize,
        idx: usize,
        req: Request<UpstreamBody>,
        use_h2: bool,
    ) -> Result<Response<Incoming>, UpstreamError> {
        let target = &self.targets[idx];
        if !use_h2 {
            // `sharded` made the shards' sets and, last, the probes' own.
            let shards = self.h1.shards() - 1;
            let i = match shard {
                PROBE_SHARD => shards,
                s if s < shards => s,
                _ => 0,
            };
            return self
                .h1
                .send(i, idx, target.authority.as_str(), req)
                .await
                .map_err(|e| classify(&target.url, e));
        }
        let mut sender = self.h2_sender(target).await?;
        sender
            .ready()
            .await
            .map_err(|e| classify(&target.url, Box::new(e)))?;
        sender
            .send_request(req)
            .await
            .map_err(|e| classify(&target.url, Box::new(e)))
    }

    async fn h2_sender(
        &self,
        target: &TargetState,
    ) -> Result<http2::SendRequest<UpstreamBody>, UpstreamError> {
        let Some(connector) = &self.h2 else {
            return Err(UpstreamError::InvalidConfig {
                pool: self.name.clone(),
                reason: "HTTP/2 transport used without an HTTP/2 connector".into(),
            });
        };
        let mut slot = target.h2.lock().await;
        let now = Instant::now();
        if let Some((sender, used)) = slot.as_mut()
            && !sender.is_closed()
            && now.duration_since(*used) < self.cfg.timeouts.idle
        {
            *used = now;
            return Ok(sender.clone());
        }
        *slot = None;
        let conn = connector
            .connect(target.authority.as_str())
            .await
            .map_err(|e| connect_error(&target.url, e))?;
        let (sender, connection) = http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .handshake(conn)
            .await
            .map_err(|e| UpstreamError::Protocol {
                target: target.url.clone(),
                source: Box::new(e),
                before_response: true,
            })?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "upstream h2 connection ended");
            }
        });
        *slot = Some((sender.clone(), now));
        Ok(sender)
    }

    /// One active probe of target `idx`.
    pub(crate) async fn probe(&self, idx: usize, cfg: &HealthCheck) -> bool {
        let target = &self.targets[idx];
        let use_h2 = self.h2.is_some();
        let Ok(uri) = cfg.path.parse::<Uri>() else {
            return false;
        };
        let mut parts = Request::new(()).into_parts().0;
        parts.method = Method::GET;
        parts.uri = uri;
        if let Ok(host) = HeaderValue::from_str(target.authority.as_str()) {
            parts.headers.insert(header::HOST, host);
        }
        let headers = std::mem::take(&mut parts.headers);
        let req = self.build(target, &parts, headers, None, UpstreamBody::Empty, use_h2);
        let probe = async {
            let resp = self.transmit(PROBE_SHARD, idx, req, use_h2).await.ok()?;
            let ok = status_ok(resp.status().as_u16(), &cfg.expect_status);
            let _ = http_body_util::Limited::new(resp.into_body(), MAX_PROBE_BODY)
                .collect()
                .await;
            Some(ok)
        };
        let ok = matches!(
            tokio::time::timeout(cfg.timeout, probe).await,
            Ok(Some(true))
        );
        if !ok {
            tracing::debug!(pool = %self.name, target = %target.url, "health check failed");
        }
        ok
    }

    pub(crate) fn record_active(&self, idx: usize, ok: bool, cfg: &HealthCheck) {
        let target = &self.targets[idx];
        let flipped = target.health().active.record(ok, cfg);
        if flipped {
            if ok {
                tracing::info!(pool = %self.name, target = %target.url, "target healthy again");
            } else {
                tracing::warn!(pool = %self.name, target = %target.url, "target marked unhealthy");
            }
        }
    }

    fn record_passive(&self, idx: usize, ok: bool) {
        let target = &self.targets[idx];
        let ejected = target
            .health()
            .passive
            .record(ok, Instant::now(), &self.cfg.passive);
        if ejected {
            tracing::warn!(pool = %self.name, target = %target.url, ejection = ?self.cfg.passive.ejection, "target ejected after consecutive failures");
        }
    }
}

fn is_idempotent(method: &Method) -> bool {
    [
        Method::GET,
        Method::HEAD,
        Method::OPTIONS,
        Method::TRACE,
        Method::PUT,
        Method::DELETE,
    ]
    .contains(method)
}

fn is_upgrade(headers: &http::HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers.get_all(header::CONNECTION).iter().any(|v| {
            v.to_str().is_ok_and(|s| {
                s.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
            })
        })
}

fn connect_error(target: &str, e: ConnectError) -> UpstreamError {
    let target = target.to_owned();
    match e {
        ConnectError::Io(source) => UpstreamError::Connect { target, source },
        ConnectError::Timeout(after) => UpstreamError::ConnectTimeout { target, after },
        ConnectError::Tls(source) => UpstreamError::Tls {
            target,
            source: Box::new(source),
        },
        ConnectError::NoH2 => UpstreamError::Tls {
            target,
            source: Box::new(ConnectError::NoH2),
        },
        ConnectError::UnknownTarget(a) => UpstreamError::Connect {
            target,
            source: std::io::Error::other(format!("no target for authority {a:?}")),
        },
    }
}

/// Maps a client error (its whole source chain) to an [`UpstreamError`].
fn classify(target: &str, err: BoxError) -> UpstreamError {
    let mut connect: Option<&ConnectError> = None;
    let mut body: Option<String> = None;
    let mut hyper_err: Option<&hyper::Error> = None;
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(&*err);
    let mut depth = 0;
    while let Some(e) = cur {
        if depth > 16 {
            break;
        }
        depth += 1;
        if let Some(c) = e.downcast_ref::<ConnectError>() {
            connect = Some(c);
        }
        if let Some(b) = e.downcast_ref::<RequestBodyError>() {
            body = Some(b.0.to_string());
        }
        if let Some(h) = e.downcast_ref::<hyper::Error>() {
            hyper_err.get_or_insert(h);
        }
        cur = e.source();
    }
    if let Some(c) = connect {
        let c = match c {
            ConnectError::Io(e) => ConnectError::Io(std::io::Error::new(e.kind(), e.to_string())),
            ConnectError::Tls(e) => ConnectError::Tls(std::io::Error::new(e.kind(), e.to_string())),
            ConnectError::Timeout(d) => ConnectError::Timeout(*d),
            ConnectError::NoH2 => ConnectError::NoH2,
            ConnectError::UnknownTarget(a) => ConnectError::UnknownTarget(a.clone()),
        };
        return connect_error(target, c);
    }
    if let Some(reason) = body {
        return UpstreamError::RequestBody {
            target: target.to_owned(),
            source: reason.into(),
        };
    }
    let before_response =
        hyper_err.is_some_and(|h| h.is_canceled() || h.is_closed() || h.is_incomplete_message());
    UpstreamError::Protocol {
        target: target.to_owned(),
        source: err,
        before_response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotent_methods() {
        for m in ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"] {
            assert!(is_idempotent(&m.parse().unwrap()), "{m}");
        }
        for m in ["POST", "PATCH", "CONNECT"] {
            assert!(!is_idempotent(&m.parse().unwrap()), "{m}");
        }
    }

    #[test]
    fn upgrade_detection() {
        let mut h = http::HeaderMap::new();
        h.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        assert!(!is_upgrade(&h));
        h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        assert!(is_upgrade(&h));
        h.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
        assert!(!is_upgrade(&h));
    }
}
