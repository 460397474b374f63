//! The queue from the handles to a lane's worker: one producer handle, one
//! consumer, and wake-ups only when the consumer has something to do.
//!
//! A channel that wakes its receiver on every message costs the caller a
//! futex wake (and both threads a context switch) per `track` whenever the
//! worker keeps up, which is most of the time. Here the consumer says, as it
//! goes to sleep, how much it is waiting for (enough events or bytes to fill
//! its batch, or its batch's deadline); a send wakes it only once that much
//! is queued, or for a control message (flush, shutdown, a failed-event
//! line). The consumer takes everything queued in one lock.
//!
//! The queue also carries event buffers back: the consumer returns the
//! buffers of delivered events, and each send hands the caller one for its
//! next event, so a steady stream allocates nothing per event.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use super::worker::Msg;

/// What the consumer waits for before it wants to be woken.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Want {
    /// Wake once this many messages are queued (at least 1).
    pub events: usize,
    /// Wake once the queued events hold this many bytes.
    pub bytes: usize,
    /// Return at this instant whatever is queued (a batch's deadline).
    pub until: Option<Instant>,
}

impl Want {
    /// Woken by the first message.
    pub const ANY: Want = Want {
        events: 1,
        bytes: 1,
        until: None,
    };
}

/// Spare event buffers the queue keeps for the callers: enough for a
/// default batch several times over...
const SPARES: usize = 1024;
/// ...within this many bytes of capacity in all.
const SPARE_BYTES: usize = 4 << 20;
/// A buffer larger than this is freed rather than kept.
const SPARE_MAX_BYTES: usize = 64 * 1024;

#[derive(Default)]
struct State {
    items: VecDeque<Msg>,
    /// Envelope bytes of the queued events.
    bytes: usize,
    /// Queued messages that are not events (each wakes the consumer).
    controls: usize,
    sender_alive: bool,
    receiver_alive: bool,
    /// The consumer sleeps, waiting for `want`.
    waiting: Option<Want>,
    /// Emptied buffers of delivered events, for the callers' next events.
    spares: Vec<Vec<u8>>,
    /// Their capacity in bytes.
    spare_bytes: usize,
}

impl State {
    fn satisfies(&self, want: &Want) -> bool {
        self.controls > 0 || self.items.len() >= want.events || self.bytes >= want.bytes
    }
}

struct Chan {
    state: Mutex<State>,
    ready: Condvar,
}

impl Chan {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The producer half (not `Clone`: one per lane, held by the client).
pub(crate) struct Sender(Arc<Chan>);

/// The consumer half, owned by the lane's worker (or spool writer).
pub(crate) struct Receiver(Arc<Chan>);

/// The consumer is gone (the message was not queued).
#[derive(Debug)]
pub(crate) struct Closed;

/// Every sender is gone and nothing is queued.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Disconnected;

pub(crate) fn channel() -> (Sender, Receiver) {
    let chan = Arc::new(Chan {
        state: Mutex::new(State {
            sender_alive: true,
            receiver_alive: true,
            ..State::default()
        }),
        ready: Condvar::new(),
    });
    (Sender(Arc::clone(&chan)), Receiver(chan))
}

impl Sender {
    /// Queues `message`; wakes the consumer if it now has what it waits for.
    /// Returns an empty buffer for the caller's next event, when the queue
    /// has one to spare.
    pub fn send(&self, message: Msg) -> Result<Option<Vec<u8>>, Closed> {
        let mut state = self.0.lock();
        if !state.receiver_alive {
            return Err(Closed);
        }
        match &message {
            Msg::Event(queued) => state.bytes += queued.json.len(),
            _ => state.controls += 1,
        }
        state.items.push_back(message);
        let wake = state.waiting.is_some_and(|want| state.satisfies(&want));
        if wake {
            state.waiting = None;
        }
        let spare = state.spares.pop();
        if let Some(spare) = &spare {
            state.spare_bytes -= spare.capacity();
        }
        drop(state);
        if wake {
            self.0.ready.notify_one();
        }
        Ok(spare)
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        self.0.lock().sender_alive = false;
        self.0.ready.notify_one();
    }
}

impl Receiver {
    /// Moves every queued message into `into` once `want` is met, the
    /// deadline `want.until` has passed (then possibly none), or the sender
    /// is gone with messages left. `Err(Disconnected)` once the sender is
    /// gone and nothing is queued.
    pub fn recv(&self, want: Want, into: &mut impl Extend<Msg>) -> Result<(), Disconnected> {
        let mut state = self.0.lock();
        loop {
            let due = want.until.is_some_and(|until| Instant::now() >= until);
            if state.satisfies(&want) || (due || !state.sender_alive) && !state.items.is_empty() {
                Self::take(&mut state, into);
                return Ok(());
            }
            if !state.sender_alive {
                return Err(Disconnected);
            }
            if due {
                return Ok(());
            }
            state.waiting = Some(want);
            state = match want.until {
                Some(until) => {
                    let wait = until.saturating_duration_since(Instant::now());
                    self.0
                        .ready
                        .wait_timeout(state, wait)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
                None => self.0.ready.wait(state).unwrap_or_else(|p| p.into_inner()),
            };
            state.waiting = None;
        }
    }

    /// Keeps (emptied) the buffers of `buffers` the queue has room for, for
    /// the callers' next events; frees the others. Leaves `buffers` empty.
    pub fn recycle(&self, buffers: &mut Vec<Vec<u8>>) {
        if buffers.is_empty() {
            return;
        }
        {
            let mut state = self.0.lock();
            let room = SPARES.saturating_sub(state.spares.len());
            let keep = buffers.len().min(room);
            for mut buffer in buffers.drain(..keep) {
                let bytes = buffer.capacity();
                if bytes <= SPARE_MAX_BYTES && state.spare_bytes + bytes <= SPARE_BYTES {
                    buffer.clear();
                    state.spare_bytes += bytes;
                    state.spares.push(buffer);
                }
            }
        }
        // Freed outside the lock.
        buffers.clear();
    }

    /// Moves whatever is queued into `into`, without waiting.
    pub fn try_recv(&self, into: &mut impl Extend<Msg>) {
        Self::take(&mut self.0.lock(), into);
    }

    fn take(state: &mut State, into: &mut impl Extend<Msg>) {
        into.extend(state.items.drain(..));
        state.bytes = 0;
        state.controls = 0;
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        // Later sends fail (and are counted by the caller); what is queued
        // now is dropped with the state by the last holder.
        self.0.lock().receiver_alive = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::completion;
    use crate::client::worker::Queued;
    use std::time::Duration;

    fn event(bytes: usize) -> Msg {
        Msg::Event(Queued {
            json: vec![b'x'; bytes],
            timestamp_ms: 0,
            message_id: None,
            schema: None,
        })
    }

    #[test]
    fn the_consumer_sleeps_until_it_has_what_it_wants() {
        let (tx, rx) = channel();
        let consumer = std::thread::spawn(move || {
            let mut got = Vec::new();
            let want = Want {
                events: 3,
                bytes: usize::MAX,
                until: None,
            };
            rx.recv(want, &mut got).unwrap();
            got.len()
        });
        for _ in 0..3 {
            std::thread::sleep(Duration::from_millis(20));
            tx.send(event(1)).unwrap();
        }
        assert_eq!(consumer.join().unwrap(), 3);
    }

    #[test]
    fn bytes_a_control_message_and_the_deadline_each_end_the_wait() {
        let (tx, rx) = channel();
        let mut got = Vec::new();
        let by_bytes = Want {
            events: usize::MAX,
            bytes: 100,
            until: None,
        };
        tx.send(event(60)).unwrap();
        tx.send(event(60)).unwrap();
        rx.recv(by_bytes, &mut got).unwrap();
        assert_eq!(got.len(), 2);

        got.clear();
        tx.send(event(1)).unwrap();
        let (ack, _waiter) = completion::pair();
        tx.send(Msg::Flush(ack)).unwrap();
        rx.recv(by_bytes, &mut got).unwrap();
        assert_eq!(got.len(), 2);

        got.clear();
        let started = Instant::now();
        let by_time = Want {
            events: usize::MAX,
            bytes: usize::MAX,
            until: Some(started + Duration::from_millis(30)),
        };
        tx.send(event(1)).unwrap();
        rx.recv(by_time, &mut got).unwrap();
        assert_eq!(got.len(), 1);
        assert!(started.elapsed() >= Duration::from_millis(30));
        // Past the deadline with nothing queued: returns at once, empty.
        got.clear();
        rx.recv(by_time, &mut got).unwrap();
        assert!(got.is_empty());
    }

    #[test]
    fn a_dropped_sender_delivers_what_is_left_then_disconnects() {
        let (tx, rx) = channel();
        tx.send(event(1)).unwrap();
        drop(tx);
        let mut got = Vec::new();
        let want = Want {
            events: 10,
            bytes: usize::MAX,
            until: None,
        };
        rx.recv(want, &mut got).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(rx.recv(want, &mut got), Err(Disconnected));
    }

    #[test]
    fn buffers_given_back_are_handed_to_the_next_sends() {
        let (tx, rx) = channel();
        assert_eq!(tx.send(event(1)).unwrap(), None);
        let mut buffers = vec![
            Vec::with_capacity(2048),
            vec![7u8; 10],
            vec![0u8; SPARE_MAX_BYTES + 1],
        ];
        rx.recycle(&mut buffers);
        assert!(buffers.is_empty());
        let first = tx.send(event(1)).unwrap().expect("a spare");
        let second = tx.send(event(1)).unwrap().expect("a spare");
        assert!(first.is_empty() && second.is_empty());
        assert!(first.capacity() + second.capacity() >= 2048 + 10);
        // The oversized buffer was not kept.
        assert_eq!(tx.send(event(1)).unwrap(), None);
        let mut many: Vec<Vec<u8>> = (0..SPARES + 10).map(|_| Vec::with_capacity(8)).collect();
        rx.recycle(&mut many);
        assert!(many.is_empty());
        let handed = (0..SPARES + 10)
            .filter(|_| tx.send(event(1)).unwrap().is_some())
            .count();
        assert_eq!(handed, SPARES);
        // The bytes kept are bounded too.
        let mut large: Vec<Vec<u8>> = (0..SPARE_BYTES / SPARE_MAX_BYTES + 10)
            .map(|_| Vec::with_capacity(SPARE_MAX_BYTES))
            .collect();
        rx.recycle(&mut large);
        let handed = (0..SPARES)
            .filter(|_| tx.send(event(1)).unwrap().is_some())
            .count();
        assert!(handed <= SPARE_BYTES / SPARE_MAX_BYTES, "{handed}");
    }

    #[test]
    fn a_send_after_the_receiver_is_gone_comes_back() {
        let (tx, rx) = channel();
        drop(rx);
        assert!(tx.send(event(3)).is_err());
    }
}
