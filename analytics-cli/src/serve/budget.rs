//! The bound on the bytes the collector holds for requests
//! (`--max-in-flight-bytes`): request bodies as they arrive, their gzip
//! decoding, the split items and what is handed to the writer (the body,
//! which the accepted events share, the few events copied because their
//! line must change, and the failed-event lines).
//!
//! A request reserves its bytes before (or, for a failed-event line, right
//! after) it allocates them; when the budget has no room left the request is
//! answered 503 with `Retry-After` and gives everything back, so the client
//! retries and nothing of it was kept. The reservation travels with the
//! request's job to the writer and is given back only once the job is
//! committed: a client that hangs up does not free bytes the writer still
//! holds.
//!
//! One request alone may always proceed: its reservation is capped at the
//! whole budget, so a body near `--max-body-bytes` whose copies exceed the
//! budget waits for an empty collector (its clients see 503s until then)
//! instead of never fitting.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::metrics::Metrics;

/// The shared budget of one collector.
pub(crate) struct Budget {
    semaphore: Arc<Semaphore>,
    limit: usize,
    peak: AtomicU64,
    metrics: Arc<Metrics>,
}

/// No room left in the budget: answer 503.
#[derive(Debug)]
pub(crate) struct Exhausted;

impl Budget {
    /// A budget of `limit` bytes (at least 1), reported in `metrics`.
    pub(crate) fn new(limit: usize, metrics: Arc<Metrics>) -> Arc<Budget> {
        let limit = limit.clamp(1, Semaphore::MAX_PERMITS);
        metrics.in_flight_bytes_limit.set(limit as i64);
        Arc::new(Budget {
            semaphore: Arc::new(Semaphore::new(limit)),
            limit,
            peak: AtomicU64::new(0),
            metrics,
        })
    }

    /// An empty reservation, for one request.
    pub(crate) fn hold(self: &Arc<Budget>) -> Held {
        Held {
            budget: Arc::clone(self),
            permit: None,
            bytes: 0,
        }
    }

    fn report(&self) {
        let held = (self.limit - self.semaphore.available_permits()) as u64;
        self.metrics.in_flight_bytes.set(held as i64);
        let peak = self.peak.fetch_max(held, Ordering::Relaxed).max(held);
        self.metrics.in_flight_bytes_peak.set(peak as i64);
    }
}

/// The bytes one request holds; given back when dropped.
pub(crate) struct Held {
    budget: Arc<Budget>,
    permit: Option<OwnedSemaphorePermit>,
    bytes: usize,
}

impl Held {
    /// Reserves `bytes` more; `Err` when the budget has no room for them.
    pub(crate) fn take(&mut self, bytes: usize) -> Result<(), Exhausted> {
        let bytes = bytes.min(self.budget.limit - self.bytes);
        if bytes == 0 {
            return Ok(());
        }
        // `try_acquire_many` counts in u32: take big reservations in steps.
        let mut left = bytes;
        while left > 0 {
            let step = left.min(u32::MAX as usize);
            let permit = Arc::clone(&self.budget.semaphore)
                .try_acquire_many_owned(step as u32)
                .map_err(|_| Exhausted)?;
            match &mut self.permit {
                Some(held) => held.merge(permit),
                None => self.permit = Some(permit),
            }
            self.bytes += step;
            left -= step;
        }
        self.budget.report();
        Ok(())
    }

    /// The bytes reserved.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(permit) = self.permit.take() {
            drop(permit);
            self.budget.report();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_stop_at_the_limit_and_come_back_when_dropped() {
        let metrics = Arc::new(Metrics::new());
        let budget = Budget::new(100, Arc::clone(&metrics));
        let mut first = budget.hold();
        first.take(60).unwrap();
        let mut second = budget.hold();
        assert!(second.take(50).is_err());
        second.take(40).unwrap();
        assert_eq!(metrics.in_flight_bytes.get(), 100);
        drop(first);
        assert_eq!(metrics.in_flight_bytes.get(), 40);
        assert_eq!(metrics.in_flight_bytes_peak.get(), 100);
        drop(second);
        assert_eq!(metrics.in_flight_bytes.get(), 0);
    }

    #[test]
    fn one_request_alone_is_capped_at_the_whole_budget() {
        let metrics = Arc::new(Metrics::new());
        let budget = Budget::new(100, Arc::clone(&metrics));
        let mut alone = budget.hold();
        alone.take(80).unwrap();
        alone.take(80).unwrap();
        assert_eq!(alone.bytes(), 100);
        let mut other = budget.hold();
        assert!(other.take(1).is_err());
        drop(alone);
        other.take(1).unwrap();
    }
}
