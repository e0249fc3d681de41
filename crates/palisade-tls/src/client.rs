//! The upstream (origin) side: a [`rustls::ClientConfig`] from an [`UpstreamTls`].

use std::sync::Arc;

use palisade_config::{TlsPolicyName, UpstreamTls};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::server::alpn_protocols;
use crate::store::{parse_cert_chain, read_pem_file};
use crate::{TlsError, crypto_provider, protocol_versions};

/// The policy used towards upstreams: `TLSv1.2_2021`, so that origins that only speak TLS 1.2
/// still work, while nothing weaker than the downstream baseline is ever offered.
pub const UPSTREAM_POLICY: TlsPolicyName = TlsPolicyName::Tls12_2021;

/// Build the client configuration for one upstream pool.
///
/// Trust anchors are the Mozilla roots of `webpki-roots` plus, when `tls.ca_file` is set,
/// every certificate in that PEM file. Verification (chain and host name) is always on unless
/// `tls.dangerous_skip_verify`; even then the handshake signatures are still checked, so the
/// peer must hold the key of the certificate it presents. ALPN offers `h2` then `http/1.1`
/// when `alpn_h2`, else `http/1.1` only.
///
/// The name verified is the one passed at connect time; build it with [`upstream_server_name`]
/// so that `tls.server_name` takes effect.
pub fn client_config(tls: &UpstreamTls, alpn_h2: bool) -> Result<Arc<ClientConfig>, TlsError> {
    let provider = crypto_provider(UPSTREAM_POLICY);
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = &tls.ca_file {
        let bytes = read_pem_file(path)?;
        for cert in parse_cert_chain_unbounded(path, &bytes)? {
            roots.add(cert).map_err(|e| TlsError::InvalidCertificate {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        }
    }
    let config_error = |source| TlsError::Config {
        what: "client",
        source,
    };
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(protocol_versions(UPSTREAM_POLICY))
        .map_err(config_error)?;
    let mut config = if tls.dangerous_skip_verify {
        tracing::warn!("upstream TLS certificate verification is disabled (dangerous_skip_verify)");
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(SkipServerVerification { provider }))
            .with_no_client_auth()
    } else {
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    config.alpn_protocols = alpn_protocols(alpn_h2);
    Ok(Arc::new(config))
}

/// The name to send as SNI and verify the upstream certificate against: `tls.server_name`
/// when set, else `host` (a DNS name or an IP literal).
pub fn upstream_server_name(
    tls: &UpstreamTls,
    host: &str,
) -> Result<ServerName<'static>, TlsError> {
    let name = tls.server_name.as_deref().unwrap_or(host);
    let trimmed = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    ServerName::try_from(trimmed.to_owned()).map_err(|_| TlsError::InvalidServerName {
        name: name.to_owned(),
    })
}

/// CA bundles may hold far more certificates than a chain; only the file size limit applies.
fn parse_cert_chain_unbounded(
    path: &std::path::Path,
    bytes: &[u8],
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    use rustls_pki_types::pem::PemObject;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::InvalidPem {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        // Reuse the chain parser's error for a file without certificates.
        return parse_cert_chain(path, bytes);
    }
    Ok(certs)
}

/// Accepts any certificate chain and name, but still verifies handshake signatures with the
/// provider's algorithms: the peer must own the key of the certificate it shows.
#[derive(Debug)]
struct SkipServerVerification {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for SkipServerVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls(server_name: Option<&str>) -> UpstreamTls {
        UpstreamTls {
            ca_file: None,
            server_name: server_name.map(str::to_owned),
            dangerous_skip_verify: false,
        }
    }

    #[test]
    fn server_name_prefers_the_configured_one() {
        let name = upstream_server_name(&tls(Some("origin.internal")), "10.0.0.1").unwrap();
        assert_eq!(name.to_str(), "origin.internal");
        let name = upstream_server_name(&tls(None), "10.0.0.1").unwrap();
        assert!(matches!(name, ServerName::IpAddress(_)));
        let name = upstream_server_name(&tls(None), "[::1]").unwrap();
        assert!(matches!(name, ServerName::IpAddress(_)));
        assert!(matches!(
            upstream_server_name(&tls(None), "bad name!"),
            Err(TlsError::InvalidServerName { .. })
        ));
    }

    #[test]
    fn missing_ca_file_is_named() {
        let mut t = tls(None);
        t.ca_file = Some("/nonexistent/ca.pem".into());
        match client_config(&t, false) {
            Err(TlsError::MissingFile { path }) => {
                assert_eq!(path, std::path::Path::new("/nonexistent/ca.pem"))
            }
            other => panic!("{other:?}"),
        }
    }
}
