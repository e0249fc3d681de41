//! Palisade TLS: named policies, a certificate store with SNI and hot reload, upstream client
//! configurations and development certificates.
//!
//! This crate turns the TLS parts of the validated configuration
//! ([`palisade_config::TlsPolicyName`], [`palisade_config::CertificateSource`],
//! [`palisade_config::UpstreamTls`]) into rustls configurations. It does file I/O (reading PEM
//! files, writing development certificates) but opens no sockets and starts no tasks: the
//! proxy owns listeners and calls [`CertStore::reload_if_changed`] from its reload loop. It
//! depends on `palisade-config` only, never on the proxy or the WAF.
//!
//! The crypto provider is always rustls' aws-lc-rs provider, restricted per policy. Nothing
//! relies on rustls defaults: every suite, group and version is listed in [`policy`]'s tables.
//!
//! # Policies
//!
//! | | `TLSv1.2_2021` | `TLSv1.3_2025` (alias `ism`) |
//! |---|---|---|
//! | versions | TLS 1.3, TLS 1.2 | TLS 1.3 |
//! | TLS 1.3 suites | `TLS_AES_256_GCM_SHA384`, `TLS_AES_128_GCM_SHA256`, `TLS_CHACHA20_POLY1305_SHA256` | `TLS_AES_256_GCM_SHA384`, `TLS_AES_128_GCM_SHA256` |
//! | TLS 1.2 suites | `TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384`, `TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256`, `TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256`, `TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384`, `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`, `TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256` | none |
//! | key exchange | X25519MLKEM768, X25519, secp256r1, secp384r1 | same |
//!
//! In OpenSSL's spelling the six TLS 1.2 suites are `ECDHE-ECDSA-AES256-GCM-SHA384`,
//! `ECDHE-ECDSA-AES128-GCM-SHA256`, `ECDHE-ECDSA-CHACHA20-POLY1305`,
//! `ECDHE-RSA-AES256-GCM-SHA384`, `ECDHE-RSA-AES128-GCM-SHA256` and
//! `ECDHE-RSA-CHACHA20-POLY1305`. There is no CBC suite, no static-RSA key exchange, no
//! finite-field Diffie-Hellman, no SSLv3 / TLS 1.0 / TLS 1.1 in either policy (rustls
//! implements none of them, and the tables above do not name them either). The hybrid
//! post-quantum group X25519MLKEM768 is allowed (it is at least as strong as X25519 alone)
//! and negotiated when the client prefers it. Suites are in server preference order and the
//! server's order wins; key exchange groups are taken in the client's order among those the
//! policy allows (rustls behaviour).
//!
//! These claims are checked from outside with `openssl s_client` in
//! `tests/integration/openssl_policies.rs` (and, for the hybrid group that OpenSSL 3.0
//! lacks, with a rustls client in `tests/integration/kx.rs`).
//!
//! # Certificates
//!
//! [`CertStore`] loads RSA and ECDSA chains with PKCS#8, PKCS#1 or SEC1 keys from PEM files,
//! checks that each key matches its leaf certificate, picks a certificate by SNI (exact SAN,
//! then one-label wildcard, then the first certificate as the default; see [`store`]) and
//! reloads atomically when file contents change. Expired certificates load, with a warning
//! and their `not_after` visible in [`CertInfo`].
//!
//! [`generate_dev_certificate`] makes the self-signed ECDSA P-256 certificate behind
//! `palisade cert dev`.

mod client;
mod dev;
mod error;
pub mod policy;
mod server;
pub mod store;
mod x509;

pub use client::{UPSTREAM_POLICY, client_config, upstream_server_name};
pub use dev::{
    DEV_CERT_DEFAULT_NAMES, DEV_CERT_FILE, DEV_CERT_MIN_REMAINING, DEV_CERT_VALIDITY, DEV_KEY_FILE,
    generate_dev_certificate,
};
pub use error::TlsError;
pub use policy::{crypto_provider, protocol_versions, session_labels};
pub use server::{SESSION_CACHE_ENTRIES, server_config};
pub use store::{CertInfo, CertStore, MAX_CHAIN_LEN, MAX_PEM_FILE_BYTES};
