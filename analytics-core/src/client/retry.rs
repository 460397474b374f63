//! Exponential backoff with full jitter.

use std::time::Duration;

/// When and how often a batch is sent again after a retryable error.
///
/// The delay before retry `n` (0-based) is drawn uniformly from
/// `[0, min(max_backoff, initial_backoff * 2^n)]` ("full jitter"), or is
/// exactly that cap with `jitter = false`. A `Retry-After` from the sink
/// (HTTP 429 / 503) replaces the computed delay, capped at `max_retry_after`.
///
/// Retryable: connection errors, timeouts, HTTP 408, 429 and 5xx. Not
/// retried: other 4xx (the batch is dropped as `rejected`) and 413 (the batch
/// is split in halves instead).
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; `0` sends each batch once.
    pub max_retries: u32,
    /// The cap of the first delay.
    pub initial_backoff: Duration,
    /// The largest delay computed from the backoff.
    pub max_backoff: Duration,
    /// Draw each delay uniformly below its cap (recommended: spreads the
    /// retries of many clients after an outage).
    pub jitter: bool,
    /// The largest `Retry-After` honoured; longer requests wait this long.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 8 retries, 100 ms doubling up to 30 s, full jitter, `Retry-After` up to 60 s.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 8,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(30),
            jitter: true,
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Never retry: each batch is sent once, as the reference client does. A
    /// batch that fails is dropped as `retries_exhausted` (or, with a spool,
    /// kept on disk for the next run); 413 still splits the batch.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// `max_retries` retries, delays doubling from `initial` up to `max`, full jitter.
    pub fn exponential(max_retries: u32, initial: Duration, max: Duration) -> Self {
        RetryPolicy {
            max_retries,
            initial_backoff: initial,
            max_backoff: max,
            ..RetryPolicy::default()
        }
    }

    /// Sets `max_retry_after`.
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Sets `jitter`.
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The cap of the delay before retry `attempt` (0-based), before jitter.
    pub fn backoff_cap(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.initial_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }

    /// The delay before retry `attempt` (0-based); `retry_after` is what the
    /// sink asked for, if anything.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_retry_after);
        }
        let cap = self.backoff_cap(attempt);
        if !self.jitter || cap.is_zero() {
            return cap;
        }
        let nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let policy =
            RetryPolicy::exponential(5, Duration::from_millis(10), Duration::from_millis(50))
                .with_jitter(false);
        let delays: Vec<_> = (0..5).map(|n| policy.delay(n, None).as_millis()).collect();
        assert_eq!(delays, [10, 20, 40, 50, 50]);
        assert_eq!(policy.backoff_cap(200), Duration::from_millis(50));
    }

    #[test]
    fn jitter_stays_below_the_cap() {
        let policy = RetryPolicy::exponential(5, Duration::from_millis(10), Duration::from_secs(1));
        for attempt in 0..10 {
            for _ in 0..100 {
                assert!(policy.delay(attempt, None) <= policy.backoff_cap(attempt));
            }
        }
    }

    #[test]
    fn none_sends_once_and_keeps_the_other_defaults() {
        let policy = RetryPolicy::none();
        assert_eq!(policy.max_retries, 0);
        assert_eq!(
            policy,
            RetryPolicy {
                max_retries: 0,
                ..RetryPolicy::default()
            }
        );
    }

    #[test]
    fn retry_after_is_honoured_up_to_its_cap() {
        let policy = RetryPolicy::default().with_max_retry_after(Duration::from_secs(2));
        assert_eq!(
            policy.delay(0, Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
        assert_eq!(
            policy.delay(0, Some(Duration::from_secs(9))),
            Duration::from_secs(2)
        );
    }
}
