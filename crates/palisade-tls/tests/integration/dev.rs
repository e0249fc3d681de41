//! Development certificates: generated, reused, regenerated, key mode 0600.

use std::time::{Duration, SystemTime};

use palisade_tls::{CertStore, DEV_CERT_FILE, DEV_KEY_FILE, generate_dev_certificate};

use crate::common::TestCa;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn fingerprint(source: &palisade_config::CertificateSource) -> String {
    CertStore::load(std::slice::from_ref(source))
        .unwrap()
        .certificates()[0]
        .fingerprint_sha256
        .clone()
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn generated_with_requested_and_default_names() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("certs");
    let source = generate_dev_certificate(&out, &names(&["App.Test"])).unwrap();
    assert_eq!(source.cert_file, out.join(DEV_CERT_FILE));
    assert_eq!(source.key_file, out.join(DEV_KEY_FILE));
    #[cfg(unix)]
    assert_eq!(mode(&source.key_file), 0o600);
    let store = CertStore::load(std::slice::from_ref(&source)).unwrap();
    let info = &store.certificates()[0];
    let mut got = info.names.clone();
    got.sort();
    assert_eq!(got, ["127.0.0.1", "::1", "app.test", "localhost"]);
    let left = info.not_after.duration_since(SystemTime::now()).unwrap();
    let day = Duration::from_secs(86_400);
    assert!(left > 89 * day && left <= 90 * day, "{left:?}");
    let key = std::fs::read_to_string(&source.key_file).unwrap();
    assert!(key.contains("BEGIN PRIVATE KEY"));
    assert_ecdsa_p256_self_signed(&std::fs::read(&source.cert_file).unwrap());
    assert_eq!(
        store
            .certificate_for(Some("APP.test"))
            .unwrap()
            .fingerprint_sha256,
        info.fingerprint_sha256
    );
}

#[test]
fn reused_then_regenerated_when_names_grow() {
    let dir = tempfile::tempdir().unwrap();
    let first = generate_dev_certificate(dir.path(), &names(&["a.test", "b.test"])).unwrap();
    let fp1 = fingerprint(&first);
    let pem1 = std::fs::read(&first.cert_file).unwrap();

    let again = generate_dev_certificate(dir.path(), &names(&["a.test", "b.test"])).unwrap();
    assert_eq!(fingerprint(&again), fp1, "same names: reused");
    assert_eq!(
        std::fs::read(&again.cert_file).unwrap(),
        pem1,
        "file untouched"
    );

    let subset = generate_dev_certificate(dir.path(), &names(&["B.TEST"])).unwrap();
    assert_eq!(fingerprint(&subset), fp1, "covered names: reused");

    let grown = generate_dev_certificate(dir.path(), &names(&["a.test", "c.test"])).unwrap();
    let fp2 = fingerprint(&grown);
    assert_ne!(fp2, fp1, "new name: regenerated");
    let store = CertStore::load(std::slice::from_ref(&grown)).unwrap();
    assert!(store.certificates()[0].names.contains(&"c.test".to_owned()));
    #[cfg(unix)]
    assert_eq!(mode(&grown.key_file), 0o600);
}

#[test]
fn regenerated_when_expiring_or_broken() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A matching pair that expires in a few days, in place of the dev files.
    let ca = TestCa::new("expiring");
    let soon = SystemTime::now() + Duration::from_secs(3 * 86_400);
    let leaf = ca.leaf_with(
        &["localhost", "127.0.0.1", "::1", "x.test"],
        &rcgen::PKCS_ECDSA_P256_SHA256,
        Some(soon),
    );
    std::fs::write(d.join(DEV_CERT_FILE), &leaf.cert_pem).unwrap();
    std::fs::write(d.join(DEV_KEY_FILE), &leaf.key_pem).unwrap();
    let source = generate_dev_certificate(d, &names(&["x.test"])).unwrap();
    assert_ne!(
        fingerprint(&source),
        leaf.fingerprint,
        "expiring soon: regenerated"
    );

    // A corrupt key: regenerated.
    let before = fingerprint(&source);
    std::fs::write(&source.key_file, "garbage").unwrap();
    let source = generate_dev_certificate(d, &names(&["x.test"])).unwrap();
    assert_ne!(fingerprint(&source), before);
}

#[cfg(unix)]
#[test]
fn reuse_tightens_key_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let source = generate_dev_certificate(dir.path(), &[]).unwrap();
    std::fs::set_permissions(&source.key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let fp = fingerprint(&source);
    let again = generate_dev_certificate(dir.path(), &[]).unwrap();
    assert_eq!(fingerprint(&again), fp);
    assert_eq!(mode(&again.key_file), 0o600);
}

#[test]
fn invalid_names_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let err = generate_dev_certificate(dir.path(), &names(&["bad name"])).unwrap_err();
    assert!(err.to_string().contains("bad name"), "{err}");
    assert!(!dir.path().join(DEV_CERT_FILE).exists());
}

/// The SPKI is id-ecPublicKey on prime256v1, signed with ecdsa-with-SHA256 by itself.
fn assert_ecdsa_p256_self_signed(pem: &[u8]) {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    use x509_parser::prelude::FromDer;
    let der = CertificateDer::from_pem_slice(pem).unwrap();
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(&der).unwrap();
    let spki = cert.public_key();
    assert_eq!(spki.algorithm.algorithm.to_id_string(), "1.2.840.10045.2.1");
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .unwrap()
        .as_oid()
        .unwrap();
    assert_eq!(curve.to_id_string(), "1.2.840.10045.3.1.7");
    assert_eq!(
        cert.signature_algorithm.algorithm.to_id_string(),
        "1.2.840.10045.4.3.2"
    );
    assert_eq!(cert.subject(), cert.issuer());
}
