//! The spool reader (the delivery worker with a spool): sends what is on
//! disk, in order, and removes each segment once it is settled.

use crate::client::worker::guarded_log;
use std::collections::VecDeque;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::super::metrics::DropReason;
use super::super::now_ms;
use super::super::sink::Envelope;
use super::super::spool;
use super::super::worker::{instant_after, Delivery, ORDER};
use super::Journal;

/// Sends what is on disk, in order.
pub(crate) struct Reader {
    delivery: Delivery,
    journal: Arc<Journal>,
    /// Events of the front segment read from disk and not yet settled.
    decoded: VecDeque<Envelope>,
    /// Bytes of the front segment read so far.
    offset: u64,
    /// Events of the front segment read from disk so far.
    decoded_events: u64,
    /// After retries ran out: the next attempt is not before this.
    parked_until: Option<Instant>,
    /// The last flush that triggered an attempt while parked.
    retried_for: u64,
    /// A batch failed after shutdown began: stop, the rest stays on disk.
    gave_up: bool,
    /// The journal version `next_step` last looked at.
    seen: u64,
    /// The front segment's file, open while it is read (no open and close
    /// per read as the writer appends).
    file: Option<(PathBuf, File)>,
}

/// What the reader does next.
enum Step {
    /// Read more of the front segment from disk.
    Read {
        path: PathBuf,
        end: u64,
        replay: bool,
    },
    /// Send a batch now.
    Send,
    /// The front segment is done: remove it.
    Remove,
    /// Nothing to do before this instant (or a change).
    Wait(Option<Instant>),
    /// Stop.
    Stop,
}

impl Reader {
    /// A reader that starts at the oldest segment of `journal`.
    pub fn new(delivery: Delivery, journal: Arc<Journal>) -> Self {
        Reader {
            delivery,
            journal,
            decoded: VecDeque::new(),
            offset: 0,
            decoded_events: 0,
            parked_until: None,
            retried_for: 0,
            gave_up: false,
            seen: 0,
            file: None,
        }
    }

    /// Serves the spool until shutdown.
    pub fn run(mut self) {
        loop {
            match self.next_step() {
                Step::Read { path, end, replay } => self.read(path, end, replay),
                Step::Send => self.send(),
                Step::Remove => self.remove_front(),
                Step::Wait(until) => self.wait(until),
                Step::Stop => break,
            }
        }
        self.delivery.flush_sink();
        let ack = self.journal.lock().shutdown_ack.take();
        if let Some(ack) = ack {
            ack.done();
        }
    }

    /// Waits for a change of the journal, or until `until`.
    fn wait(&self, until: Option<Instant>) {
        let mut state = self.journal.lock();
        while state.version == self.seen {
            let now = Instant::now();
            state = match until {
                Some(until) if now >= until => return,
                Some(until) => {
                    self.journal
                        .changed
                        .wait_timeout(state, until - now)
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .0
                }
                None => self
                    .journal
                    .changed
                    .wait(state)
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
            };
        }
    }

    fn parked(&self) -> bool {
        self.parked_until
            .is_some_and(|until| Instant::now() < until)
    }

    fn next_step(&mut self) -> Step {
        let mut state = self.journal.lock();
        self.seen = state.version;
        // A flush made after the last attempt while parked, or the shutdown:
        // try once more at once.
        if self.parked() && state.flush_count > self.retried_for && !state.flushes.is_empty() {
            self.retried_for = state.flush_count;
            self.parked_until = None;
        }
        if state.closing && !self.gave_up {
            self.parked_until = None;
        }
        let parked = self.parked();
        let settled = self.decoded.is_empty();
        let front = state.segments.front().map(|s| (s.id, s.bytes, s.closed));
        let position = front.map(|(id, ..)| (id, state.front_settled));
        // Answer the flushes that are done, or all of them while parked (the
        // events wait on disk: settled for now).
        state.flushes.retain(|(target, _, ack)| {
            let done = parked
                || match (target, position) {
                    (None, _) | (_, None) => true,
                    (Some(target), Some(position)) => position >= *target,
                };
            if done {
                ack.done();
            }
            !done
        });
        let stopping = state.closing && (self.gave_up || self.delivery.shared.past_deadline());
        if stopping {
            return Step::Stop;
        }
        let Some((_, bytes, closed)) = front else {
            return if state.closing {
                Step::Stop
            } else {
                Step::Wait(None)
            };
        };
        if parked {
            return Step::Wait(self.parked_until);
        }
        // Read ahead up to one batch, so a batch can fill while it waits; but
        // not at every append of the writer: only to start a batch, to fill
        // one, or when the batch must go now (otherwise the batch's deadline
        // or the next change wakes this reader).
        if self.offset < bytes && self.decoded.len() < self.delivery.config.max_events {
            let config = &self.delivery.config;
            let segment = &state.segments[0];
            let unread_events = segment.events.saturating_sub(self.decoded_events);
            let decoded_bytes: usize = self.decoded.iter().map(|e| e.json().len()).sum();
            let unread_bytes = usize::try_from(bytes - self.offset).unwrap_or(usize::MAX);
            let delay_ms = u64::try_from(config.max_delay.as_millis()).unwrap_or(u64::MAX);
            let worth_reading = self.decoded.is_empty()
                || closed
                || state.closing
                || !state.flushes.is_empty()
                || self.decoded.len() as u64 + unread_events >= config.max_events as u64
                || decoded_bytes.saturating_add(unread_bytes) >= config.max_bytes
                || now_ms() >= self.decoded[0].timestamp_ms().saturating_add(delay_ms);
            if worth_reading {
                return Step::Read {
                    path: segment.path.clone(),
                    end: bytes,
                    replay: segment.replay,
                };
            }
        }
        if settled {
            return if closed {
                Step::Remove
            } else {
                Step::Wait(None)
            };
        }
        // A batch is due when full, old enough, or when nothing more can join it.
        let config = &self.delivery.config;
        let (mut events, mut size) = (0, 0);
        for envelope in &self.decoded {
            events += 1;
            size += envelope.json().len();
            if events >= config.max_events || size >= config.max_bytes {
                return Step::Send;
            }
        }
        if closed || state.closing || !state.flushes.is_empty() {
            return Step::Send;
        }
        let oldest = self.decoded[0].timestamp_ms();
        let delay_ms = u64::try_from(config.max_delay.as_millis()).unwrap_or(u64::MAX);
        let due_ms = oldest.saturating_add(delay_ms);
        let now = now_ms();
        if now >= due_ms {
            return Step::Send;
        }
        Step::Wait(Some(instant_after(
            Instant::now(),
            Duration::from_millis(due_ms - now),
        )))
    }

    /// Reads the front segment from `offset` to `end`.
    fn read(&mut self, path: PathBuf, end: u64, replay: bool) {
        let cached = self.file.take().filter(|(open, _)| *open == path);
        let result = (|| {
            let mut file = match cached {
                Some((_, file)) => file,
                None => File::open(&path)?,
            };
            let start = self.offset.max(spool::magic().len() as u64);
            file.seek(SeekFrom::Start(start))?;
            let mut bytes = Vec::with_capacity((end - start) as usize);
            (&mut file).take(end - start).read_to_end(&mut bytes)?;
            Ok::<_, io::Error>((spool::decode_lent(Arc::new(bytes), replay), file))
        })();
        match result {
            Ok((decoded, file)) => {
                self.file = Some((path.clone(), file));
                if decoded.skipped_bytes > 0 && !replay {
                    guarded_log!(
                        warn!(path = %path.display(), skipped_bytes = decoded.skipped_bytes, "damaged spool records skipped")
                    );
                }
                self.decoded_events += decoded.events.len() as u64;
                self.decoded.extend(decoded.events);
                self.offset = end;
            }
            Err(error) => {
                guarded_log!(
                    error!(path = %path.display(), %error, "cannot read a spool segment; its events are dropped")
                );
                let mut state = self.journal.lock();
                if let Some(segment) = state.segments.front_mut() {
                    segment.closed = true;
                    segment.bytes = self.offset.min(segment.bytes);
                }
                self.offset = end;
            }
        }
    }

    /// Sends one batch from the front of `decoded`.
    fn send(&mut self) {
        let config = &self.delivery.config;
        let (mut count, mut size) = (0, 0);
        for envelope in &self.decoded {
            let len = envelope.json().len();
            if count > 0 && (count >= config.max_events || size + len > config.max_bytes) {
                break;
            }
            count += 1;
            size += len;
        }
        let batch: Vec<Envelope> = self.decoded.drain(..count).collect();
        let mut unsent = Vec::new();
        let mut reason = DropReason::RetriesExhausted;
        self.delivery.deliver(&batch, &mut unsent, &mut reason);
        let settled = (batch.len() - unsent.len()) as u64;
        self.delivery
            .shared
            .counters
            .spooled
            .fetch_sub(settled, ORDER);
        self.journal.lock().front_settled += settled;
        if unsent.is_empty() {
            self.parked_until = None;
        } else {
            // Still on disk: try again later, in order.
            self.gave_up = self.journal.lock().closing;
            for envelope in unsent.into_iter().rev() {
                self.decoded.push_front(envelope);
            }
            let retry = &self.delivery.config.retry;
            let wait = retry
                .backoff_cap(retry.max_retries)
                .max(Duration::from_millis(10));
            guarded_log!(warn!(
                events = self.decoded.len(),
                reason = reason.as_str(),
                "analytics events kept in the spool for a later attempt"
            ));
            self.parked_until = Some(instant_after(Instant::now(), wait));
        }
    }

    /// Removes the settled front segment (counting what could not be read).
    fn remove_front(&mut self) {
        let mut state = self.journal.lock();
        let Some(segment) = state.segments.pop_front() else {
            return;
        };
        state.bytes = state.bytes.saturating_sub(segment.bytes);
        state.front_settled = 0;
        drop(state);
        let missing = segment.events.saturating_sub(self.decoded_events);
        if missing > 0 {
            let counters = &self.delivery.shared.counters;
            counters.spooled.fetch_sub(missing, ORDER);
            counters.drop_events(DropReason::SpoolError, missing);
        }
        self.offset = 0;
        self.decoded_events = 0;
        self.file = None;
        if let Err(error) = fs::remove_file(&segment.path) {
            if error.kind() != io::ErrorKind::NotFound {
                guarded_log!(
                    warn!(path = %segment.path.display(), %error, "cannot remove a spool segment")
                );
            }
        }
    }
}
