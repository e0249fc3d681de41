//! The one error type of this crate. Every variant that concerns a file names it.

use std::path::PathBuf;

/// Why a TLS operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A certificate, key or CA file does not exist.
    #[error("{}: file not found", path.display())]
    MissingFile {
        /// The file that was looked for.
        path: PathBuf,
    },
    /// A file exists but could not be read (permissions, I/O error, not a regular file).
    #[error("{}: cannot read: {source}", path.display())]
    ReadFile {
        /// The file that could not be read.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A PEM file is larger than [`crate::MAX_PEM_FILE_BYTES`].
    #[error("{}: larger than the limit of {limit} bytes", path.display())]
    FileTooLarge {
        /// The oversized file.
        path: PathBuf,
        /// The limit in bytes.
        limit: u64,
    },
    /// A PEM file is syntactically broken (bad base64, missing END line, ...).
    #[error("{}: invalid PEM: {reason}", path.display())]
    InvalidPem {
        /// The file with broken PEM.
        path: PathBuf,
        /// What the PEM decoder reported.
        reason: String,
    },
    /// A certificate or CA file holds no `CERTIFICATE` section.
    #[error("{}: no certificate found in PEM", path.display())]
    NoCertificate {
        /// The file without certificates.
        path: PathBuf,
    },
    /// A certificate chain is longer than [`crate::MAX_CHAIN_LEN`].
    #[error("{}: {count} certificates, more than the limit of {limit}", path.display())]
    ChainTooLong {
        /// The file with the chain.
        path: PathBuf,
        /// How many certificates were found.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// A certificate's DER could not be parsed as X.509, or a CA certificate was rejected.
    #[error("{}: invalid certificate: {reason}", path.display())]
    InvalidCertificate {
        /// The file with the bad certificate.
        path: PathBuf,
        /// What the parser reported.
        reason: String,
    },
    /// A key file holds no private key (PKCS#8, PKCS#1 or SEC1).
    #[error("{}: no private key found in PEM (expected PKCS#8, PKCS#1 or SEC1)", path.display())]
    NoPrivateKey {
        /// The file without a key.
        path: PathBuf,
    },
    /// A private key was found but the crypto provider cannot use it (unsupported algorithm or
    /// curve, corrupt key).
    #[error("{}: unusable private key: {reason}", path.display())]
    UnsupportedKey {
        /// The key file.
        path: PathBuf,
        /// What the provider reported.
        reason: String,
    },
    /// The private key does not belong to the leaf certificate.
    #[error("{}: private key does not match the certificate in {}", key_file.display(), cert_file.display())]
    KeyMismatch {
        /// The certificate file.
        cert_file: PathBuf,
        /// The key file.
        key_file: PathBuf,
    },
    /// [`crate::CertStore::load`] was called without any certificate source.
    #[error("no certificate configured")]
    NoCertificateSources,
    /// A host name cannot be used as a TLS server name (SNI / verification).
    #[error("invalid TLS server name {name:?}")]
    InvalidServerName {
        /// The rejected name.
        name: String,
    },
    /// A name given for a development certificate is not a valid DNS name or IP address.
    #[error("invalid name {name:?} for a development certificate: {reason}")]
    InvalidCertificateName {
        /// The rejected name.
        name: String,
        /// What the generator reported.
        reason: String,
    },
    /// Generating a key or certificate failed.
    #[error("generating a development certificate failed: {reason}")]
    Generate {
        /// What the generator reported.
        reason: String,
    },
    /// Writing a file (development certificate or key) failed.
    #[error("{}: cannot write: {source}", path.display())]
    WriteFile {
        /// The file that could not be written.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// rustls refused a configuration (a bug in the policy tables if it ever happens).
    #[error("rustls rejected the {what} configuration: {source}")]
    Config {
        /// Which configuration was being built.
        what: &'static str,
        /// The error from rustls.
        #[source]
        source: rustls::Error,
    },
}
