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
//! An event reaches disk one write (gathering up to 1 ms) after `track` queued it, whatever the sink
//! does (stalled, slow, failing): the writer never waits for the reader. The
//! reader holds at most one segment's events in memory, so an outage costs
//! disk (bounded by `spool_max_bytes`), not memory. Delivery is at-least-once:
//! a crash replays every segment not yet fully settled, with the same message
//! ids.

use crate::client::worker::guarded_log;
use std::collections::VecDeque;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::completion::Ack;
use super::metrics::DropReason;
use super::spool::{Leftover, SpoolDir};
use super::worker::{Delivery, FailedOut, ORDER};
use super::SpoolFull;

mod reader;
mod writer;

pub(crate) use reader::Reader;
pub(crate) use writer::Writer;

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
    flushes: Vec<(Option<Position>, u64, Ack)>,
    flush_count: u64,
    /// The writer has stopped (shutdown, or every handle dropped).
    closing: bool,
    shutdown_ack: Option<Ack>,
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
#[derive(Clone)]
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
                guarded_log!(
                    error!(path = %path.display(), records = not_json, "spooled records that are not JSON; dropped")
                );
                counters.drop_events(DropReason::SpoolError, not_json);
            }
            guarded_log!(info!(path = %path.display(), events, "replaying a spool segment"));
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
    let nonce = delivery.config.nonce;
    let writer = Writer::new(
        Arc::clone(&journal),
        shared,
        nonce,
        failed,
        dir,
        config,
        next_id,
    );
    let reader = Reader::new(delivery, journal);
    Ok((writer, reader))
}
