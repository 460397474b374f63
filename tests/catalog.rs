//! `EventCatalog` round trips and errors, and the process-wide catalog.

#[path = "support/strategies.rs"]
mod strategies;

use analytics_core::{catalog, AnalyticsEvent, FieldType, TrackEventRequest};
use codex_analytics::simulate::Session;
use codex_analytics::*;
use proptest::prelude::*;

#[test]
fn round_trip_every_kind() {
    let events = Session::new(21).events(500);
    let mut kinds = std::collections::BTreeSet::new();
    for event in events {
        kinds.insert(event.event_type());
        let json = serde_json::to_string(&event).unwrap();
        let back: ToolItemEvent = serde_json::from_str(&json).unwrap();
        assert_eq!(back, event);
        let value = serde_json::to_value(&event).unwrap();
        let back: ToolItemEvent = serde_json::from_value(value).unwrap();
        assert_eq!(back, event);
    }
    assert_eq!(kinds.len(), 7);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn round_trip_generated(event in strategies::event()) {
        let json = serde_json::to_string(&event).unwrap();
        let back: ToolItemEvent = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, event);
    }

    /// Issue 12: catalog deserialization of mutated envelopes (bytes
    /// replaced, removed or inserted, the input cut short) never panics; what
    /// it accepts is a real event that writes and reads back as itself.
    #[test]
    fn mutated_envelopes_never_panic(
        event in strategies::event(),
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), 0u8..3, any::<u8>()), 1..6),
        cut in proptest::option::of(any::<proptest::sample::Index>()),
    ) {
        let mut bytes = serde_json::to_vec(&event).unwrap();
        for (at, kind, byte) in edits {
            if bytes.is_empty() {
                break;
            }
            let at = at.index(bytes.len());
            match kind {
                0 => bytes[at] = byte,
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, byte),
            }
        }
        if let Some(cut) = cut {
            let len = cut.index(bytes.len() + 1);
            bytes.truncate(len);
        }
        let parsed = std::panic::catch_unwind(|| serde_json::from_slice::<ToolItemEvent>(&bytes));
        let parsed = parsed.map_err(|_| TestCaseError::fail(format!(
            "panicked on {:?}",
            String::from_utf8_lossy(&bytes)
        )))?;
        if let Ok(read) = parsed {
            let again = serde_json::to_vec(&read).unwrap();
            let back: ToolItemEvent = serde_json::from_slice(&again).unwrap();
            prop_assert_eq!(back, read);
        }
    }
}

#[test]
fn params_may_come_before_event_type() {
    let event = Session::new(1).next_event();
    let value = serde_json::to_value(&event).unwrap();
    let reordered = format!(
        r#"{{"event_params":{},"event_type":"{}"}}"#,
        value["event_params"],
        event.event_type()
    );
    let back: ToolItemEvent = serde_json::from_str(&reordered).unwrap();
    assert_eq!(back, event);
}

#[test]
fn unknown_event_type_names_it_and_lists_the_known_ones() {
    let error = serde_json::from_str::<ToolItemEvent>(
        r#"{"event_type":"codex_teleport_event","event_params":{}}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(error.starts_with("unknown event type `codex_teleport_event`, expected one of `codex_command_execution_event`, `codex_file_change_event`, `codex_mcp_tool_call_event`, `codex_dynamic_tool_call_event`, `codex_collab_agent_tool_call_event`, `codex_web_search_event`, `codex_image_generation_event`"), "{error}");
    // The same when the params come first (buffered path).
    let error = serde_json::from_str::<ToolItemEvent>(r#"{"event_params":{},"event_type":"nope"}"#)
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("unknown event type `nope`"), "{error}");
}

#[test]
fn missing_and_ill_typed_fields_are_serde_errors_naming_the_field() {
    let event = ToolItemEvent::from(
        Session::new(2)
            .events(20)
            .into_iter()
            .find_map(|e| match e {
                ToolItemEvent::McpToolCall(e) => Some(e),
                _ => None,
            })
            .unwrap(),
    );
    let mut value = serde_json::to_value(&event).unwrap();
    value["event_params"]
        .as_object_mut()
        .unwrap()
        .remove("mcp_tool_name");
    let error = serde_json::from_value::<ToolItemEvent>(value.clone())
        .unwrap_err()
        .to_string();
    assert!(error.contains("missing field `mcp_tool_name`"), "{error}");

    value["event_params"]["mcp_tool_name"] = "tool".into();
    value["event_params"]["started_at_ms"] = "yesterday".into();
    let error = serde_json::from_str::<ToolItemEvent>(&value.to_string())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("invalid type: string \"yesterday\", expected u64"),
        "{error}"
    );

    let error = serde_json::from_str::<ToolItemEvent>(r#"{"event_params":{}}"#)
        .unwrap_err()
        .to_string();
    assert!(error.contains("missing field `event_type`"), "{error}");
    let error = serde_json::from_str::<ToolItemEvent>(r#"{"event_type":"codex_web_search_event"}"#)
        .unwrap_err()
        .to_string();
    assert!(error.contains("missing field `event_params`"), "{error}");

    value["event_params"]["rpc_transport"] = serde_json::Value::Null;
    value["event_params"]["app_server_client"]["rpc_transport"] = "carrier_pigeon".into();
    value["event_params"]["started_at_ms"] = 5.into();
    let error = serde_json::from_value::<ToolItemEvent>(value)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(
            "unknown variant `carrier_pigeon`, expected one of `stdio`, `websocket`, `in_process`"
        ),
        "{error}"
    );
}

#[test]
fn missing_option_fields_deserialize_as_none() {
    let event = Session::new(3).next_event();
    let mut value = serde_json::to_value(&event).unwrap();
    value["event_params"]
        .as_object_mut()
        .unwrap()
        .remove("parent_thread_id");
    value["event_params"]["subagent_source"] = serde_json::Value::Null;
    let back: ToolItemEvent = serde_json::from_value(value).unwrap();
    assert_eq!(back.base().parent_thread_id, None);
    assert_eq!(back.base().subagent_source, None);
}

#[test]
fn catalog_enum_api() {
    assert_eq!(ToolItemEvent::NAMES.len(), 7);
    assert_eq!(ToolItemEvent::NAMES[0], CommandExecution::EVENT_NAME);
    let event = Session::new(4).next_event();
    let request: TrackEventRequest = event.clone().into();
    assert_eq!(request.event_type(), event.event_type());
    assert!(event.validate().is_ok());
}

#[test]
fn track_event_request_downcasts_back_to_the_event() {
    let event = match Session::new(8)
        .events(30)
        .into_iter()
        .find(|e| matches!(e, ToolItemEvent::WebSearch(_)))
    {
        Some(ToolItemEvent::WebSearch(event)) => event,
        _ => unreachable!("seed 8 has a web search in its first 30 items"),
    };
    let request = TrackEventRequest::from(event.clone());
    assert_eq!(request.downcast_ref::<WebSearch>(), Some(&event));
    assert!(request.downcast_ref::<FileChange>().is_none());
    let request = request.downcast::<FileChange>().unwrap_err();
    assert_eq!(request.downcast::<WebSearch>().unwrap(), event);
}

#[test]
fn the_process_catalog_lists_the_seven_events_without_registration_code() {
    let names: Vec<&str> = catalog::events().map(|schema| schema.name).collect();
    let mut expected = ToolItemEvent::NAMES.to_vec();
    expected.sort_unstable();
    assert_eq!(names, expected);
    assert!(catalog::conflicts().is_empty());
    let schema = catalog::get("codex_command_execution_event").unwrap();
    assert!(std::ptr::eq(schema, CommandExecution::schema()));
}

#[test]
fn schemas_list_every_wire_field_in_wire_order() {
    let schema = CommandExecution::schema();
    assert_eq!(schema.name, "codex_command_execution_event");
    assert_eq!(schema.version, 1);
    assert_eq!(
        schema.description,
        "A shell command that the agent (or the user) ran."
    );
    let event = Session::new(6)
        .events(50)
        .into_iter()
        .find_map(|e| match e {
            ToolItemEvent::CommandExecution(e) => Some(e),
            _ => None,
        })
        .unwrap();
    let value = serde_json::to_value(&event).unwrap();
    let mut wire_keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let schema_keys: Vec<&str> = schema.fields.iter().map(|f| f.name).collect();
    assert_eq!(schema_keys.len(), 21 + 7, "21 base fields, 7 of the event");
    // Wire order: each key is written after the previous one.
    let json = serde_json::to_string(&event).unwrap();
    let positions: Vec<usize> = schema_keys
        .iter()
        .map(|key| {
            json.find(&format!("\"{key}\":"))
                .unwrap_or_else(|| panic!("{key} not written"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "schema order differs from wire order"
    );
    let mut sorted_schema = schema_keys.clone();
    sorted_schema.sort_unstable();
    wire_keys.sort_unstable();
    assert_eq!(sorted_schema, wire_keys);

    let thread_id = schema.field("thread_id").unwrap();
    assert_eq!(thread_id.rust_path, "base.thread_id");
    assert_eq!(thread_id.ty, FieldType::String);
    assert!(thread_id.required && !thread_id.nullable);
    assert_eq!(thread_id.description, "The conversation thread.");
    let exit_code = schema.field("exit_code").unwrap();
    assert!(exit_code.nullable);
    assert_eq!(exit_code.rules.len(), 1);
    assert_eq!(exit_code.ty.describe(), "integer (i32)");
    let source = schema.field("command_execution_source").unwrap();
    match source.ty {
        FieldType::Enum(values) => assert_eq!(
            values.value_names().collect::<Vec<_>>(),
            [
                "agent",
                "userShell",
                "unifiedExecStartup",
                "unifiedExecInteraction"
            ]
        ),
        other => panic!("expected an enum, got {other:?}"),
    }
    match schema.field("app_server_client").unwrap().ty {
        FieldType::Object(object) => {
            assert_eq!(object.name, "AppServerClient");
            assert_eq!(object.fields.len(), 5);
        }
        other => panic!("expected an object, got {other:?}"),
    }
}

#[test]
fn derived_name_hashes_match_the_runtime_hash() {
    // The flatten collision check compares hashes the derive computed at
    // expansion with `name_hash`: the two must be the same function.
    use analytics_core::__private::{name_hash, FieldSet};
    for names in [
        <ToolItemBase as FieldSet>::NAMES,
        <CommandExecution as FieldSet>::NAMES,
        <AppServerClient as FieldSet>::NAMES,
    ] {
        assert_eq!(names.own.len(), names.hashes.len());
        for (name, hash) in names.own.iter().zip(names.hashes) {
            assert_eq!(*hash, name_hash(name), "{name}");
        }
    }
}

/// Finding 12.11: a key written twice in `event_params` is rejected whichever
/// envelope key comes first (the buffered path used to keep the last value).
#[test]
fn finding_12_11_duplicate_params_keys_rejected_in_both_key_orders() {
    let event = Session::new(3).next_event();
    let value = serde_json::to_value(&event).unwrap();
    let params = value["event_params"].to_string();
    let key = value["event_params"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    // The first key once more at the end of the params object.
    let repeated = format!(
        "{},\"{key}\":{}}}",
        &params[..params.len() - 1],
        value["event_params"][&key]
    );
    let type_first = format!(
        r#"{{"event_type":"{}","event_params":{repeated}}}"#,
        event.event_type()
    );
    let params_first = format!(
        r#"{{"event_params":{repeated},"event_type":"{}"}}"#,
        event.event_type()
    );
    for text in [type_first, params_first] {
        let error = serde_json::from_str::<ToolItemEvent>(&text)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(&format!("duplicate field `{key}`")),
            "{error}"
        );
    }
}

/// Finding 12.11: an enum field given a number says which values it takes.
#[test]
fn finding_12_11_enum_given_a_number_names_the_allowed_values() {
    let error = serde_json::from_str::<ThreadSource>("1")
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("expected one of `user`, `subagent`"),
        "{error}"
    );
}

/// Finding 12.11: a huge unknown `event_type` is not echoed whole.
#[test]
fn finding_12_11_huge_unknown_event_type_is_truncated_in_the_error() {
    let name = "x".repeat(1 << 20);
    for text in [
        format!(r#"{{"event_type":"{name}","event_params":{{}}}}"#),
        format!(r#"{{"event_params":{{}},"event_type":"{name}"}}"#),
    ] {
        let error = serde_json::from_str::<ToolItemEvent>(&text)
            .unwrap_err()
            .to_string();
        assert!(error.len() < 2_000, "{} bytes", error.len());
        assert!(error.contains("1048576 bytes"), "{}", &error[..200]);
    }
}

/// A catalog whose large events are boxed, as the reference boxes five of its
/// events (issue 11 item 8).
// One variant left unboxed on purpose: boxed and inline variants side by side.
#[allow(clippy::large_enum_variant)]
#[derive(analytics_core::EventCatalog, Debug, PartialEq)]
enum BoxedCatalog {
    Command(Box<CommandExecution>),
    FileChange(std::boxed::Box<FileChange>),
    WebSearch(WebSearch),
}

#[test]
fn boxed_catalog_variants_write_and_read_the_same_envelope() {
    let mut session = Session::new(11);
    let mut seen = 0;
    for _ in 0..200 {
        let event = session.next_event();
        let boxed = match event.clone() {
            ToolItemEvent::CommandExecution(event) => BoxedCatalog::from(event),
            ToolItemEvent::FileChange(event) => BoxedCatalog::from(Box::new(event)),
            ToolItemEvent::WebSearch(event) => BoxedCatalog::from(event),
            _ => continue,
        };
        seen += 1;
        let expected = serde_json::to_string(&event).unwrap();
        assert_eq!(serde_json::to_string(&boxed).unwrap(), expected);
        let mut fast = Vec::new();
        boxed.write_json(&mut fast);
        assert_eq!(String::from_utf8(fast).unwrap(), expected);
        assert_eq!(boxed.event_type(), event.event_type());
        boxed.validate().unwrap();
        let back: BoxedCatalog = serde_json::from_str(&expected).unwrap();
        assert_eq!(back, boxed);
        let request = analytics_core::TrackEventRequest::from(boxed);
        assert_eq!(serde_json::to_string(&request).unwrap(), expected);
    }
    assert!(seen > 20, "{seen}");
}
