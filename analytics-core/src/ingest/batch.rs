//! A request body's events checked in one parse ([`PlanValidator::check_batch`]).
//!
//! The common body is exactly `{"events":[e1,e2,..]}` (or `"batch"`), with
//! any white space. Its array is read in place: each event is parsed by a
//! deserializer of its own, starting where the event starts, that checks it
//! against the plan as it goes, and stops where the event ends, which gives
//! the event's bytes without a second pass over them. Only the few bytes
//! between the events (`,`, `]`, white space) are read by hand.
//!
//! Anything else (another key, a key spelled with escapes, an event that
//! does not parse, bytes after the object) is left to the general path:
//! [`PlanValidator::split_batch`] reads the whole body, then each item is
//! checked with [`PlanValidator::check_event`]. The events already given
//! from the array are the first items of that split, so the general path
//! goes on after them; when the body turns out not to be a batch, its one
//! failed event is the answer. Either way the answers are those of the
//! general path: a fast path that changes nothing a client can see.

use std::iter::FusedIterator;

use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::check::Report;
use super::fast;
use super::scan::{Bail, Scanner};
use super::{Accepted, PlanValidator};
use crate::failed::FailedEvent;

/// The events of a request body, each checked as the body is read: see
/// [`PlanValidator::check_batch`].
#[must_use = "an iterator does nothing unless read"]
pub struct Batch<'v, 'b> {
    pub(super) validator: &'v PlanValidator,
    pub(super) body: &'b [u8],
    pub(super) received_at_ms: u64,
    pub(super) state: State<'b>,
    /// The events yielded so far.
    pub(super) given: usize,
}

/// One event of a batch: its bytes as they are in the body, and the verdict.
#[derive(Debug)]
pub struct BatchEvent<'v, 'b> {
    /// The event's JSON, from its first byte to its last, as received.
    pub bytes: &'b [u8],
    /// What [`PlanValidator::check_event`] answers for these bytes.
    pub outcome: Result<Accepted<'v>, FailedEvent>,
}

pub(super) enum State<'b> {
    /// Reading the array of a `{"events":[..]}` body in place; `at` is the
    /// byte after the `[` or after the last event read.
    InPlace {
        at: usize,
        first: bool,
        /// The body from some offset on, once checked as UTF-8 for
        /// `serde_json` (the first time an event is left to it).
        text: Option<(usize, &'b str)>,
    },
    /// The general path, still to be taken: split the body.
    Split,
    /// The general path: the split items not yet given, and the bytes of
    /// their list.
    Items(std::vec::IntoIter<&'b RawValue>, usize),
    Done,
}

/// What the in-place reader found next.
enum Step<'v, 'b> {
    Event(BatchEvent<'v, 'b>),
    /// The array and the object closed, nothing after them.
    End,
    /// Not the plain shape: take the general path.
    Leave,
}

/// Where the items of a plain batch body start: the byte after the `[` of
/// `{"events":[` or `{"batch":[` (with any JSON white space between the
/// tokens); `None` for any other start.
pub(super) fn items_start(body: &[u8]) -> Option<usize> {
    let mut at = skip_space(body, 0);
    at = expect(body, at, b"{")?;
    at = skip_space(body, at);
    at = expect(body, at, b"\"events\"").or_else(|| expect(body, at, b"\"batch\""))?;
    at = skip_space(body, at);
    at = expect(body, at, b":")?;
    at = skip_space(body, at);
    expect(body, at, b"[")
}

/// `at` moved past `token` when the body has it there.
fn expect(body: &[u8], at: usize, token: &[u8]) -> Option<usize> {
    body.get(at..)?
        .starts_with(token)
        .then_some(at + token.len())
}

/// The first byte at or after `at` that is not JSON white space.
fn skip_space(body: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = body.get(at) {
        at += 1;
    }
    at
}

impl<'v, 'b> Batch<'v, 'b> {
    /// The bytes this reader holds besides the body: none while it reads a
    /// plain batch in place; the list of the items once it has split a body
    /// of another shape (for a caller that bounds its memory, such as the
    /// collector's `--max-in-flight-bytes`).
    pub fn held_bytes(&self) -> usize {
        match &self.state {
            State::Items(_, bytes) => *bytes,
            _ => 0,
        }
    }

    /// The next step of the in-place reader, from `at` (updated).
    fn step(
        &self,
        at: &mut usize,
        first: &mut bool,
        text: &mut Option<(usize, &'b str)>,
    ) -> Step<'v, 'b> {
        let body = self.body;
        let mut next = skip_space(body, *at);
        match body.get(next) {
            Some(b']') => {
                let end = skip_space(body, next + 1);
                return match expect(body, end, b"}") {
                    Some(end) if skip_space(body, end) == body.len() => Step::End,
                    _ => Step::Leave,
                };
            }
            Some(b',') if !*first => next = skip_space(body, next + 1),
            Some(_) if *first => {}
            _ => return Step::Leave,
        }
        // `next` is the event's first byte (ASCII, so a char boundary):
        // from there a reader of its own reads and checks one value: the
        // fast path, which accepts the common event, else the scanner, or
        // for what it leaves, `serde_json`, each from the start.
        let validator = self.validator;
        if let Some((accepted, length)) =
            fast::accept(&validator.plan, &validator.message_id_keys, &body[next..])
        {
            if length <= validator.max_event_bytes {
                *at = next + length;
                *first = false;
                let bytes = &body[next..next + length];
                let outcome = Ok(accepted);
                return Step::Event(BatchEvent { bytes, outcome });
            }
        }
        let mut scanner = Scanner::new(&body[next..]);
        let mut report = Report::default();
        let (shape, length) = match self.validator.scan(&mut scanner, &mut report) {
            Ok(shape) => (shape, scanner.offset()),
            Err(Bail) => {
                report = Report::default();
                // The rest of the body as text, checked once: later events
                // left to `serde_json` start inside it.
                let (from, rest) = match *text {
                    Some(checked) => checked,
                    None => match std::str::from_utf8(&body[next..]) {
                        Ok(rest) => *text.insert((next, rest)),
                        Err(_) => return Step::Leave,
                    },
                };
                let mut deserializer = serde_json::Deserializer::from_str(&rest[next - from..]);
                let Ok(shape) = self.validator.read_value(&mut deserializer, &mut report) else {
                    return Step::Leave;
                };
                // Where it stopped: right after the value (nothing past it is read).
                (shape, deserializer.into_iter::<IgnoredAny>().byte_offset())
            }
        };
        let bytes = &self.body[next..next + length];
        *at = next + length;
        *first = false;
        let outcome = if length > self.validator.max_event_bytes {
            Err(self.validator.too_large(bytes, self.received_at_ms))
        } else {
            self.validator
                .outcome(shape, report, bytes, self.received_at_ms)
        };
        Step::Event(BatchEvent { bytes, outcome })
    }
}

impl<'v, 'b> Iterator for Batch<'v, 'b> {
    type Item = Result<BatchEvent<'v, 'b>, FailedEvent>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match &mut self.state {
                State::InPlace { at, first, text } => {
                    let (mut now, mut fresh, mut checked) = (*at, *first, *text);
                    match self.step(&mut now, &mut fresh, &mut checked) {
                        Step::Event(event) => {
                            self.state = State::InPlace {
                                at: now,
                                first: fresh,
                                text: checked,
                            };
                            self.given += 1;
                            return Some(Ok(event));
                        }
                        Step::End => self.state = State::Done,
                        Step::Leave => self.state = State::Split,
                    }
                }
                State::Split => {
                    match self.validator.split_batch(self.body, self.received_at_ms) {
                        Ok(items) => {
                            let bytes = items.capacity() * std::mem::size_of::<&RawValue>();
                            let mut items = items.into_iter();
                            // The events read in place are the split's first items.
                            if self.given > 0 {
                                items.nth(self.given - 1);
                            }
                            self.state = State::Items(items, bytes);
                        }
                        Err(failed) => {
                            self.state = State::Done;
                            return Some(Err(failed));
                        }
                    }
                }
                State::Items(items, _) => {
                    let Some(item) = items.next() else {
                        self.state = State::Done;
                        continue;
                    };
                    let bytes = item.get().as_bytes();
                    self.given += 1;
                    let outcome = self.validator.check_event(bytes, self.received_at_ms);
                    return Some(Ok(BatchEvent { bytes, outcome }));
                }
                State::Done => return None,
            }
        }
    }
}

impl FusedIterator for Batch<'_, '_> {}
