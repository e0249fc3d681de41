//! Hot reload: rewritten files take effect atomically; broken rewrites keep the old set.

use std::sync::Arc;

use palisade_config::TlsPolicyName;
use palisade_tls::{CertStore, TlsError, server_config};

use crate::common::{TestCa, TestServer, connect, dns, trusting_client};

#[test]
fn reload_swaps_on_change_and_keeps_old_on_error() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("reload CA");
    let first = ca.leaf(&["reload.test"]);
    let source = first.write(dir.path(), "site");
    let store = Arc::new(CertStore::load(std::slice::from_ref(&source)).unwrap());
    let server = TestServer::start(
        server_config(TlsPolicyName::Tls12_2021, Arc::clone(&store), false).unwrap(),
    );
    let served = || {
        connect(server.addr, trusting_client(false), dns("reload.test"))
            .unwrap()
            .fingerprint
    };
    assert_eq!(served(), first.fingerprint);
    assert!(!store.reload_if_changed().unwrap(), "nothing changed yet");

    // A valid rewrite is picked up.
    let second = ca.leaf(&["reload.test"]);
    second.write(dir.path(), "site");
    assert!(store.reload_if_changed().unwrap());
    assert_eq!(served(), second.fingerprint);
    assert_eq!(
        store.certificates()[0].fingerprint_sha256,
        second.fingerprint
    );
    assert!(
        !store.reload_if_changed().unwrap(),
        "second check sees no change"
    );

    // A broken certificate file: error naming the file, old certificate still served.
    std::fs::write(&source.cert_file, "-----BEGIN CERTIFICATE-----\n!!!\n").unwrap();
    match store.reload_if_changed() {
        Err(TlsError::InvalidPem { path, .. }) => assert_eq!(path, source.cert_file),
        other => panic!("expected InvalidPem, got {other:?}"),
    }
    assert_eq!(served(), second.fingerprint);
    assert_eq!(
        store.certificates()[0].fingerprint_sha256,
        second.fingerprint
    );

    // A new certificate with the old key (half-finished rotation): mismatch, old kept.
    let third = ca.leaf(&["reload.test"]);
    std::fs::write(&source.cert_file, &third.cert_pem).unwrap();
    let err = store.reload_if_changed().unwrap_err();
    assert!(matches!(err, TlsError::KeyMismatch { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&source.cert_file.display().to_string()),
        "{message}"
    );
    assert!(
        message.contains(&source.key_file.display().to_string()),
        "{message}"
    );
    assert_eq!(served(), second.fingerprint);

    // The key file disappears: error naming it, old kept.
    std::fs::remove_file(&source.key_file).unwrap();
    match store.reload_if_changed() {
        Err(TlsError::MissingFile { path }) => assert_eq!(path, source.key_file),
        other => panic!("expected MissingFile, got {other:?}"),
    }
    assert_eq!(served(), second.fingerprint);

    // Rotation finished: the matching key arrives.
    std::fs::write(&source.key_file, &third.key_pem).unwrap();
    assert!(store.reload_if_changed().unwrap());
    assert_eq!(served(), third.fingerprint);
}

#[test]
fn reload_is_all_or_nothing_across_sources() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("multi CA");
    let a1 = ca.leaf(&["a.test"]);
    let b1 = ca.leaf(&["b.test"]);
    let sa = a1.write(dir.path(), "a");
    let sb = b1.write(dir.path(), "b");
    let store = CertStore::load(&[sa, sb.clone()]).unwrap();
    // `a` changes validly, `b` breaks: neither change is applied.
    ca.leaf(&["a.test"]).write(dir.path(), "a");
    std::fs::write(&sb.key_file, "no key here").unwrap();
    assert!(matches!(
        store.reload_if_changed(),
        Err(TlsError::NoPrivateKey { .. })
    ));
    let now: Vec<_> = store
        .certificates()
        .into_iter()
        .map(|c| c.fingerprint_sha256)
        .collect();
    assert_eq!(now, [a1.fingerprint, b1.fingerprint]);
}
