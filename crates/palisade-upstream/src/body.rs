//! Request bodies sent upstream and the read-timeout wrapper for response bodies.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use crate::BoxError;

/// A streamed request body: any body of [`Bytes`] frames with a boxed error.
pub type StreamBody = Box<dyn Body<Data = Bytes, Error = BoxError> + Send + Unpin>;

/// The body of a request sent to an upstream pool.
///
/// Only [`UpstreamBody::Empty`] and [`UpstreamBody::Full`] can be replayed, so only they allow
/// retries; a [`UpstreamBody::Stream`] is forwarded frame by frame as it arrives, never buffered.
#[derive(Default)]
pub enum UpstreamBody {
    /// No body.
    #[default]
    Empty,
    /// A body already buffered in full.
    Full(Bytes),
    /// A body streamed from the client.
    Stream(StreamBody),
}

impl UpstreamBody {
    /// A copy for another attempt, when the body can be replayed (`Empty` or `Full`).
    pub(crate) fn try_clone(&self) -> Option<Self> {
        match self {
            Self::Empty => Some(Self::Empty),
            Self::Full(bytes) => Some(Self::Full(bytes.clone())),
            Self::Stream(_) => None,
        }
    }
}

impl fmt::Debug for UpstreamBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("Empty"),
            Self::Full(bytes) => f.debug_tuple("Full").field(&bytes.len()).finish(),
            Self::Stream(body) => f.debug_tuple("Stream").field(&body.size_hint()).finish(),
        }
    }
}

impl From<Bytes> for UpstreamBody {
    fn from(bytes: Bytes) -> Self {
        Self::Full(bytes)
    }
}

impl Body for UpstreamBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            Self::Empty => Poll::Ready(None),
            Self::Full(bytes) => {
                if bytes.is_empty() {
                    return Poll::Ready(None);
                }
                Poll::Ready(Some(Ok(Frame::data(std::mem::take(bytes)))))
            }
            Self::Stream(body) => match ready!(Pin::new(body).poll_frame(cx)) {
                Some(Err(e)) => Poll::Ready(Some(Err(Box::new(RequestBodyError(e))))),
                other => Poll::Ready(other),
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Empty => true,
            Self::Full(bytes) => bytes.is_empty(),
            Self::Stream(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Empty => SizeHint::with_exact(0),
            Self::Full(bytes) => SizeHint::with_exact(bytes.len() as u64),
            Self::Stream(body) => body.size_hint(),
        }
    }
}

/// Marks an error that came from the downstream request body, so that it is not blamed on the
/// target.
#[derive(Debug)]
pub(crate) struct RequestBodyError(pub(crate) BoxError);

impl fmt::Display for RequestBodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request body: {}", self.0)
    }
}

impl std::error::Error for RequestBodyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// The error a [`ReadTimeoutBody`] yields when no frame arrived within the read timeout.
#[derive(Debug, thiserror::Error)]
#[error("no response body data within {0:?}")]
pub struct ReadTimeoutError(pub Duration);

/// Wraps a response body so that the wait for each frame is bounded by the pool's `read`
/// timeout; the timer restarts after every frame. See [`crate::Pool::send_timed`].
pub struct ReadTimeoutBody<B> {
    inner: B,
    timeout: Duration,
    sleep: Pin<Box<Sleep>>,
}

impl<B> ReadTimeoutBody<B> {
    /// Wraps `inner`, allowing at most `timeout` between frames.
    pub fn new(inner: B, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            sleep: Box::pin(tokio::time::sleep(timeout)),
        }
    }

    /// The wrapped body.
    pub fn into_inner(self) -> B {
        self.inner
    }
}

impl<B> fmt::Debug for ReadTimeoutBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadTimeoutBody")
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<B> Body for ReadTimeoutBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.sleep.as_mut().reset(Instant::now() + this.timeout);
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                ready!(this.sleep.as_mut().poll(cx));
                Poll::Ready(Some(Err(Box::new(ReadTimeoutError(this.timeout)))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt as _;

    use super::*;

    #[tokio::test]
    async fn full_body_yields_once_and_clones() {
        let body = UpstreamBody::Full(Bytes::from_static(b"abc"));
        assert_eq!(body.size_hint().exact(), Some(3));
        let copy = body.try_clone().unwrap();
        assert_eq!(body.collect().await.unwrap().to_bytes(), "abc");
        assert_eq!(copy.collect().await.unwrap().to_bytes(), "abc");
        assert!(UpstreamBody::Empty.is_end_stream());
    }

    #[tokio::test]
    async fn stream_is_not_replayable_and_errors_are_marked() {
        let failing = http_body_util::StreamBody::new(futures_util::stream::iter(vec![
            Ok(Frame::data(Bytes::from_static(b"a"))),
            Err::<Frame<Bytes>, BoxError>("client went away".into()),
        ]));
        let mut body = UpstreamBody::Stream(Box::new(failing));
        assert!(body.try_clone().is_none());
        assert!(body.frame().await.unwrap().is_ok());
        let err = body.frame().await.unwrap().unwrap_err();
        assert!(err.downcast_ref::<RequestBodyError>().is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn read_timeout_fires_between_frames() {
        let (mut tx, rx) = futures_channel_like();
        let mut body = ReadTimeoutBody::new(rx, Duration::from_secs(5));
        tx.push(Bytes::from_static(b"first"));
        assert_eq!(
            body.frame().await.unwrap().unwrap().into_data().unwrap(),
            "first"
        );
        // Nothing more arrives: the paused clock advances to the deadline.
        let err = body.frame().await.unwrap().unwrap_err();
        assert!(err.downcast_ref::<ReadTimeoutError>().is_some());
    }

    /// A body fed by hand: frames pushed before polling are yielded, then it stays pending.
    fn futures_channel_like() -> (Feeder, Fed) {
        let queue = std::sync::Arc::new(std::sync::Mutex::new(std::collections::VecDeque::new()));
        (Feeder(queue.clone()), Fed(queue))
    }

    struct Feeder(std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<Bytes>>>);
    impl Feeder {
        fn push(&mut self, b: Bytes) {
            self.0.lock().unwrap().push_back(b);
        }
    }

    struct Fed(std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<Bytes>>>);
    impl Body for Fed {
        type Data = Bytes;
        type Error = std::convert::Infallible;
        fn poll_frame(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            match self.0.lock().unwrap().pop_front() {
                Some(b) => Poll::Ready(Some(Ok(Frame::data(b)))),
                None => Poll::Pending,
            }
        }
    }
}
