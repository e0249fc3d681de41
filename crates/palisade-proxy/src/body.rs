//! Bodies on the request path: bounded buffering for inspection, a prefix glued back in
//! front of the rest of a stream, a size limit counted while streaming, and the response
//! wrapper that runs phase 5 when the response ends (or is abandoned).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;

/// Boxed error of the bodies here.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The type-erased body every response carries inside [`FinishBody`].
pub(crate) type InnerBody = UnsyncBoxBody<Bytes, BoxError>;

/// The request body grew past `limits.max_request_body_bytes`.
#[derive(Debug, thiserror::Error)]
#[error("request body larger than {limit} bytes")]
pub(crate) struct TooLarge {
    limit: u64,
}

/// Why buffering stopped early.
#[derive(Debug)]
pub(crate) enum BufferError {
    /// Over the body limit.
    TooLarge,
    /// The body itself failed.
    Body(BoxError),
}

/// Reads `body` until at least `want` bytes are buffered or it ends. Returns the bytes and
/// whether the body ended (`complete`). Errs when more than `limit` bytes arrive.
/// Trailers of a body that ends while buffering are dropped.
pub(crate) async fn buffer<B>(
    body: &mut B,
    want: usize,
    limit: u64,
) -> Result<(Bytes, bool), BufferError>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    let mut buf = BytesMut::new();
    loop {
        if buf.len() >= want && !body.is_end_stream() {
            return Ok((buf.freeze(), false));
        }
        match body.frame().await {
            None => return Ok((buf.freeze(), true)),
            Some(Err(e)) => return Err(BufferError::Body(e.into())),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    buf.extend_from_slice(&data);
                    if buf.len() as u64 > limit {
                        return Err(BufferError::TooLarge);
                    }
                }
            }
        }
    }
}

/// `prefix`, then the frames of `rest`.
#[derive(Debug)]
pub(crate) struct Prefixed<B> {
    prefix: Option<Bytes>,
    rest: B,
}

impl<B> Prefixed<B> {
    /// Glues `prefix` (may be empty) in front of `rest`.
    pub(crate) fn new(prefix: Bytes, rest: B) -> Self {
        Prefixed {
            prefix: (!prefix.is_empty()).then_some(prefix),
            rest,
        }
    }
}

impl<B> Body for Prefixed<B>
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
        if let Some(prefix) = this.prefix.take() {
            return Poll::Ready(Some(Ok(Frame::data(prefix))));
        }
        Pin::new(&mut this.rest)
            .poll_frame(cx)
            .map(|f| f.map(|r| r.map_err(Into::into)))
    }

    fn is_end_stream(&self) -> bool {
        self.prefix.is_none() && self.rest.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let extra = self.prefix.as_ref().map_or(0, |p| p.len() as u64);
        let inner = self.rest.size_hint();
        let mut hint = SizeHint::new();
        hint.set_lower(inner.lower().saturating_add(extra));
        if let Some(upper) = inner.upper() {
            hint.set_upper(upper.saturating_add(extra));
        }
        hint
    }
}

/// Counts data bytes and fails once more than `limit` have passed (`seen` starts at what was
/// already buffered). Sets `exceeded` so the rescue point can answer 413 rather than the
/// upstream error the failure causes.
#[derive(Debug)]
pub(crate) struct Limited<B> {
    inner: B,
    seen: u64,
    limit: u64,
    exceeded: Arc<AtomicBool>,
}

impl<B> Limited<B> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: B, seen: u64, limit: u64, exceeded: Arc<AtomicBool>) -> Self {
        Limited {
            inner,
            seen,
            limit,
            exceeded,
        }
    }
}

impl<B> Body for Limited<B>
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
        match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    this.seen = this.seen.saturating_add(data.len() as u64);
                    if this.seen > this.limit {
                        this.exceeded.store(true, Ordering::SeqCst);
                        return Poll::Ready(Some(Err(Box::new(TooLarge { limit: this.limit }))));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Some(Err(e)) => Poll::Ready(Some(Err(e.into()))),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Runs once when a response ends or is abandoned: phase 5 and metrics.
pub(crate) trait Finisher: Send {
    /// `bytes` were sent; `completed` when the body reached its end.
    fn finish(self: Box<Self>, bytes: u64, completed: bool);
}

/// The response body: the inner body plus the finisher that runs when it ends.
pub(crate) struct FinishBody {
    inner: InnerBody,
    finisher: Option<Box<dyn Finisher>>,
    bytes: u64,
}

impl std::fmt::Debug for FinishBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FinishBody")
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

impl FinishBody {
    /// Wraps `inner`; `finisher` runs exactly once.
    pub(crate) fn new(inner: InnerBody, finisher: Box<dyn Finisher>) -> Self {
        FinishBody {
            inner,
            finisher: Some(finisher),
            bytes: 0,
        }
    }

    fn finish(&mut self, completed: bool) {
        if let Some(f) = self.finisher.take() {
            f.finish(self.bytes, completed);
        }
    }
}

impl Body for FinishBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        let polled = ready!(Pin::new(&mut this.inner).poll_frame(cx));
        match &polled {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    this.bytes += data.len() as u64;
                }
                if this.inner.is_end_stream() {
                    this.finish(true);
                }
            }
            Some(Err(_)) => this.finish(false),
            None => this.finish(true),
        }
        Poll::Ready(polled)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for FinishBody {
    fn drop(&mut self) {
        let completed = self.inner.is_end_stream();
        self.finish(completed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, StreamBody};

    fn chunks(parts: &[&'static [u8]]) -> impl Body<Data = Bytes, Error = BoxError> + Unpin {
        let frames: Vec<Result<Frame<Bytes>, BoxError>> = parts
            .iter()
            .map(|p| Ok(Frame::data(Bytes::from_static(p))))
            .collect();
        StreamBody::new(futures_util::stream::iter(frames))
    }

    #[tokio::test]
    async fn buffers_a_prefix_and_glues_it_back() {
        let mut body = chunks(&[b"abc", b"def", b"ghi"]);
        let (prefix, complete) = buffer(&mut body, 4, 100).await.unwrap();
        assert_eq!(&prefix[..], b"abcdef");
        assert!(!complete);
        let all = Prefixed::new(prefix, body)
            .collect()
            .await
            .unwrap()
            .to_bytes();
        assert_eq!(&all[..], b"abcdefghi");

        let mut body = chunks(&[b"abc"]);
        let (prefix, complete) = buffer(&mut body, 4, 100).await.unwrap();
        assert_eq!((&prefix[..], complete), (&b"abc"[..], true));

        let mut body = chunks(&[b"abc", b"def"]);
        assert!(matches!(
            buffer(&mut body, 100, 5).await,
            Err(BufferError::TooLarge)
        ));
    }

    #[tokio::test]
    async fn limit_counts_while_streaming() {
        let flag = Arc::new(AtomicBool::new(false));
        let body = Limited::new(chunks(&[b"abc", b"def"]), 0, 6, flag.clone());
        assert_eq!(&body.collect().await.unwrap().to_bytes()[..], b"abcdef");
        assert!(!flag.load(Ordering::SeqCst));
        let body = Limited::new(chunks(&[b"abc", b"def"]), 1, 6, flag.clone());
        assert!(body.collect().await.is_err());
        assert!(flag.load(Ordering::SeqCst));
    }

    struct Record(Arc<std::sync::Mutex<Vec<(u64, bool)>>>);
    impl Finisher for Record {
        fn finish(self: Box<Self>, bytes: u64, completed: bool) {
            self.0.lock().unwrap().push((bytes, completed));
        }
    }

    #[tokio::test]
    async fn finisher_runs_once_on_end_or_drop() {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let body = FinishBody::new(
            chunks(&[b"abc", b"de"]).boxed_unsync(),
            Box::new(Record(log.clone())),
        );
        body.collect().await.unwrap();
        let mut body = FinishBody::new(
            chunks(&[b"abc", b"de"]).boxed_unsync(),
            Box::new(Record(log.clone())),
        );
        let _ = body.frame().await;
        drop(body);
        assert_eq!(*log.lock().unwrap(), [(5, true), (3, false)]);
    }
}
