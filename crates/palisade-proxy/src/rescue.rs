//! The one rescue point: every way a request can end early (a framing rejection, no route, a
//! redirect, an inspector verdict, an upstream failure, an oversized body, an internal error)
//! becomes a response here, short and plain, with no internals in it. Details go to the log.

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::{BodyExt, Full};
use palisade_upstream::UpstreamError;

use crate::body::InnerBody;
use crate::inspect::{Interruption, Phase, Verdict};
use crate::smuggling::Rejection;

/// Why a request ends before (or instead of) an upstream response.
#[derive(Debug)]
pub(crate) enum Stop {
    /// Ambiguous or malformed framing, refused before routing; the connection is closed.
    Reject(Rejection),
    /// A `Host` (or `:authority`) that is missing or unusable.
    BadHost,
    /// No site matched.
    NoRoute,
    /// The site wants HTTPS; the `Location` to send.
    RedirectHttps(String),
    /// An inspector interrupted in a phase.
    Verdict(Phase, Verdict),
    /// The request body is larger than `limits.max_request_body_bytes`.
    TooLarge,
    /// The client's request body failed (reset, malformed chunking) while it was read.
    ClientBody,
    /// The upstream exchange failed.
    Upstream(UpstreamError),
    /// Something that should not happen (an invalid header we built, a missing pool).
    Internal(&'static str),
}

/// What the rescue point decided.
#[derive(Debug)]
pub(crate) struct Rescued {
    /// `None`: drop the connection (HTTP/2: reset the stream) without an answer.
    pub(crate) response: Option<Response<InnerBody>>,
    /// For phase 5.
    pub(crate) interruption: Interruption,
}

/// Turns a [`Stop`] into what the client gets.
pub(crate) fn rescue(stop: Stop) -> Rescued {
    let (response, interruption) = match stop {
        Stop::Reject(rejection) => {
            tracing::info!(shape = rejection.shape, status = %rejection.status, "request refused: framing");
            let mut resp = plain(rejection.status);
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            (Some(resp), Interruption::BadRequest)
        }
        Stop::BadHost => (
            Some(plain(StatusCode::BAD_REQUEST)),
            Interruption::BadRequest,
        ),
        Stop::NoRoute => (Some(plain(StatusCode::NOT_FOUND)), Interruption::NoRoute),
        Stop::RedirectHttps(location) => (
            Some(redirect(StatusCode::PERMANENT_REDIRECT, &location)),
            Interruption::RedirectHttps,
        ),
        Stop::Verdict(phase, verdict) => {
            let resp = match verdict {
                Verdict::Continue => {
                    // Not an interruption; answering it as one would be a request-path bug.
                    tracing::error!(?phase, "Continue reached the rescue point");
                    Some(plain(StatusCode::INTERNAL_SERVER_ERROR))
                }
                Verdict::Deny { status, reason } => {
                    tracing::info!(?phase, %status, reason, "request denied");
                    let status = if status.is_client_error() || status.is_server_error() {
                        status
                    } else {
                        StatusCode::FORBIDDEN
                    };
                    Some(plain(status))
                }
                Verdict::Redirect { status, location } => {
                    let status = if matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
                        status
                    } else {
                        StatusCode::FOUND
                    };
                    Some(redirect(status, &location))
                }
                Verdict::Drop => {
                    tracing::info!(?phase, "request dropped");
                    None
                }
            };
            (resp, Interruption::Inspector(phase))
        }
        Stop::TooLarge => (
            Some(plain(StatusCode::PAYLOAD_TOO_LARGE)),
            Interruption::BadRequest,
        ),
        Stop::ClientBody => (
            Some(plain(StatusCode::BAD_REQUEST)),
            Interruption::BadRequest,
        ),
        Stop::Upstream(error) => {
            let status = error.status();
            tracing::warn!(%error, %status, "upstream failed");
            (Some(plain(status)), Interruption::Upstream)
        }
        Stop::Internal(what) => {
            tracing::error!(what, "internal error on the request path");
            (
                Some(plain(StatusCode::INTERNAL_SERVER_ERROR)),
                Interruption::Internal,
            )
        }
    };
    Rescued {
        response,
        interruption,
    }
}

/// A short plain-text response: `404 Not Found`.
pub(crate) fn plain(status: StatusCode) -> Response<InnerBody> {
    let text = format!(
        "{} {}\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    let mut resp = Response::new(full(Bytes::from(text)));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn redirect(status: StatusCode, location: &str) -> Response<InnerBody> {
    match HeaderValue::from_str(location) {
        Ok(value) => {
            let mut resp = plain(status);
            resp.headers_mut().insert(header::LOCATION, value);
            resp
        }
        Err(_) => {
            tracing::error!("redirect location is not a valid header value");
            plain(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// A complete body.
pub(crate) fn full(bytes: Bytes) -> InnerBody {
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_become_plain_responses() {
        let deny = rescue(Stop::Verdict(
            Phase::RequestHeaders,
            Verdict::Deny {
                status: StatusCode::FORBIDDEN,
                reason: "secret rule 942100".into(),
            },
        ));
        let resp = deny.response.unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            deny.interruption,
            Interruption::Inspector(Phase::RequestHeaders)
        );

        // A Deny with a non-error status is sent as 403.
        let odd = rescue(Stop::Verdict(
            Phase::RequestBody,
            Verdict::Deny {
                status: StatusCode::OK,
                reason: String::new(),
            },
        ));
        assert_eq!(odd.response.unwrap().status(), StatusCode::FORBIDDEN);

        let redirect = rescue(Stop::Verdict(
            Phase::RequestHeaders,
            Verdict::Redirect {
                status: StatusCode::OK,
                location: "/login".into(),
            },
        ));
        let resp = redirect.response.unwrap();
        assert_eq!(resp.status(), StatusCode::FOUND);
        assert_eq!(resp.headers()[header::LOCATION], "/login");

        assert!(
            rescue(Stop::Verdict(Phase::RequestHeaders, Verdict::Drop))
                .response
                .is_none()
        );
        let upstream = rescue(Stop::Upstream(UpstreamError::NoHealthyTarget {
            pool: "app".into(),
        }));
        assert_eq!(
            upstream.response.unwrap().status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[tokio::test]
    async fn bodies_say_nothing_internal() {
        let resp = rescue(Stop::Upstream(UpstreamError::NoHealthyTarget {
            pool: "secret-pool-name".into(),
        }))
        .response
        .unwrap();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"503 Service Unavailable\n");
    }
}
