//! SNI: exact, wildcard and default certificate selection over real handshakes.

use std::sync::Arc;

use palisade_config::TlsPolicyName;
use palisade_tls::{CertStore, server_config};

use crate::common::{ServerEvent, TestCa, TestServer, connect, dns, trusting_client};

#[test]
fn sni_picks_exact_then_wildcard_then_default() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("SNI test CA");
    let default = ca.leaf(&["default.test"]);
    let exact = ca.leaf(&["shop.example.com"]);
    let wildcard = ca.leaf(&["*.example.com"]);
    // Configuration order: the default first.
    let sources = vec![
        default.write(dir.path(), "default"),
        wildcard.write(dir.path(), "wildcard"),
        exact.write(dir.path(), "exact"),
    ];
    let store = Arc::new(CertStore::load(&sources).unwrap());
    let server = TestServer::start(server_config(TlsPolicyName::Tls12_2021, store, true).unwrap());

    // (SNI sent, expected certificate). `None` sends no SNI at all.
    let cases: &[(Option<&str>, &str, &str)] = &[
        (
            Some("shop.example.com"),
            &exact.fingerprint,
            "exact beats wildcard",
        ),
        (
            Some("SHOP.Example.COM"),
            &exact.fingerprint,
            "case-insensitive exact",
        ),
        (
            Some("api.example.com"),
            &wildcard.fingerprint,
            "wildcard, one label",
        ),
        (
            Some("API.EXAMPLE.COM"),
            &wildcard.fingerprint,
            "case-insensitive wildcard",
        ),
        (
            Some("a.b.example.com"),
            &default.fingerprint,
            "wildcard covers one label only",
        ),
        (
            Some("example.com"),
            &default.fingerprint,
            "wildcard does not cover the apex",
        ),
        (Some("default.test"), &default.fingerprint, "exact default"),
        (
            Some("unknown.test"),
            &default.fingerprint,
            "no match -> default",
        ),
        (None, &default.fingerprint, "no SNI -> default"),
    ];
    for (sni, expected, why) in cases {
        let client = trusting_client(true);
        let (client, name) = match sni {
            Some(name) => (client, dns(name)),
            None => {
                let mut c = (*client).clone();
                c.enable_sni = false;
                (Arc::new(c), dns("no-sni.invalid"))
            }
        };
        let seen = connect(server.addr, client, name).unwrap_or_else(|e| panic!("{why}: {e}"));
        assert_eq!(&seen.fingerprint, expected, "{why} (sni {sni:?})");
        assert_eq!(seen.alpn.as_deref(), Some(&b"h2"[..]), "{why}: ALPN");
        assert_eq!(seen.line, "TLSv1.3 TLS_AES_256_GCM_SHA384", "{why}: labels");
    }
    // The server saw the SNI names as sent (rustls lowercases them), and none for the last.
    let seen_sni: Vec<Option<String>> = server
        .events()
        .into_iter()
        .map(|e| match e {
            ServerEvent::Accepted(protocol, suite, sni) => {
                assert_eq!((protocol, suite), ("TLSv1.3", "TLS_AES_256_GCM_SHA384"));
                sni
            }
            ServerEvent::Refused(reason) => panic!("refused: {reason}"),
        })
        .collect();
    let sent: Vec<Option<String>> = cases
        .iter()
        .map(|(sni, _, _)| sni.map(str::to_ascii_lowercase))
        .collect();
    assert_eq!(seen_sni, sent);
}

#[test]
fn alpn_without_h2_offers_only_http11() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("ALPN test CA");
    let leaf = ca.leaf(&["alpn.test"]);
    let store = Arc::new(CertStore::load(&[leaf.write(dir.path(), "alpn")]).unwrap());
    let server = TestServer::start(server_config(TlsPolicyName::Tls13_2025, store, false).unwrap());
    let seen = connect(server.addr, trusting_client(true), dns("alpn.test")).unwrap();
    assert_eq!(seen.alpn.as_deref(), Some(&b"http/1.1"[..]));
}

#[test]
fn certificate_for_follows_the_same_rules() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("lookup CA");
    let a = ca.leaf(&["a.test"]);
    let w = ca.leaf(&["*.w.test"]);
    let store = CertStore::load(&[a.write(dir.path(), "a"), w.write(dir.path(), "w")]).unwrap();
    let fp = |sni| store.certificate_for(sni).unwrap().fingerprint_sha256;
    assert_eq!(fp(Some("x.w.test")), w.fingerprint);
    assert_eq!(fp(Some("x.w.test.")), w.fingerprint);
    assert_eq!(fp(Some("w.test")), a.fingerprint);
    assert_eq!(fp(None), a.fingerprint);
    assert_eq!(fp(Some("")), a.fingerprint);
}
