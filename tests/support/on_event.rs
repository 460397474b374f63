//! A `tracing` subscriber for tests that look at log lines: every line is
//! enabled (so every field is evaluated) and each event is handed to one
//! function; spans are accepted and ignored.

use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Calls its function with every event.
pub struct OnEvent(pub fn(&Event<'_>));

impl Subscriber for OnEvent {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        (self.0)(event)
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}
