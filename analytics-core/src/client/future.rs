//! [`FlushFuture`] and [`ShutdownFuture`]: `flush` and `shutdown` for async
//! code, as plain futures that need no runtime.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use super::completion::WaitAll;
use super::{Inner, Timeout};

/// The future [`Client::flush_async`](super::Client::flush_async) returns:
/// `Ok(())` once every event queued before the call is delivered or settled,
/// `Err(Timeout)` at the deadline (delivery goes on).
#[must_use = "a flush future does nothing unless awaited"]
pub struct FlushFuture {
    /// One answer per sink lane (none when the client is shut down).
    waiters: WaitAll,
    deadline: Instant,
}

impl FlushFuture {
    pub(super) fn new(waiters: WaitAll, deadline: Instant) -> Self {
        FlushFuture { waiters, deadline }
    }
}

impl fmt::Debug for FlushFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlushFuture")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl Future for FlushFuture {
    type Output = Result<(), Timeout>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.waiters.poll(cx, this.deadline)
    }
}

/// The future [`Client::shutdown_async`](super::Client::shutdown_async)
/// returns: `Ok(())` once the worker has stopped with every event delivered
/// or accounted for, `Err(Timeout)` if it did not stop in time.
#[must_use = "the client is closed already; await the future to wait for delivery"]
pub struct ShutdownFuture {
    inner: Arc<Inner>,
    /// `None`: nothing to wait for (shut down already).
    waiters: Option<WaitAll>,
    deadline: Instant,
}

impl ShutdownFuture {
    pub(super) fn new(inner: Arc<Inner>, begun: Option<(WaitAll, Instant)>) -> Self {
        let (waiters, deadline) = match begun {
            Some((waiters, deadline)) => (Some(waiters), deadline),
            None => (None, Instant::now()),
        };
        ShutdownFuture {
            inner,
            waiters,
            deadline,
        }
    }
}

impl fmt::Debug for ShutdownFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShutdownFuture")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl Future for ShutdownFuture {
    type Output = Result<(), Timeout>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Some(waiters) = &mut this.waiters else {
            return Poll::Ready(Ok(()));
        };
        match waiters.poll(cx, this.deadline) {
            Poll::Ready(Ok(())) => {
                this.inner.join_threads();
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(Timeout)) => {
                tracing::warn!("the analytics worker did not stop in time");
                Poll::Ready(Err(Timeout))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
