//! Data-plane workers: one OS thread per worker, each running its own single-threaded tokio
//! event loop (nginx's worker model). Every worker accepts from the same listening sockets
//! and keeps its own upstream connections, so a request is read, inspected, forwarded and
//! answered on one thread: no task hand-off between threads and no cross-thread wake-up on
//! the request path. The control plane (reload, health checks, certificate reload, the admin
//! listener) stays on the runtime that started the gateway.

use std::future::Future;
use std::num::NonZeroUsize;
use std::thread::JoinHandle;

use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::error::ProxyError;

/// The running workers.
#[derive(Debug)]
pub(crate) struct Workers {
    handles: Vec<Handle>,
    threads: Vec<JoinHandle<()>>,
    /// Ends every worker's event loop (tasks still on it are dropped).
    exit: CancellationToken,
}

/// How many workers `configured` means: itself, or one per CPU core for 0.
pub(crate) fn count(configured: usize) -> usize {
    if configured > 0 {
        return configured;
    }
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

impl Workers {
    /// Starts `n` workers (at least one) and waits until each one's event loop runs.
    pub(crate) async fn start(n: usize) -> Result<Workers, ProxyError> {
        let exit = CancellationToken::new();
        let mut handles = Vec::with_capacity(n.max(1));
        let mut threads = Vec::with_capacity(n.max(1));
        for index in 0..n.max(1) {
            let (ready_tx, ready_rx) = oneshot::channel();
            let thread_exit = exit.clone();
            let thread = std::thread::Builder::new()
                .name(format!("palisade-w{index}"))
                .spawn(move || {
                    let runtime = match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(runtime) => runtime,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(runtime.handle().clone()));
                    runtime.block_on(thread_exit.cancelled());
                    // Dropping the runtime drops what is left on it (idle upstream
                    // connections); connections were drained before `exit` fired.
                })
                .map_err(ProxyError::Worker)?;
            threads.push(thread);
            match ready_rx.await {
                Ok(Ok(handle)) => handles.push(handle),
                Ok(Err(e)) => {
                    exit.cancel();
                    return Err(ProxyError::Worker(e));
                }
                Err(_) => {
                    exit.cancel();
                    return Err(ProxyError::Worker(std::io::Error::other(
                        "a worker thread ended during start",
                    )));
                }
            }
        }
        Ok(Workers {
            handles,
            threads,
            exit,
        })
    }

    /// Number of workers.
    pub(crate) fn len(&self) -> usize {
        self.handles.len()
    }

    /// Runs `make(index)`'s future on worker `index`.
    pub(crate) fn spawn<F, Fut>(&self, index: usize, make: F) -> tokio::task::JoinHandle<()>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handle = &self.handles[index % self.handles.len()];
        handle.spawn(async move { make().await })
    }

    /// Ends every worker's event loop and waits for the threads to finish.
    pub(crate) async fn stop(mut self) {
        self.exit.cancel();
        let threads = std::mem::take(&mut self.threads);
        let _ = tokio::task::spawn_blocking(move || {
            for thread in threads {
                let _ = thread.join();
            }
        })
        .await;
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        // A gateway dropped without `shutdown` still ends its threads (not joined here).
        self.exit.cancel();
    }
}
