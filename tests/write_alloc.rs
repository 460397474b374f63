//! Writing an event into a reused buffer allocates nothing: checked with a
//! counting global allocator (its own test binary, one test, so no other
//! thread allocates while counting).

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations_during;

use analytics_core::{AnalyticsEvent, EventBatch, TrackEventRequest};
use codex_analytics::simulate::Session;

#[test]
fn writing_into_a_reused_buffer_does_not_allocate() {
    let events = Session::new(77).events(2_000);
    let requests: Vec<TrackEventRequest> = events
        .iter()
        .cloned()
        .map(TrackEventRequest::from)
        .collect();
    let batch: EventBatch = events
        .iter()
        .cloned()
        .map(TrackEventRequest::from)
        .collect();
    let mut buffer = Vec::with_capacity(8 << 20);

    // Every kind, through the catalog enum and through each typed event.
    let count = allocations_during(|| {
        for event in &events {
            buffer.clear();
            event.write_json(&mut buffer);
        }
    });
    assert_eq!(count, 0, "EventCatalog::write_json allocated");

    let count = allocations_during(|| {
        for event in &events {
            if let codex_analytics::ToolItemEvent::CollabAgentToolCall(event) = event {
                buffer.clear();
                AnalyticsEvent::write_json(event, &mut buffer);
            }
        }
    });
    assert_eq!(count, 0, "AnalyticsEvent::write_json allocated");

    let count = allocations_during(|| {
        for request in &requests {
            buffer.clear();
            request.write_json(&mut buffer);
        }
    });
    assert_eq!(count, 0, "TrackEventRequest::write_json allocated");

    let count = allocations_during(|| {
        buffer.clear();
        batch.write_json(&mut buffer);
    });
    assert_eq!(count, 0, "EventBatch::write_json allocated");
    assert!(buffer.len() > 1_000_000, "the batch was written");

    // The counter works: a fresh buffer does allocate.
    let count = allocations_during(|| {
        let mut fresh = Vec::new();
        events[0].write_json(&mut fresh);
        std::hint::black_box(fresh);
    });
    assert!(count > 0);
}
