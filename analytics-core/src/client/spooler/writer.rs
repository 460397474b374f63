//! The spool writer: drains the queue into segment files, within the byte
//! bound, one write per drained chunk.

use crate::client::worker::guarded_log;
use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::super::completion::Ack;
use super::super::metrics::DropReason;
use super::super::queue::{Block, Receiver, Want};
use super::super::sink::derived_message_id;
use super::super::spool::{self, SpoolDir};
use super::super::worker::{instant_after, FailedOut, Msg, Shared, ORDER};
use super::{Journal, Segment, SpoolConfig, State};
use crate::client::SpoolFull;

/// About this many events per write at most (whole queue blocks are taken):
/// bounds the time between a `track` and its event being on disk when the
/// queue is long.
const WRITE_CHUNK: usize = 4096;

/// How long the writer, woken by an event, lets more gather before it
/// writes: one write (and one wake-up of the writer) for what arrives in
/// that time, instead of one per event. Part of the spool's window.
const GATHER: Duration = Duration::from_millis(1);

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
    /// The records of one write, encoded...
    buffer: Vec<u8>,
    /// ...and where each ends in `buffer`.
    ends: Vec<usize>,
}

impl Writer {
    /// A writer whose new segments get ids from `next_id` on.
    pub fn new(
        journal: Arc<Journal>,
        shared: Arc<Shared>,
        nonce: [u8; 16],
        failed: Option<FailedOut>,
        dir: SpoolDir,
        config: SpoolConfig,
        next_id: u64,
    ) -> Self {
        let prefix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or(0);
        let segment_bytes = (config.max_bytes / 8).clamp(64 << 10, 4 << 20);
        Writer {
            journal,
            shared,
            nonce,
            failed,
            dir,
            config,
            prefix,
            next_id,
            current: None,
            segment_bytes,
            sequence: 0,
            buffer: Vec::new(),
            ends: Vec::new(),
        }
    }

    /// Serves the queue until shutdown (or until every handle is gone).
    pub fn run(mut self, rx: Receiver) {
        let mut blocks = Vec::new();
        let mut inbox = VecDeque::new();
        loop {
            // Woken by the first message; then up to `GATHER` for more (a
            // control message, such as a flush, ends that wait at once).
            if inbox.is_empty() {
                if rx.recv(Want::ANY, &mut inbox).is_err() {
                    self.close(None);
                    return;
                }
                let events_only = inbox.iter().all(|m| matches!(m, Msg::Events(_)));
                let in_hand = inbox.iter().map(Msg::events).sum::<usize>();
                if events_only && in_hand < WRITE_CHUNK {
                    let more = Want {
                        events: WRITE_CHUNK - in_hand,
                        bytes: usize::MAX,
                        until: Some(instant_after(Instant::now(), GATHER)),
                    };
                    // Disconnected here means nothing more came: write what is in hand.
                    let _ = rx.recv(more, &mut inbox);
                }
            }
            let mut control = None;
            let mut in_hand = 0;
            while let Some(message) = inbox.pop_front() {
                match message {
                    Msg::Events(block) => {
                        in_hand += block.len();
                        blocks.push(block);
                        if in_hand >= WRITE_CHUNK {
                            break;
                        }
                    }
                    Msg::Failed(line) => {
                        let counters = &self.shared.counters;
                        rx.release(1);
                        if let Some(failed) = &mut self.failed {
                            failed.send(line, counters);
                        }
                    }
                    other => {
                        control = Some(other);
                        break;
                    }
                }
            }
            self.write(&blocks);
            rx.release(blocks.iter().map(|block| block.len() as u64).sum());
            // On disk now (the reader sends from there): the blocks can go back.
            rx.recycle(&mut blocks);
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

    fn request_flush(&mut self, ack: Ack) {
        let mut state = self.journal.lock();
        let target = state.segments.back().map(|s| (s.id, s.events));
        state.flush_count += 1;
        let number = state.flush_count;
        state.flushes.push((target, number, ack));
        self.journal.changed(&mut state);
    }

    fn close(&mut self, ack: Option<Ack>) {
        self.current = None;
        let mut state = self.journal.lock();
        for segment in state.segments.iter_mut() {
            segment.closed = true;
        }
        state.closing = true;
        state.shutdown_ack = ack;
        self.journal.changed(&mut state);
    }

    /// Writes the events of `blocks` to the open segment, within the byte
    /// bound.
    fn write(&mut self, blocks: &[Block]) {
        let count: usize = blocks.iter().map(Block::len).sum();
        if count == 0 {
            return;
        }
        let shared = Arc::clone(&self.shared);
        let counters = &shared.counters;
        // In groups of a quarter segment: segments stay near their size, and
        // the byte bound evicts whole old segments, not part of this write.
        let group_limit = self.segment_bytes / 4;
        let mut events = blocks.iter().flat_map(Block::iter).peekable();
        let mut buffer = std::mem::take(&mut self.buffer);
        while events.peek().is_some() {
            buffer.clear();
            self.ends.clear();
            while let Some(&(json, meta)) = events.peek() {
                let len = spool::record_len(json.len());
                if !self.ends.is_empty() && buffer.len() as u64 + len > group_limit {
                    break;
                }
                events.next();
                self.sequence += 1;
                let id = meta
                    .message_id
                    .unwrap_or_else(|| derived_message_id(self.nonce, self.sequence));
                spool::encode_record(json, id, meta.timestamp_ms, &mut buffer);
                self.ends.push(buffer.len());
            }
            let group = self.ends.len();
            let kept = self.make_room();
            counters.drop_events(DropReason::SpoolFull, (group - kept) as u64);
            if kept > 0 {
                let bytes = &buffer[..self.ends[kept - 1]];
                if let Err(error) = self.append(bytes, kept) {
                    guarded_log!(
                        error!(dir = %self.dir.dir.display(), %error, "cannot write to the spool")
                    );
                    counters.drop_events(DropReason::SpoolError, kept as u64);
                }
            }
        }
        self.buffer = buffer;
    }

    /// How many of the records ending at `self.ends` fit under the byte
    /// bound, after evicting the oldest segments if the policy says so.
    fn make_room(&mut self) -> usize {
        let mut state = self.journal.lock();
        let mut kept = 0;
        let mut needed = if self.current.is_none() {
            spool::magic().len() as u64
        } else {
            0
        };
        let mut start = 0;
        for &end in &self.ends {
            let len = (end - start) as u64;
            start = end;
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
            guarded_log!(
                warn!(path = %segment.path.display(), %error, "cannot remove an evicted spool segment")
            );
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

    /// Appends `bytes`, the records of `events` events; on failure the file
    /// is cut back to its last committed length (the reader never reads past
    /// it anyway).
    fn append(&mut self, bytes: &[u8], events: usize) -> io::Result<()> {
        if self.current.is_none() {
            self.open_segment()?;
        }
        let Some((id, file)) = self.current.as_mut() else {
            return Err(io::Error::other("no open segment"));
        };
        let id = *id;
        let written = file.write_all(bytes).and_then(|()| {
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
                .open(segment_path(&self.journal, id))
                .and_then(|file| file.set_len(committed));
            if let Err(cut) = rolled_back {
                guarded_log!(
                    warn!(%cut, "cannot cut a failed spool write back; its tail will be skipped")
                );
            }
            return Err(error);
        }
        let len = bytes.len() as u64;
        segment.bytes += len;
        segment.events += events as u64;
        let full = segment.bytes >= self.segment_bytes;
        if full {
            segment.closed = true;
        }
        state.bytes += len;
        self.shared.counters.spooled.fetch_add(events as u64, ORDER);
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
