//! `validate()` on a valid event allocates nothing: paths live on the stack
//! and are rendered only when a rule fails. Its own test binary, because the
//! counting allocator is global; one `#[test]`, so no other test thread
//! allocates while counting.

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations_during;

use analytics_core::AnalyticsEvent;

mod validate_support;

#[test]
fn validate_does_not_allocate_for_valid_codex_events() {
    let events = validate_support::all_events();
    let command = validate_support::command_execution();
    // Warm-up: one-time initialisation (lazy regexes) is not per-call cost.
    for event in &events {
        event.validate().unwrap();
    }
    for event in &events {
        let count = allocations_during(|| {
            let result = event.validate();
            assert!(result.is_ok());
        });
        assert_eq!(count, 0, "{} allocated {count} times", event.event_type());
    }
    let count = allocations_during(|| {
        assert!(AnalyticsEvent::validate(&command).is_ok());
    });
    assert_eq!(count, 0, "CommandExecution::validate allocated");

    // The counter works: an invalid event does allocate (its report).
    let mut invalid = validate_support::command_execution();
    invalid.base.thread_id.clear();
    let count = allocations_during(|| {
        assert!(invalid.validate().is_err());
    });
    assert!(count > 0);
}
