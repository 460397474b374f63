//! `validate()` on a valid event allocates nothing: paths live on the stack
//! and are rendered only when a rule fails. Its own test binary, because the
//! counting allocator is global; one `#[test]`, so no other test thread
//! allocates while counting.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use analytics_core::AnalyticsEvent;

mod validate_support;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    f();
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

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
