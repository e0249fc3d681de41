//! Shared helpers: a test CA, certificate files, a tokio-rustls server and client.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use palisade_config::{CertificateSource, UpstreamTls};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    SignatureAlgorithm,
};
use rustls::pki_types::ServerName;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// Bound on any single network step in these tests, so nothing hangs forever.
pub(crate) const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// A certificate authority made at test time.
pub(crate) struct TestCa {
    pub(crate) cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    pub(crate) fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).unwrap();
        TestCa {
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A leaf for `names` with an ECDSA P-256 key.
    pub(crate) fn leaf(&self, names: &[&str]) -> Leaf {
        self.leaf_with(names, &rcgen::PKCS_ECDSA_P256_SHA256, None)
    }

    /// A leaf for `names` with a key of `alg`, optionally with a fixed `notAfter`.
    pub(crate) fn leaf_with(
        &self,
        names: &[&str],
        alg: &'static SignatureAlgorithm,
        not_after: Option<std::time::SystemTime>,
    ) -> Leaf {
        let key = if alg == &rcgen::PKCS_RSA_SHA256 {
            KeyPair::generate_rsa_for(alg, rcgen::RsaKeySize::_2048).unwrap()
        } else {
            KeyPair::generate_for(alg).unwrap()
        };
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, names.first().copied().unwrap_or("leaf"));
        if let Some(not_after) = not_after {
            params.not_before = (not_after - Duration::from_secs(400 * 86_400)).into();
            params.not_after = not_after.into();
        }
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            fingerprint: hex::encode(Sha256::digest(cert.der())),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// A root store trusting only this CA.
    pub(crate) fn roots(&self) -> rustls::RootCertStore {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(self.cert_pem.as_bytes()).unwrap())
            .unwrap();
        roots
    }

    /// Write the CA certificate to `dir/name`.
    pub(crate) fn write(&self, dir: &Path, name: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, &self.cert_pem).unwrap();
        path
    }
}

/// A leaf certificate and its key, PEM.
#[derive(Clone)]
pub(crate) struct Leaf {
    pub(crate) cert_pem: String,
    pub(crate) key_pem: String,
    /// SHA-256 of the DER, lowercase hex (as `CertInfo::fingerprint_sha256`).
    pub(crate) fingerprint: String,
}

impl Leaf {
    /// Write `<stem>-cert.pem` and `<stem>-key.pem` into `dir`.
    pub(crate) fn write(&self, dir: &Path, stem: &str) -> CertificateSource {
        let source = CertificateSource {
            cert_file: dir.join(format!("{stem}-cert.pem")),
            key_file: dir.join(format!("{stem}-key.pem")),
        };
        std::fs::write(&source.cert_file, &self.cert_pem).unwrap();
        std::fs::write(&source.key_file, &self.key_pem).unwrap();
        source
    }
}

/// What the test server saw for one connection.
#[derive(Debug, Clone)]
pub(crate) enum ServerEvent {
    /// Handshake done: `(protocol, suite, sni)` from `session_labels`.
    Accepted(&'static str, &'static str, Option<String>),
    /// Handshake failed with this rustls error text.
    Refused(String),
}

/// A tokio-rustls server on 127.0.0.1:0 in its own thread. After each handshake it writes
/// `"<protocol> <suite>\n"` and closes. Stopped and joined on drop.
pub(crate) struct TestServer {
    pub(crate) addr: SocketAddr,
    pub(crate) events: Arc<Mutex<Vec<ServerEvent>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    pub(crate) fn start(config: Arc<rustls::ServerConfig>) -> TestServer {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let events = Arc::new(Mutex::new(Vec::new()));
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let thread_events = Arc::clone(&events);
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).unwrap();
                let acceptor = TlsAcceptor::from(config);
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => {
                            let Ok((tcp, _)) = accepted else { continue };
                            let acceptor = acceptor.clone();
                            let events = Arc::clone(&thread_events);
                            tokio::spawn(async move {
                                serve_one(acceptor, tcp, events).await;
                            });
                        }
                    }
                }
            });
        });
        TestServer {
            addr,
            events,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub(crate) fn events(&self) -> Vec<ServerEvent> {
        self.events.lock().unwrap().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve_one(acceptor: TlsAcceptor, tcp: TcpStream, events: Arc<Mutex<Vec<ServerEvent>>>) {
    match tokio::time::timeout(STEP_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(mut tls)) => {
            let (_, conn) = tls.get_ref();
            let (protocol, suite) = palisade_tls::session_labels(conn);
            let sni = conn.server_name().map(str::to_owned);
            events
                .lock()
                .unwrap()
                .push(ServerEvent::Accepted(protocol, suite, sni));
            let _ = tls
                .write_all(format!("{protocol} {suite}\n").as_bytes())
                .await;
            let _ = tls.shutdown().await;
        }
        Ok(Err(e)) => events
            .lock()
            .unwrap()
            .push(ServerEvent::Refused(e.to_string())),
        Err(_) => events
            .lock()
            .unwrap()
            .push(ServerEvent::Refused("timeout".to_owned())),
    }
}

/// Result of a client handshake against a test server.
#[derive(Debug)]
pub(crate) struct ClientSeen {
    /// SHA-256 of the leaf the server presented, hex.
    pub(crate) fingerprint: String,
    /// The line the server wrote: `"<protocol> <suite>"`.
    pub(crate) line: String,
    pub(crate) alpn: Option<Vec<u8>>,
    /// The key exchange group negotiated.
    pub(crate) kx: Option<rustls::NamedGroup>,
    /// Whether the handshake resumed an earlier session.
    pub(crate) resumed: bool,
}

/// Connect with `config`, using `server_name` for SNI/verification.
pub(crate) fn connect(
    addr: SocketAddr,
    config: Arc<rustls::ClientConfig>,
    server_name: ServerName<'static>,
) -> Result<ClientSeen, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let connector = TlsConnector::from(config);
        let mut tls = tokio::time::timeout(STEP_TIMEOUT, connector.connect(server_name, tcp))
            .await
            .map_err(|_| "handshake timeout".to_owned())?
            .map_err(|e| e.to_string())?;
        let (_, conn) = tls.get_ref();
        let leaf = conn
            .peer_certificates()
            .and_then(|c| c.first())
            .ok_or("no peer certificate")?;
        let fingerprint = hex::encode(Sha256::digest(leaf.as_ref()));
        let alpn = conn.alpn_protocol().map(<[u8]>::to_vec);
        let kx = conn.negotiated_key_exchange_group().map(|g| g.name());
        let resumed = conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
        let mut buf = Vec::new();
        let mut limited = (&mut tls).take(4096);
        // Bounded by `take(4096)` above.
        #[allow(clippy::disallowed_methods)]
        let read = limited.read_to_end(&mut buf);
        tokio::time::timeout(STEP_TIMEOUT, read)
            .await
            .map_err(|_| "read timeout".to_owned())?
            .map_err(|e| e.to_string())?;
        Ok(ClientSeen {
            fingerprint,
            line: String::from_utf8_lossy(&buf).trim().to_owned(),
            alpn,
            kx,
            resumed,
        })
    })
}

/// A client configuration that accepts any certificate (via `dangerous_skip_verify`), for
/// tests that only look at which certificate was chosen.
pub(crate) fn trusting_client(alpn_h2: bool) -> Arc<rustls::ClientConfig> {
    palisade_tls::client_config(
        &UpstreamTls {
            ca_file: None,
            server_name: None,
            dangerous_skip_verify: true,
        },
        alpn_h2,
    )
    .unwrap()
}

pub(crate) fn dns(name: &str) -> ServerName<'static> {
    ServerName::try_from(name.to_owned()).unwrap()
}

/// Whether `openssl` is on PATH; prints the reason when it is not.
pub(crate) fn have_openssl() -> bool {
    let ok = std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        println!("SKIP: `openssl` is not on PATH; the external checks cannot run");
    }
    ok
}
