//! The spooled pipeline: a writer thread that drains the queue into segment
//! files as fast as the disk allows, independently of the sink, and a reader
//! (the delivery worker) that sends what is on disk, in order, and removes a
//! segment once every event in it is settled.
//!
//! ```text
//! track() ─queue─▶ writer ─append─▶ segment files ─read─▶ reader ─▶ sink
//!                      └──────── journal (shared table) ──────┘
//! ```
//!
//! An event reaches disk one write after `track` queued it, whatever the sink
//! does (stalled, slow, failing): the writer never waits for the reader. The
//! reader holds at most one segment's events in memory, so an outage costs
//! disk (bounded by `spool_max_bytes`), not memory. Delivery is at-least-once:
//! a crash replays every segment not yet fully settled, with the same message
//! ids.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::metrics::DropReason;
use super::sink::Envelope;
use super::spool::{self, Leftover, SpoolDir};
use super::worker::{instant_after, Delivery, FailedOut, Msg, Queued, Shared, ORDER};
use super::{now_ms, SpoolFull};

/// At most this many events per write: bounds the time between a `track`
/// and its event being on disk when the queue is long.
const WRITE_CHUNK: usize = 4096;

/// One segment file as the journal knows it.
#[derive(Debug)]
struct Segment {
    id: u64,
    path: PathBuf,
    /// Bytes written and committed (the reader never reads past this).
    bytes: u64,
    /// Events committed (for leftovers: the valid JSON records found).
    events: u64,
    /// No more writes will come.
    closed: bool,
    /// Left by an earlier run: its records are checked to be JSON.
    replay: bool,
}

/// A position in the spool: (segment id, events of that segment).
type Position = (u64, u64);

#[derive(Debug, Default)]
struct State {
    /// Live segments, oldest first; the reader works on the front one.
    segments: VecDeque<Segment>,
    /// Bytes of all live segment files.
    bytes: u64,
    /// Events of the front segment settled by the reader.
    front_settled: u64,
    /// Flush requests: what they wait for, their number, their answer.
    flushes: Vec<(Option<Position>, u64, Sender<()>)>,
    flush_count: u64,
    /// The writer has stopped (shutdown, or every handle dropped).
    closing: bool,
    shutdown_ack: Option<Sender<()>>,
    /// Bumped on every change the reader waits for (so no wake-up is missed).
    version: u64,
}

/// The table shared by the writer and the reader.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    state: Mutex<State>,
    changed: Condvar,
}

impl Journal {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records a change under `state`'s lock and wakes the reader.
    fn changed(&self, state: &mut State) {
        state.version += 1;
        self.changed.notify_all();
    }
}

/// The spool's settings.
pub(crate) struct SpoolConfig {
    pub sync: bool,
    pub max_bytes: u64,
    pub full: SpoolFull,
}

/// Opens the spool directory and starts nothing yet: returns the writer and
/// the reader to run on their threads.
pub(crate) fn open(
    dir: PathBuf,
    config: SpoolConfig,
    delivery: Delivery,
    failed: Option<FailedOut>,
) -> io::Result<(Writer, Reader)> {
    let (dir, leftovers) = SpoolDir::open(dir)?;
    let journal = Arc::new(Journal::default());
    let shared = Arc::clone(&delivery.shared);
    let counters = &shared.counters;
    let mut next_id = 0;
    {
        let mut state = journal.lock();
        for Leftover {
            path,
            bytes,
            events,
            not_json,
        } in leftovers
        {
            counters.replayed.fetch_add(events + not_json, ORDER);
            counters.spooled.fetch_add(events, ORDER);
            if not_json > 0 {
                tracing::error!(path = %path.display(), records = not_json, "spooled records that are not JSON; dropped");
                counters.drop_events(DropReason::SpoolError, not_json);
            }
            tracing::info!(path = %path.display(), events, "replaying a spool segment");
            state.bytes += bytes;
            state.segments.push_back(Segment {
                id: next_id,
                path,
                bytes,
                events,
                closed: true,
                replay: true,
            });
            next_id += 1;
        }
    }
    let prefix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or(0);
    let segment_bytes = (config.max_bytes / 8).clamp(64 << 10, 4 << 20);
    let writer = Writer {
        journal: Arc::clone(&journal),
        shared: Arc::clone(&shared),
        nonce: delivery.config.nonce,
        failed,
        dir,
        config,
        prefix,
        next_id,
        current: None,
        segment_bytes,
        sequence: 0,
        buffer: Vec::new(),
    };
    let reader = Reader {
        delivery,
        journal,
        decoded: VecDeque::new(),
        offset: 0,
        decoded_events: 0,
        parked_until: None,
        retried_for: 0,
        gave_up: false,
        seen: 0,
    };
    Ok((writer, reader))
}

/// Drains the queue into segment files.
pub(crate) struct Writer {
    journal: Arc<Journal>,
    shared: Arc<Shared>,
    nonce: [u8; 16],
    failed: Option<FailedOut>,
    dir: SpoolDir,
    config: SpoolConfig,
    prefix: u128,
    next_id: u64,
    /// The open segment: its id and file.
    current: Option<(u64, File)>,
    segment_bytes: u64,
    sequence: u64,
    buffer: Vec<u8>,
}

impl Writer {
    /// Serves the queue until shutdown (or until every handle is gone).
    pub fn run(mut self, rx: Receiver<Msg>) {
        let mut events = Vec::with_capacity(WRITE_CHUNK);
        loop {
            let Ok(first) = rx.recv() else {
                self.close(None);
                return;
            };
            let mut control = None;
            let mut next = Some(first);
            while let Some(message) = next.take() {
                match message {
                    Msg::Event(queued) => events.push(queued),
                    Msg::Failed(line) => {
                        let counters = &self.shared.counters;
                        counters.queue_depth.fetch_sub(1, ORDER);
                        if let Some(failed) = &mut self.failed {
                            failed.send(line, counters);
                        }
                    }
                    other => {
                        control = Some(other);
                        break;
                    }
                }
                if events.len() < WRITE_CHUNK {
                    next = rx.try_recv().ok();
                }
            }
            self.write(&mut events);
            match control {
                Some(Msg::Flush(ack)) => self.request_flush(ack),
                Some(Msg::Shutdown(ack)) => {
                    // Every handle is closed: nothing can follow this message.
                    self.close(Some(ack));
                    return;
                }
                _ => {}
            }
        }
    }

    fn request_flush(&mut self, ack: Sender<()>) {
        let mut state = self.journal.lock();
        let target = state.segments.back().map(|s| (s.id, s.events));
        state.flush_count += 1;
        let number = state.flush_count;
        state.flushes.push((target, number, ack));
        self.journal.changed(&mut state);
    }

    fn close(&mut self, ack: Option<Sender<()>>) {
        self.current = None;
        let mut state = self.journal.lock();
        for segment in state.segments.iter_mut() {
            segment.closed = true;
        }
        state.closing = true;
        state.shutdown_ack = ack;
        self.journal.changed(&mut state);
    }

    /// Writes `queued` (emptied) to the open segment, within the byte bound.
    fn write(&mut self, queued: &mut Vec<Queued>) {
        if queued.is_empty() {
            return;
        }
        let shared = Arc::clone(&self.shared);
        let counters = &shared.counters;
        let count = queued.len() as u64;
        let mut envelopes = Vec::with_capacity(queued.len());
        for event in queued.drain(..) {
            self.sequence += 1;
            envelopes.push(event.into_envelope(self.nonce, self.sequence));
        }
        // In groups of a quarter segment: segments stay near their size, and
        // the byte bound evicts whole old segments, not part of this write.
        let group_limit = self.segment_bytes / 4;
        let mut rest = &envelopes[..];
        while !rest.is_empty() {
            let mut end = 0;
            let mut bytes = 0;
            while end < rest.len()
                && (end == 0 || bytes + spool::record_len(&rest[end]) <= group_limit)
            {
                bytes += spool::record_len(&rest[end]);
                end += 1;
            }
            let (group, later) = rest.split_at(end);
            rest = later;
            let kept = self.make_room(group);
            counters.drop_events(DropReason::SpoolFull, (group.len() - kept) as u64);
            if kept > 0 {
                if let Err(error) = self.append(&group[..kept]) {
                    tracing::error!(dir = %self.dir.dir.display(), %error, "cannot write to the spool");
                    counters.drop_events(DropReason::SpoolError, kept as u64);
                }
            }
        }
        counters.queue_depth.fetch_sub(count, ORDER);
    }

    /// How many of `envelopes` fit under the byte bound, after evicting the
    /// oldest segments if the policy says so.
    fn make_room(&mut self, envelopes: &[Envelope]) -> usize {
        let mut state = self.journal.lock();
        let mut kept = 0;
        let mut needed = if self.current.is_none() {
            spool::magic().len() as u64
        } else {
            0
        };
        for envelope in envelopes {
            let len = spool::record_len(envelope);
            while state.bytes + needed + len > self.config.max_bytes
                && self.config.full == SpoolFull::DropOldest
                && self.evict_oldest(&mut state)
            {}
            if state.bytes + needed + len > self.config.max_bytes {
                break;
            }
            needed += len;
            kept += 1;
        }
        kept
    }

    /// Removes the oldest closed segment that the reader is not on.
    fn evict_oldest(&self, state: &mut State) -> bool {
        let Some(index) = state
            .segments
            .iter()
            .skip(1)
            .position(|segment| segment.closed)
            .map(|at| at + 1)
        else {
            return false;
        };
        let Some(segment) = state.segments.remove(index) else {
            return false;
        };
        state.bytes = state.bytes.saturating_sub(segment.bytes);
        let counters = &self.shared.counters;
        counters.spooled.fetch_sub(segment.events, ORDER);
        counters.drop_events(DropReason::SpoolFull, segment.events);
        if let Err(error) = fs::remove_file(&segment.path) {
            tracing::warn!(path = %segment.path.display(), %error, "cannot remove an evicted spool segment");
        }
        true
    }

    fn open_segment(&mut self) -> io::Result<()> {
        let id = self.next_id;
        self.next_id += 1;
        let path = self
            .dir
            .dir
            .join(format!("{:032x}-{id:010}.seg", self.prefix));
        let mut file =
            spool::create_private(&path, OpenOptions::new().write(true).create_new(true))?;
        if let Err(error) = file.write_all(spool::magic()) {
            let _ = fs::remove_file(&path);
            return Err(error);
        }
        let bytes = spool::magic().len() as u64;
        let mut state = self.journal.lock();
        state.bytes += bytes;
        state.segments.push_back(Segment {
            id,
            path,
            bytes,
            events: 0,
            closed: false,
            replay: false,
        });
        self.current = Some((id, file));
        Ok(())
    }

    /// Appends the records; on failure the file is cut back to its last
    /// committed length (the reader never reads past it anyway).
    fn append(&mut self, envelopes: &[Envelope]) -> io::Result<()> {
        if self.current.is_none() {
            self.open_segment()?;
        }
        self.buffer.clear();
        spool::encode(envelopes, &mut self.buffer);
        let Some((id, file)) = self.current.as_mut() else {
            return Err(io::Error::other("no open segment"));
        };
        let id = *id;
        let written = file.write_all(&self.buffer).and_then(|()| {
            if self.config.sync {
                file.sync_data()
            } else {
                Ok(())
            }
        });
        let mut state = self.journal.lock();
        let Some(segment) = state.segments.iter_mut().find(|s| s.id == id) else {
            return Err(io::Error::other("the open segment left the journal"));
        };
        if let Err(error) = written {
            let committed = segment.bytes;
            segment.closed = true;
            self.current = None;
            drop(state);
            let rolled_back = OpenOptions::new()
                .write(true)
                .open(&segment_path(&self.journal, id))
                .and_then(|file| file.set_len(committed));
            if let Err(cut) = rolled_back {
                tracing::warn!(%cut, "cannot cut a failed spool write back; its tail will be skipped");
            }
            return Err(error);
        }
        let len = self.buffer.len() as u64;
        segment.bytes += len;
        segment.events += envelopes.len() as u64;
        let full = segment.bytes >= self.segment_bytes;
        if full {
            segment.closed = true;
        }
        state.bytes += len;
        self.shared
            .counters
            .spooled
            .fetch_add(envelopes.len() as u64, ORDER);
        self.journal.changed(&mut state);
        drop(state);
        if full {
            self.current = None;
        }
        Ok(())
    }
}

fn segment_path(journal: &Journal, id: u64) -> PathBuf {
    journal
        .lock()
        .segments
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.path.clone())
        .unwrap_or_default()
}

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
            let _ = ack.send(());
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
                let _ = ack.send(());
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
        if self.decoded.is_empty() && self.offset < bytes {
            let segment = &state.segments[0];
            return Step::Read {
                path: segment.path.clone(),
                end: bytes,
                replay: segment.replay,
            };
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
        let result = (|| {
            let mut file = File::open(&path)?;
            let start = self.offset.max(spool::magic().len() as u64);
            file.seek(SeekFrom::Start(start))?;
            let mut bytes = Vec::with_capacity((end - start) as usize);
            file.take(end - start).read_to_end(&mut bytes)?;
            Ok::<_, io::Error>(spool::decode(&bytes, replay))
        })();
        match result {
            Ok(decoded) => {
                if decoded.skipped_bytes > 0 && !replay {
                    tracing::warn!(path = %path.display(), skipped_bytes = decoded.skipped_bytes, "damaged spool records skipped");
                }
                self.decoded_events += decoded.events.len() as u64;
                self.decoded.extend(decoded.events);
                self.offset = end;
            }
            Err(error) => {
                tracing::error!(path = %path.display(), %error, "cannot read a spool segment; its events are dropped");
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
            tracing::warn!(
                events = self.decoded.len(),
                reason = reason.as_str(),
                "analytics events kept in the spool for a later attempt"
            );
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
        if let Err(error) = fs::remove_file(&segment.path) {
            if error.kind() != io::ErrorKind::NotFound {
                tracing::warn!(path = %segment.path.display(), %error, "cannot remove a spool segment");
            }
        }
    }
}
