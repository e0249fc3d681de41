//! Palisade data plane: listeners, TLS, routing, upstream pools and health, the phase hooks
//! the WAF plugs into, and the one rescue point where interruptions and errors become
//! responses.
//!
//! Layout, in the order a request meets it:
//! - `server.rs`: accept (connection limit, `TCP_NODELAY`), TLS with the policy picked from
//!   the ClientHello's SNI, HTTP/1.1 + HTTP/2 (h2c or ALPN) on one socket, the keep-alive
//!   timeout, graceful drain; the admin listener (`/metrics`, `/healthz`, `/readyz`);
//! - `smuggling.rs`: strict request framing, on the raw HTTP/1 bytes and on HTTP/2 headers;
//! - `service.rs`: route, client identity and forwarding headers, phases 1–4, the upstream;
//! - `rescue.rs`: the one place early ends become responses;
//! - `runtime.rs`: the generation swapped on reload; `metrics.rs`: every metric name.
//!
//! This crate must not depend on the WAF engine: the engine plugs in through [`Inspector`].

mod body;
mod error;
mod headers;
mod inspect;
mod metrics;
mod rescue;
mod router;
mod runtime;
mod server;
mod service;
mod smuggling;
pub mod waf;
mod workers;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use arc_swap::ArcSwap;
use palisade_config::{Config, ListenerProtocol};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use error::ProxyError;
pub use inspect::{
    Inspector, Interruption, NoopInspector, Outcome, Phase, RequestContext, Verdict,
};

pub use metrics::{Metrics, names as metric_names};
use runtime::Runtime;
use server::Control;
use tokio::sync::Semaphore;
use workers::Workers;

/// How often the certificate files are checked for changes.
const CERT_RELOAD_INTERVAL: Duration = Duration::from_secs(5);

/// State shared by every connection of a gateway.
pub(crate) struct Shared {
    pub(crate) runtime: ArcSwap<Runtime>,
    pub(crate) inspector: Arc<dyn Inspector>,
    pub(crate) metrics: Metrics,
    /// Port of the first HTTPS listener (0: none), for `redirect_https`.
    pub(crate) https_port: AtomicU16,
}

/// A running gateway: its listeners, the admin listener and the current runtime.
pub struct Gateway {
    shared: Arc<Shared>,
    listeners: Vec<(String, SocketAddr)>,
    admin: SocketAddr,
    ctl: Control,
    tasks: Vec<JoinHandle<()>>,
    workers: Workers,
    reload_lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("listeners", &self.listeners)
            .field("admin", &self.admin)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Builds the runtime, binds every listener and the admin listener, and starts serving.
    ///
    /// # Errors
    ///
    /// [`ProxyError::Bind`] when an address cannot be bound; the runtime errors of
    /// [`Gateway::reload`] when the config cannot be served.
    pub async fn start(
        config: Config,
        inspector: Arc<dyn Inspector>,
    ) -> Result<Gateway, ProxyError> {
        let metrics = Metrics::new();
        let shards = workers::count(config.limits.workers);
        let runtime = Runtime::build(config, None, &metrics, shards)?;
        metrics.loaded();
        let listener_configs = runtime.config.listeners.clone();
        let admin_address = runtime.config.admin.address;
        let max_connections = runtime.config.limits.max_connections;
        let mut bound = Vec::with_capacity(listener_configs.len());
        for listener in &listener_configs {
            bound.push(server::bind(&listener.name, listener.address)?);
        }
        let admin_listener = server::bind("admin", admin_address)?;
        let workers = Workers::start(shards).await?;
        let shared = Arc::new(Shared {
            runtime: ArcSwap::from_pointee(runtime),
            inspector,
            metrics,
            https_port: AtomicU16::new(0),
        });
        let ctl = Control {
            stop: CancellationToken::new(),
            hard: CancellationToken::new(),
            tracker: TaskTracker::new(),
        };
        let mut listeners = Vec::with_capacity(bound.len());
        let mut tasks = Vec::new();
        for (tcp, config) in bound.into_iter().zip(listener_configs) {
            let (name, address) = (config.name.clone(), config.address);
            let bind_error = |source| ProxyError::Bind {
                listener: name.clone(),
                address,
                source,
            };
            let addr = tcp.local_addr().map_err(bind_error)?;
            if matches!(config.protocol, ListenerProtocol::Https { .. }) {
                let _ = shared.https_port.compare_exchange(
                    0,
                    addr.port(),
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                );
            }
            tracing::info!(listener = %config.name, %addr, workers = workers.len(), "listening");
            listeners.push((config.name.clone(), addr));
            // Per listener, as documented for `limits.max_connections`, shared by its workers.
            let limit = Arc::new(Semaphore::new(max_connections.max(1)));
            let config = Arc::new(config);
            for shard in 0..workers.len() {
                let socket = tcp.try_clone().map_err(bind_error)?;
                let (shared, config, limit, ctl) = (
                    Arc::clone(&shared),
                    Arc::clone(&config),
                    Arc::clone(&limit),
                    ctl.clone(),
                );
                tasks.push(workers.spawn(shard, move || {
                    server::accept_loop(shared, socket, config, limit, shard, ctl)
                }));
            }
        }
        let admin = admin_listener
            .local_addr()
            .map_err(|source| ProxyError::Bind {
                listener: "admin".into(),
                address: admin_address,
                source,
            })?;
        tasks.push(tokio::spawn(server::admin_loop(
            Arc::clone(&shared),
            admin_listener,
            ctl.clone(),
        )));
        tasks.push(tokio::spawn(cert_reload_loop(
            Arc::clone(&shared),
            ctl.stop.clone(),
        )));
        Ok(Gateway {
            shared,
            listeners,
            admin,
            ctl,
            tasks,
            workers,
            reload_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// `(listener name, bound address)` in configuration order; the real port when the
    /// config said port 0.
    pub fn listener_addrs(&self) -> Vec<(String, SocketAddr)> {
        self.listeners.clone()
    }

    /// The bound admin address.
    /// The gateway's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// The admin listener's bound address.
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin
    }

    /// Builds a new runtime from `config` (pools of unchanged upstreams and the certificate
    /// store of unchanged sources are reused) and swaps it in atomically; requests in flight
    /// finish on the old one. Listener and admin address changes are not applied: they need
    /// a restart (logged at `warn`). Counted in `palisade_config_reloads_total`.
    ///
    /// # Errors
    ///
    /// When the new runtime cannot be built; the old one keeps serving.
    pub async fn reload(&self, config: Config) -> Result<(), ProxyError> {
        let _serial = self.reload_lock.lock().await;
        let old = self.shared.runtime.load_full();
        let listeners_changed = old.config.listeners != config.listeners;
        let admin_changed = old.config.admin != config.admin;
        let limit_changed = old.config.limits.max_connections != config.limits.max_connections
            || old.config.limits.workers != config.limits.workers;
        match Runtime::build(config, Some(&old), &self.shared.metrics, self.workers.len()) {
            Ok(runtime) => {
                if listeners_changed || admin_changed || limit_changed {
                    tracing::warn!(
                        "listener, admin address, max_connections or workers changes need a restart; \
                         the running listeners are kept"
                    );
                }
                self.shared.runtime.store(Arc::new(runtime));
                self.shared.metrics.reload(true);
                Ok(())
            }
            Err(e) => {
                self.shared.metrics.reload(false);
                Err(e)
            }
        }
    }

    /// Counts a reload whose file did not even parse.
    pub fn record_reload_failure(&self) {
        self.shared.metrics.reload(false);
    }

    /// Stops accepting, lets in-flight requests finish for up to `grace`, then closes what
    /// is left.
    pub async fn shutdown(self, grace: Duration) {
        self.ctl.stop.cancel();
        self.ctl.tracker.close();
        if tokio::time::timeout(grace, self.ctl.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                ?grace,
                "grace period over; closing the remaining connections"
            );
            self.ctl.hard.cancel();
            self.ctl.tracker.wait().await;
        }
        for task in self.tasks {
            task.abort();
            let _ = task.await;
        }
        self.workers.stop().await;
    }
}

async fn cert_reload_loop(shared: Arc<Shared>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(CERT_RELOAD_INTERVAL);
    tick.tick().await;
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = tick.tick() => {}
        }
        let store = shared.runtime.load().certs.clone();
        if let Some(store) = store {
            match store.reload_if_changed() {
                Ok(true) => tracing::info!("TLS certificates changed on disk and were reloaded"),
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "TLS certificate reload failed; the old ones stay")
                }
            }
        }
    }
}
