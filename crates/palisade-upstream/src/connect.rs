//! The connector: name resolution, TCP connect with a timeout and `TCP_NODELAY`, optional TLS.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// Largest number of resolved addresses tried for one target.
const MAX_ADDRS_TRIED: usize = 8;

/// Where and how to connect for one target.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    /// Host name or IP literal (without brackets).
    pub(crate) host: String,
    /// Port.
    pub(crate) port: u16,
    /// SNI and verified name, for `https` targets.
    pub(crate) server_name: Option<ServerName<'static>>,
}

/// Why a connection could not be set up.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// Resolution or TCP connect failed.
    Io(io::Error),
    /// TCP connect and TLS handshake did not finish in time.
    Timeout(Duration),
    /// The TLS handshake failed.
    Tls(io::Error),
    /// HTTP/2 was required but the target chose another ALPN protocol.
    NoH2,
    /// The URI names no known target (a bug: URIs are built from targets).
    UnknownTarget(String),
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "{e}"),
            Self::Timeout(d) => write!(f, "connect timed out after {d:?}"),
            Self::Tls(e) => write!(f, "TLS handshake: {e}"),
            Self::NoH2 => f.write_str("target did not negotiate h2 by ALPN"),
            Self::UnknownTarget(a) => write!(f, "no target for authority {a:?}"),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) | Self::Tls(e) => Some(e),
            _ => None,
        }
    }
}

/// Connects to the targets of one pool, by URI authority. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Connector {
    inner: Arc<Inner>,
}

struct Inner {
    endpoints: HashMap<String, Endpoint>,
    connect_timeout: Duration,
    tls: Option<TlsConnector>,
    /// When set, a TLS connection must negotiate `h2`.
    require_h2: bool,
}

impl Connector {
    pub(crate) fn new(
        endpoints: HashMap<String, Endpoint>,
        connect_timeout: Duration,
        tls: Option<TlsConnector>,
        require_h2: bool,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                endpoints,
                connect_timeout,
                tls,
                require_h2,
            }),
        }
    }

    /// Connects to the target with this authority (`host:port` as in the target URL).
    pub(crate) async fn connect(&self, authority: &str) -> Result<Conn, ConnectError> {
        let endpoint = self
            .inner
            .endpoints
            .get(authority)
            .ok_or_else(|| ConnectError::UnknownTarget(authority.to_owned()))?;
        let timeout = self.inner.connect_timeout;
        match tokio::time::timeout(timeout, self.connect_endpoint(endpoint)).await {
            Ok(result) => result,
            Err(_) => Err(ConnectError::Timeout(timeout)),
        }
    }

    async fn connect_endpoint(&self, endpoint: &Endpoint) -> Result<Conn, ConnectError> {
        let tcp = connect_tcp(&endpoint.host, endpoint.port).await?;
        let Some(name) = &endpoint.server_name else {
            return Ok(Conn::Plain(TokioIo::new(tcp)));
        };
        let Some(tls) = &self.inner.tls else {
            return Err(ConnectError::Tls(io::Error::other("no TLS configuration")));
        };
        let stream = tls
            .connect(name.clone(), tcp)
            .await
            .map_err(ConnectError::Tls)?;
        let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
        if self.inner.require_h2 && !h2 {
            return Err(ConnectError::NoH2);
        }
        Ok(Conn::Tls(Box::new(TokioIo::new(stream))))
    }
}

async fn connect_tcp(host: &str, port: u16) -> Result<TcpStream, ConnectError> {
    let addrs: Vec<SocketAddr> = match host.parse::<std::net::IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(ConnectError::Io)?
            .take(MAX_ADDRS_TRIED)
            .collect(),
    };
    let mut last = io::Error::new(
        io::ErrorKind::NotFound,
        format!("{host} resolved to no address"),
    );
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(tcp) => {
                tcp.set_nodelay(true).map_err(ConnectError::Io)?;
                return Ok(tcp);
            }
            Err(e) => last = e,
        }
    }
    Err(ConnectError::Io(last))
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector")
            .field("targets", &self.inner.endpoints.len())
            .field("connect_timeout", &self.inner.connect_timeout)
            .field("tls", &self.inner.tls.is_some())
            .finish()
    }
}

/// A connection to a target, cleartext or TLS.
pub(crate) enum Conn {
    /// Cleartext TCP.
    Plain(TokioIo<TcpStream>),
    /// TLS.
    Tls(Box<TokioIo<TlsStream<TcpStream>>>),
}

impl Read for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_read(cx, buf),
            Self::Tls(io) => Pin::new(&mut **io).poll_read(cx, buf),
        }
    }
}

impl Write for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_write(cx, buf),
            Self::Tls(io) => Pin::new(&mut **io).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_flush(cx),
            Self::Tls(io) => Pin::new(&mut **io).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_shutdown(cx),
            Self::Tls(io) => Pin::new(&mut **io).poll_shutdown(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(io) => io.is_write_vectored(),
            Self::Tls(io) => io.is_write_vectored(),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_write_vectored(cx, bufs),
            Self::Tls(io) => Pin::new(&mut **io).poll_write_vectored(cx, bufs),
        }
    }
}
