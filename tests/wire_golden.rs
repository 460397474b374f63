//! The reference's own golden case, byte for byte in content and key order.

use analytics_core::{AnalyticsEvent, EventBatch, TrackEventRequest};
use codex_analytics::fixtures::golden_command_execution;
use codex_analytics::*;

/// The reference's expected payload, compact, keys in the order it writes them.
const GOLDEN: &str = concat!(
    r#"{"event_type":"codex_command_execution_event","event_params":{"#,
    r#""thread_id":"thread-1","turn_id":"turn-1","item_id":"item-1","#,
    r#""app_server_client":{"product_client_id":"codex_tui","client_name":"codex-tui","client_version":"1.2.3","rpc_transport":"websocket","experimental_api_enabled":true},"#,
    r#""runtime":{"codex_rs_version":"0.99.0","runtime_os":"macos","runtime_os_version":"15.3.1","runtime_arch":"aarch64"},"#,
    r#""thread_source":"user","subagent_source":null,"parent_thread_id":null,"tool_name":"shell","#,
    r#""started_at_ms":123000,"completed_at_ms":125000,"duration_ms":2000,"execution_duration_ms":1900,"#,
    r#""review_count":0,"guardian_review_count":0,"user_review_count":0,"#,
    r#""final_approval_outcome":"not_needed","terminal_status":"completed","failure_kind":null,"#,
    r#""requested_additional_permissions":false,"requested_network_access":false,"#,
    r#""command_execution_source":"agent","exit_code":0,"command_total_action_count":4,"#,
    r#""command_read_action_count":1,"command_list_files_action_count":1,"#,
    r#""command_search_action_count":1,"command_unknown_action_count":1}}"#
);

#[test]
fn golden_command_execution_through_every_path() {
    let event = golden_command_execution();
    event.validate().expect("the golden event is valid");

    let mut direct = Vec::new();
    event.write_json(&mut direct);
    assert_eq!(String::from_utf8(direct).unwrap(), GOLDEN, "derived writer");

    let request = TrackEventRequest::from(event.clone());
    assert_eq!(request.event_type(), "codex_command_execution_event");
    assert_eq!(
        serde_json::to_string(&request).unwrap(),
        GOLDEN,
        "serde through TrackEventRequest"
    );
    let mut via_request = Vec::new();
    request.write_json(&mut via_request);
    assert_eq!(
        String::from_utf8(via_request).unwrap(),
        GOLDEN,
        "TrackEventRequest::write_json"
    );

    let catalog = ToolItemEvent::from(event);
    assert_eq!(
        serde_json::to_string(&catalog).unwrap(),
        GOLDEN,
        "serde through the EventCatalog enum"
    );
    let mut via_catalog = Vec::new();
    catalog.write_json(&mut via_catalog);
    assert_eq!(
        String::from_utf8(via_catalog).unwrap(),
        GOLDEN,
        "EventCatalog::write_json"
    );
}

#[test]
fn golden_value_equals_reference_json() {
    let value = serde_json::to_value(TrackEventRequest::from(golden_command_execution())).unwrap();
    let expected: serde_json::Value = serde_json::from_str(GOLDEN).unwrap();
    assert_eq!(value, expected);
}

#[test]
fn batch_wraps_events_in_order() {
    let mut batch = EventBatch::new(vec![golden_command_execution().into()]);
    batch.push(golden_command_execution());
    let expected = format!(r#"{{"events":[{GOLDEN},{GOLDEN}]}}"#);
    assert_eq!(serde_json::to_string(&batch).unwrap(), expected);
    let mut out = Vec::new();
    batch.write_json(&mut out);
    assert_eq!(String::from_utf8(out).unwrap(), expected);
    assert_eq!(batch.len(), 2);
}

#[test]
fn event_name_constants() {
    const NAME: &str = CommandExecution::EVENT_NAME;
    assert_eq!(NAME, "codex_command_execution_event");
    assert_eq!(<CommandExecution as AnalyticsEvent>::NAME, NAME);
    assert_eq!(<CommandExecution as AnalyticsEvent>::VERSION, 1);
    match "codex_file_change_event" {
        FileChange::EVENT_NAME => {}
        other => panic!("EVENT_NAME must be usable as a pattern, got {other}"),
    }
}

#[test]
fn write_json_to_any_io_write() {
    use analytics_core::EventCatalog;
    let event = golden_command_execution();
    let mut file_like = std::io::Cursor::new(Vec::new());
    event.write_json_to(&mut file_like).unwrap();
    assert_eq!(file_like.into_inner(), GOLDEN.as_bytes());

    let mut out = Vec::new();
    TrackEventRequest::from(event.clone())
        .write_json_to(&mut out)
        .unwrap();
    ToolItemEvent::from(event.clone())
        .write_json_to(&mut out)
        .unwrap();
    EventBatch::new(vec![event.into()])
        .write_json_to(&mut out)
        .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!(r#"{GOLDEN}{GOLDEN}{{"events":[{GOLDEN}]}}"#)
    );
}
