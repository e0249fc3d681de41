//! The origin server: accept loop, TLS, connection serving, shared state.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::routes;

/// Time allowed for a TLS handshake before the connection is dropped.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// State shared between the [`Origin`] handle and its connections.
#[derive(Debug)]
pub(crate) struct State {
    /// Requests seen, `/healthz` excluded.
    pub(crate) requests: AtomicUsize,
    /// `/healthz` requests seen.
    pub(crate) health_requests: AtomicUsize,
    /// What `/healthz` answers.
    pub(crate) healthy: AtomicBool,
    /// Headers of the last request counted in `requests`.
    pub(crate) last_headers: Mutex<Option<http::HeaderMap>>,
    /// Cancelled when the origin stops; every task it spawned watches it.
    pub(crate) token: CancellationToken,
    /// Behave as albedo (the CRS test backend): `200` with an empty body for every method
    /// and path except `POST /reflect`.
    pub(crate) albedo: bool,
}

/// An in-process origin server on `127.0.0.1:0`, stopped on drop (or with [`Origin::shutdown`]).
///
/// Must be started inside a tokio runtime; see the crate docs for its routes.
#[derive(Debug)]
pub struct Origin {
    addr: SocketAddr,
    tls: bool,
    state: Arc<State>,
    task: Option<JoinHandle<()>>,
}

impl Origin {
    /// Starts a cleartext origin serving HTTP/1.1 and h2c (prior knowledge).
    ///
    /// # Panics
    ///
    /// If no loopback port can be bound.
    pub async fn start() -> Self {
        Self::spawn(None).await
    }

    /// An origin that behaves as albedo, the OWASP CRS regression-test backend: `200` with
    /// an empty body for any method and path, and `POST /reflect` answering with the status,
    /// headers and body its JSON request asks for. Reports a failure to bind instead of
    /// panicking (the conformance harness ships in the binary).
    pub async fn try_start_albedo() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        Ok(Self::serve_on(listener, None, true))
    }

    /// Starts an HTTPS origin with this certificate chain and key (PEM), offering ALPN `h2` and
    /// `http/1.1`.
    ///
    /// # Panics
    ///
    /// If the PEM does not hold a certificate and a private key rustls accepts, or no loopback
    /// port can be bound.
    pub async fn start_tls(cert_pem: &str, key_pem: &str) -> Self {
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(cert_pem.as_bytes())
                .collect::<Result<_, _>>()
                .expect("certificate PEM");
        assert!(!certs.is_empty(), "no certificate in cert_pem");
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).expect("private key PEM");
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("default protocol versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("certificate and key match");
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Self::spawn(Some(TlsAcceptor::from(Arc::new(config)))).await
    }

    async fn spawn(tls: Option<TlsAcceptor>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        Self::serve_on(listener, tls, false)
    }

    fn serve_on(listener: TcpListener, tls: Option<TlsAcceptor>, albedo: bool) -> Self {
        let addr = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
        let state = Arc::new(State {
            requests: AtomicUsize::new(0),
            health_requests: AtomicUsize::new(0),
            healthy: AtomicBool::new(true),
            last_headers: Mutex::new(None),
            token: CancellationToken::new(),
            albedo,
        });
        let is_tls = tls.is_some();
        let task = tokio::spawn(accept_loop(listener, tls, state.clone()));
        Self {
            addr,
            tls: is_tls,
            state,
            task: Some(task),
        }
    }

    /// The listening address (always `127.0.0.1`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL: `http://127.0.0.1:PORT`, or `https://…` for [`Origin::start_tls`].
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// How many requests reached it, `/healthz` excluded (see [`Origin::health_requests`]).
    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// How many `/healthz` requests reached it.
    pub fn health_requests(&self) -> usize {
        self.state.health_requests.load(Ordering::SeqCst)
    }

    /// Sets what `/healthz` answers: `200` when `true`, `503` when `false`. Starts healthy.
    pub fn set_healthy(&self, healthy: bool) {
        self.state.healthy.store(healthy, Ordering::SeqCst);
    }

    /// Headers of the last request counted in [`Origin::requests`].
    pub fn last_request_headers(&self) -> Option<http::HeaderMap> {
        self.state
            .last_headers
            .lock()
            .map(|h| h.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Stops accepting, closes every connection and waits for the accept loop to end.
    pub async fn shutdown(mut self) {
        self.state.token.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.state.token.cancel();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn accept_loop(listener: TcpListener, tls: Option<TlsAcceptor>, state: Arc<State>) {
    let token = state.token.clone();
    loop {
        let accepted = tokio::select! {
            () = token.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let (tcp, _peer) = match accepted {
            Ok(pair) => pair,
            Err(_) => {
                // Typically EMFILE; back off briefly instead of spinning.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let state = state.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let token = state.token.clone();
            let serve = async move {
                match tls {
                    None => serve(TokioIo::new(tcp), state).await,
                    Some(acceptor) => {
                        let handshake = acceptor.accept(tcp);
                        if let Ok(Ok(stream)) =
                            tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, handshake).await
                        {
                            serve(TokioIo::new(stream), state).await;
                        }
                    }
                }
            };
            tokio::select! {
                () = token.cancelled() => {}
                () = serve => {}
            }
        });
    }
}

async fn serve<I>(io: TokioIo<I>, state: Arc<State>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req| {
        let state = state.clone();
        async move { Ok::<_, Infallible>(routes::handle(req, state).await) }
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    let _ = builder.serve_connection_with_upgrades(io, service).await;
}
