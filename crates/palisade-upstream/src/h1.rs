//! HTTP/1.1 connections to the targets, kept per shard.
//!
//! Each shard (one per data-plane event loop, plus one for health probes) has its own idle
//! connections per target, and a connection's task runs on the event loop that opened it, so
//! a request never waits on another thread. A sender goes back to its shard's list as soon
//! as the response head arrives; it is reused once hyper reports it ready again (the
//! previous response body read to its end), which is checked on checkout. Connections that
//! closed, or sat idle longer than the pool's idle timeout, are dropped on checkout and by
//! [`H1Pool::reap`], which the pool's maintenance task calls.
//!
//! A request sent on a reused connection that turns out to be closed before the request
//! went out (the target's keep-alive timeout raced us) is sent again once on a new
//! connection: hyper hands such a request back unsent, so this is safe for any method.

use std::sync::Mutex;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use tokio::time::Instant;

use crate::BoxError;
use crate::body::UpstreamBody;
use crate::connect::Connector;

struct Idle {
    sender: SendRequest<UpstreamBody>,
    since: Instant,
}

/// One shard: idle connections by target index.
struct Shard {
    idle: Mutex<Vec<Vec<Idle>>>,
}

/// See the module docs.
pub(crate) struct H1Pool {
    shards: Vec<Shard>,
    connector: Connector,
    max_idle: usize,
    idle_timeout: Duration,
}

impl H1Pool {
    /// `shards` sets of idle lists over `targets` targets.
    pub(crate) fn new(
        shards: usize,
        targets: usize,
        connector: Connector,
        max_idle: usize,
        idle_timeout: Duration,
    ) -> Self {
        let shards = (0..shards.max(1))
            .map(|_| Shard {
                idle: Mutex::new((0..targets).map(|_| Vec::new()).collect()),
            })
            .collect();
        H1Pool {
            shards,
            connector,
            max_idle,
            idle_timeout,
        }
    }

    /// Number of shards.
    pub(crate) fn shards(&self) -> usize {
        self.shards.len()
    }

    /// Sends `req` (origin-form URI, `Host` set) to target `target` at `authority` through
    /// shard `shard` (taken modulo the shard count).
    pub(crate) async fn send(
        &self,
        shard: usize,
        target: usize,
        authority: &str,
        req: Request<UpstreamBody>,
    ) -> Result<Response<Incoming>, BoxError> {
        let shard = &self.shards[shard % self.shards.len()];
        let (mut sender, reused) = match self.checkout(shard, target) {
            Some(sender) => (sender, true),
            None => (self.connect(authority).await?, false),
        };
        let result = match sender.try_send_request(req).await {
            Ok(resp) => Ok(resp),
            Err(mut e) => match e.take_message() {
                // Unsent on a reused connection: once more on a new one.
                Some(req) if reused => {
                    sender = self.connect(authority).await?;
                    sender.send_request(req).await.map_err(Into::into)
                }
                _ => Err(e.into_error().into()),
            },
        };
        let keep = match &result {
            Ok(resp) => resp.status() != http::StatusCode::SWITCHING_PROTOCOLS,
            Err(_) => false,
        };
        if keep {
            self.put(shard, target, sender);
        }
        result
    }

    fn checkout(&self, shard: &Shard, target: usize) -> Option<SendRequest<UpstreamBody>> {
        let mut idle = shard.idle.lock().unwrap_or_else(|e| e.into_inner());
        let list = idle.get_mut(target)?;
        let now = Instant::now();
        list.retain(|i| self.usable(i, now));
        // Most recently used first: the warmest connection, and the others age out.
        let at = list.iter().rposition(|i| i.sender.is_ready())?;
        Some(list.swap_remove(at).sender)
    }

    /// Still open and not idle past the timeout.
    fn usable(&self, idle: &Idle, now: Instant) -> bool {
        !idle.sender.is_closed() && now.duration_since(idle.since) < self.idle_timeout
    }

    fn put(&self, shard: &Shard, target: usize, sender: SendRequest<UpstreamBody>) {
        let mut idle = shard.idle.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(list) = idle.get_mut(target)
            && list.len() < self.max_idle
        {
            list.push(Idle {
                sender,
                since: Instant::now(),
            });
        }
        // Otherwise the sender drops here and its connection closes after this response.
    }

    async fn connect(&self, authority: &str) -> Result<SendRequest<UpstreamBody>, BoxError> {
        let io = self.connector.connect(authority).await?;
        let (sender, conn) = http1::Builder::new().handshake(io).await?;
        tokio::spawn(async move {
            if let Err(e) = conn.with_upgrades().await {
                tracing::debug!(error = %e, "upstream connection ended");
            }
        });
        Ok(sender)
    }

    /// Drops closed connections and those idle longer than the idle timeout, in every shard.
    pub(crate) fn reap(&self) {
        let now = Instant::now();
        for shard in &self.shards {
            let mut idle = shard.idle.lock().unwrap_or_else(|e| e.into_inner());
            for list in idle.iter_mut() {
                list.retain(|i| self.usable(i, now));
            }
        }
    }

    /// Idle connections held, over all shards and targets.
    pub(crate) fn idle_count(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.idle
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .iter()
                    .map(Vec::len)
                    .sum::<usize>()
            })
            .sum()
    }
}
