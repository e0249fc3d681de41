//! The downstream (listener) side: a [`rustls::ServerConfig`] per policy.

use std::sync::Arc;

use palisade_config::TlsPolicyName;
use rustls::ServerConfig;
use rustls::server::ServerSessionMemoryCache;

use crate::{CertStore, TlsError, crypto_provider, protocol_versions};

/// Server-side session cache entries (TLS 1.2 session IDs and TLS 1.3 stateful resumption).
/// Each entry is a few hundred bytes.
pub const SESSION_CACHE_ENTRIES: usize = 4096;

/// Build the server configuration of `policy`, resolving certificates through `store`.
///
/// - versions and suites exactly as [`protocol_versions`] and [`crypto_provider`] give;
/// - ALPN `h2`, `http/1.1` when `alpn_h2`, else `http/1.1` only;
/// - the server's suite order wins (`ignore_client_order`);
/// - resumption: stateless tickets (rustls' rotating AES-256 / HMAC-SHA256 ticketer, keys
///   rotated every 6 hours) plus an in-memory session cache of [`SESSION_CACHE_ENTRIES`];
/// - no client certificates.
pub fn server_config(
    policy: TlsPolicyName,
    store: Arc<CertStore>,
    alpn_h2: bool,
) -> Result<Arc<ServerConfig>, TlsError> {
    let config_error = |source| TlsError::Config {
        what: "server",
        source,
    };
    let mut config = ServerConfig::builder_with_provider(crypto_provider(policy))
        .with_protocol_versions(protocol_versions(policy))
        .map_err(config_error)?
        .with_no_client_auth()
        .with_cert_resolver(store);
    config.ignore_client_order = true;
    config.alpn_protocols = alpn_protocols(alpn_h2);
    config.session_storage = ServerSessionMemoryCache::new(SESSION_CACHE_ENTRIES);
    config.ticketer = rustls::crypto::aws_lc_rs::Ticketer::new().map_err(config_error)?;
    Ok(Arc::new(config))
}

/// ALPN protocol identifiers in preference order.
pub(crate) fn alpn_protocols(alpn_h2: bool) -> Vec<Vec<u8>> {
    if alpn_h2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpn_lists() {
        assert_eq!(alpn_protocols(true), [b"h2".to_vec(), b"http/1.1".to_vec()]);
        assert_eq!(alpn_protocols(false), [b"http/1.1".to_vec()]);
    }
}
