//! The named TLS policies as explicit rustls provider tables.
//!
//! Nothing here relies on rustls defaults: every cipher suite, key exchange group and protocol
//! version a policy allows is listed by name, so a rustls upgrade that changes its defaults
//! cannot silently change what Palisade offers.

use std::sync::Arc;

use palisade_config::TlsPolicyName;
use rustls::crypto::CryptoProvider;
use rustls::crypto::SupportedKxGroup;
use rustls::crypto::aws_lc_rs::{self, cipher_suite, kx_group};
use rustls::{CipherSuite, ProtocolVersion, SupportedCipherSuite, SupportedProtocolVersion};

/// Cipher suites of `TLSv1.2_2021`, in server preference order (TLS 1.3 first, then ECDSA
/// before RSA, AES-256 before AES-128 before ChaCha20 within each).
pub const TLS12_2021_SUITES: &[SupportedCipherSuite] = &[
    cipher_suite::TLS13_AES_256_GCM_SHA384,
    cipher_suite::TLS13_AES_128_GCM_SHA256,
    cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
    cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

/// Cipher suites of `TLSv1.3_2025` (`ism`), in server preference order. No ChaCha20.
pub const TLS13_2025_SUITES: &[SupportedCipherSuite] = &[
    cipher_suite::TLS13_AES_256_GCM_SHA384,
    cipher_suite::TLS13_AES_128_GCM_SHA256,
];

/// Key exchange groups of both policies: the hybrid post-quantum X25519MLKEM768 (at least as
/// strong as X25519 alone), X25519, secp256r1, secp384r1.
///
/// rustls negotiates the first group *in the client's order* that is in this list (the
/// server's suite order wins, its group order does not), so a client that prefers the hybrid
/// group gets it.
pub const KX_GROUPS: &[&dyn SupportedKxGroup] = &[
    kx_group::X25519MLKEM768,
    kx_group::X25519,
    kx_group::SECP256R1,
    kx_group::SECP384R1,
];

static TLS12_2021_VERSIONS: &[&SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];
static TLS13_2025_VERSIONS: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13];

/// The aws-lc-rs crypto provider restricted to the suites and groups of `policy`.
///
/// Signature verification algorithms, the key loader and the random source are those of the
/// aws-lc-rs provider unchanged.
pub fn crypto_provider(policy: TlsPolicyName) -> Arc<CryptoProvider> {
    let base = aws_lc_rs::default_provider();
    Arc::new(CryptoProvider {
        cipher_suites: cipher_suites(policy).to_vec(),
        kx_groups: KX_GROUPS.to_vec(),
        ..base
    })
}

/// The protocol versions `policy` allows: TLS 1.3 and 1.2 for `TLSv1.2_2021`, TLS 1.3 only
/// for `TLSv1.3_2025`.
pub fn protocol_versions(policy: TlsPolicyName) -> &'static [&'static SupportedProtocolVersion] {
    match policy {
        TlsPolicyName::Tls12_2021 => TLS12_2021_VERSIONS,
        TlsPolicyName::Tls13_2025 => TLS13_2025_VERSIONS,
    }
}

/// The cipher suites `policy` allows, in server preference order.
pub fn cipher_suites(policy: TlsPolicyName) -> &'static [SupportedCipherSuite] {
    match policy {
        TlsPolicyName::Tls12_2021 => TLS12_2021_SUITES,
        TlsPolicyName::Tls13_2025 => TLS13_2025_SUITES,
    }
}

/// The protocol label of a negotiated version: `"TLSv1.3"`, `"TLSv1.2"`, or `"unknown"`
/// (before the handshake, or a version no policy allows).
pub fn protocol_label(version: Option<ProtocolVersion>) -> &'static str {
    match version {
        Some(ProtocolVersion::TLSv1_3) => "TLSv1.3",
        Some(ProtocolVersion::TLSv1_2) => "TLSv1.2",
        _ => "unknown",
    }
}

/// The IANA name of a cipher suite (`TLS_AES_128_GCM_SHA256`,
/// `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`, ...), or `"unknown"` for one no policy allows.
///
/// rustls prints TLS 1.3 suites as `TLS13_...`; the IANA registry and OpenSSL call them
/// `TLS_...`, which is what logs and metrics use.
pub fn suite_label(suite: Option<CipherSuite>) -> &'static str {
    match suite {
        Some(CipherSuite::TLS13_AES_128_GCM_SHA256) => "TLS_AES_128_GCM_SHA256",
        Some(CipherSuite::TLS13_AES_256_GCM_SHA384) => "TLS_AES_256_GCM_SHA384",
        Some(CipherSuite::TLS13_CHACHA20_POLY1305_SHA256) => "TLS_CHACHA20_POLY1305_SHA256",
        Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256) => {
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
        }
        Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384) => {
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
        }
        Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256) => {
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
        }
        Some(CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) => {
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        }
        Some(CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) => {
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
        }
        Some(CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256) => {
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
        }
        _ => "unknown",
    }
}

/// Protocol and cipher suite labels of a server connection, for logs and metrics:
/// `("TLSv1.3", "TLS_AES_256_GCM_SHA384")`. Both are `"unknown"` before the handshake
/// has negotiated them.
pub fn session_labels(conn: &rustls::ServerConnection) -> (&'static str, &'static str) {
    (
        protocol_label(conn.protocol_version()),
        suite_label(conn.negotiated_cipher_suite().map(|s| s.suite())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const TLS12_NAMES: &[&str] = &[
        "TLS_AES_256_GCM_SHA384",
        "TLS_AES_128_GCM_SHA256",
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    ];

    fn names(policy: TlsPolicyName) -> Vec<&'static str> {
        crypto_provider(policy)
            .cipher_suites
            .iter()
            .map(|s| suite_label(Some(s.suite())))
            .collect()
    }

    #[test]
    fn tls12_2021_has_exactly_the_nine_suites() {
        assert_eq!(names(TlsPolicyName::Tls12_2021), TLS12_NAMES);
    }

    #[test]
    fn tls13_2025_has_exactly_the_two_aes_gcm_suites() {
        assert_eq!(
            names(TlsPolicyName::Tls13_2025),
            ["TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"]
        );
        assert!(
            crypto_provider(TlsPolicyName::Tls13_2025)
                .cipher_suites
                .iter()
                .all(|s| s.version() == &rustls::version::TLS13)
        );
    }

    #[test]
    fn versions_per_policy() {
        let v = |p| {
            protocol_versions(p)
                .iter()
                .map(|v| v.version)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            v(TlsPolicyName::Tls12_2021),
            [ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2]
        );
        assert_eq!(v(TlsPolicyName::Tls13_2025), [ProtocolVersion::TLSv1_3]);
    }

    #[test]
    fn kx_groups_are_the_four_named() {
        for policy in [TlsPolicyName::Tls12_2021, TlsPolicyName::Tls13_2025] {
            let groups: Vec<_> = crypto_provider(policy)
                .kx_groups
                .iter()
                .map(|g| g.name())
                .collect();
            assert_eq!(
                groups,
                [
                    rustls::NamedGroup::X25519MLKEM768,
                    rustls::NamedGroup::X25519,
                    rustls::NamedGroup::secp256r1,
                    rustls::NamedGroup::secp384r1
                ]
            );
        }
    }

    #[test]
    fn unknown_labels() {
        assert_eq!(protocol_label(None), "unknown");
        assert_eq!(protocol_label(Some(ProtocolVersion::TLSv1_0)), "unknown");
        assert_eq!(suite_label(None), "unknown");
        assert_eq!(
            suite_label(Some(CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA)),
            "unknown"
        );
    }
}
