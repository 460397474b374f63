//! The answer to a flush or a shutdown: one [`Ack`] the worker signals, waited
//! on by a blocking caller (a condvar) or by an async one (a [`Waker`]).
//!
//! A future needs its deadline enforced without a runtime: one process-wide
//! timer thread, started on the first async wait, wakes each pending future at
//! its deadline. It sleeps on a condvar between deadlines and owns no client
//! state, so a stalled sink (which holds the worker) cannot delay a timeout.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::worker::instant_after;
use super::Timeout;

/// How a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    /// The worker answered.
    Done,
    /// The worker dropped the request unanswered (it stopped first).
    Abandoned,
}

#[derive(Debug)]
struct Slot {
    state: State,
    /// The task to wake, when an async caller waits.
    waker: Option<Waker>,
    /// The deadline has passed (set by the timer thread).
    expired: bool,
}

/// The state one request's two halves share.
#[derive(Debug)]
pub(crate) struct Signal {
    slot: Mutex<Slot>,
    changed: Condvar,
}

impl Signal {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn finish(&self, state: State) {
        let waker = {
            let mut slot = self.lock();
            if slot.state != State::Pending {
                return;
            }
            slot.state = state;
            slot.waker.take()
        };
        self.changed.notify_all();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn expire(&self) {
        let waker = {
            let mut slot = self.lock();
            slot.expired = true;
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The worker's half: [`done`](Ack::done) answers the request; dropping it
/// unanswered ends the wait with `Timeout` (as a closed channel did).
#[derive(Debug)]
pub(crate) struct Ack(Arc<Signal>);

impl Ack {
    pub fn done(&self) {
        self.0.finish(State::Done);
    }
}

impl Drop for Ack {
    fn drop(&mut self) {
        self.0.finish(State::Abandoned);
    }
}

/// The caller's half.
#[derive(Debug)]
pub(crate) struct Waiter(Arc<Signal>);

/// A new request: the half sent to the worker and the half kept.
pub(crate) fn pair() -> (Ack, Waiter) {
    let signal = Arc::new(Signal {
        slot: Mutex::new(Slot {
            state: State::Pending,
            waker: None,
            expired: false,
        }),
        changed: Condvar::new(),
    });
    (Ack(Arc::clone(&signal)), Waiter(signal))
}

impl Waiter {
    /// Blocks until the answer or `timeout`; `true` when answered.
    pub fn wait(&self, timeout: Duration) -> bool {
        let until = instant_after(Instant::now(), timeout);
        let mut slot = self.0.lock();
        loop {
            match slot.state {
                State::Done => return true,
                State::Abandoned => return false,
                State::Pending => {}
            }
            let now = Instant::now();
            if now >= until {
                return false;
            }
            slot = self
                .0
                .changed
                .wait_timeout(slot, until - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Polls for the answer; the first pending poll arms the timer for
    /// `deadline` (`armed` remembers it).
    pub fn poll(
        &self,
        cx: &mut Context<'_>,
        deadline: Instant,
        armed: &mut bool,
    ) -> Poll<Result<(), Timeout>> {
        {
            let mut slot = self.0.lock();
            match slot.state {
                State::Done => return Poll::Ready(Ok(())),
                State::Abandoned => return Poll::Ready(Err(Timeout)),
                State::Pending => {}
            }
            if slot.expired || Instant::now() >= deadline {
                return Poll::Ready(Err(Timeout));
            }
            match &mut slot.waker {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                waker => *waker = Some(cx.waker().clone()),
            }
        }
        if !*armed {
            *armed = true;
            timer().schedule(deadline, Arc::downgrade(&self.0));
        }
        Poll::Pending
    }
}

/// The process-wide timer: deadlines of pending async waits, earliest first.
struct Timer {
    queue: Mutex<BinaryHeap<Entry>>,
    changed: Condvar,
}

/// One deadline; ordered by instant, then by arrival (a heap needs `Ord`).
struct Entry {
    at: Reverse<(Instant, u64)>,
    signal: Weak<Signal>,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.at.cmp(&other.at)
    }
}

fn timer() -> &'static Timer {
    static TIMER: OnceLock<&'static Timer> = OnceLock::new();
    TIMER.get_or_init(|| {
        let timer: &'static Timer = Box::leak(Box::new(Timer {
            queue: Mutex::new(BinaryHeap::new()),
            changed: Condvar::new(),
        }));
        let spawned = std::thread::Builder::new()
            .name("analytics-timer".into())
            .spawn(move || timer.run());
        if let Err(error) = spawned {
            // Futures then end at their answer only (or on a later poll past
            // the deadline); logged, never a panic.
            tracing::error!(%error, "cannot start the analytics timer thread");
        }
        timer
    })
}

impl Timer {
    fn schedule(&self, deadline: Instant, signal: Weak<Signal>) {
        static ARRIVALS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let arrival = ARRIVALS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        queue.push(Entry {
            at: Reverse((deadline, arrival)),
            signal,
        });
        self.changed.notify_one();
    }

    fn run(&self) {
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let now = Instant::now();
            while queue.peek().is_some_and(|entry| entry.at.0 .0 <= now) {
                if let Some(signal) = queue.pop().and_then(|entry| entry.signal.upgrade()) {
                    // Wake outside the queue lock: a waker may run user code.
                    drop(queue);
                    signal.expire();
                    queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
                }
            }
            // Entries whose future is gone are dropped when they come due.
            queue = match queue.peek().map(|entry| entry.at.0 .0) {
                Some(next) => {
                    let wait = next.saturating_duration_since(Instant::now());
                    self.changed
                        .wait_timeout(queue, wait)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
                None => self.changed.wait(queue).unwrap_or_else(|p| p.into_inner()),
            };
        }
    }
}

/// The answers of several workers (one per sink lane) to one flush or
/// shutdown: done when every one has answered.
#[derive(Debug, Default)]
pub(crate) struct WaitAll {
    /// The waiters not answered yet, each with its timer-armed flag.
    pending: Vec<(Waiter, bool)>,
}

impl WaitAll {
    pub fn push(&mut self, waiter: Waiter) {
        self.pending.push((waiter, false));
    }

    /// Blocks until every answer or `timeout`; `true` when all answered.
    pub fn wait(&self, timeout: Duration) -> bool {
        let until = instant_after(Instant::now(), timeout);
        self.pending
            .iter()
            .all(|(waiter, _)| waiter.wait(until.saturating_duration_since(Instant::now())))
    }

    /// Polls every waiter not answered yet; `Ok` once all have answered,
    /// `Err(Timeout)` as soon as one cannot answer in time.
    pub fn poll(&mut self, cx: &mut Context<'_>, deadline: Instant) -> Poll<Result<(), Timeout>> {
        let mut failed = false;
        self.pending
            .retain_mut(|(waiter, armed)| match waiter.poll(cx, deadline, armed) {
                Poll::Ready(Ok(())) => false,
                Poll::Ready(Err(Timeout)) => {
                    failed = true;
                    true
                }
                Poll::Pending => true,
            });
        if failed {
            Poll::Ready(Err(Timeout))
        } else if self.pending.is_empty() {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }
}

impl FromIterator<Waiter> for WaitAll {
    fn from_iter<I: IntoIterator<Item = Waiter>>(waiters: I) -> Self {
        WaitAll {
            pending: waiters.into_iter().map(|waiter| (waiter, false)).collect(),
        }
    }
}
