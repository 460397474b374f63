//! The JSON Schema of every Codex event, checked with a real validator
//! (`jsonschema`) on generated events: every serialized event validates
//! against its own schema exactly when its field rules hold, never against
//! another event's, and mutated instances fail.

#[path = "support/strategies.rs"]
mod strategies;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use analytics_core::{catalog, AnalyticsEvent, FieldType, TrackingPlan};
use codex_analytics::*;
use jsonschema::Validator;
use proptest::prelude::*;
use serde_json::{json, Value};
use strategies::Leaves;

// ------------------------------------------------------------ strategies

/// Strings: mostly plain, some empty, some with JSON escapes and non-ASCII text.
fn odd_string() -> impl Strategy<Value = String> {
    let tricky = prop_oneof![
        Just('"'),
        Just('\\'),
        Just('\n'),
        Just('\u{0}'),
        Just('\u{1f}'),
        Just('\u{7f}'),
        Just('é'),
        Just('😀'),
        Just('\u{2028}'),
        proptest::char::range('a', 'z'),
        any::<char>(),
    ];
    prop_oneof![
        6 => proptest::collection::vec(proptest::char::range('a', 'z'), 1..12)
            .prop_map(|chars| chars.into_iter().collect()),
        3 => proptest::collection::vec(tricky, 1..10).prop_map(|chars| chars.into_iter().collect()),
        1 => Just(String::new()),
        1 => any::<String>(),
    ]
}

fn pick<T: Clone + std::fmt::Debug + 'static>(values: &'static [T]) -> impl Strategy<Value = T> {
    proptest::sample::select(values)
}

/// Counts over the whole u64 range, with small values common.
fn count() -> impl Strategy<Value = u64> {
    prop_oneof![3 => 0u64..20, 1 => any::<u64>()]
}

/// Exit codes: mostly within `range(min = -1, max = 255)`, sometimes not.
fn exit_code() -> BoxedStrategy<Option<i32>> {
    prop_oneof![1 => Just(None), 2 => prop_oneof![4 => -1i32..=255, 1 => any::<i32>()].prop_map(Some)]
        .boxed()
}

/// Reasoning efforts: mostly one of the allowed values, sometimes not.
fn reasoning_effort() -> BoxedStrategy<Option<String>> {
    let effort = prop_oneof![
        4 => pick(&["minimal", "low", "medium", "high", "xhigh"]).prop_map(str::to_owned),
        1 => odd_string(),
        1 => Just("High".to_owned()),
    ];
    prop_oneof![1 => Just(None), 2 => effort.prop_map(Some)].boxed()
}

/// Codex events with values mostly inside their rules and sometimes not,
/// `Some` twice as likely as `None`.
fn event() -> BoxedStrategy<ToolItemEvent> {
    strategies::event_of(Leaves {
        text: || odd_string().boxed(),
        count: || count().boxed(),
        exit_code,
        reasoning_effort,
        some_weight: 2,
    })
}

// ------------------------------------------------------------ validators

struct Schemas {
    by_event: BTreeMap<&'static str, Validator>,
    plan: Validator,
}

fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        assert_eq!(ToolItemEvent::NAMES.len(), 7);
        let by_event = ToolItemEvent::NAMES
            .iter()
            .map(|name| {
                let schema = catalog::get(name).expect("linked in").json_schema();
                let validator = jsonschema::validator_for(&schema)
                    .unwrap_or_else(|error| panic!("{name}: invalid schema: {error}"));
                (*name, validator)
            })
            .collect();
        let plan = TrackingPlan::from_catalog().json_schema();
        Schemas {
            by_event,
            plan: jsonschema::validator_for(&plan).expect("the plan's schema compiles"),
        }
    })
}

fn own(name: &str) -> &'static Validator {
    &schemas().by_event[name]
}

/// The number of violated rules that JSON Schema expresses (everything but
/// `custom` functions and struct-level `check`s).
fn expressible_violations(event: &ToolItemEvent) -> Vec<String> {
    match event.validate() {
        Ok(()) => Vec::new(),
        Err(errors) => errors
            .iter()
            .filter(|error| error.rule != "check" && error.rule != "custom")
            .map(|error| format!("{}: {} ({})", error.path, error.message, error.rule))
            .collect(),
    }
}

fn schema_errors(validator: &Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect()
}

// ------------------------------------------------------------ properties

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    /// Own schema: valid exactly when the expressible rules hold; every other
    /// event's schema: never; the plan's schema: same as its own.
    #[test]
    fn serialized_events_match_their_own_schema_only(event in event()) {
        let name = event.event_type();
        let instance = serde_json::to_value(&event).unwrap();
        // The fast writer produces the same document.
        let mut bytes = Vec::new();
        event.write_json(&mut bytes);
        prop_assert_eq!(&serde_json::from_slice::<Value>(&bytes).unwrap(), &instance);

        let violations = expressible_violations(&event);
        let errors = schema_errors(own(name), &instance);
        prop_assert_eq!(
            violations.is_empty(),
            errors.is_empty(),
            "validate(): {:?}\nschema: {:?}",
            violations,
            errors
        );
        if event.validate().is_ok() {
            prop_assert!(errors.is_empty());
        }
        for (other, validator) in &schemas().by_event {
            if *other != name {
                prop_assert!(!validator.is_valid(&instance), "{} validates against {}", name, other);
            }
        }
        prop_assert_eq!(schemas().plan.is_valid(&instance), errors.is_empty());
    }

    /// Valid instances, mutated in one place, fail their schema.
    #[test]
    fn mutated_events_fail_their_schema(event in event()) {
        let name = event.event_type();
        let instance = serde_json::to_value(&event).unwrap();
        prop_assume!(own(name).is_valid(&instance));
        for (what, mutated) in mutations(name, &instance) {
            prop_assert!(
                !own(name).is_valid(&mutated),
                "{} still validates after {}: {}",
                name,
                what,
                mutated
            );
            prop_assert!(!schemas().plan.is_valid(&mutated), "plan schema accepts {}", what);
        }
    }
}

/// A wrong-typed value for a field of this type.
fn wrong_type(ty: &FieldType) -> Value {
    match ty {
        FieldType::String => json!(42),
        FieldType::Integer(_) => json!("42"),
        FieldType::Number { .. } => json!("4.2"),
        FieldType::Boolean => json!("true"),
        FieldType::Enum(_) => json!(7),
        FieldType::Object(_) => json!("{}"),
        FieldType::Array(_) => json!({}),
        FieldType::Nullable(_) => json!([]),
        FieldType::Map { .. } => json!([]),
        FieldType::Ref(_) => json!("{}"),
        // No value is the wrong type for these (or it depends on the variants):
        // the Codex events have none.
        FieldType::Any | FieldType::Serde(_) | FieldType::Union(_) => {
            unreachable!("the Codex events have no field of type {ty}")
        }
    }
}

/// Every single-place mutation of a valid instance that its schema must reject.
fn mutations(name: &str, instance: &Value) -> Vec<(String, Value)> {
    let schema = catalog::get(name).unwrap();
    let mut out = Vec::new();
    let mut with = |what: String, edit: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut mutated = instance.clone();
        edit(mutated["event_params"].as_object_mut().unwrap());
        out.push((what, mutated));
    };
    for field in schema.fields {
        let key = field.name;
        with(format!("removing {key}"), &|params| {
            params.remove(key);
        });
        with(format!("a wrong type for {key}"), &|params| {
            params.insert(key.into(), wrong_type(&field.ty));
        });
        if !field.nullable {
            with(format!("null for {key}"), &|params| {
                params.insert(key.into(), Value::Null);
            });
        }
        match field.ty {
            FieldType::Integer(_) => {
                with(format!("a negative {key}"), &|params| {
                    params.insert(key.into(), json!(-2));
                });
                with(format!("a fraction for {key}"), &|params| {
                    params.insert(key.into(), json!(1.5));
                });
                with(format!("{key} beyond u64"), &|params| {
                    params.insert(key.into(), json!(1e20));
                });
            }
            FieldType::Enum(_) => with(format!("an unknown value for {key}"), &|params| {
                params.insert(key.into(), json!("not_a_value"));
            }),
            FieldType::Object(object) => {
                with(format!("an unknown key in {key}"), &|params| {
                    params[key]
                        .as_object_mut()
                        .unwrap()
                        .insert("unexpected".into(), json!(1));
                });
                for inner in object.fields {
                    with(format!("removing {key}.{}", inner.name), &|params| {
                        params[key].as_object_mut().unwrap().remove(inner.name);
                    });
                }
            }
            _ => {}
        }
        if field.rules.iter().any(|rule| rule.name() == "non_empty") {
            with(format!("an empty {key}"), &|params| {
                params.insert(key.into(), json!(""));
            });
        }
    }
    with("an unknown key".into(), &|params| {
        params.insert("unexpected_key".into(), json!("x"));
    });
    with("an empty product_client_id".into(), &|params| {
        params["app_server_client"]["product_client_id"] = json!("");
    });
    with("an unknown rpc_transport".into(), &|params| {
        params["app_server_client"]["rpc_transport"] = json!("carrier_pigeon");
    });
    with("an enum value in the wrong case".into(), &|params| {
        params["terminal_status"] = json!("Completed");
    });
    match name {
        CommandExecution::EVENT_NAME => {
            for code in [300, 256, -2, i64::from(i32::MAX) + 1] {
                with(format!("exit_code {code}"), &|params| {
                    params.insert("exit_code".into(), json!(code));
                });
            }
            with("an unknown command_execution_source".into(), &|params| {
                params.insert("command_execution_source".into(), json!("user_shell"));
            });
        }
        CollabAgentToolCall::EVENT_NAME => {
            with("requested_reasoning_effort \"extreme\"".into(), &|params| {
                params.insert("requested_reasoning_effort".into(), json!("extreme"));
            });
            with("a non-string receiver id".into(), &|params| {
                params.insert("receiver_thread_ids".into(), json!([1]));
            });
        }
        _ => {}
    }
    // Envelope mutations.
    let mut other_type = instance.clone();
    other_type["event_type"] = json!(if name == WebSearch::EVENT_NAME {
        FileChange::EVENT_NAME
    } else {
        WebSearch::EVENT_NAME
    });
    out.push(("another event_type".into(), other_type));
    let mut extra = instance.clone();
    extra["extra"] = json!(1);
    out.push(("an extra envelope key".into(), extra));
    let mut no_params = instance.clone();
    no_params.as_object_mut().unwrap().remove("event_params");
    out.push(("no event_params".into(), no_params));
    let mut no_type = instance.clone();
    no_type.as_object_mut().unwrap().remove("event_type");
    out.push(("no event_type".into(), no_type));
    out
}

// ------------------------------------------------------------ fixed cases

#[test]
fn every_schema_is_valid_draft_2020_12() {
    for name in ToolItemEvent::NAMES {
        let schema = catalog::get(name).unwrap().json_schema();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert!(jsonschema::meta::is_valid(&schema), "{name}");
    }
    assert!(jsonschema::meta::is_valid(
        &TrackingPlan::from_catalog().json_schema()
    ));
}

#[test]
fn codex_schema_shape() {
    let schema = CommandExecution::schema().json_schema();
    assert_eq!(
        schema["properties"]["event_type"],
        json!({ "const": "codex_command_execution_event" })
    );
    assert_eq!(schema["required"], json!(["event_type", "event_params"]));
    assert_eq!(schema["additionalProperties"], json!(false));
    let params = &schema["properties"]["event_params"];
    assert_eq!(params["additionalProperties"], json!(false));
    assert_eq!(params["required"].as_array().unwrap().len(), 28);
    let properties = &params["properties"];
    assert_eq!(
        properties["exit_code"],
        json!({
            "type": ["integer", "null"],
            "minimum": -1,
            "maximum": 255,
            "description": "Exit code; `None` when the command did not run to completion."
        })
    );
    assert_eq!(properties["thread_id"]["minLength"], json!(1));
    assert_eq!(
        properties["thread_source"]["anyOf"],
        json!([{ "$ref": "#/$defs/ThreadSource" }, { "type": "null" }])
    );
    assert_eq!(
        properties["command_execution_source"]["$ref"],
        json!("#/$defs/CommandExecutionSource")
    );
    assert_eq!(
        schema["$defs"]["CommandExecutionSource"]["enum"],
        json!([
            "agent",
            "userShell",
            "unifiedExecStartup",
            "unifiedExecInteraction"
        ])
    );
    assert_eq!(
        properties["started_at_ms"],
        json!({
            "type": "integer",
            "minimum": 0,
            "maximum": u64::MAX,
            "description": "When the item started (Unix ms)."
        })
    );
    let client = &schema["$defs"]["AppServerClient"];
    assert_eq!(client["additionalProperties"], json!(false));
    assert_eq!(
        client["properties"]["rpc_transport"]["$ref"],
        json!("#/$defs/RpcTransport")
    );

    let collab = CollabAgentToolCall::schema().json_schema();
    assert_eq!(
        collab["properties"]["event_params"]["properties"]["requested_reasoning_effort"]["enum"],
        json!(["minimal", "low", "medium", "high", "xhigh", null])
    );
}

#[test]
fn the_golden_event_and_its_obvious_breakages() {
    let event = CommandExecution {
        base: ToolItemBase {
            thread_id: "thread-1".into(),
            turn_id: "turn-1".into(),
            item_id: "item-1".into(),
            app_server_client: AppServerClient {
                product_client_id: "codex_tui".into(),
                client_name: None,
                client_version: None,
                rpc_transport: RpcTransport::Stdio,
                experimental_api_enabled: None,
            },
            runtime: Runtime {
                codex_rs_version: "0.99.0".into(),
                runtime_os: "linux".into(),
                runtime_os_version: String::new(),
                runtime_arch: "x86_64".into(),
            },
            thread_source: None,
            subagent_source: None,
            parent_thread_id: None,
            tool_name: "shell".into(),
            started_at_ms: 1,
            completed_at_ms: 2,
            duration_ms: None,
            execution_duration_ms: None,
            review_count: 0,
            guardian_review_count: 0,
            user_review_count: 0,
            final_approval_outcome: FinalApprovalOutcome::NotNeeded,
            terminal_status: TerminalStatus::Completed,
            failure_kind: None,
            requested_additional_permissions: false,
            requested_network_access: false,
        },
        command_execution_source: CommandExecutionSource::Agent,
        exit_code: Some(0),
        command_total_action_count: 0,
        command_read_action_count: 0,
        command_list_files_action_count: 0,
        command_search_action_count: 0,
        command_unknown_action_count: 0,
    };
    event.validate().unwrap();
    let validator = own(CommandExecution::EVENT_NAME);
    let instance =
        serde_json::to_value(analytics_core::TrackEventRequest::from(event.clone())).unwrap();
    assert!(validator.is_valid(&instance));

    let mut empty_thread = event.clone();
    empty_thread.base.thread_id.clear();
    assert!(empty_thread.validate().is_err());
    assert!(!validator.is_valid(&serde_json::to_value(ToolItemEvent::from(empty_thread)).unwrap()));

    let mut exit_300 = event.clone();
    exit_300.exit_code = Some(300);
    assert!(exit_300.validate().is_err());
    assert!(!validator.is_valid(&serde_json::to_value(ToolItemEvent::from(exit_300)).unwrap()));

    // A struct-level check (`completed_at_ms >= started_at_ms`) is beyond
    // JSON Schema: validate() rejects, the schema accepts.
    let mut backwards = event;
    backwards.base.completed_at_ms = 0;
    assert!(backwards.validate().is_err());
    assert!(validator.is_valid(&serde_json::to_value(ToolItemEvent::from(backwards)).unwrap()));
}
