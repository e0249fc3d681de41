//! Listeners and connections: accept with a connection limit, TLS with the policy chosen
//! from the ClientHello, HTTP/1.1 and HTTP/2 on one socket, the framing guard, the
//! keep-alive timeout, graceful drain; and the admin listener.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use palisade_config::{Listener, ListenerProtocol};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::LazyConfigAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::Shared;
use crate::error::ProxyError;
use crate::router::normalize_host;
use crate::service::{ConnInfo, handle};
use crate::smuggling::{FramingGuard, Sniffer, Verdicts};

/// Smallest read buffer hyper accepts.
const MIN_BUF: usize = 8192;
/// Read buffer beyond the header limit (room for the first body bytes).
const BUF_SLACK: usize = 64 * 1024;
/// Pause after a failed `accept` (out of file descriptors), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);
/// Longest wait between keep-alive checks.
const IDLE_CHECK_MAX: Duration = Duration::from_secs(1);

/// What every connection task needs to stop: `stop` begins a graceful drain, `hard` drops
/// connections that outlived the grace period.
#[derive(Debug, Clone)]
pub(crate) struct Control {
    pub(crate) stop: CancellationToken,
    pub(crate) hard: CancellationToken,
    pub(crate) tracker: TaskTracker,
}

/// Requests in flight on a connection, and when the last one ended.
#[derive(Debug)]
pub(crate) struct Activity {
    in_flight: AtomicUsize,
    last: Mutex<Instant>,
}

impl Activity {
    fn new() -> Self {
        Activity {
            in_flight: AtomicUsize::new(0),
            last: Mutex::new(Instant::now()),
        }
    }

    /// Marks a request in flight until the guard drops (after phase 5).
    pub(crate) fn begin(self: &Arc<Self>) -> ActivityGuard {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        ActivityGuard(Arc::clone(self))
    }

    fn idle_for(&self) -> Option<Duration> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return None;
        }
        Some(
            self.last
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .elapsed(),
        )
    }
}

/// See [`Activity::begin`].
#[derive(Debug)]
pub(crate) struct ActivityGuard(Arc<Activity>);

impl Drop for ActivityGuard {
    fn drop(&mut self) {
        *self.0.last.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Pending connections the kernel queues per listening socket.
const BACKLOG: i32 = 1024;

/// Binds a listener's address: a non-blocking socket that every worker accepts from.
pub(crate) fn bind(name: &str, address: SocketAddr) -> Result<std::net::TcpListener, ProxyError> {
    let err = |source| ProxyError::Bind {
        listener: name.to_owned(),
        address,
        source,
    };
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(address),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )
    .map_err(err)?;
    // SO_REUSEADDR only (a restart can bind while old connections sit in TIME_WAIT); never
    // SO_REUSEPORT, which would let another process silently share the port.
    socket.set_reuse_address(true).map_err(err)?;
    socket.set_nonblocking(true).map_err(err)?;
    socket.bind(&address.into()).map_err(err)?;
    socket.listen(BACKLOG).map_err(err)?;
    Ok(socket.into())
}

/// The accept loop of one listener on one worker (`shard`); ends when `ctl.stop` fires.
/// `listener` is this worker's handle on the shared listening socket; `limit` is the
/// listener's connection limit, shared by its workers.
pub(crate) async fn accept_loop(
    shared: Arc<Shared>,
    listener: std::net::TcpListener,
    config: Arc<Listener>,
    limit: Arc<Semaphore>,
    shard: usize,
    ctl: Control,
) {
    let listener = match TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(e) => {
            tracing::error!(listener = %config.name, error = %e, "cannot register the listening socket");
            return;
        }
    };
    loop {
        let permit = tokio::select! {
            () = ctl.stop.cancelled() => break,
            permit = Arc::clone(&limit).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (tcp, peer) = tokio::select! {
            () = ctl.stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(listener = %config.name, error = %e, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        let shared = Arc::clone(&shared);
        let config = Arc::clone(&config);
        let conn_ctl = ctl.clone();
        ctl.tracker.spawn(connection(
            shared, tcp, peer, config, shard, conn_ctl, permit,
        ));
    }
}

async fn connection(
    shared: Arc<Shared>,
    tcp: TcpStream,
    peer: SocketAddr,
    config: Arc<Listener>,
    shard: usize,
    ctl: Control,
    _permit: OwnedSemaphorePermit,
) {
    let gauge = shared.metrics.connections(&config.name);
    gauge.inc();
    let local = match tcp.local_addr() {
        Ok(local) => local,
        Err(_) => {
            gauge.dec();
            return;
        }
    };
    match &config.protocol {
        ListenerProtocol::Http => {
            serve(
                &shared,
                tcp,
                (peer, local, shard),
                false,
                true,
                config.http2,
                &ctl,
            )
            .await;
        }
        ListenerProtocol::Https { policy } => {
            let rt = shared.runtime.load_full();
            let timeout = rt.config.limits.header_read_timeout;
            let handshake = async {
                let start =
                    LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp).await?;
                let sni = start.client_hello().server_name().and_then(normalize_host);
                let server = rt
                    .tls_config(*policy, config.http2, sni.as_deref())
                    .ok_or_else(|| std::io::Error::other("no TLS configuration"))?;
                start.into_stream(server).await
            };
            let stream = match tokio::time::timeout(timeout, handshake).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(e)) => {
                    tracing::debug!(listener = %config.name, %peer, error = %e, "TLS handshake failed");
                    shared.metrics.handshake_failure(&config.name);
                    gauge.dec();
                    return;
                }
                Err(_) => {
                    tracing::debug!(listener = %config.name, %peer, "TLS handshake timed out");
                    shared.metrics.handshake_failure(&config.name);
                    gauge.dec();
                    return;
                }
            };
            drop(rt);
            let session = stream.get_ref().1;
            let (version, suite) = palisade_tls::session_labels(session);
            shared.metrics.handshake(&config.name, version, suite);
            let h2 = session.alpn_protocol() == Some(b"h2");
            serve(&shared, stream, (peer, local, shard), true, !h2, h2, &ctl).await;
        }
    }
    gauge.dec();
}

#[allow(clippy::too_many_arguments)]
async fn serve<I>(
    shared: &Arc<Shared>,
    io: I,
    (peer, local, shard): (SocketAddr, SocketAddr, usize),
    tls: bool,
    h1: bool,
    h2: bool,
    ctl: &Control,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let limits = shared.runtime.load().config.limits.clone();
    let verdicts = h1.then(Verdicts::default);
    let sniffer = verdicts
        .clone()
        .map(|v| Sniffer::new(limits.max_header_bytes, limits.max_headers, v));
    let io = FramingGuard::new(io, sniffer);
    let activity = Arc::new(Activity::new());
    let info = Arc::new(ConnInfo {
        peer,
        peer_value: crate::headers::peer_value(peer.ip()),
        port_value: http::HeaderValue::from(local.port()),
        shard,
        tls,
        verdicts,
        activity: Arc::clone(&activity),
    });

    let mut builder = auto::Builder::new(TokioExecutor::new());
    if !h2 {
        builder = builder.http1_only();
    } else if !h1 {
        builder = builder.http2_only();
    }
    builder
        .http1()
        .timer(TokioTimer::new())
        .keep_alive(true)
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(limits.max_headers)
        .max_buf_size((limits.max_header_bytes + BUF_SLACK).max(MIN_BUF));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.h2_max_concurrent_streams)
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX));

    let service_shared = Arc::clone(shared);
    let service = service_fn(move |req: Request<Incoming>| {
        handle(Arc::clone(&service_shared), Arc::clone(&info), req)
    });
    let mut conn = pin!(builder.serve_connection_with_upgrades(TokioIo::new(io), service));
    let keepalive = limits.keepalive_timeout;
    let mut tick =
        tokio::time::interval((keepalive / 4).clamp(Duration::from_millis(10), IDLE_CHECK_MAX));
    let mut draining = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                break;
            }
            () = ctl.stop.cancelled(), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
            () = ctl.hard.cancelled() => break,
            _ = tick.tick(), if !draining => {
                if activity.idle_for().is_some_and(|idle| idle >= keepalive) {
                    draining = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// The admin listener: `/metrics`, `/healthz`, `/readyz`.
pub(crate) async fn admin_loop(shared: Arc<Shared>, listener: std::net::TcpListener, ctl: Control) {
    let listener = match TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(e) => {
            tracing::error!(error = %e, "cannot register the admin listening socket");
            return;
        }
    };
    loop {
        let (tcp, _) = tokio::select! {
            () = ctl.stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "admin accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let shared = Arc::clone(&shared);
        let hard = ctl.hard.clone();
        ctl.tracker.spawn(async move {
            let service = service_fn(move |req: Request<Incoming>| {
                let shared = Arc::clone(&shared);
                async move { Ok::<_, Infallible>(admin(&shared, &req)) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(tcp), service);
            tokio::select! {
                _ = conn => {}
                () = hard.cancelled() => {}
            }
        });
    }
}

fn admin(shared: &Shared, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let text = |status: StatusCode, body: String, kind: &'static str| {
        let mut resp = Response::new(Full::new(Bytes::from(body)));
        *resp.status_mut() = status;
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, header::HeaderValue::from_static(kind));
        resp
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return text(
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed\n".into(),
            "text/plain",
        );
    }
    let rt = shared.runtime.load();
    match req.uri().path() {
        "/metrics" => text(
            StatusCode::OK,
            shared
                .metrics
                .encode(&rt.target_health(), &rt.cert_expiry()),
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        ),
        "/healthz" => text(StatusCode::OK, "ok\n".into(), "text/plain"),
        "/readyz" if rt.ready() => text(StatusCode::OK, "ready\n".into(), "text/plain"),
        "/readyz" => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "an upstream has no healthy target\n".into(),
            "text/plain",
        ),
        _ => text(StatusCode::NOT_FOUND, "not found\n".into(), "text/plain"),
    }
}
