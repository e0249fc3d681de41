//! The proxy's error type: what can stop the gateway from starting or a reload from applying.
//!
//! Per-request failures never surface here: they become short responses at the one rescue
//! point (`rescue.rs`).

use std::net::SocketAddr;

/// Why the gateway could not start or a new configuration was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// A listener (or the admin listener) could not bind its address.
    #[error("cannot bind listener {listener:?} on {address}: {source}")]
    Bind {
        /// The listener name (`admin` for the admin listener).
        listener: String,
        /// The configured address.
        address: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An upstream pool could not be built from its configuration.
    #[error(transparent)]
    Upstream(#[from] palisade_upstream::UpstreamError),
    /// The TLS certificates or a TLS server configuration could not be loaded.
    #[error("TLS setup failed: {}", join(.0))]
    Tls(Vec<palisade_tls::TlsError>),
    /// A data-plane worker thread or its event loop could not be started.
    #[error("cannot start a data-plane worker: {0}")]
    Worker(std::io::Error),
    /// The configuration cannot be served (for example an HTTPS listener without any
    /// certificate and without `dev_certificate`).
    #[error("configuration cannot be served: {0}")]
    Unservable(String),
}

fn join(errors: &[palisade_tls::TlsError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
