//! `palisade cert dev`: a self-signed development certificate, reused while it is good.

use std::collections::BTreeSet;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use palisade_config::CertificateSource;
use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};

use crate::TlsError;
use crate::store::{certified_key, read_pem_file};

/// File name of the development certificate inside the chosen folder.
pub const DEV_CERT_FILE: &str = "dev-cert.pem";
/// File name of the development key inside the chosen folder (mode 0600 on Unix).
pub const DEV_KEY_FILE: &str = "dev-key.pem";
/// Validity of a new development certificate.
pub const DEV_CERT_VALIDITY: Duration = Duration::from_secs(90 * 24 * 60 * 60);
/// An existing development certificate is reused only while it has more than this left.
pub const DEV_CERT_MIN_REMAINING: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// Names every development certificate covers in addition to those asked for.
pub const DEV_CERT_DEFAULT_NAMES: &[&str] = &["localhost", "127.0.0.1", "::1"];
/// Backdating of `notBefore`, to tolerate small clock differences between machines.
const NOT_BEFORE_SLACK: Duration = Duration::from_secs(60 * 60);

/// Make sure `dir` holds a usable self-signed development certificate for `names` and return
/// its files.
///
/// The certificate is ECDSA P-256, its SANs are `names` plus `localhost`, `127.0.0.1` and
/// `::1` (IP literals become IP SANs), valid for 90 days. Existing `dev-cert.pem` /
/// `dev-key.pem` are reused when they load, match each other, cover every requested name
/// (case-insensitively) and stay valid for more than 7 more days; otherwise both are
/// replaced. Files are written to a temporary name and renamed into place; the key file is
/// created with mode 0600.
pub fn generate_dev_certificate(
    dir: &Path,
    names: &[String],
) -> Result<CertificateSource, TlsError> {
    let wanted = wanted_names(names)?;
    let source = CertificateSource {
        cert_file: dir.join(DEV_CERT_FILE),
        key_file: dir.join(DEV_KEY_FILE),
    };
    if reusable(&source, &wanted) {
        tracing::debug!(cert_file = %source.cert_file.display(), "reusing the development certificate");
        ensure_key_mode(&source.key_file)?;
        return Ok(source);
    }
    std::fs::create_dir_all(dir).map_err(|e| TlsError::WriteFile {
        path: dir.to_owned(),
        source: e,
    })?;
    let (cert_pem, key_pem) = generate(&wanted)?;
    write_file(&source.key_file, key_pem.as_bytes(), true)?;
    write_file(&source.cert_file, cert_pem.as_bytes(), false)?;
    tracing::info!(
        cert_file = %source.cert_file.display(),
        names = ?wanted.iter().map(Name::as_text).collect::<Vec<_>>(),
        "generated a development certificate"
    );
    Ok(source)
}

/// A requested SAN entry, normalised for comparison.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Name {
    Dns(String),
    Ip(IpAddr),
}

impl Name {
    fn parse(text: &str) -> Result<Name, TlsError> {
        let trimmed = text.trim();
        let unbracketed = trimmed
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .unwrap_or(trimmed);
        if let Ok(ip) = unbracketed.parse::<IpAddr>() {
            return Ok(Name::Ip(ip));
        }
        let dns = trimmed
            .strip_suffix('.')
            .unwrap_or(trimmed)
            .to_ascii_lowercase();
        let invalid = |reason: &str| TlsError::InvalidCertificateName {
            name: text.to_owned(),
            reason: reason.to_owned(),
        };
        let body = dns.strip_prefix("*.").unwrap_or(&dns);
        if body.is_empty() || body.len() > 253 {
            return Err(invalid("must be 1 to 253 characters"));
        }
        for label in body.split('.') {
            if label.is_empty() || label.len() > 63 {
                return Err(invalid("every label must be 1 to 63 characters"));
            }
            if !label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                || label.starts_with('-')
                || label.ends_with('-')
            {
                return Err(invalid("labels are letters, digits and inner hyphens"));
            }
        }
        Ok(Name::Dns(dns))
    }

    fn as_text(&self) -> String {
        match self {
            Name::Dns(d) => d.clone(),
            Name::Ip(ip) => ip.to_string(),
        }
    }
}

fn wanted_names(names: &[String]) -> Result<BTreeSet<Name>, TlsError> {
    names
        .iter()
        .map(String::as_str)
        .chain(DEV_CERT_DEFAULT_NAMES.iter().copied())
        .map(Name::parse)
        .collect()
}

/// Whether the existing files can be kept for `wanted`.
fn reusable(source: &CertificateSource, wanted: &BTreeSet<Name>) -> bool {
    let (Ok(cert), Ok(key)) = (
        read_pem_file(&source.cert_file),
        read_pem_file(&source.key_file),
    ) else {
        return false;
    };
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let Ok((_, info)) = certified_key(source, &cert, &key, provider.key_provider) else {
        return false;
    };
    let good_until = SystemTime::now() + DEV_CERT_MIN_REMAINING;
    if info.not_after <= good_until {
        return false;
    }
    let have: BTreeSet<Name> = info
        .names
        .iter()
        .filter_map(|n| Name::parse(n).ok())
        .collect();
    wanted.is_subset(&have)
}

fn generate(wanted: &BTreeSet<Name>) -> Result<(String, String), TlsError> {
    let generate_error = |e: rcgen::Error| TlsError::Generate {
        reason: e.to_string(),
    };
    let sans: Vec<String> = wanted.iter().map(Name::as_text).collect();
    let mut params = CertificateParams::new(sans).map_err(generate_error)?;
    let now = SystemTime::now();
    params.not_before = now.checked_sub(NOT_BEFORE_SLACK).unwrap_or(now).into();
    params.not_after = (now + DEV_CERT_VALIDITY).into();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "Palisade development certificate");
    dn.push(DnType::OrganizationName, "Palisade");
    params.distinguished_name = dn;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(generate_error)?;
    let cert = params.self_signed(&key).map_err(generate_error)?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// Write `bytes` to `path` through a temporary file in the same folder and a rename.
fn write_file(path: &Path, bytes: &[u8], private: bool) -> Result<(), TlsError> {
    let write_error = |source| TlsError::WriteFile {
        path: path.to_owned(),
        source,
    };
    let tmp = temporary_path(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&tmp)?;
        if private {
            // `mode` only applies at creation; a leftover temporary file keeps its old mode.
            set_private(&tmp)?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        // Best effort: the error that matters is the one returned below.
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(write_error)
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp.{}", std::process::id()));
    path.with_file_name(name)
}

fn ensure_key_mode(path: &Path) -> Result<(), TlsError> {
    set_private(path).map_err(|source| TlsError::WriteFile {
        path: path.to_owned(),
        source,
    })
}

#[cfg(unix)]
fn set_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if mode != 0o600 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn set_private(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_normalise() {
        let cases: &[(&str, Option<Name>)] = &[
            ("Example.COM", Some(Name::Dns("example.com".into()))),
            ("example.com.", Some(Name::Dns("example.com".into()))),
            ("*.example.com", Some(Name::Dns("*.example.com".into()))),
            ("127.0.0.1", Some(Name::Ip("127.0.0.1".parse().unwrap()))),
            ("[::1]", Some(Name::Ip("::1".parse().unwrap()))),
            ("", None),
            ("a..b", None),
            ("-a.b", None),
            ("a_b.c", None),
            ("a.*.c", None),
            ("exa mple.com", None),
        ];
        for (input, expected) in cases {
            assert_eq!(Name::parse(input).ok(), *expected, "{input:?}");
        }
        let long = format!("{}.com", "a".repeat(64));
        assert!(Name::parse(&long).is_err());
    }

    #[test]
    fn defaults_are_always_wanted() {
        let wanted = wanted_names(&["app.test".to_owned(), "LOCALHOST".to_owned()]).unwrap();
        let texts: Vec<_> = wanted.iter().map(Name::as_text).collect();
        assert_eq!(texts, ["app.test", "localhost", "127.0.0.1", "::1"]);
    }
}
