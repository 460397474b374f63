//! For all seven Codex events, on generated instances, the derived output is
//! byte-identical to the hand-written serde twin that uses `#[serde(flatten)]`,
//! through every path: the derived writer, serde `to_string`,
//! `to_string_pretty`, `to_writer`, `to_value`.

#[path = "support/strategies.rs"]
mod strategies;
#[path = "support/twin.rs"]
mod twin;

use analytics_core::{AnalyticsEvent, EventBatch, TrackEventRequest};
use codex_analytics::simulate::Session;
use codex_analytics::ToolItemEvent;
use proptest::prelude::*;

fn request(event: &ToolItemEvent) -> TrackEventRequest {
    TrackEventRequest::from(event.clone())
}

fn assert_same_wire(event: &ToolItemEvent) {
    let twin = twin::twin(event);
    let expected = serde_json::to_string(&twin).unwrap();

    let mut fast = Vec::new();
    event.write_json(&mut fast);
    assert_eq!(String::from_utf8(fast).unwrap(), expected, "derived writer");

    assert_eq!(
        serde_json::to_string(event).unwrap(),
        expected,
        "serde through the catalog enum"
    );
    let request = request(event);
    assert_eq!(
        serde_json::to_string(&request).unwrap(),
        expected,
        "serde through TrackEventRequest"
    );
    assert_eq!(
        serde_json::to_string_pretty(&request).unwrap(),
        serde_json::to_string_pretty(&twin).unwrap(),
        "to_string_pretty"
    );
    let mut writer = Vec::new();
    serde_json::to_writer(&mut writer, &request).unwrap();
    assert_eq!(String::from_utf8(writer).unwrap(), expected, "to_writer");
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        serde_json::to_value(&twin).unwrap(),
        "to_value"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn derived_equals_serde_flatten_twin(event in strategies::event()) {
        assert_same_wire(&event);
    }
}

#[test]
fn simulated_sessions_equal_the_twin() {
    for event in Session::new(11).events(1_000) {
        assert_same_wire(&event);
    }
}

#[test]
fn params_alone_equal_the_twin_params() {
    for event in Session::new(5).events(200) {
        let ToolItemEvent::CommandExecution(command) = &event else {
            continue;
        };
        let twin::TrackEventRequest::CommandExecution(twin) = twin::twin(&event) else {
            unreachable!()
        };
        let expected = serde_json::to_string(&twin.event_params).unwrap();
        assert_eq!(serde_json::to_string(command).unwrap(), expected);
        let mut params = Vec::new();
        command.write_params_json(&mut params);
        assert_eq!(String::from_utf8(params).unwrap(), expected);
    }
}

#[test]
fn batches_equal_the_twin_batch() {
    #[derive(serde::Serialize)]
    struct Batch<'a> {
        events: &'a [twin::TrackEventRequest],
    }
    let events = Session::new(9).events(100);
    let twins: Vec<_> = events.iter().map(twin::twin).collect();
    let expected = serde_json::to_string(&Batch { events: &twins }).unwrap();
    let batch: EventBatch = events.iter().map(request).collect();
    assert_eq!(serde_json::to_string(&batch).unwrap(), expected);
    let mut fast = Vec::new();
    batch.write_json(&mut fast);
    assert_eq!(String::from_utf8(fast).unwrap(), expected);
}
