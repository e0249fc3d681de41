//! Loading: every error at once, each naming its file; key formats; expired certificates.

use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use palisade_config::CertificateSource;
use palisade_tls::{CertStore, TlsError};

use crate::common::{TestCa, have_openssl};

fn source(dir: &Path, cert: &str, key: &str) -> CertificateSource {
    CertificateSource {
        cert_file: dir.join(cert),
        key_file: dir.join(key),
    }
}

#[test]
fn load_reports_every_error_with_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = TestCa::new("errors CA");
    let good = ca.leaf(&["good.test"]);
    let other = ca.leaf(&["other.test"]);
    good.write(d, "good");
    std::fs::write(d.join("empty.pem"), "").unwrap();
    std::fs::write(d.join("mismatch-key.pem"), &other.key_pem).unwrap();

    let sources = vec![
        source(d, "good-cert.pem", "good-key.pem"),
        source(d, "missing-cert.pem", "good-key.pem"),
        source(d, "good-cert.pem", "missing-key.pem"),
        source(d, "empty.pem", "good-key.pem"),
        source(d, "good-cert.pem", "good-cert.pem"),
        source(d, "good-cert.pem", "mismatch-key.pem"),
    ];
    let errors = CertStore::load(&sources).unwrap_err();
    let described: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 5, "{described:#?}");
    assert!(
        matches!(&errors[0], TlsError::MissingFile { path } if path.ends_with("missing-cert.pem"))
    );
    assert!(
        matches!(&errors[1], TlsError::MissingFile { path } if path.ends_with("missing-key.pem"))
    );
    assert!(matches!(&errors[2], TlsError::NoCertificate { path } if path.ends_with("empty.pem")));
    assert!(
        matches!(&errors[3], TlsError::NoPrivateKey { path } if path.ends_with("good-cert.pem"))
    );
    assert!(
        matches!(&errors[4], TlsError::KeyMismatch { key_file, .. } if key_file.ends_with("mismatch-key.pem"))
    );
    let files = [
        "missing-cert.pem",
        "missing-key.pem",
        "empty.pem",
        "good-cert.pem",
        "mismatch-key.pem",
    ];
    for (message, file) in described.iter().zip(files) {
        assert!(message.contains(file), "{message:?} should name {file}");
    }
}

#[test]
fn no_sources_is_an_error() {
    assert!(matches!(
        CertStore::load(&[]).unwrap_err().as_slice(),
        [TlsError::NoCertificateSources]
    ));
}

#[test]
fn unreadable_and_oversized_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = TestCa::new("size CA");
    ca.leaf(&["x.test"]).write(d, "x");
    // A folder where a file is expected: exists, cannot be read as a file.
    std::fs::create_dir(d.join("dir.pem")).unwrap();
    let big = vec![b'a'; palisade_tls::MAX_PEM_FILE_BYTES as usize + 1];
    std::fs::write(d.join("big.pem"), big).unwrap();
    let errors = CertStore::load(&[
        source(d, "dir.pem", "x-key.pem"),
        source(d, "big.pem", "x-key.pem"),
    ])
    .unwrap_err();
    assert!(
        matches!(&errors[0], TlsError::ReadFile { path, .. } if path.ends_with("dir.pem")),
        "{errors:?}"
    );
    assert!(
        matches!(&errors[1], TlsError::FileTooLarge { path, .. } if path.ends_with("big.pem")),
        "{errors:?}"
    );
}

#[test]
fn cert_and_key_in_one_file_and_chain() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("combined CA");
    let leaf = ca.leaf(&["combined.test"]);
    let path = dir.path().join("combined.pem");
    std::fs::write(
        &path,
        format!("{}{}{}", leaf.cert_pem, ca.cert_pem, leaf.key_pem),
    )
    .unwrap();
    let store = CertStore::load(&[CertificateSource {
        cert_file: path.clone(),
        key_file: path,
    }])
    .unwrap();
    assert_eq!(store.certificates()[0].fingerprint_sha256, leaf.fingerprint);
    assert_eq!(store.certificates()[0].names, ["combined.test"]);
}

#[test]
fn expired_certificate_loads_and_is_visible() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("expired CA");
    let leaf = ca.leaf_with(
        &["old.test"],
        &rcgen::PKCS_ECDSA_P256_SHA256,
        Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_577_836_800)),
    );
    let store = CertStore::load(&[leaf.write(dir.path(), "old")]).unwrap();
    let info = &store.certificates()[0];
    assert!(info.is_expired_at(SystemTime::now()));
    assert!(info.not_after < SystemTime::now());
}

/// RSA (PKCS#8 and PKCS#1) and ECDSA (PKCS#8 and SEC1) keys all load. The traditional
/// encodings are produced with `openssl pkey -traditional`.
#[test]
fn key_formats_rsa_ecdsa_pkcs8_pkcs1_sec1() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("formats CA");
    let cases = [
        ("rsa", &rcgen::PKCS_RSA_SHA256, "BEGIN RSA PRIVATE KEY"),
        (
            "p256",
            &rcgen::PKCS_ECDSA_P256_SHA256,
            "BEGIN EC PRIVATE KEY",
        ),
        (
            "p384",
            &rcgen::PKCS_ECDSA_P384_SHA384,
            "BEGIN EC PRIVATE KEY",
        ),
    ];
    let openssl = have_openssl();
    for (stem, alg, traditional_marker) in cases {
        let leaf = ca.leaf_with(&[&format!("{stem}.test")], alg, None);
        let src = leaf.write(dir.path(), stem);
        let pkcs8 = std::fs::read_to_string(&src.key_file).unwrap();
        assert!(
            pkcs8.contains("BEGIN PRIVATE KEY"),
            "{stem}: rcgen writes PKCS#8"
        );
        let store = CertStore::load(std::slice::from_ref(&src))
            .unwrap_or_else(|e| panic!("{stem} pkcs8: {e:?}"));
        assert_eq!(store.certificates()[0].fingerprint_sha256, leaf.fingerprint);
        if !openssl {
            continue;
        }
        let out = Command::new("openssl")
            .args(["pkey", "-traditional", "-in"])
            .arg(&src.key_file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let traditional = String::from_utf8(out.stdout).unwrap();
        assert!(
            traditional.contains(traditional_marker),
            "{stem}: {traditional}"
        );
        std::fs::write(&src.key_file, traditional).unwrap();
        let store = CertStore::load(std::slice::from_ref(&src))
            .unwrap_or_else(|e| panic!("{stem} traditional: {e:?}"));
        assert_eq!(store.certificates()[0].fingerprint_sha256, leaf.fingerprint);
    }
}
