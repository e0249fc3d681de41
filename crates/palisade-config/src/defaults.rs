//! Default values and accepted bounds, one constant each. `docs/CONFIG.md` and the key
//! registry quote these; a test checks that the registry's defaults parse to these values.

use std::time::Duration;

/// Default `data_dir`.
pub const DATA_DIR: &str = "./data";
/// Default `admin.listen`.
pub const ADMIN_LISTEN: &str = "127.0.0.1:9901";
/// Address of the listener used when no `[[listener]]` is given.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Name of the listener used when no `[[listener]]` is given.
pub const DEFAULT_LISTENER_NAME: &str = "http";

/// Default `limits.max_header_bytes` (64 KiB).
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Bounds of `limits.max_header_bytes` (1 KiB to 1 MiB).
pub const MAX_HEADER_BYTES_RANGE: (usize, usize) = (1024, 1024 * 1024);
/// Default `limits.max_headers`.
pub const MAX_HEADERS: usize = 100;
/// Bounds of `limits.max_headers`.
pub const MAX_HEADERS_RANGE: (usize, usize) = (1, 1000);
/// Default `limits.max_request_body` (100 MiB).
pub const MAX_REQUEST_BODY: u64 = 100 * 1024 * 1024;
/// Bounds of `limits.max_request_body` (0 to 64 GiB; 0 refuses every body).
pub const MAX_REQUEST_BODY_RANGE: (u64, u64) = (0, 64 * 1024 * 1024 * 1024);
/// Default `limits.inspect_body` (128 KiB).
pub const INSPECT_BODY: usize = 128 * 1024;
/// Bounds of `limits.inspect_body` (0 to 16 MiB; also at most `max_request_body`).
pub const INSPECT_BODY_RANGE: (usize, usize) = (0, 16 * 1024 * 1024);
/// Default `limits.max_connections`.
pub const MAX_CONNECTIONS: usize = 10_000;
/// Bounds of `limits.max_connections`.
pub const MAX_CONNECTIONS_RANGE: (usize, usize) = (1, 1_000_000);
/// Default `limits.workers` (0: one per CPU core).
pub const WORKERS: usize = 0;
/// Bounds of `limits.workers`.
pub const WORKERS_RANGE: (usize, usize) = (0, 1024);
/// Default `limits.header_read_timeout`.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default `limits.keepalive_timeout`.
pub const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(75);
/// Default `limits.h2_max_concurrent_streams`.
pub const H2_MAX_CONCURRENT_STREAMS: u32 = 128;
/// Bounds of `limits.h2_max_concurrent_streams`.
pub const H2_MAX_CONCURRENT_STREAMS_RANGE: (u32, u32) = (1, 10_000);
/// Default `limits.shutdown_grace`.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Default `reload.debounce`.
pub const RELOAD_DEBOUNCE: Duration = Duration::from_millis(250);

/// Default `upstream.retries`.
pub const RETRIES: u32 = 1;
/// Largest `upstream.retries`.
pub const MAX_RETRIES: u32 = 10;
/// Default `upstream.max_idle_per_target`.
pub const MAX_IDLE_PER_TARGET: usize = 64;
/// Largest `upstream.max_idle_per_target`.
pub const MAX_MAX_IDLE_PER_TARGET: usize = 10_000;
/// Default target weight.
pub const TARGET_WEIGHT: u32 = 1;
/// Largest target weight.
pub const MAX_TARGET_WEIGHT: u32 = 1000;
/// Most targets in one upstream.
pub const MAX_TARGETS: usize = 1024;

/// Default `upstream.health_check.path`.
pub const HEALTH_PATH: &str = "/healthz";
/// Default `upstream.health_check.interval`.
pub const HEALTH_INTERVAL: Duration = Duration::from_secs(5);
/// Default `upstream.health_check.timeout`.
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);
/// Default `upstream.health_check.healthy_threshold`.
pub const HEALTHY_THRESHOLD: u32 = 2;
/// Default `upstream.health_check.unhealthy_threshold`.
pub const UNHEALTHY_THRESHOLD: u32 = 3;
/// Largest health-check threshold.
pub const MAX_THRESHOLD: u32 = 100;

/// Default `upstream.passive.consecutive_failures` (0 disables passive ejection).
pub const PASSIVE_CONSECUTIVE_FAILURES: u32 = 5;
/// Largest `upstream.passive.consecutive_failures`.
pub const MAX_PASSIVE_CONSECUTIVE_FAILURES: u32 = 1000;
/// Default `upstream.passive.ejection`.
pub const PASSIVE_EJECTION: Duration = Duration::from_secs(30);

/// Default `upstream.timeouts.connect`.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Default `upstream.timeouts.read`.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default `upstream.timeouts.idle`.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Default `upstream.timeouts.total`.
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(60);

/// Default `site.hsts.max_age` (365 days).
pub const HSTS_MAX_AGE: Duration = Duration::from_secs(365 * 86_400);
/// Smallest `max_age` the HSTS preload list accepts (1 year).
pub const HSTS_PRELOAD_MIN_AGE: Duration = Duration::from_secs(365 * 86_400);

/// Bounds of `site.waf.paranoia_level` and `site.waf.detection_paranoia_level` (the CRS
/// paranoia levels).
pub const PARANOIA_LEVEL_RANGE: (u8, u8) = (1, 4);
/// Bounds of `site.waf.inbound_threshold` and `site.waf.outbound_threshold`.
pub const ANOMALY_THRESHOLD_RANGE: (u32, u32) = (1, 10_000);
/// Most files in one of `site.waf.rules_before` and `site.waf.rules`.
pub const MAX_RULE_FILES: usize = 256;

/// Longest value of a timeout-like duration (`limits.*_timeout`, `shutdown_grace`, upstream
/// timeouts, health-check timings, ejection): 1 day.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);
/// Longest `reload.debounce`.
pub const MAX_DEBOUNCE: Duration = Duration::from_secs(60);
/// Longest HSTS `max_age` (2 years).
pub const MAX_HSTS_AGE: Duration = Duration::from_secs(2 * 365 * 86_400);

/// Most listeners, upstreams or sites in one file.
pub const MAX_ITEMS: usize = 10_000;
/// Most host patterns in one site.
pub const MAX_HOSTS_PER_SITE: usize = 1024;
/// Longest name (listener, upstream, site).
pub const MAX_NAME_LEN: usize = 64;
/// Longest path (`path_prefix`, health-check `path`).
pub const MAX_PATH_LEN: usize = 1024;
/// Largest configuration file read by `load_file` (4 MiB).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
