//! The validated configuration model.
//!
//! Every value here has been parsed and checked: names are resolved (a site's upstream is an
//! index into [`Config::upstreams`]), durations and sizes are typed, addresses are parsed.
//! Nothing downstream re-validates. The TOML shape is documented in `docs/CONFIG.md`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;

/// A fully validated Palisade configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Where the configuration came from (`None` for the embedded default).
    pub source: Option<PathBuf>,
    /// SHA-256 of the source text, hex, for audit records and `/config` views.
    pub digest: String,
    /// Folder for state: generated certificates, databases, spool files.
    pub data_dir: PathBuf,
    /// Data-plane listeners, in file order.
    pub listeners: Vec<Listener>,
    /// The admin listener (metrics, later the admin API).
    pub admin: Admin,
    /// TLS certificates and defaults.
    pub tls: Tls,
    /// Peers whose `X-Forwarded-For` / `Forwarded` headers are believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Explicit limits on the downstream side.
    pub limits: Limits,
    /// Hot reload behaviour.
    pub reload: Reload,
    /// Upstream pools, in file order. Sites refer to them by index.
    pub upstreams: Vec<Upstream>,
    /// Sites, in file order. Routing picks the most specific match, not the first.
    pub sites: Vec<Site>,
    /// Settings shared by every site's web application firewall.
    pub waf: WafGlobal,
}

/// The top-level `[waf]` table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WafGlobal {
    /// The OWASP CRS checkout (holds `rules/`). `None`: `PALISADE_CRS_DIR`, then
    /// `<data_dir>/crs` (where `palisade rules fetch-crs` puts it), then `../shared/crs`.
    pub crs_dir: Option<PathBuf>,
    /// A ModSecurity-style error log file (one line per logged rule match, as go-ftw and
    /// log tooling expect). `None`: matches go to the structured log only.
    pub error_log: Option<PathBuf>,
}

/// What a site's WAF does with a request that its rules flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WafMode {
    /// No inspection.
    Off,
    /// Inspect and log; never block (`SecRuleEngine DetectionOnly`).
    Detect,
    /// Inspect, log and block (`SecRuleEngine On`).
    Block,
}

/// A site's `[site.waf]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteWaf {
    /// Off, detect or block. Default block.
    pub mode: WafMode,
    /// Load the OWASP Core Rule Set. Default true.
    pub crs: bool,
    /// CRS blocking paranoia level, 1 to 4. Default 1.
    pub paranoia_level: u8,
    /// CRS detection paranoia level (≥ paranoia_level, ≤ 4): rules above the blocking
    /// level log without scoring toward a block. Default: the paranoia level.
    pub detection_paranoia_level: Option<u8>,
    /// Inbound anomaly score that blocks. Default 5 (CRS's).
    pub inbound_threshold: u32,
    /// Outbound anomaly score that blocks. Default 4 (CRS's).
    pub outbound_threshold: u32,
    /// SecLang files loaded before `crs-setup.conf` (settings the CRS setup reads).
    pub rules_before: Vec<PathBuf>,
    /// SecLang files loaded after CRS: custom rules and exclusions
    /// (`SecRuleRemoveById`, `SecRuleUpdateTargetById`, ...).
    pub rules: Vec<PathBuf>,
}

impl Default for SiteWaf {
    fn default() -> Self {
        SiteWaf {
            mode: WafMode::Block,
            crs: true,
            paranoia_level: 1,
            detection_paranoia_level: None,
            inbound_threshold: 5,
            outbound_threshold: 4,
            rules_before: Vec::new(),
            rules: Vec::new(),
        }
    }
}

/// One data-plane listener.
#[derive(Debug, Clone, PartialEq)]
pub struct Listener {
    /// Name used in logs and metrics (`http`, `https`, ...).
    pub name: String,
    /// Socket address to bind.
    pub address: SocketAddr,
    /// Plain HTTP or TLS.
    pub protocol: ListenerProtocol,
    /// Offer HTTP/2 (over TLS by ALPN; on plain HTTP by prior knowledge).
    pub http2: bool,
}

/// Whether a listener speaks TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenerProtocol {
    /// Cleartext HTTP/1.1 (and h2c prior knowledge when enabled).
    Http,
    /// TLS with the given default policy; sites may ask for a stricter one by SNI.
    Https {
        /// Policy used when the SNI name matches no site with its own policy.
        policy: TlsPolicyName,
    },
}

/// The named TLS policies. There are exactly these; see `docs/RATIONALE.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TlsPolicyName {
    /// `TLSv1.2_2021`: TLS 1.2 and 1.3; the six ECDHE AES-GCM / ChaCha20-Poly1305 TLS 1.2
    /// suites and the three TLS 1.3 suites.
    Tls12_2021,
    /// `TLSv1.3_2025` (alias `ism`): TLS 1.3 only, AES-GCM suites only.
    Tls13_2025,
}

impl TlsPolicyName {
    /// Every policy with its accepted spellings; the first spelling is canonical.
    pub const ALL: &'static [(TlsPolicyName, &'static [&'static str])] = &[
        (TlsPolicyName::Tls12_2021, &["TLSv1.2_2021"]),
        (TlsPolicyName::Tls13_2025, &["TLSv1.3_2025", "ism"]),
    ];

    /// Parse a policy name as written in the config.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, names)| names.contains(&name))
            .map(|(p, _)| *p)
    }

    /// The canonical name.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsPolicyName::Tls12_2021 => "TLSv1.2_2021",
            TlsPolicyName::Tls13_2025 => "TLSv1.3_2025",
        }
    }
}

/// The admin listener.
#[derive(Debug, Clone, PartialEq)]
pub struct Admin {
    /// Address to bind; loopback by default.
    pub address: SocketAddr,
}

/// TLS material.
#[derive(Debug, Clone, PartialEq)]
pub struct Tls {
    /// Certificates; the server picks one by SNI from each certificate's names.
    pub certificates: Vec<CertificateSource>,
    /// Generate and use a self-signed development certificate when no certificate is given
    /// and an HTTPS listener exists.
    pub dev_certificate: bool,
}

/// A certificate chain and its private key, as PEM files. Reloaded when the files change.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateSource {
    /// PEM file with the leaf certificate first, then intermediates.
    pub cert_file: PathBuf,
    /// PEM file with the private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
}

/// Downstream limits. Every one is explicit; see `docs/RATIONALE.md` for the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Maximum total size of the request head (request line + headers), bytes.
    pub max_header_bytes: usize,
    /// Maximum number of request headers.
    pub max_headers: usize,
    /// Maximum request body accepted at all, bytes (413 beyond).
    pub max_request_body_bytes: u64,
    /// How much of a request body is buffered for inspection before it goes upstream, bytes.
    /// Bodies up to this size are held whole; larger ones stream after the inspected prefix.
    pub inspect_body_bytes: usize,
    /// Maximum concurrent downstream connections per listener.
    pub max_connections: usize,
    /// Data-plane worker threads, each running its own event loop; `0`: one per CPU core.
    pub workers: usize,
    /// Time allowed for a client to send the request head.
    pub header_read_timeout: Duration,
    /// Idle time after which a keep-alive connection is closed.
    pub keepalive_timeout: Duration,
    /// Maximum concurrent HTTP/2 streams per connection.
    pub h2_max_concurrent_streams: u32,
    /// How long graceful shutdown waits for in-flight requests.
    pub shutdown_grace: Duration,
}

/// Hot reload settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Reload {
    /// Watch the config file (and certificate files) and reload on change.
    pub watch: bool,
    /// Wait this long after the last change event before reloading.
    pub debounce: Duration,
}

/// An upstream pool.
#[derive(Debug, Clone, PartialEq)]
pub struct Upstream {
    /// Unique name, referred to by sites.
    pub name: String,
    /// The servers in the pool.
    pub targets: Vec<Target>,
    /// How a target is chosen.
    pub balance: Balance,
    /// Protocol spoken to the targets.
    pub protocol: UpstreamProtocol,
    /// Active health checking; `None` disables it.
    pub health_check: Option<HealthCheck>,
    /// Passive ejection on consecutive failures.
    pub passive: PassiveHealth,
    /// Timeouts towards this pool.
    pub timeouts: UpstreamTimeouts,
    /// Retries after a failed attempt, for idempotent requests only.
    pub retries: u32,
    /// Maximum idle pooled connections per target.
    pub max_idle_per_target: usize,
    /// TLS settings for `https://` targets.
    pub tls: UpstreamTls,
}

/// One server of an upstream pool.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// Host name or IP literal as written (used for SNI and `Host` when `preserve_host` is off).
    pub host: String,
    /// Port (defaulted from the scheme).
    pub port: u16,
    /// Relative weight for round-robin (1 by default).
    pub weight: u32,
}

/// URL scheme of a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Cleartext.
    Http,
    /// TLS with certificate verification.
    Https,
}

/// Load-balancing algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Balance {
    /// Weighted round-robin over healthy targets.
    RoundRobin,
    /// The healthy target with the fewest requests in flight.
    LeastConnections,
}

/// Upstream protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamProtocol {
    /// HTTP/1.1 with keep-alive.
    Http1,
    /// HTTP/2 (over TLS by ALPN, or h2c prior knowledge on `http://`).
    Http2,
}

/// Active HTTP health check.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthCheck {
    /// Path requested with GET.
    pub path: String,
    /// Time between checks of one target.
    pub interval: Duration,
    /// Time allowed for one check.
    pub timeout: Duration,
    /// Consecutive successes that mark a target healthy again.
    pub healthy_threshold: u32,
    /// Consecutive failures that mark a target unhealthy.
    pub unhealthy_threshold: u32,
    /// Status codes that count as success (default 200-399).
    pub expect_status: Vec<std::ops::RangeInclusive<u16>>,
}

/// Passive health: eject a target after consecutive failed requests.
#[derive(Debug, Clone, PartialEq)]
pub struct PassiveHealth {
    /// Consecutive connection errors or 5xx answers that eject a target (0 disables).
    pub consecutive_failures: u32,
    /// How long an ejected target sits out before it is tried again.
    pub ejection: Duration,
}

/// Timeouts towards an upstream pool.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamTimeouts {
    /// TCP (and TLS) connect.
    pub connect: Duration,
    /// Between bytes while reading the response head and body.
    pub read: Duration,
    /// Idle pooled connections are closed after this.
    pub idle: Duration,
    /// Whole request, first byte sent to response head received.
    pub total: Duration,
}

/// TLS towards `https://` targets. Verification is always on unless the dangerous switch is set.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamTls {
    /// Extra CA certificates (PEM) trusted in addition to the built-in roots.
    pub ca_file: Option<PathBuf>,
    /// Server name for SNI and verification, when it differs from the target host.
    pub server_name: Option<String>,
    /// Skip certificate verification. Never use in production.
    pub dangerous_skip_verify: bool,
}

/// A site: a set of host names and a path prefix, served by one upstream pool.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// Unique name, used in logs, metrics and events.
    pub name: String,
    /// Host patterns: exact (`shop.example.com`), wildcard (`*.example.com`) or `*` (any).
    pub hosts: Vec<HostPattern>,
    /// Path prefix this site serves (`/` for all).
    pub path_prefix: String,
    /// Index into [`Config::upstreams`].
    pub upstream: usize,
    /// Redirect plain-HTTP requests to HTTPS with 308.
    pub redirect_https: bool,
    /// HSTS header on HTTPS responses; `None` sends none.
    pub hsts: Option<Hsts>,
    /// TLS policy for this site's host names (by SNI); `None` uses the listener's.
    pub tls_policy: Option<TlsPolicyName>,
    /// Send the client's `Host` upstream (default) instead of the target's.
    pub preserve_host: bool,
    /// The site's web application firewall.
    pub waf: SiteWaf,
}

/// A host pattern, lower-cased, without port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    /// Matches exactly this name.
    Exact(String),
    /// `*.example.com`: matches any name ending in `.example.com` (not `example.com` itself).
    /// Holds the suffix including the leading dot.
    Wildcard(String),
    /// `*`: matches every host.
    Any,
}

/// HTTP Strict Transport Security settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Hsts {
    /// `max-age`.
    pub max_age: Duration,
    /// `includeSubDomains`.
    pub include_subdomains: bool,
    /// `preload`.
    pub preload: bool,
}
