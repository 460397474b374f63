//! The queue from the handles to a lane's worker: one producer handle, one
//! consumer, and wake-ups only when the consumer has something to do.
//!
//! A channel that wakes its receiver on every message costs the caller a
//! futex wake (and both threads a context switch) per `track` whenever the
//! worker keeps up, which is most of the time. Here the consumer says, as it
//! goes to sleep, how much it is waiting for (enough events or bytes to fill
//! its batch, or its batch's deadline); a send wakes it only once that much
//! is queued, or for a control message (flush, shutdown, a failed-event
//! line).
//!
//! Events are not queued one allocation each: their bytes are copied back to
//! back into [`Block`]s of 256 KiB, allocated and touched once (so a `track`
//! that finds room pays no allocation and no page fault), handed to the
//! consumer whole (taking the queue is a few moves under the lock, whatever
//! the number of events) and given back emptied for reuse. When every spare
//! block is in use, as while the sink stalls and the queue fills, `track`
//! makes a new one outside the lock.
//!
//! The slot count is kept under the same lock: an accepted `track` takes
//! that one lock and updates no other shared counter (the consumer gives
//! slots back once per batch, on a cache line of their own; the producers
//! check for room against their last reading of it).
//!
//! The lock is held only to *reserve*: a slot, the event's place in the open
//! block (its byte range and its entry) and the counts. The bytes are copied
//! after the unlock, and the event is *published* by a release store of its
//! own flag; the consumer, which takes blocks under the lock, waits (outside
//! it) for every event of the blocks it took to be published before it reads
//! one byte of them ([`Block::settle`]). So the copy (1 KB for a typical
//! event, into memory the cache may not hold) never lengthens the critical
//! section, and the unlock does not wait for it to reach memory. A flush or a
//! shutdown queued behind a reserved event is answered only after that event
//! is published and handled, as if the copy had been made under the lock.
//!
//! Having copied its bytes, `track` asks the core for the lines the *next*
//! event will most likely be copied into and reserved in (as many bytes as
//! this one, right after it, with its entry and flag): by the next call they
//! are in this core's cache, ready to be written, instead of being fetched
//! (from memory, or from the consumer's core) one line at a time during the
//! next copy and under the next hold of the lock.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use std::ops::Range;

use super::worker::Msg;
use crate::schema::EventSchema;

/// What the consumer waits for before it wants to be woken.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Want {
    /// Wake once this many events are queued (at least 1).
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

#[cfg(test)]
thread_local! {
    /// Tests only: pause this thread between some reservations and their
    /// copies, so that a consumer takes blocks with events still unwritten.
    static PAUSE_BEFORE_COPY: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// The event bytes a block holds...
const BLOCK_BYTES: usize = 256 << 10;
/// ...and at most this many events (for small events).
const BLOCK_EVENTS: usize = 2048;
/// Emptied blocks kept for reuse (4 MiB of event bytes); more are freed.
const SPARE_BLOCKS: usize = 16;

/// What travels with an event's bytes: when it was tracked, its message id
/// when `track` wrote it into the envelope, its type.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Meta {
    pub timestamp_ms: u64,
    pub message_id: Option<[u8; 16]>,
    pub schema: Option<&'static EventSchema>,
}

/// Queued events back to back: their bytes in one buffer, where each ends
/// with what travels with it, and whether its bytes are in place yet.
///
/// The invariants the lock-free copy relies on (see [`Block::reserve`]):
/// every byte of `bytes`' capacity is initialized when the block is made and
/// never de-initialized (`Vec<u8>::clear` only sets the length), so growing
/// the length over reserved bytes exposes no uninitialized memory; the
/// allocation of `bytes` and of `published` never changes while the block
/// lives (nothing pushes past the capacity checked by [`Block::fits`]), so
/// a pointer into either stays valid however the `Block` value is moved;
/// and the block leaves the queue only through [`Receiver`]'s take, which
/// [settles](Block::settle) it first, so nothing reads, reuses or frees it
/// while a producer still writes into it.
#[derive(Debug)]
pub(crate) struct Block {
    /// The reserved bytes (`len`) of events, in their order.
    bytes: Vec<u8>,
    events: Vec<(usize, Meta)>,
    /// One flag per event entry (as many as `events` can hold): set, with
    /// release ordering, once the event's bytes are copied in; all unset for
    /// the entries past `events.len()`.
    published: Vec<AtomicBool>,
}

/// An event's place in a block, reserved under the queue's lock, to be
/// filled after it ([`Reserved::publish`]).
struct Reserved {
    /// The first of the reserved bytes.
    bytes: *mut u8,
    len: usize,
    /// How many bytes after the reserved ones the block still has room
    /// for, up to `len`: where the next event of the same size will be
    /// copied, prefetched by [`Reserved::publish`].
    ahead: usize,
    /// The next event's entry in [`Block::events`] (written under the lock
    /// the next `track` takes; the consumer reads the entries, so their
    /// lines are likely in its core), null when the block has no more.
    next_entry: *const (usize, Meta),
    /// The event's flag in [`Block::published`].
    published: *const AtomicBool,
}

impl Reserved {
    /// Copies the event's bytes into its place and publishes them.
    ///
    /// `json` must be the bytes the place was reserved for (`len` of them).
    fn publish(self, json: &[u8]) {
        // A shorter `json` would leave bytes the block claims unwritten
        // (still initialized: old bytes); a hard stop here would leave the
        // consumer waiting for the flag, so the copy is simply bounded.
        let len = self.len.min(json.len());
        debug_assert_eq!(len, self.len);
        // SAFETY: `self.bytes..self.bytes + self.len` lies inside the
        // allocation of a block's `bytes` (checked by `Block::fits` when it
        // was reserved under the lock) and was handed to this reservation
        // alone: other reservations get disjoint ranges, and no one reads
        // the range before the release store below (the consumer waits for
        // it with an acquire load in `Block::settle`), so this write races
        // with nothing. The allocation is alive: the block cannot be freed
        // or reused before it is settled, which waits for this flag. `json`
        // is a separate buffer (the caller's), so the ranges do not overlap.
        unsafe { std::ptr::copy_nonoverlapping(json.as_ptr(), self.bytes, len) };
        // The next event most likely follows in this block and is about as
        // long: asking for its lines now, while this call returns and the
        // caller makes its next event, means its copy writes into lines
        // this core already holds (the block's lines are evicted between two
        // uses of it, and the hardware prefetcher stops at page boundaries).
        // Done before the store below, while the block is certainly alive.
        let next = self.bytes.wrapping_add(self.len);
        let mut line = next.wrapping_sub(next as usize % CACHE_LINE);
        let write = has_prefetchw();
        while (line as usize) < next as usize + self.ahead {
            prefetch_for_write(line, write);
            line = line.wrapping_add(CACHE_LINE);
        }
        if !self.next_entry.is_null() {
            // Its first and last byte: an entry may straddle two lines.
            let entry = self.next_entry.cast::<u8>();
            prefetch_for_write(entry, write);
            prefetch_for_write(
                entry.wrapping_add(std::mem::size_of::<(usize, Meta)>() - 1),
                write,
            );
            // And the next flag (the consumer clears the flags).
            prefetch_for_write(self.published.wrapping_add(1).cast(), write);
        }
        // SAFETY: `published` points into the block's `published` vector,
        // alive and never reallocated while the block is unsettled (as
        // above); an `AtomicBool` may be shared across threads.
        unsafe { &*self.published }.store(true, Ordering::Release);
    }
}

/// The unit [`prefetch_for_write`] asks for.
const CACHE_LINE: usize = 64;

/// Asks the core to bring the cache line holding `line` into its cache,
/// ready to be written: a hint only (no fault, whatever the address; no
/// change to what the program computes), a no-op on other architectures.
/// `write` says whether the core has `prefetchw` ([`has_prefetchw`]).
#[inline(always)]
fn prefetch_for_write(line: *const u8, write: bool) {
    #[cfg(target_arch = "x86_64")]
    if write {
        // SAFETY: `prefetchw` (the core has it: `write`) reads and writes
        // nothing the program can observe and never faults, whatever the
        // address; it touches no stack or flags.
        unsafe {
            std::arch::asm!(
                "prefetchw byte ptr [{0}]",
                in(reg) line,
                options(nostack, preserves_flags, readonly)
            );
        }
    } else {
        // SAFETY: `prefetcht0` likewise (SSE, part of every x86_64 target).
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(line.cast());
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (line, write);
}

/// Whether the core has `prefetchw` (CPUID `0x8000_0001`, ECX bit 8:
/// every AMD64 core, Intel's since Broadwell), asked once.
#[inline]
fn has_prefetchw() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::atomic::AtomicU8;
        /// 0 until asked, then 1 (no) or 2 (yes).
        static HAS: AtomicU8 = AtomicU8::new(0);
        match HAS.load(Ordering::Relaxed) {
            0 => {
                use std::arch::x86_64::__cpuid;
                let has = __cpuid(0x8000_0000).eax >= 0x8000_0001
                    && __cpuid(0x8000_0001).ecx & (1 << 8) != 0;
                HAS.store(if has { 2 } else { 1 }, Ordering::Relaxed);
                has
            }
            known => known == 2,
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

impl Block {
    /// A block for events of `len` bytes or less: a standard one, or one
    /// sized for a single larger event. Its memory is written once here, so
    /// the events copied into it later do not fault its pages in one by one
    /// (and every byte it can hold is initialized: see the type's invariants).
    fn for_event(len: usize) -> Block {
        let (bytes, events) = if len <= BLOCK_BYTES {
            (BLOCK_BYTES, BLOCK_EVENTS)
        } else {
            (len, 1)
        };
        let mut block = Block {
            bytes: Vec::with_capacity(bytes),
            events: Vec::with_capacity(events),
            published: Vec::new(),
        };
        // A page at a time: one copy call per page, even unoptimized; up to
        // the capacity the allocation actually has.
        const PAGE: [u8; 4096] = [0; 4096];
        while block.bytes.len() < block.bytes.capacity() {
            let left = block.bytes.capacity() - block.bytes.len();
            block.bytes.extend_from_slice(&PAGE[..left.min(PAGE.len())]);
        }
        block
            .events
            .resize(block.events.capacity(), (0, Meta::default()));
        block.published = (0..block.events.capacity())
            .map(|_| AtomicBool::new(false))
            .collect();
        block.clear();
        block
    }

    fn fits(&self, len: usize) -> bool {
        self.events.len() < self.events.capacity()
            && self.bytes.capacity() - self.bytes.len() >= len
    }

    /// Takes the place of an event of `len` bytes (which [`Block::fits`]),
    /// to be filled by [`Reserved::publish`]. Called under the queue's lock,
    /// which orders it after every earlier reservation and settle.
    fn reserve(&mut self, len: usize, meta: Meta) -> Reserved {
        assert!(self.fits(len), "reserve is called only when the event fits");
        let start = self.bytes.len();
        // SAFETY: `start + len <= capacity` (just asserted), and every byte
        // up to the capacity is initialized (the type's invariant: written
        // by `for_event`, never de-initialized since).
        unsafe { self.bytes.set_len(start + len) };
        let index = self.events.len();
        self.events.push((start + len, meta));
        let ahead = (self.bytes.capacity() - self.bytes.len()).min(len);
        Reserved {
            // `as_mut_ptr` and `as_ptr` make no reference to the elements,
            // so these pointers stay valid alongside later reservations.
            // SAFETY: `start <= capacity`: the pointer stays inside (or one
            // past) the allocation.
            bytes: unsafe { self.bytes.as_mut_ptr().add(start) },
            len,
            ahead,
            next_entry: if self.events.len() < self.events.capacity() {
                self.events.as_ptr().wrapping_add(self.events.len())
            } else {
                std::ptr::null()
            },
            // In bounds: `published` has one flag per entry `events` can hold.
            published: std::ptr::from_ref(&self.published[index]),
        }
    }

    /// Waits until every event reserved in the block is published; after
    /// this, its bytes are written and visible to this thread. A producer
    /// copies at most one event's bytes between its reservation and its
    /// store, so this spins briefly, then yields (the producer may have
    /// been preempted mid-copy).
    fn settle(&self) {
        for flag in &self.published[..self.events.len()] {
            let mut spins = 0u32;
            while !flag.load(Ordering::Acquire) {
                if spins < 100 {
                    std::hint::spin_loop();
                    spins += 1;
                } else {
                    std::thread::yield_now();
                }
            }
        }
    }

    /// Empties a settled block for reuse (its flags unset again).
    fn clear(&mut self) {
        for flag in &mut self.published[..self.events.len()] {
            *flag.get_mut() = false;
        }
        self.bytes.clear();
        self.events.clear();
    }

    /// A standard block (worth keeping for reuse).
    fn is_standard(&self) -> bool {
        self.events.capacity() >= BLOCK_EVENTS
    }

    /// How many events the block holds.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Each event's bytes with what travels with it, in the order queued.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], Meta)> + '_ {
        self.ranges()
            .map(|(range, meta)| (&self.bytes[range], meta))
    }

    /// Where each event's bytes are, with what travels with it.
    pub fn ranges(&self) -> impl Iterator<Item = (Range<usize>, Meta)> + '_ {
        let mut start = 0;
        self.events.iter().map(move |&(end, meta)| {
            let range = start..end;
            start = end;
            (range, meta)
        })
    }

    /// Moves the bytes out (to lend them to envelopes); the block is empty
    /// of bytes until [`Block::restore_bytes`].
    pub fn take_bytes(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.bytes)
    }

    /// Puts back the bytes taken by [`Block::take_bytes`].
    pub fn restore_bytes(&mut self, bytes: Vec<u8>) {
        self.bytes = bytes;
    }
}

#[derive(Default)]
struct State {
    items: VecDeque<Msg>,
    /// The block events are copied into; in `items` once full or taken.
    open: Option<Block>,
    /// Events queued (in `items` and `open`).
    events: usize,
    /// Their envelope bytes.
    bytes: usize,
    /// Queued messages that are not events (each wakes the consumer).
    controls: usize,
    sender_alive: bool,
    receiver_alive: bool,
    /// Closed by the client (shutdown): no more events or flushes.
    closed: bool,
    /// The consumer sleeps, waiting for `want`.
    waiting: Option<Want>,
    /// Emptied blocks, for the next events.
    spares: Vec<Block>,
}

impl State {
    fn satisfies(&self, want: &Want) -> bool {
        self.controls > 0 || self.events >= want.events || self.bytes >= want.bytes
    }

    fn has_any(&self) -> bool {
        self.controls > 0 || self.events > 0
    }

    /// Puts the open block, if it holds events, at the end of `items`.
    fn close_open(&mut self) {
        if self.open.as_ref().is_some_and(|block| !block.is_empty()) {
            if let Some(block) = self.open.take() {
                self.items.push_back(Msg::Events(block));
            }
        }
    }

    /// Keeps an empty `block` for later events when it is a standard one
    /// and the spares have room; frees it otherwise.
    fn keep_spare(&mut self, block: Block) {
        if block.is_standard() && self.spares.len() < SPARE_BLOCKS {
            self.spares.push(block);
        }
    }

    /// Wakes the consumer if it now has what it waits for; `true` if the
    /// caller must notify it (after unlocking).
    fn wake(&mut self) -> bool {
        let wake = self.waiting.is_some_and(|want| self.satisfies(&want));
        if wake {
            self.waiting = None;
        }
        wake
    }
}

/// A value on a cache line of its own (128 bytes: two 64-byte lines, as
/// adjacent-line prefetchers pair them), so that the thread writing it does
/// not take the line of its neighbours away from another core.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Padded<T>(T);

struct Chan {
    state: Mutex<State>,
    ready: Condvar,
    /// Slots taken since the queue was made: events and failed-event lines
    /// accepted. Written only under the lock, by a plain store (the lock
    /// already orders the writers); read without it by the metrics and by
    /// the full-queue check that `track` makes before serializing.
    accepted: AtomicU64,
    /// Events accepted since the queue was made (written like `accepted`).
    enqueued: AtomicU64,
    /// The producers' last reading of `released`, so at most `released`:
    /// room is checked against it first, and `released` itself (a line the
    /// consumer writes, so most likely in the other core's cache) is read
    /// only when the queue looks full by this one. Written under the lock.
    released_seen: AtomicU64,
    /// Slots given back by the consumer since the queue was made, once per
    /// batch: the only counter the consumer writes, on a line of its own, so
    /// the producer's lock and counters stay in its own core's cache.
    released: Padded<AtomicU64>,
    /// The queue bound: `accepted - released` never exceeds it.
    capacity: u64,
}

impl Chan {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Slots in use. Exact under the lock; without it a lower bound of the
    /// depth at the time of the call (`accepted` is read before `released`,
    /// and neither ever decreases).
    fn depth(&self) -> u64 {
        let accepted = self.accepted.load(Ordering::Acquire);
        accepted.saturating_sub(self.released.0.load(Ordering::Acquire))
    }

    /// Whether a slot is free (exact under the lock, which `_state` proves
    /// is held): first by the last reading of `released`, which can only
    /// say "full" too early (then `released` is read again), never "room"
    /// when there is none.
    fn has_room(&self, _state: &State) -> bool {
        let accepted = self.accepted.load(Ordering::Relaxed);
        if accepted.saturating_sub(self.released_seen.load(Ordering::Relaxed)) < self.capacity {
            return true;
        }
        let released = self.released.0.load(Ordering::Acquire);
        self.released_seen.store(released, Ordering::Relaxed);
        accepted.saturating_sub(released) < self.capacity
    }

    /// Takes one slot, found free by [`Chan::has_room`] under the same hold
    /// of the lock.
    fn take_slot(&self, _state: &mut State) {
        let accepted = self.accepted.load(Ordering::Relaxed);
        self.accepted.store(accepted + 1, Ordering::Release);
    }
}

/// Why [`Sender::send_event`] did not queue an event.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// `capacity` slots are in use.
    Full,
    /// The client closed the queue, or the consumer is gone.
    Closed,
}

/// The queue's own counts ([`Sender::counts`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counts {
    /// Events accepted, ever.
    pub enqueued: u64,
    /// Slots in use (events and failed-event lines queued or taken and not
    /// yet given back).
    pub depth: u64,
}

/// The producer half (not `Clone`: one per lane, held by the client).
pub(crate) struct Sender(Arc<Chan>);

/// The consumer half, owned by the lane's worker (or spool writer).
pub(crate) struct Receiver(Arc<Chan>, RefCell<VecDeque<Msg>>);

/// The consumer is gone (the message was not queued).
#[derive(Debug)]
pub(crate) struct Closed;

/// Every sender is gone and nothing is queued.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Disconnected;

/// A queue of at most `capacity` slots (events and failed-event lines).
pub(crate) fn channel(capacity: u64) -> (Sender, Receiver) {
    let chan = Arc::new(Chan {
        accepted: AtomicU64::new(0),
        enqueued: AtomicU64::new(0),
        released_seen: AtomicU64::new(0),
        released: Padded(AtomicU64::new(0)),
        capacity,
        state: Mutex::new(State {
            sender_alive: true,
            receiver_alive: true,
            // The open block, and one for the events that follow while the
            // consumer has the first.
            open: Some(Block::for_event(0)),
            spares: vec![Block::for_event(0)],
            ..State::default()
        }),
        ready: Condvar::new(),
    });
    (
        Sender(Arc::clone(&chan)),
        Receiver(chan, RefCell::new(VecDeque::new())),
    )
}

impl Sender {
    /// Whether every slot is in use, without taking the lock: `track` asks
    /// before serializing, so a full queue costs no serialization. `true`
    /// only if the queue was full at some time during the call.
    pub fn looks_full(&self) -> bool {
        let chan = &self.0;
        let accepted = chan.accepted.load(Ordering::Acquire);
        // By the last reading of `released` first (no cache miss while the
        // queue has room), then by `released` itself.
        accepted.saturating_sub(chan.released_seen.load(Ordering::Relaxed)) >= chan.capacity
            && chan.depth() >= chan.capacity
    }

    /// The queue's counts, without taking the lock (`enqueued` is read
    /// first: see [`Counters::snapshot`](super::metrics::Counters::snapshot)).
    pub fn counts(&self) -> Counts {
        let enqueued = self.0.enqueued.load(Ordering::Acquire);
        Counts {
            enqueued,
            depth: self.0.depth(),
        }
    }

    /// Takes a slot and a place for one event's bytes under one lock, then
    /// copies them in and publishes them outside it; wakes the consumer if it
    /// now has what it waits for.
    pub fn send_event(&self, json: &[u8], meta: Meta) -> Result<(), Refused> {
        let mut state = self.0.lock();
        loop {
            if state.closed || !state.receiver_alive {
                return Err(Refused::Closed);
            }
            if !self.0.has_room(&state) {
                return Err(Refused::Full);
            }
            if state
                .open
                .as_ref()
                .is_some_and(|block| block.fits(json.len()))
            {
                break;
            }
            // The open block has no room for this event: queue it (or,
            // empty, keep it for later events).
            if let Some(block) = state.open.take() {
                if !block.is_empty() {
                    state.items.push_back(Msg::Events(block));
                } else {
                    state.keep_spare(block);
                }
            }
            if json.len() <= BLOCK_BYTES {
                if let Some(spare) = state.spares.pop() {
                    state.open = Some(spare);
                    continue;
                }
            }
            // A new block, made outside the lock (writing it takes a while).
            drop(state);
            let block = Block::for_event(json.len());
            state = self.0.lock();
            if state.open.is_none() {
                state.open = Some(block);
            } else {
                state.keep_spare(block);
            }
        }
        // Still the hold of the lock in which `has_room` said yes, and in
        // which the open block was found to fit the event.
        let Some(open) = state.open.as_mut() else {
            unreachable!("the loop above leaves an open block that fits");
        };
        let reserved = open.reserve(json.len(), meta);
        self.0.take_slot(&mut state);
        let enqueued = self.0.enqueued.load(Ordering::Relaxed);
        self.0.enqueued.store(enqueued + 1, Ordering::Release);
        state.events += 1;
        state.bytes += json.len();
        let wake = state.wake();
        drop(state);
        #[cfg(test)]
        PAUSE_BEFORE_COPY.with(|pause| {
            if pause.get() > 0 {
                pause.set(pause.get() + 1);
                if pause.get() % 16 == 0 {
                    std::thread::sleep(std::time::Duration::from_micros(50));
                }
            }
        });
        // Nothing between the reservation and this can panic or return: the
        // consumer waits for the flag this sets.
        reserved.publish(json);
        if wake {
            self.0.ready.notify_one();
        }
        Ok(())
    }

    /// Queues a failed-event line (it takes a slot); `false` when the queue
    /// is full or closed.
    pub fn send_failed(&self, line: Vec<u8>) -> bool {
        let mut state = self.0.lock();
        if state.closed || !state.receiver_alive || !self.0.has_room(&state) {
            return false;
        }
        self.0.take_slot(&mut state);
        Self::push_control(state, &self.0, Msg::Failed(line));
        true
    }

    /// Queues a control message (after every event queued so far); it
    /// wakes the consumer. Refused once the queue is closed.
    pub fn send(&self, message: Msg) -> Result<(), Closed> {
        let state = self.0.lock();
        if state.closed || !state.receiver_alive {
            return Err(Closed);
        }
        Self::push_control(state, &self.0, message);
        Ok(())
    }

    /// Closes the queue with `last` as its last message: later events,
    /// failed-event lines and control messages are refused. `Err` when the
    /// consumer is gone (the queue is closed all the same).
    pub fn close(&self, last: Msg) -> Result<(), Closed> {
        let mut state = self.0.lock();
        state.closed = true;
        if !state.receiver_alive {
            return Err(Closed);
        }
        Self::push_control(state, &self.0, last);
        Ok(())
    }

    fn push_control(mut state: MutexGuard<'_, State>, chan: &Chan, message: Msg) {
        state.close_open();
        state.items.push_back(message);
        state.controls += 1;
        let wake = state.wake();
        drop(state);
        if wake {
            chan.ready.notify_one();
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        self.0.lock().sender_alive = false;
        self.0.ready.notify_one();
    }
}

impl Receiver {
    /// Gives back `slots` slots (events and failed-event lines taken and
    /// settled, or at least no longer held in memory by the queue's bound).
    pub fn release(&self, slots: u64) {
        if slots > 0 {
            self.0.released.0.fetch_add(slots, Ordering::AcqRel);
        }
    }

    /// Moves every queued message into `into` once `want` is met, the
    /// deadline `want.until` has passed (then possibly none), or the sender
    /// is gone with messages left. `Err(Disconnected)` once the sender is
    /// gone and nothing is queued.
    pub fn recv(&self, want: Want, into: &mut impl Extend<Msg>) -> Result<(), Disconnected> {
        self.recycle_and_recv(&mut Vec::new(), want, into)
    }

    /// [`Receiver::recycle`] then [`Receiver::recv`], under one hold of the
    /// lock (one hand-over of the queue's cache lines per wake, not two).
    pub fn recycle_and_recv(
        &self,
        spent: &mut Vec<Block>,
        want: Want,
        into: &mut impl Extend<Msg>,
    ) -> Result<(), Disconnected> {
        let mut state = self.0.lock();
        Self::keep_spares(&mut state, spent);
        if !spent.is_empty() {
            // More than the spares keep: freed outside the lock.
            drop(state);
            spent.clear();
            state = self.0.lock();
        }
        loop {
            let due = want.until.is_some_and(|until| Instant::now() >= until);
            if state.satisfies(&want) || (due || !state.sender_alive) && state.has_any() {
                self.take(state, into);
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

    /// Keeps (emptied) the blocks of `blocks` the queue has room for, for
    /// the next events; frees the others. Leaves `blocks` empty.
    pub fn recycle(&self, blocks: &mut Vec<Block>) {
        if blocks.is_empty() {
            return;
        }
        Self::keep_spares(&mut self.0.lock(), blocks);
        // Freed outside the lock.
        blocks.clear();
    }

    /// Moves (emptied) the standard blocks of `blocks` the spares have room
    /// for into them; leaves the others in `blocks`.
    fn keep_spares(state: &mut State, blocks: &mut Vec<Block>) {
        while state.spares.len() < SPARE_BLOCKS {
            let Some(mut block) = blocks.pop() else {
                break;
            };
            if block.is_standard() {
                block.clear();
                state.spares.push(block);
            }
        }
    }

    /// Moves whatever is queued into `into`, without waiting (beyond the
    /// copies of events reserved already).
    pub fn try_recv(&self, into: &mut impl Extend<Msg>) {
        self.take(self.0.lock(), into);
    }

    /// Takes every queued message under the lock `state` holds, then, with
    /// the lock released, waits for the events of the blocks taken to be
    /// published and moves the messages into `into`: the only way a block
    /// leaves the queue, so none is read, reused or freed half-written.
    fn take(&self, mut state: MutexGuard<'_, State>, into: &mut impl Extend<Msg>) {
        // The consumer's own buffer, swapped with the queue's: both keep
        // their capacity, so a take allocates nothing.
        let mut taken = self.1.borrow_mut();
        state.close_open();
        std::mem::swap(&mut state.items, &mut *taken);
        state.events = 0;
        state.bytes = 0;
        state.controls = 0;
        drop(state);
        for message in taken.iter() {
            if let Msg::Events(block) = message {
                block.settle();
            }
        }
        into.extend(taken.drain(..));
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
    use std::time::Duration;

    fn event(tx: &Sender, bytes: usize) -> Result<(), Refused> {
        tx.send_event(&vec![b'x'; bytes], Meta::default())
    }

    /// Events among `messages` (each block counts its events).
    fn events(messages: &[Msg]) -> usize {
        messages.iter().map(Msg::events).sum()
    }

    #[test]
    fn the_consumer_sleeps_until_it_has_what_it_wants() {
        let (tx, rx) = channel(u64::MAX);
        let consumer = std::thread::spawn(move || {
            let mut got = Vec::new();
            let want = Want {
                events: 3,
                bytes: usize::MAX,
                until: None,
            };
            rx.recv(want, &mut got).unwrap();
            events(&got)
        });
        for _ in 0..3 {
            std::thread::sleep(Duration::from_millis(20));
            event(&tx, 1).unwrap();
        }
        assert_eq!(consumer.join().unwrap(), 3);
    }

    #[test]
    fn bytes_a_control_message_and_the_deadline_each_end_the_wait() {
        let (tx, rx) = channel(u64::MAX);
        let mut got = Vec::new();
        let by_bytes = Want {
            events: usize::MAX,
            bytes: 100,
            until: None,
        };
        event(&tx, 60).unwrap();
        event(&tx, 60).unwrap();
        rx.recv(by_bytes, &mut got).unwrap();
        assert_eq!(events(&got), 2);

        got.clear();
        event(&tx, 1).unwrap();
        let (ack, _waiter) = completion::pair();
        tx.send(Msg::Flush(ack)).unwrap();
        rx.recv(by_bytes, &mut got).unwrap();
        // The event, then the flush behind it.
        assert_eq!(got.len(), 2);
        assert_eq!(events(&got[..1]), 1);
        assert!(matches!(got[1], Msg::Flush(_)));

        got.clear();
        let started = Instant::now();
        let by_time = Want {
            events: usize::MAX,
            bytes: usize::MAX,
            until: Some(started + Duration::from_millis(30)),
        };
        event(&tx, 1).unwrap();
        rx.recv(by_time, &mut got).unwrap();
        assert_eq!(events(&got), 1);
        assert!(started.elapsed() >= Duration::from_millis(30));
        // Past the deadline with nothing queued: returns at once, empty.
        got.clear();
        rx.recv(by_time, &mut got).unwrap();
        assert!(got.is_empty());
    }

    #[test]
    fn a_dropped_sender_delivers_what_is_left_then_disconnects() {
        let (tx, rx) = channel(u64::MAX);
        event(&tx, 1).unwrap();
        drop(tx);
        let mut got = Vec::new();
        let want = Want {
            events: 10,
            bytes: usize::MAX,
            until: None,
        };
        rx.recv(want, &mut got).unwrap();
        assert_eq!(events(&got), 1);
        assert_eq!(rx.recv(want, &mut got), Err(Disconnected));
    }

    #[test]
    fn events_come_out_whole_and_in_order_across_blocks() {
        let (tx, rx) = channel(u64::MAX);
        // Small ones, ones that fill blocks, and one larger than a block.
        let sizes: Vec<usize> = (0..3_000)
            .map(|i| match i % 500 {
                0 => BLOCK_BYTES + 10,
                n if n % 7 == 0 => 40_000,
                n => n,
            })
            .collect();
        for (i, &size) in sizes.iter().enumerate() {
            let meta = Meta {
                timestamp_ms: i as u64,
                ..Meta::default()
            };
            tx.send_event(&vec![(i % 251) as u8; size], meta).unwrap();
        }
        let mut got = Vec::new();
        rx.try_recv(&mut got);
        assert!(got.len() > 1, "several blocks");
        let mut seen = 0;
        for message in &got {
            let Msg::Events(block) = message else {
                panic!("only events were sent");
            };
            for (json, meta) in block.iter() {
                assert_eq!(meta.timestamp_ms, seen as u64);
                assert_eq!(json.len(), sizes[seen]);
                assert!(json.iter().all(|&b| b == (seen % 251) as u8));
                seen += 1;
            }
        }
        assert_eq!(seen, sizes.len());
    }

    #[test]
    fn blocks_given_back_are_reused_within_a_bound() {
        let (tx, rx) = channel(u64::MAX);
        let fill = |count: usize| {
            for _ in 0..count {
                event(&tx, 1000).unwrap();
            }
        };
        fill(10 * BLOCK_BYTES / 1000);
        let mut got = Vec::new();
        rx.try_recv(&mut got);
        let mut blocks: Vec<Block> = got
            .into_iter()
            .filter_map(|message| match message {
                Msg::Events(block) => Some(block),
                _ => None,
            })
            .collect();
        assert!(blocks.len() >= 10);
        let first = blocks[0].bytes.as_ptr();
        // A block for one outsized event is not kept.
        blocks.push(Block::for_event(3 * BLOCK_BYTES));
        rx.recycle(&mut blocks);
        assert!(blocks.is_empty());
        {
            let state = rx.0.lock();
            assert!(state.spares.len() >= 10 && state.spares.len() <= SPARE_BLOCKS);
            assert!(state
                .spares
                .iter()
                .all(|block| block.is_standard() && block.is_empty()));
            assert!(state
                .spares
                .iter()
                .any(|block| block.bytes.as_ptr() == first));
        }
        let mut many: Vec<Block> = (0..SPARE_BLOCKS + 5).map(|_| Block::for_event(1)).collect();
        rx.recycle(&mut many);
        assert!(many.is_empty());
        assert_eq!(rx.0.lock().spares.len(), SPARE_BLOCKS);
        // The next events go into a spare block.
        let spares = rx.0.lock().spares.len();
        fill(BLOCK_BYTES / 1000 + 1);
        assert!(rx.0.lock().spares.len() < spares);
    }

    /// Several producers race the consumer, which takes blocks while
    /// events are still being copied into them: each event comes out once,
    /// whole, in its producer's order.
    #[test]
    fn events_copied_outside_the_lock_come_out_whole_exactly_once() {
        const PRODUCERS: usize = 4;
        const EACH: usize = 20_000;
        let (tx, rx) = channel(u64::MAX);
        let tx = Arc::new(tx);
        let bytes_of = |producer: usize, seq: usize| -> Vec<u8> {
            // Sizes from 0 to ~2 KiB, now and then past a block; the first
            // 16 bytes name the event, the rest is a pattern of it.
            let len = if seq % 4_999 == 7 {
                BLOCK_BYTES + 1
            } else {
                16 + (seq * 31 + producer) % 2_000
            };
            let mut json = Vec::with_capacity(len);
            json.extend_from_slice(&(producer as u64).to_le_bytes());
            json.extend_from_slice(&(seq as u64).to_le_bytes());
            json.extend((16..len).map(|i| (i ^ seq ^ producer) as u8));
            json
        };
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|producer| {
                let tx = Arc::clone(&tx);
                std::thread::spawn(move || {
                    PAUSE_BEFORE_COPY.with(|pause| pause.set(1));
                    for seq in 0..EACH {
                        let meta = Meta {
                            timestamp_ms: seq as u64,
                            ..Meta::default()
                        };
                        tx.send_event(&bytes_of(producer, seq), meta).unwrap();
                    }
                })
            })
            .collect();
        let mut next = [0usize; PRODUCERS];
        let mut got = Vec::new();
        let mut spent = Vec::new();
        let want = Want {
            events: 1,
            bytes: 1,
            until: Some(Instant::now() + Duration::from_millis(1)),
        };
        while next.iter().sum::<usize>() < PRODUCERS * EACH {
            let _ = rx.recv(
                Want {
                    until: Some(Instant::now() + Duration::from_millis(1)),
                    ..want
                },
                &mut got,
            );
            for message in got.drain(..) {
                let Msg::Events(block) = message else {
                    panic!("only events were sent");
                };
                for (json, meta) in block.iter() {
                    let producer = u64::from_le_bytes(json[..8].try_into().unwrap()) as usize;
                    let seq = u64::from_le_bytes(json[8..16].try_into().unwrap()) as usize;
                    assert_eq!(seq, next[producer], "producer {producer}: order");
                    assert_eq!(meta.timestamp_ms, seq as u64);
                    assert!(json == bytes_of(producer, seq).as_slice(), "bytes of {seq}");
                    next[producer] += 1;
                }
                rx.release(block.len() as u64);
                spent.push(block);
            }
            // Blocks go back for reuse, so reservations land in reused ones.
            rx.recycle(&mut spent);
        }
        for producer in producers {
            producer.join().unwrap();
        }
        rx.try_recv(&mut got);
        assert_eq!(events(&got), 0, "nothing twice");
    }

    /// What a publish prefetches (the next event's bytes, entry and flag)
    /// lies inside the block: up to its last byte, and no entry or flag
    /// once the entries are all taken.
    #[test]
    fn the_lines_prefetched_for_the_next_event_lie_inside_the_block() {
        fn check(block: &mut Block, len: usize, ahead: usize) {
            let end = block.bytes.as_ptr() as usize + block.bytes.capacity();
            let reserved = block.reserve(len, Meta::default());
            assert_eq!(reserved.ahead, ahead);
            assert!(reserved.bytes as usize + len + reserved.ahead <= end);
            let full = block.events.len() == block.events.capacity();
            assert_eq!(reserved.next_entry.is_null(), full);
            reserved.publish(&vec![7; len]);
        }
        let mut block = Block::for_event(0);
        check(&mut block, 1_000, 1_000);
        check(&mut block, BLOCK_BYTES - 1_100, 100);
        check(&mut block, 60, 40);
        check(&mut block, 40, 0);
        assert!(!block.fits(1));

        let mut block = Block::for_event(0);
        for _ in 1..BLOCK_EVENTS {
            check(&mut block, 1, 1);
        }
        check(&mut block, 1, 1);
        assert!(!block.fits(0));
        block.settle();
        assert!(block.iter().all(|(json, _)| json == [7]));
    }

    #[test]
    fn a_send_after_the_receiver_is_gone_comes_back() {
        let (tx, rx) = channel(u64::MAX);
        drop(rx);
        assert!(event(&tx, 3).is_err());
        let (ack, _waiter) = completion::pair();
        assert!(tx.send(Msg::Flush(ack)).is_err());
    }
}
