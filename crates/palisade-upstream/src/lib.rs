//! Palisade upstream pools: load balancing, active and passive health, timeouts, retries, TLS
//! to upstream.
//!
//! A [`Pool`] is built from one [`palisade_config::Upstream`] and sends requests to its
//! targets over hyper 1 client connections. This crate knows nothing of the WAF, of sites or of
//! downstream connections; it depends only on the configuration model and `palisade-tls`.
//!
//! # Policies
//!
//! - **Balancing.** `round_robin` is smooth weighted round-robin (exact proportions,
//!   interleaved). `least_connections` picks the lowest `in_flight / weight`, rotating ties.
//!   A weight of 0 counts as 1. "In flight" lasts from sending until the response head arrives.
//! - **Availability.** A target takes traffic when it is actively healthy (targets start
//!   healthy) and not passively ejected.
//! - **Panic mode (fail open).** When *no* target is available, the pool balances over *all*
//!   targets, as envoy does below its panic threshold (here the threshold is 0%: any available
//!   target disables panic mode). The reason: a broken health check or a burst of ejections
//!   must not turn into a guaranteed 503 for every request when an origin may still answer;
//!   if the origins really are down, the attempt fails fast with a 502/504 anyway.
//!   [`Pool::panic_count`] counts such choices. [`UpstreamError::NoHealthyTarget`] thus only
//!   arises for a pool without targets.
//! - **Retries.** Only for idempotent methods (GET HEAD OPTIONS TRACE PUT DELETE) with a
//!   replayable body ([`UpstreamBody::Empty`] or [`UpstreamBody::Full`]), only after an error
//!   before any response byte ([`UpstreamError::is_retryable`]), at most `retries` times, each
//!   on a target not tried yet when one is available. A 5xx response is returned, not retried.
//! - **Passive health.** A connect error, a TLS failure, a timeout, a protocol error or a 5xx
//!   counts as a failure; `consecutive_failures` in a row eject the target for `ejection`.
//!   Afterwards it is half-open: the next failure ejects it again at once, one success resets.
//!   Downstream body errors ([`UpstreamError::RequestBody`]) do not count.
//! - **Active health.** One task per target GETs `path` every `interval`, bounded by `timeout`;
//!   `unhealthy_threshold` consecutive failures mark it unhealthy, `healthy_threshold`
//!   consecutive successes healthy again. Accepted statuses come from `expect_status`
//!   (200-399 when empty). Probes do not count as traffic nor as passive outcomes.
//! - **Timeouts.** `connect` bounds TCP connect plus TLS handshake; `total` bounds one attempt
//!   from the start to the response head (so it includes uploading the request body); `read`
//!   bounds each wait between response body frames, applied by [`Pool::send_timed`] through
//!   [`ReadTimeoutBody`] ([`Pool::send`] returns the bare body). `idle` closes pooled HTTP/1.1
//!   connections; an HTTP/2 connection idle longer than `idle` is replaced on next use.
//! - **Protocols.** `http1`: keep-alive pool of at most `max_idle_per_target` idle connections
//!   per target. `http2`: one multiplexed connection per target, h2c by prior knowledge on
//!   `http://`, ALPN `h2` (required) on `https://`; the `Host` header becomes `:authority`.
//!   Upgrade requests (`Connection: upgrade` + `Upgrade`) always go over HTTP/1.1, so
//!   WebSocket works with either protocol.
//! - **TLS.** Configuration from [`palisade_tls::client_config`]; SNI and verified name from
//!   `tls.server_name` or the target host.

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod balance;
mod body;
mod connect;
mod error;
mod h1;
mod health;
mod pool;

pub use body::{ReadTimeoutBody, ReadTimeoutError, StreamBody, UpstreamBody};
pub use error::UpstreamError;
pub use health::HealthChecker;
pub use pool::{Pool, TargetStatus};

/// A boxed error, as carried by streamed bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
