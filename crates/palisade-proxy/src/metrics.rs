//! Prometheus metrics, served as text at `GET /metrics` on the admin listener.
//!
//! Every metric name is defined once below ([`names`]). The request path never builds label
//! sets: each site's counters and histogram are resolved when the runtime is compiled
//! ([`SiteMetrics`]) and each listener's gauge when it starts, so recording is a few atomic
//! adds. Upstream target health and request counts, and certificate expiry, are read from the
//! live pools and certificate store at scrape time by a collector.

use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{Method, StatusCode};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{EncodeLabelSet, NoLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The metric names, as exported.
pub mod names {
    /// Requests answered, by `site`, `status_class` (`1xx`..`5xx`) and `method`.
    pub const HTTP_REQUESTS_TOTAL: &str = "palisade_http_requests_total";
    /// Request duration histogram by `site` (head received to response body end).
    pub const HTTP_REQUEST_DURATION_SECONDS: &str = "palisade_http_request_duration_seconds";
    /// 1 when an upstream target is healthy (and not ejected), else 0; `upstream`, `target`.
    pub const UPSTREAM_TARGET_HEALTHY: &str = "palisade_upstream_target_healthy";
    /// Requests sent to a target by `upstream`, `target`, `outcome` (`success`/`failure`).
    pub const UPSTREAM_REQUESTS_TOTAL: &str = "palisade_upstream_requests_total";
    /// Completed TLS handshakes by `listener`, `version`, `suite`.
    pub const TLS_HANDSHAKES_TOTAL: &str = "palisade_tls_handshakes_total";
    /// Failed TLS handshakes by `listener`.
    pub const TLS_HANDSHAKE_FAILURES_TOTAL: &str = "palisade_tls_handshake_failures_total";
    /// Configuration reloads by `result` (`success`/`failure`).
    pub const CONFIG_RELOADS_TOTAL: &str = "palisade_config_reloads_total";
    /// Unix time of the last successful (re)load.
    pub const CONFIG_LAST_RELOAD_SUCCESS_TIMESTAMP_SECONDS: &str =
        "palisade_config_last_reload_success_timestamp_seconds";
    /// Certificate `notAfter` as Unix time by `cert` (file) and `names`.
    pub const TLS_CERTIFICATE_EXPIRY_TIMESTAMP_SECONDS: &str =
        "palisade_tls_certificate_expiry_timestamp_seconds";
    /// Open downstream connections by `listener`.
    pub const CONNECTIONS_ACTIVE: &str = "palisade_connections_active";
}

/// Label value for requests that matched no site.
pub(crate) const NO_SITE: &str = "-";

const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];
const METHODS: [&str; 10] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT", "OTHER",
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    site: String,
    status_class: &'static str,
    method: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SiteLabels {
    site: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ListenerLabels {
    listener: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HandshakeLabels {
    listener: String,
    version: &'static str,
    suite: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

/// The gateway's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Mutex<Registry>,
    requests: Family<RequestLabels, Counter>,
    durations: Family<SiteLabels, Histogram, fn() -> Histogram>,
    handshakes: Family<HandshakeLabels, Counter>,
    handshake_failures: Family<ListenerLabels, Counter>,
    reloads: Family<ResultLabels, Counter>,
    last_reload: Gauge<f64, AtomicU64>,
    connections: Family<ListenerLabels, Gauge>,
}

fn duration_histogram() -> Histogram {
    // 1 ms to ~33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// Registered name: prometheus-client appends `_total` to counters itself.
fn counter_name(name: &'static str) -> &'static str {
    name.strip_suffix("_total").unwrap_or(name)
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let metrics = Metrics {
            registry: Mutex::new(Registry::default()),
            requests: Family::default(),
            durations: Family::new_with_constructor(duration_histogram),
            handshakes: Family::default(),
            handshake_failures: Family::default(),
            reloads: Family::default(),
            last_reload: Gauge::default(),
            connections: Family::default(),
        };
        {
            let mut r = metrics.lock_registry();
            r.register(
                counter_name(names::HTTP_REQUESTS_TOTAL),
                "Requests answered, by site, status class and method",
                metrics.requests.clone(),
            );
            r.register(
                names::HTTP_REQUEST_DURATION_SECONDS,
                "Request duration from head received to response body end",
                metrics.durations.clone(),
            );
            r.register(
                counter_name(names::TLS_HANDSHAKES_TOTAL),
                "Completed TLS handshakes by listener, version and suite",
                metrics.handshakes.clone(),
            );
            r.register(
                counter_name(names::TLS_HANDSHAKE_FAILURES_TOTAL),
                "Failed TLS handshakes by listener",
                metrics.handshake_failures.clone(),
            );
            r.register(
                counter_name(names::CONFIG_RELOADS_TOTAL),
                "Configuration reloads by result",
                metrics.reloads.clone(),
            );
            r.register(
                names::CONFIG_LAST_RELOAD_SUCCESS_TIMESTAMP_SECONDS,
                "Unix time of the last successful configuration load",
                metrics.last_reload.clone(),
            );
            r.register(
                names::CONNECTIONS_ACTIVE,
                "Open downstream connections by listener",
                metrics.connections.clone(),
            );
        }
        // Both results show from the start, so a dashboard can rate() them.
        for result in ["success", "failure"] {
            let _ = metrics.reloads.get_or_create(&ResultLabels { result });
        }
        metrics
    }

    fn lock_registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The OpenMetrics text exposition of every metric, with the live upstream and
    /// certificate state given by the caller.
    pub(crate) fn encode(&self, targets: &[TargetHealth], certs: &[CertExpiry]) -> String {
        let mut out = String::new();
        {
            let registry = self.lock_registry();
            if prometheus_client::encoding::text::encode(&mut out, &registry).is_err() {
                out.clear();
            }
        }
        if let Some(stripped) = out.strip_suffix("# EOF\n") {
            out.truncate(stripped.len());
        }
        let mut live = Registry::default();
        live.register_collector(Box::new(Snapshot {
            targets: targets.to_vec(),
            certs: certs.to_vec(),
        }));
        if prometheus_client::encoding::text::encode(&mut out, &live).is_err() {
            out.push_str("# EOF\n");
        }
        out
    }

    /// Pre-resolved handles for one site (or [`NO_SITE`]).
    pub(crate) fn site(&self, site: &str) -> SiteMetrics {
        let requests = std::array::from_fn(|m| {
            std::array::from_fn(|c| {
                self.requests
                    .get_or_create(&RequestLabels {
                        site: site.to_owned(),
                        status_class: STATUS_CLASSES[c],
                        method: METHODS[m],
                    })
                    .clone()
            })
        });
        let duration = self
            .durations
            .get_or_create(&SiteLabels {
                site: site.to_owned(),
            })
            .clone();
        SiteMetrics { requests, duration }
    }

    /// The open-connections gauge of a listener. Also makes the listener's handshake-failure
    /// series visible (at 0) from the start.
    pub(crate) fn connections(&self, listener: &str) -> Gauge {
        let _ = self.handshake_failures.get_or_create(&ListenerLabels {
            listener: listener.to_owned(),
        });
        self.connections
            .get_or_create(&ListenerLabels {
                listener: listener.to_owned(),
            })
            .clone()
    }

    /// Counts a failed handshake on a listener.
    pub(crate) fn handshake_failure(&self, listener: &str) {
        self.handshake_failures
            .get_or_create(&ListenerLabels {
                listener: listener.to_owned(),
            })
            .inc();
    }

    pub(crate) fn handshake(&self, listener: &str, version: &'static str, suite: &'static str) {
        self.handshakes
            .get_or_create(&HandshakeLabels {
                listener: listener.to_owned(),
                version,
                suite,
            })
            .inc();
    }

    /// Counts a reload; a success also sets the last-success timestamp.
    pub(crate) fn reload(&self, success: bool) {
        let result = if success { "success" } else { "failure" };
        self.reloads.get_or_create(&ResultLabels { result }).inc();
        if success {
            self.last_reload.set(unix_seconds(SystemTime::now()));
        }
    }

    /// The first load sets the timestamp without counting as a reload.
    pub(crate) fn loaded(&self) {
        self.last_reload.set(unix_seconds(SystemTime::now()));
    }
}

pub(crate) fn unix_seconds(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

/// One site's request counters and duration histogram.
#[derive(Debug, Clone)]
pub(crate) struct SiteMetrics {
    requests: [[Counter; 5]; 10],
    duration: Histogram,
}

impl SiteMetrics {
    /// Counts one finished request. A dropped one (no status) only enters the histogram.
    pub(crate) fn record(&self, method: &Method, status: Option<StatusCode>, duration: Duration) {
        let m = method_index(method);
        let seconds = duration.as_secs_f64();
        if let Some(status) = status {
            let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
            self.requests[m][class].inc();
        }
        self.duration.observe(seconds);
    }
}

fn method_index(method: &Method) -> usize {
    match *method {
        Method::GET => 0,
        Method::HEAD => 1,
        Method::POST => 2,
        Method::PUT => 3,
        Method::DELETE => 4,
        Method::OPTIONS => 5,
        Method::PATCH => 6,
        Method::TRACE => 7,
        Method::CONNECT => 8,
        _ => 9,
    }
}

/// One upstream target, read from the live pools at scrape time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TargetHealth {
    /// Pool name.
    pub(crate) upstream: String,
    /// Target URL.
    pub(crate) target: String,
    /// Healthy and not ejected.
    pub(crate) healthy: bool,
    /// Requests sent to it by this pool.
    pub(crate) requests: u64,
    /// Of which failed.
    pub(crate) failures: u64,
}

/// One served certificate, read from the certificate stores at scrape time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertExpiry {
    /// Certificate file.
    pub(crate) cert: String,
    /// Its names, comma-separated.
    pub(crate) names: String,
    /// `notAfter`.
    pub(crate) not_after: SystemTime,
}

/// Encodes a scrape-time snapshot of upstream and certificate state.
#[derive(Debug)]
struct Snapshot {
    targets: Vec<TargetHealth>,
    certs: Vec<CertExpiry>,
}

impl Collector for Snapshot {
    fn encode(
        &self,
        mut encoder: prometheus_client::encoding::DescriptorEncoder,
    ) -> Result<(), std::fmt::Error> {
        use prometheus_client::metrics::MetricType;
        {
            let mut family = encoder.encode_descriptor(
                names::UPSTREAM_TARGET_HEALTHY,
                "1 when the upstream target is healthy and not ejected",
                None,
                MetricType::Gauge,
            )?;
            for t in &self.targets {
                let labels = [
                    ("upstream", t.upstream.as_str()),
                    ("target", t.target.as_str()),
                ];
                family
                    .encode_family(&labels)?
                    .encode_gauge(&i64::from(t.healthy))?;
            }
        }
        {
            let mut family = encoder.encode_descriptor(
                counter_name(names::UPSTREAM_REQUESTS_TOTAL),
                "Requests sent to upstream targets by outcome (counts restart when a pool is rebuilt)",
                None,
                MetricType::Counter,
            )?;
            for t in &self.targets {
                for (outcome, value) in [
                    ("success", t.requests.saturating_sub(t.failures)),
                    ("failure", t.failures),
                ] {
                    let labels = [
                        ("upstream", t.upstream.as_str()),
                        ("target", t.target.as_str()),
                        ("outcome", outcome),
                    ];
                    family
                        .encode_family(&labels)?
                        .encode_counter::<NoLabelSet, _, u64>(&value, None)?;
                }
            }
        }
        {
            let mut family = encoder.encode_descriptor(
                names::TLS_CERTIFICATE_EXPIRY_TIMESTAMP_SECONDS,
                "Certificate notAfter as Unix time",
                None,
                MetricType::Gauge,
            )?;
            for c in &self.certs {
                let labels = [("cert", c.cert.as_str()), ("names", c.names.as_str())];
                family
                    .encode_family(&labels)?
                    .encode_gauge(&unix_seconds(c.not_after))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_exported() {
        let metrics = Metrics::new();
        let site = metrics.site("shop");
        site.record(
            &Method::GET,
            Some(StatusCode::OK),
            Duration::from_millis(10),
        );
        site.record(
            &Method::from_bytes(b"BREW").unwrap(),
            Some(StatusCode::from_u16(599).unwrap()),
            Duration::from_millis(10),
        );
        metrics.connections("http").inc();
        metrics.handshake("https", "TLSv1.3", "TLS13_AES_128_GCM_SHA256");
        metrics.handshake_failure("https");
        metrics.reload(true);
        let targets = [TargetHealth {
            upstream: "app".into(),
            target: "http://127.0.0.1:1".into(),
            healthy: true,
            requests: 5,
            failures: 2,
        }];
        let certs = [CertExpiry {
            cert: "/c.pem".into(),
            names: "a.test".into(),
            not_after: UNIX_EPOCH + Duration::from_secs(100),
        }];
        let text = metrics.encode(&targets, &certs);
        for name in [
            names::HTTP_REQUESTS_TOTAL,
            names::HTTP_REQUEST_DURATION_SECONDS,
            names::UPSTREAM_TARGET_HEALTHY,
            names::UPSTREAM_REQUESTS_TOTAL,
            names::TLS_HANDSHAKES_TOTAL,
            names::TLS_HANDSHAKE_FAILURES_TOTAL,
            names::CONFIG_RELOADS_TOTAL,
            names::CONFIG_LAST_RELOAD_SUCCESS_TIMESTAMP_SECONDS,
            names::TLS_CERTIFICATE_EXPIRY_TIMESTAMP_SECONDS,
            names::CONNECTIONS_ACTIVE,
        ] {
            assert!(text.contains(name), "{name} missing:\n{text}");
        }
        for line in [
            r#"palisade_http_requests_total{site="shop",status_class="2xx",method="GET"} 1"#,
            r#"palisade_http_requests_total{site="shop",status_class="5xx",method="OTHER"} 1"#,
            r#"palisade_upstream_requests_total{upstream="app",target="http://127.0.0.1:1",outcome="failure"} 2"#,
            r#"palisade_config_reloads_total{result="failure"} 0"#,
        ] {
            assert!(text.contains(line), "{line} missing:\n{text}");
        }
        assert_eq!(text.matches("# EOF").count(), 1, "{text}");
    }
}
