//! Upstream client configurations: custom CA, wrong CA, name mismatch, dangerous skip.

use std::sync::Arc;

use palisade_config::{TlsPolicyName, UpstreamTls};
use palisade_tls::{CertStore, TlsError, client_config, server_config, upstream_server_name};

use crate::common::{TestCa, TestServer, connect, dns};

struct Origin {
    _dir: tempfile::TempDir,
    server: TestServer,
    ca_file: std::path::PathBuf,
    other_ca_file: std::path::PathBuf,
    fingerprint: String,
}

fn origin() -> Origin {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("origin CA");
    let other = TestCa::new("some other CA");
    let leaf = ca.leaf(&["origin.test", "127.0.0.1"]);
    let store = Arc::new(CertStore::load(&[leaf.write(dir.path(), "origin")]).unwrap());
    let server = TestServer::start(server_config(TlsPolicyName::Tls12_2021, store, true).unwrap());
    Origin {
        ca_file: ca.write(dir.path(), "ca.pem"),
        other_ca_file: other.write(dir.path(), "other-ca.pem"),
        fingerprint: leaf.fingerprint,
        server,
        _dir: dir,
    }
}

fn upstream(ca_file: Option<&std::path::Path>, skip: bool) -> UpstreamTls {
    UpstreamTls {
        ca_file: ca_file.map(ToOwned::to_owned),
        server_name: None,
        dangerous_skip_verify: skip,
    }
}

#[test]
fn custom_ca_verifies() {
    let o = origin();
    let tls = upstream(Some(&o.ca_file), false);
    let seen = connect(
        o.server.addr,
        client_config(&tls, true).unwrap(),
        dns("origin.test"),
    )
    .unwrap();
    assert_eq!(seen.fingerprint, o.fingerprint);
    assert_eq!(seen.alpn.as_deref(), Some(&b"h2"[..]));
    // An IP SAN verifies too.
    let ip = upstream_server_name(&tls, "127.0.0.1").unwrap();
    connect(o.server.addr, client_config(&tls, false).unwrap(), ip).unwrap();
}

#[test]
fn server_name_override_is_used_for_verification() {
    let o = origin();
    let mut tls = upstream(Some(&o.ca_file), false);
    tls.server_name = Some("origin.test".to_owned());
    let name = upstream_server_name(&tls, "localhost").unwrap();
    connect(o.server.addr, client_config(&tls, false).unwrap(), name).unwrap();
}

#[test]
fn other_ca_and_builtin_roots_reject() {
    let o = origin();
    for tls in [
        upstream(Some(&o.other_ca_file), false),
        upstream(None, false),
    ] {
        let err = connect(
            o.server.addr,
            client_config(&tls, false).unwrap(),
            dns("origin.test"),
        )
        .unwrap_err();
        assert!(err.contains("UnknownIssuer"), "{err}");
    }
}

#[test]
fn wrong_name_rejects() {
    let o = origin();
    let tls = upstream(Some(&o.ca_file), false);
    let err = connect(
        o.server.addr,
        client_config(&tls, false).unwrap(),
        dns("elsewhere.test"),
    )
    .unwrap_err();
    assert!(err.contains("not valid for name"), "{err}");
}

#[test]
fn dangerous_skip_verify_accepts_unknown_issuer_and_name() {
    let o = origin();
    let tls = upstream(Some(&o.other_ca_file), true);
    let seen = connect(
        o.server.addr,
        client_config(&tls, false).unwrap(),
        dns("elsewhere.test"),
    )
    .unwrap();
    assert_eq!(seen.fingerprint, o.fingerprint);
}

#[test]
fn bad_ca_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty-ca.pem");
    std::fs::write(&empty, "nothing here").unwrap();
    match client_config(&upstream(Some(&empty), false), false) {
        Err(TlsError::NoCertificate { path }) => assert_eq!(path, empty),
        other => panic!("{other:?}"),
    }
    let garbage = dir.path().join("garbage-ca.pem");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    match client_config(&upstream(Some(&garbage), false), false) {
        Err(e @ TlsError::InvalidCertificate { .. }) => {
            assert!(e.to_string().contains("garbage-ca.pem"))
        }
        other => panic!("{other:?}"),
    }
}
