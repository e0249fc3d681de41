//! Errors of an upstream exchange, each knowing its HTTP status and whether a retry may help.

use std::time::Duration;

use http::StatusCode;

use crate::BoxError;

/// Why a request to an upstream pool failed. Every variant names the pool or target involved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpstreamError {
    /// The pool has no target to send to (it has none configured).
    #[error("upstream pool {pool:?} has no target to send to")]
    NoHealthyTarget {
        /// Pool name.
        pool: String,
    },
    /// TCP connect (or name resolution) failed; nothing was sent.
    #[error("connect to {target} failed: {source}")]
    Connect {
        /// Target URL, e.g. `http://127.0.0.1:3000`.
        target: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// TCP connect plus TLS handshake did not finish within the connect timeout; nothing was sent.
    #[error("connect to {target} timed out after {after:?}")]
    ConnectTimeout {
        /// Target URL.
        target: String,
        /// The connect timeout in force.
        after: Duration,
    },
    /// The TLS handshake failed (certificate not trusted, name mismatch, no common protocol…),
    /// or the target did not negotiate `h2` when HTTP/2 was required.
    #[error("TLS to {target} failed: {source}")]
    Tls {
        /// Target URL.
        target: String,
        /// The TLS error.
        source: BoxError,
    },
    /// No response head within the total timeout.
    #[error("{target} sent no response head within {after:?}")]
    Timeout {
        /// Target URL.
        target: String,
        /// The total timeout in force.
        after: Duration,
    },
    /// The connection failed or the target broke the protocol after the request started.
    #[error("HTTP exchange with {target} failed: {source}")]
    Protocol {
        /// Target URL.
        target: String,
        /// The underlying hyper error.
        source: BoxError,
        /// `true` when no response byte had been received (connection reset or closed before
        /// answering), so that an idempotent request may be replayed elsewhere.
        before_response: bool,
    },
    /// The downstream request body failed while it was being forwarded (client went away or
    /// sent a malformed body). Not the target's fault; never retried, never a health failure.
    #[error("request body failed while forwarding to {target}: {source}")]
    RequestBody {
        /// Target URL.
        target: String,
        /// The body's error.
        source: BoxError,
    },
    /// The pool configuration cannot be used (invalid TLS settings, invalid target address).
    #[error("upstream pool {pool:?} is misconfigured: {reason}")]
    InvalidConfig {
        /// Pool name.
        pool: String,
        /// What is wrong.
        reason: String,
    },
}

impl UpstreamError {
    /// The status the proxy answers with: 503 when no target is available, 504 on timeouts,
    /// 400 when the downstream body failed, 500 for a misconfigured pool, else 502.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NoHealthyTarget { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::ConnectTimeout { .. } | Self::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            Self::RequestBody { .. } => StatusCode::BAD_REQUEST,
            Self::InvalidConfig { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Connect { .. } | Self::Tls { .. } | Self::Protocol { .. } => {
                StatusCode::BAD_GATEWAY
            }
        }
    }

    /// Whether replaying the request on another target may help: connect failures and
    /// connections lost before any response byte. Timeouts after the request was sent, TLS
    /// verification failures and body errors are not retried.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connect { .. } | Self::ConnectTimeout { .. } => true,
            Self::Protocol {
                before_response, ..
            } => *before_response,
            Self::NoHealthyTarget { .. }
            | Self::Tls { .. }
            | Self::Timeout { .. }
            | Self::RequestBody { .. }
            | Self::InvalidConfig { .. } => false,
        }
    }

    /// Whether this outcome counts against the target's passive health.
    pub(crate) fn is_target_failure(&self) -> bool {
        matches!(
            self,
            Self::Connect { .. }
                | Self::ConnectTimeout { .. }
                | Self::Tls { .. }
                | Self::Timeout { .. }
                | Self::Protocol { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_retryability() {
        let t = || "http://127.0.0.1:1".to_owned();
        let io = || std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let cases: Vec<(UpstreamError, u16, bool, bool)> = vec![
            (
                UpstreamError::NoHealthyTarget { pool: "p".into() },
                503,
                false,
                false,
            ),
            (
                UpstreamError::Connect {
                    target: t(),
                    source: io(),
                },
                502,
                true,
                true,
            ),
            (
                UpstreamError::ConnectTimeout {
                    target: t(),
                    after: Duration::from_secs(1),
                },
                504,
                true,
                true,
            ),
            (
                UpstreamError::Tls {
                    target: t(),
                    source: "bad cert".into(),
                },
                502,
                false,
                true,
            ),
            (
                UpstreamError::Timeout {
                    target: t(),
                    after: Duration::from_secs(1),
                },
                504,
                false,
                true,
            ),
            (
                UpstreamError::Protocol {
                    target: t(),
                    source: "reset".into(),
                    before_response: true,
                },
                502,
                true,
                true,
            ),
            (
                UpstreamError::Protocol {
                    target: t(),
                    source: "parse".into(),
                    before_response: false,
                },
                502,
                false,
                true,
            ),
            (
                UpstreamError::RequestBody {
                    target: t(),
                    source: "gone".into(),
                },
                400,
                false,
                false,
            ),
            (
                UpstreamError::InvalidConfig {
                    pool: "p".into(),
                    reason: "x".into(),
                },
                500,
                false,
                false,
            ),
        ];
        for (err, status, retry, failure) in cases {
            assert_eq!(err.status().as_u16(), status, "{err}");
            assert_eq!(err.is_retryable(), retry, "{err}");
            assert_eq!(err.is_target_failure(), failure, "{err}");
        }
    }
}
