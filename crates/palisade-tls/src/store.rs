//! The certificate store: PEM files to rustls keys, SNI resolution, hot reload.
//!
//! # SNI resolution
//!
//! For a ClientHello with server name `n` (compared case-insensitively, a trailing dot
//! ignored), the store answers with, in this order:
//!
//! 1. a certificate with a SAN DNS name equal to `n`;
//! 2. a certificate with a wildcard SAN `*.rest` where `n` is `label.rest` with exactly one
//!    non-empty leftmost label (`*.example.com` matches `a.example.com`, not `example.com`
//!    nor `a.b.example.com`);
//! 3. otherwise, and also when the client sent no SNI, the **first** configured certificate
//!    (the first [`CertificateSource`] given to [`CertStore::load`]).
//!
//! The default in step 3 is deliberate: clients that send no SNI (old clients, scanners,
//! clients connecting by IP address) get a certificate instead of a handshake failure, and the
//! operator chooses which one by its position in the configuration. Such clients will usually
//! reject it for a name mismatch, which is the right outcome.
//!
//! When several certificates match in the same step (an RSA and an ECDSA certificate for the
//! same name), the first one whose key can sign with a signature scheme the client offered
//! wins; if none can, the first one in configuration order.
//!
//! Only SAN entries are matched; the subject common name is ignored, as clients ignore it.
//!
//! # Expired certificates
//!
//! Loading an expired certificate is allowed (refusing would turn an expired certificate into
//! a dead listener), but it is visible: a `warn` event is logged at every load, and
//! [`CertInfo::not_after`] / [`CertInfo::is_expired_at`] let metrics and `palisade validate`
//! report it.
//!
//! # Hot reload
//!
//! [`CertStore::reload_if_changed`] re-reads every file (each bounded by
//! [`MAX_PEM_FILE_BYTES`]) and compares SHA-256 digests of the contents with those of the
//! set in service. Contents rather than modification times are compared so that a rewrite
//! within the file system's timestamp granularity, or a restored backup with an old mtime,
//! is still noticed. If anything changed, the whole set is parsed again and swapped in
//! atomically; handshakes already past certificate selection keep the old keys. If any file
//! is missing or broken, nothing is swapped and the old set stays in service.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use palisade_config::CertificateSource;
use rustls::crypto::KeyProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{InconsistentKeys, SignatureScheme};
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

use crate::TlsError;
use crate::x509::leaf_facts;

/// Largest certificate, key or CA file read, in bytes. Real chains are a few KiB; a CA bundle
/// with every public root is about 250 KiB.
pub const MAX_PEM_FILE_BYTES: u64 = 1024 * 1024;

/// Most certificates accepted in one chain file (leaf plus intermediates).
pub const MAX_CHAIN_LEN: usize = 10;

/// What the store knows about one loaded certificate, for metrics and `palisade validate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// SAN entries of the leaf: DNS names as written (wildcards included), then IP addresses.
    pub names: Vec<String>,
    /// End of the leaf's validity. May be in the past: expired certificates load (see the
    /// module docs) and are reported here.
    pub not_after: SystemTime,
    /// The PEM file the chain came from.
    pub cert_file: PathBuf,
    /// SHA-256 of the leaf certificate's DER, lowercase hex without separators.
    pub fingerprint_sha256: String,
}

impl CertInfo {
    /// Whether the certificate is expired at `now`.
    pub fn is_expired_at(&self, now: SystemTime) -> bool {
        self.not_after <= now
    }

    /// Validity left at `now`; `None` once expired.
    pub fn remaining_at(&self, now: SystemTime) -> Option<Duration> {
        self.not_after
            .duration_since(now)
            .ok()
            .filter(|d| !d.is_zero())
    }
}

/// Loaded certificates with SNI lookup and atomic hot reload. Cheap to share behind an `Arc`;
/// implements [`ResolvesServerCert`] so it plugs into a [`rustls::ServerConfig`] directly.
pub struct CertStore {
    sources: Vec<CertificateSource>,
    key_provider: &'static dyn KeyProvider,
    current: ArcSwap<Snapshot>,
    /// Serialises reloads so two concurrent callers cannot interleave read and swap.
    reload_lock: Mutex<()>,
}

/// One immutable generation of the store.
struct Snapshot {
    entries: Vec<Entry>,
    /// Normalised exact SAN name -> entry indices, in configuration order.
    exact: HashMap<String, Vec<usize>>,
    /// Normalised wildcard suffix (`example.com` for `*.example.com`) -> entry indices.
    wildcard: HashMap<String, Vec<usize>>,
    /// Per source: SHA-256 of the cert file and of the key file as loaded.
    digests: Vec<FileDigests>,
}

struct Entry {
    key: Arc<CertifiedKey>,
    info: CertInfo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileDigests {
    cert: [u8; 32],
    key: [u8; 32],
}

/// The raw contents of one source's files.
struct SourceBytes {
    cert: Vec<u8>,
    key: Vec<u8>,
}

impl CertStore {
    /// Load every source. On failure returns **all** errors found, each naming its file, so
    /// one run of `palisade validate` shows everything to fix.
    pub fn load(sources: &[CertificateSource]) -> Result<CertStore, Vec<TlsError>> {
        if sources.is_empty() {
            return Err(vec![TlsError::NoCertificateSources]);
        }
        let key_provider = rustls::crypto::aws_lc_rs::default_provider().key_provider;
        let snapshot = build_snapshot(sources, key_provider)?;
        log_warnings(&snapshot);
        Ok(CertStore {
            sources: sources.to_vec(),
            key_provider,
            current: ArcSwap::from_pointee(snapshot),
            reload_lock: Mutex::new(()),
        })
    }

    /// Re-read the files and swap in the new set if any content changed.
    ///
    /// Returns `Ok(true)` when a new set was installed, `Ok(false)` when nothing changed.
    /// On error the old set keeps serving; the first error is returned and every error is
    /// logged at `warn`.
    pub fn reload_if_changed(&self) -> Result<bool, TlsError> {
        // A poisoned lock only means another reload panicked between read and swap; the
        // guarded data is `()`, so continuing is safe.
        let _guard = self
            .reload_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let current = self.current.load();
        let reads = read_all(&self.sources);
        if digests_of(&reads).is_some_and(|d| d == current.digests) {
            return Ok(false);
        }
        let snapshot = match snapshot_from_reads(&self.sources, reads, self.key_provider) {
            Ok(snapshot) => snapshot,
            Err(errors) => return Err(first_logged(errors)),
        };
        log_warnings(&snapshot);
        tracing::info!(
            certificates = snapshot.entries.len(),
            "TLS certificates reloaded"
        );
        self.current.store(Arc::new(snapshot));
        Ok(true)
    }

    /// What is in service now, in configuration order.
    pub fn certificates(&self) -> Vec<CertInfo> {
        self.current
            .load()
            .entries
            .iter()
            .map(|e| e.info.clone())
            .collect()
    }

    /// Which certificate a handshake with this SNI name (or none) would get, by the rules in
    /// the module docs, ignoring signature schemes.
    pub fn certificate_for(&self, server_name: Option<&str>) -> Option<CertInfo> {
        let snapshot = self.current.load();
        snapshot
            .select(server_name, &[])
            .map(|i| snapshot.entries[i].info.clone())
    }

    /// The sources this store watches.
    pub fn sources(&self) -> &[CertificateSource] {
        &self.sources
    }
}

impl fmt::Debug for CertStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertStore")
            .field("sources", &self.sources)
            .field("certificates", &self.current.load().entries.len())
            .finish_non_exhaustive()
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let snapshot = self.current.load();
        let index =
            snapshot.select(client_hello.server_name(), client_hello.signature_schemes())?;
        Some(Arc::clone(&snapshot.entries[index].key))
    }
}

impl Snapshot {
    fn new(entries: Vec<Entry>, digests: Vec<FileDigests>) -> Self {
        let mut exact: HashMap<String, Vec<usize>> = HashMap::new();
        let mut wildcard: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, entry) in entries.iter().enumerate() {
            for name in &entry.info.names {
                let name = normalize(name);
                match name.strip_prefix("*.") {
                    Some(suffix) if !suffix.is_empty() && !suffix.contains('*') => {
                        push_unique(wildcard.entry(suffix.to_owned()).or_default(), index);
                    }
                    _ => push_unique(exact.entry(name).or_default(), index),
                }
            }
        }
        Snapshot {
            entries,
            exact,
            wildcard,
            digests,
        }
    }

    /// Index of the entry for `server_name`, by exact, wildcard, then default.
    fn select(&self, server_name: Option<&str>, schemes: &[SignatureScheme]) -> Option<usize> {
        if let Some(name) = server_name.map(normalize).filter(|n| !n.is_empty()) {
            if let Some(candidates) = self.exact.get(&name) {
                return self.best(candidates, schemes);
            }
            if let Some((label, suffix)) = name.split_once('.')
                && !label.is_empty()
                && let Some(candidates) = self.wildcard.get(suffix)
            {
                return self.best(candidates, schemes);
            }
        }
        if self.entries.is_empty() {
            None
        } else {
            Some(0)
        }
    }

    fn best(&self, candidates: &[usize], schemes: &[SignatureScheme]) -> Option<usize> {
        candidates
            .iter()
            .copied()
            .find(|&i| self.entries[i].key.key.choose_scheme(schemes).is_some())
            .or_else(|| candidates.first().copied())
    }
}

impl SourceBytes {
    fn digests(&self) -> FileDigests {
        FileDigests {
            cert: Sha256::digest(&self.cert).into(),
            key: Sha256::digest(&self.key).into(),
        }
    }
}

fn push_unique(list: &mut Vec<usize>, index: usize) {
    if !list.contains(&index) {
        list.push(index);
    }
}

/// Lowercase, without a trailing dot.
fn normalize(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

fn first_logged(errors: Vec<TlsError>) -> TlsError {
    for error in &errors {
        tracing::warn!(%error, "TLS certificate reload failed; keeping the certificates in service");
    }
    let mut errors = errors.into_iter();
    // `snapshot_from_reads` only returns `Err` with at least one error.
    errors.next().unwrap_or(TlsError::NoCertificateSources)
}

fn log_warnings(snapshot: &Snapshot) {
    let now = SystemTime::now();
    for entry in &snapshot.entries {
        let info = &entry.info;
        if info.is_expired_at(now) {
            tracing::warn!(
                cert_file = %info.cert_file.display(),
                fingerprint = %info.fingerprint_sha256,
                "TLS certificate is expired; serving it anyway"
            );
        }
        if info.names.is_empty() {
            tracing::warn!(
                cert_file = %info.cert_file.display(),
                "TLS certificate has no subject alternative names; only usable as the default"
            );
        }
    }
}

fn build_snapshot(
    sources: &[CertificateSource],
    key_provider: &'static dyn KeyProvider,
) -> Result<Snapshot, Vec<TlsError>> {
    let reads = read_all(sources);
    snapshot_from_reads(sources, reads, key_provider)
}

/// Read every file of every source. Each file is read once even when the certificate and
/// key share one file.
fn read_all(sources: &[CertificateSource]) -> Vec<Result<SourceBytes, Vec<TlsError>>> {
    sources.iter().map(read_source).collect()
}

fn read_source(source: &CertificateSource) -> Result<SourceBytes, Vec<TlsError>> {
    let cert = read_pem_file(&source.cert_file);
    if source.key_file == source.cert_file {
        return match cert {
            Ok(cert) => Ok(SourceBytes {
                key: cert.clone(),
                cert,
            }),
            Err(error) => Err(vec![error]),
        };
    }
    let key = read_pem_file(&source.key_file);
    match (cert, key) {
        (Ok(cert), Ok(key)) => Ok(SourceBytes { cert, key }),
        (cert, key) => Err(cert.err().into_iter().chain(key.err()).collect()),
    }
}

/// Digests of every source, or `None` if any could not be read.
fn digests_of(reads: &[Result<SourceBytes, Vec<TlsError>>]) -> Option<Vec<FileDigests>> {
    reads
        .iter()
        .map(|r| r.as_ref().ok().map(SourceBytes::digests))
        .collect()
}

/// Parse every source that could be read; collect every error, read or parse.
fn snapshot_from_reads(
    sources: &[CertificateSource],
    reads: Vec<Result<SourceBytes, Vec<TlsError>>>,
    key_provider: &'static dyn KeyProvider,
) -> Result<Snapshot, Vec<TlsError>> {
    let mut errors = Vec::new();
    let mut entries = Vec::with_capacity(sources.len());
    let mut digests = Vec::with_capacity(sources.len());
    for (source, read) in sources.iter().zip(reads) {
        match read {
            Ok(bytes) => match parse_entry(source, &bytes, key_provider) {
                Ok(entry) => {
                    entries.push(entry);
                    digests.push(bytes.digests());
                }
                Err(error) => errors.push(error),
            },
            Err(read_errors) => errors.extend(read_errors),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Snapshot::new(entries, digests))
}

/// Read a file of at most [`MAX_PEM_FILE_BYTES`].
pub(crate) fn read_pem_file(path: &Path) -> Result<Vec<u8>, TlsError> {
    let file = std::fs::File::open(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => TlsError::MissingFile {
            path: path.to_owned(),
        },
        _ => TlsError::ReadFile {
            path: path.to_owned(),
            source,
        },
    })?;
    let mut bytes = Vec::new();
    let mut limited = file.take(MAX_PEM_FILE_BYTES + 1);
    // Bounded: `limited` yields at most MAX_PEM_FILE_BYTES + 1 bytes.
    #[allow(clippy::disallowed_methods)]
    let read = limited.read_to_end(&mut bytes);
    read.map_err(|source| TlsError::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    if bytes.len() as u64 > MAX_PEM_FILE_BYTES {
        return Err(TlsError::FileTooLarge {
            path: path.to_owned(),
            limit: MAX_PEM_FILE_BYTES,
        });
    }
    Ok(bytes)
}

/// Every `CERTIFICATE` section of a PEM file, at most [`MAX_CHAIN_LEN`], at least one.
pub(crate) fn parse_cert_chain(
    path: &Path,
    bytes: &[u8],
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let mut chain = Vec::new();
    for item in CertificateDer::pem_slice_iter(bytes) {
        let cert = item.map_err(|e| invalid_pem(path, &e))?;
        chain.push(cert);
        if chain.len() > MAX_CHAIN_LEN {
            return Err(TlsError::ChainTooLong {
                path: path.to_owned(),
                count: CertificateDer::pem_slice_iter(bytes).count(),
                limit: MAX_CHAIN_LEN,
            });
        }
    }
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(chain)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) of a PEM file.
pub(crate) fn parse_private_key(
    path: &Path,
    bytes: &[u8],
) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(bytes).map_err(|e| match e {
        pem::Error::NoItemsFound => TlsError::NoPrivateKey {
            path: path.to_owned(),
        },
        other => invalid_pem(path, &other),
    })
}

fn invalid_pem(path: &Path, error: &pem::Error) -> TlsError {
    TlsError::InvalidPem {
        path: path.to_owned(),
        reason: error.to_string(),
    }
}

/// Parse, load and cross-check one source.
pub(crate) fn certified_key(
    source: &CertificateSource,
    cert_bytes: &[u8],
    key_bytes: &[u8],
    key_provider: &dyn KeyProvider,
) -> Result<(CertifiedKey, CertInfo), TlsError> {
    let chain = parse_cert_chain(&source.cert_file, cert_bytes)?;
    let facts = leaf_facts(&chain[0]).map_err(|reason| TlsError::InvalidCertificate {
        path: source.cert_file.clone(),
        reason,
    })?;
    let key_der = parse_private_key(&source.key_file, key_bytes)?;
    let signing_key =
        key_provider
            .load_private_key(key_der)
            .map_err(|e| TlsError::UnsupportedKey {
                path: source.key_file.clone(),
                reason: e.to_string(),
            })?;
    let fingerprint_sha256 = hex::encode(Sha256::digest(chain[0].as_ref()));
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        Ok(()) => {}
        Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => {
            return Err(TlsError::KeyMismatch {
                cert_file: source.cert_file.clone(),
                key_file: source.key_file.clone(),
            });
        }
        Err(other) => {
            return Err(TlsError::UnsupportedKey {
                path: source.key_file.clone(),
                reason: format!("cannot check that the key matches the certificate: {other}"),
            });
        }
    }
    let mut names = facts.dns_names;
    names.extend(facts.ip_addresses.iter().map(|ip| ip.to_string()));
    let info = CertInfo {
        names,
        not_after: facts.not_after,
        cert_file: source.cert_file.clone(),
        fingerprint_sha256,
    };
    Ok((certified, info))
}

fn parse_entry(
    source: &CertificateSource,
    bytes: &SourceBytes,
    key_provider: &dyn KeyProvider,
) -> Result<Entry, TlsError> {
    let (key, info) = certified_key(source, &bytes.cert, &bytes.key, key_provider)?;
    Ok(Entry {
        key: Arc::new(key),
        info,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<CertStore>();
        assert_send_sync::<CertInfo>();
    }

    #[test]
    fn normalize_lowercases_and_strips_the_root_dot() {
        assert_eq!(normalize("WWW.Example.COM."), "www.example.com");
        assert_eq!(normalize("a"), "a");
        assert_eq!(normalize(""), "");
        assert_eq!(normalize("."), "");
    }

    #[test]
    fn cert_info_expiry() {
        let info = CertInfo {
            names: vec![],
            not_after: SystemTime::UNIX_EPOCH + Duration::from_secs(100),
            cert_file: PathBuf::from("x.pem"),
            fingerprint_sha256: String::new(),
        };
        let at = |s| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
        assert!(!info.is_expired_at(at(99)));
        assert!(info.is_expired_at(at(100)));
        assert_eq!(info.remaining_at(at(40)), Some(Duration::from_secs(60)));
        assert_eq!(info.remaining_at(at(100)), None);
        assert_eq!(info.remaining_at(at(200)), None);
    }

    #[test]
    fn pem_without_certificates_is_no_certificate() {
        let p = Path::new("c.pem");
        for input in [
            &b""[..],
            b"hello",
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ] {
            assert!(matches!(
                parse_cert_chain(p, input),
                Err(TlsError::NoCertificate { .. })
            ));
        }
    }

    #[test]
    fn broken_pem_is_invalid_pem() {
        let p = Path::new("c.pem");
        let input = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            parse_cert_chain(p, input),
            Err(TlsError::InvalidPem { .. })
        ));
        let unterminated = b"-----BEGIN CERTIFICATE-----\nAAAA\n";
        assert!(matches!(
            parse_cert_chain(p, unterminated),
            Err(TlsError::InvalidPem { .. })
        ));
    }

    #[test]
    fn chain_limit() {
        let one = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let many = one.repeat(MAX_CHAIN_LEN + 1);
        match parse_cert_chain(Path::new("c.pem"), many.as_bytes()) {
            Err(TlsError::ChainTooLong { count, limit, .. }) => {
                assert_eq!(count, MAX_CHAIN_LEN + 1);
                assert_eq!(limit, MAX_CHAIN_LEN);
            }
            other => panic!("{other:?}"),
        }
        let ok = one.repeat(MAX_CHAIN_LEN);
        assert_eq!(
            parse_cert_chain(Path::new("c.pem"), ok.as_bytes())
                .unwrap()
                .len(),
            MAX_CHAIN_LEN
        );
    }

    #[test]
    fn no_key_is_no_private_key() {
        let p = Path::new("k.pem");
        let cert_only = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            parse_private_key(p, cert_only.as_bytes()),
            Err(TlsError::NoPrivateKey { .. })
        ));
        assert!(matches!(
            parse_private_key(p, b""),
            Err(TlsError::NoPrivateKey { .. })
        ));
    }
}
