//! Key exchange groups and versions seen from a rustls client (OpenSSL 3.0 has no ML-KEM).

use std::sync::Arc;

use palisade_config::TlsPolicyName;
use palisade_tls::{CertStore, server_config};
use rustls::NamedGroup;
use rustls::crypto::aws_lc_rs::{self, kx_group};
use rustls::crypto::{CryptoProvider, SupportedKxGroup};

use crate::common::{TestCa, TestServer, connect, dns};

fn client(
    ca: &TestCa,
    groups: &[&'static dyn SupportedKxGroup],
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<rustls::ClientConfig> {
    let provider = CryptoProvider {
        kx_groups: groups.to_vec(),
        ..aws_lc_rs::default_provider()
    };
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(provider))
            .with_protocol_versions(versions)
            .unwrap()
            .with_root_certificates(ca.roots())
            .with_no_client_auth(),
    )
}

#[test]
fn groups_and_versions_per_policy() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("kx CA");
    let leaf = ca.leaf(&["kx.test"]);
    let store = Arc::new(CertStore::load(&[leaf.write(dir.path(), "kx")]).unwrap());
    let tls13 = &[&rustls::version::TLS13][..];
    let tls12 = &[&rustls::version::TLS12][..];
    for policy in [TlsPolicyName::Tls12_2021, TlsPolicyName::Tls13_2025] {
        let server = TestServer::start(server_config(policy, Arc::clone(&store), false).unwrap());
        let accepted: &[(&'static dyn SupportedKxGroup, NamedGroup)] = &[
            (kx_group::X25519MLKEM768, NamedGroup::X25519MLKEM768),
            (kx_group::X25519, NamedGroup::X25519),
            (kx_group::SECP256R1, NamedGroup::secp256r1),
            (kx_group::SECP384R1, NamedGroup::secp384r1),
        ];
        for (group, name) in accepted {
            let seen = connect(server.addr, client(&ca, &[*group], tls13), dns("kx.test"))
                .unwrap_or_else(|e| panic!("{policy:?} {name:?}: {e}"));
            assert_eq!(seen.kx, Some(*name), "{policy:?}");
        }
        // rustls picks the first group in the client's order that the policy allows: a client
        // that prefers the hybrid group gets it, one that prefers X25519 gets X25519.
        let all = [
            kx_group::X25519MLKEM768,
            kx_group::X25519,
            kx_group::SECP256R1,
        ];
        let seen = connect(server.addr, client(&ca, &all, tls13), dns("kx.test")).unwrap();
        assert_eq!(seen.kx, Some(NamedGroup::X25519MLKEM768), "{policy:?}");
        let all = [
            kx_group::X25519,
            kx_group::SECP256R1,
            kx_group::X25519MLKEM768,
        ];
        let seen = connect(server.addr, client(&ca, &all, tls13), dns("kx.test")).unwrap();
        assert_eq!(seen.kx, Some(NamedGroup::X25519), "{policy:?}");
        // Groups outside the policy are refused.
        for group in [kx_group::MLKEM768, kx_group::SECP256R1MLKEM768] {
            let result = connect(server.addr, client(&ca, &[group], tls13), dns("kx.test"));
            assert!(result.is_err(), "{policy:?} {:?} accepted", group.name());
        }
        // TLS 1.2 only under TLSv1.2_2021.
        let result = connect(
            server.addr,
            client(&ca, &[kx_group::X25519], tls12),
            dns("kx.test"),
        );
        match policy {
            TlsPolicyName::Tls12_2021 => {
                assert_eq!(
                    result.unwrap().line,
                    "TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
                )
            }
            TlsPolicyName::Tls13_2025 => assert!(result.is_err()),
        }
    }
}

#[test]
fn sessions_resume_with_tls13_tickets_and_tls12() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("resume CA");
    let leaf = ca.leaf(&["resume.test"]);
    let store = Arc::new(CertStore::load(&[leaf.write(dir.path(), "r")]).unwrap());
    let server = TestServer::start(server_config(TlsPolicyName::Tls12_2021, store, false).unwrap());
    for versions in [&[&rustls::version::TLS13][..], &[&rustls::version::TLS12]] {
        // One client configuration, so one client-side session cache.
        let config = client(&ca, &[kx_group::X25519], versions);
        let first = connect(server.addr, Arc::clone(&config), dns("resume.test")).unwrap();
        assert!(!first.resumed);
        let second = connect(server.addr, config, dns("resume.test")).unwrap();
        assert!(
            second.resumed,
            "{versions:?}: second handshake should resume"
        );
        assert_eq!(second.line, first.line);
    }
}
