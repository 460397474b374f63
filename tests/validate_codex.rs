//! Validation of the Codex events: nested paths (`base.app_server_client.
//! product_client_id`, item paths such as `receiver_thread_ids[2]`), the
//! `EventCatalog` entry point, and a property test: events generated inside
//! the rules always validate, and a mutation that breaks one rule yields
//! exactly one error, at the right path.

use analytics_core::{AnalyticsEvent, AnalyticsFields, EventCatalog, ValidationErrors};
use codex_analytics::*;
use proptest::prelude::*;

mod validate_support;

fn only_error(errors: &ValidationErrors) -> (&str, &'static str) {
    assert_eq!(errors.len(), 1, "expected one error, got:\n{errors}");
    let error = errors.iter().next().unwrap();
    (error.path.as_str(), error.rule)
}

#[test]
fn valid_codex_events_validate() {
    for event in validate_support::all_events() {
        event
            .validate()
            .unwrap_or_else(|errors| panic!("{}: {errors}", event.event_type()));
    }
}

#[test]
fn nested_paths_use_rust_field_names() {
    let mut event = validate_support::command_execution();
    event.base.app_server_client.product_client_id.clear();
    event.base.runtime.runtime_arch.clear();
    event.base.thread_id.clear();
    let errors = event.validate().unwrap_err();
    let paths: Vec<_> = errors.iter().map(|e| (e.path.as_str(), e.rule)).collect();
    assert_eq!(
        paths,
        [
            ("base.thread_id", "non_empty"),
            ("base.app_server_client.product_client_id", "non_empty"),
            ("base.runtime.runtime_arch", "non_empty"),
        ]
    );
    assert_eq!(
        errors.to_string(),
        "base.thread_id: must not be empty\n\
         base.app_server_client.product_client_id: must not be empty\n\
         base.runtime.runtime_arch: must not be empty"
    );
    // The same group validated on its own: paths start at the group.
    let errors = event.base.validate().unwrap_err();
    assert!(errors.get("app_server_client.product_client_id").is_some());
}

#[test]
fn struct_level_checks_on_codex_events() {
    let mut event = validate_support::command_execution();
    event.base.completed_at_ms = event.base.started_at_ms - 1;
    event.command_read_action_count = event.command_total_action_count + 1;
    let errors = event.validate().unwrap_err();
    assert_eq!(
        errors.to_string(),
        "base: completed_at_ms (999) is before started_at_ms (1000)\n\
         command_read_action_count (5) exceeds command_total_action_count (4)"
    );
    assert_eq!(errors.get("").unwrap().rule, "check");
    assert_eq!(errors.get("base").unwrap().rule, "check");
}

#[test]
fn catalog_validate_delegates_to_the_event() {
    let mut collab = validate_support::collab_agent_tool_call();
    collab.requested_reasoning_effort = Some("maximal".to_owned());
    let event = ToolItemEvent::from(collab);
    let errors = EventCatalog::validate(&event).unwrap_err();
    assert_eq!(
        only_error(&errors),
        ("requested_reasoning_effort", "one_of")
    );
    assert_eq!(errors, event.validate().unwrap_err());
}

/// A thread a message was sent to; a nested group inside a `Vec`.
#[derive(AnalyticsFields, Clone, Debug)]
#[analytics(check = receiver_is_not_sender)]
struct Receiver {
    #[analytics(pattern = "^thread-[0-9]+$")]
    thread_id: String,
    sender_thread_id: String,
}

fn receiver_is_not_sender(receiver: &Receiver) -> Result<(), String> {
    if receiver.thread_id == receiver.sender_thread_id {
        Err("a thread cannot send to itself".to_owned())
    } else {
        Ok(())
    }
}

#[derive(AnalyticsEvent, Clone, Debug)]
#[analytics(name = "test_messages_sent")]
struct MessagesSent {
    #[analytics(flatten)]
    base: ToolItemBase,
    #[analytics(length(max = 4))]
    receiver_thread_ids: Vec<Receiver>,
    fallback: Option<Receiver>,
}

#[test]
fn item_paths_index_into_vecs() {
    let receiver = |id: &str| Receiver {
        thread_id: id.to_owned(),
        sender_thread_id: "thread-1".to_owned(),
    };
    let event = MessagesSent {
        base: validate_support::base(),
        receiver_thread_ids: vec![
            receiver("thread-2"),
            receiver("thread-3"),
            receiver("thread-1"),
            receiver("nope"),
            receiver("thread-5"),
        ],
        fallback: Some(receiver("x")),
    };
    let errors = event.validate().unwrap_err();
    let paths: Vec<_> = errors.iter().map(|e| (e.path.as_str(), e.rule)).collect();
    assert_eq!(
        paths,
        [
            ("receiver_thread_ids", "length"),
            ("receiver_thread_ids[2]", "check"),
            ("receiver_thread_ids[3].thread_id", "pattern"),
            ("fallback.thread_id", "pattern"),
        ]
    );
    assert_eq!(
        errors.get("receiver_thread_ids[2]").unwrap().to_string(),
        "receiver_thread_ids[2]: a thread cannot send to itself"
    );
}

// ------------------------------------------------------------ properties

const EFFORTS: [&str; 5] = ["minimal", "low", "medium", "high", "xhigh"];

fn id() -> impl Strategy<Value = String> {
    "[a-z0-9_-]{1,12}"
}

fn any_text() -> impl Strategy<Value = String> {
    "\\PC{0,8}"
}

prop_compose! {
    fn app_server_client()(
        product_client_id in id(),
        client_name in proptest::option::of(any_text()),
        client_version in proptest::option::of(any_text()),
        transport in 0..3usize,
        experimental_api_enabled in proptest::option::of(any::<bool>()),
    ) -> AppServerClient {
        AppServerClient {
            product_client_id,
            client_name,
            client_version,
            rpc_transport: [RpcTransport::Stdio, RpcTransport::Websocket, RpcTransport::InProcess][transport],
            experimental_api_enabled,
        }
    }
}

prop_compose! {
    fn timing()(started in 1u64..1_000_000_000_000, span in 0u64..10_000_000)(
        started in Just(started),
        span in Just(span),
        duration in proptest::option::of(0..=span),
        execution in proptest::option::of(0..=span),
    ) -> (u64, u64, Option<u64>, Option<u64>) {
        (started, started + span, duration, execution)
    }
}

prop_compose! {
    fn base()(
        thread_id in id(),
        turn_id in id(),
        item_id in id(),
        app_server_client in app_server_client(),
        codex_rs_version in id(),
        runtime_os in id(),
        runtime_os_version in any_text(),
        runtime_arch in id(),
        subagent_source in proptest::option::of(any_text()),
        parent_thread_id in proptest::option::of(any_text()),
        tool_name in id(),
        (started_at_ms, completed_at_ms, duration_ms, execution_duration_ms) in timing(),
        guardian_review_count in 0u64..100,
        user_review_count in 0u64..100,
        extra_reviews in 0u64..100,
        flags in any::<(bool, bool)>(),
    ) -> ToolItemBase {
        ToolItemBase {
            thread_id,
            turn_id,
            item_id,
            app_server_client,
            runtime: Runtime { codex_rs_version, runtime_os, runtime_os_version, runtime_arch },
            thread_source: Some(ThreadSource::Subagent),
            subagent_source,
            parent_thread_id,
            tool_name,
            started_at_ms,
            completed_at_ms,
            duration_ms,
            execution_duration_ms,
            review_count: guardian_review_count + user_review_count + extra_reviews,
            guardian_review_count,
            user_review_count,
            final_approval_outcome: FinalApprovalOutcome::ConfigAllowed,
            terminal_status: TerminalStatus::Failed,
            failure_kind: Some(FailureKind::ToolError),
            requested_additional_permissions: flags.0,
            requested_network_access: flags.1,
        }
    }
}

prop_compose! {
    fn command_execution()(
        base in base(),
        exit_code in proptest::option::of(-1i32..=255),
        counts in any::<[u16; 4]>(),
        extra in 0u64..10,
    ) -> CommandExecution {
        let [read, list, search, unknown] = counts.map(u64::from);
        CommandExecution {
            base,
            command_execution_source: CommandExecutionSource::UserShell,
            exit_code,
            command_total_action_count: read.max(list).max(search).max(unknown) + extra,
            command_read_action_count: read,
            command_list_files_action_count: list,
            command_search_action_count: search,
            command_unknown_action_count: unknown,
        }
    }
}

prop_compose! {
    fn collab_agent_tool_call()(
        base in base(),
        sender_thread_id in id(),
        receivers in proptest::option::of(proptest::collection::vec(id(), 0..6)),
        requested_model in proptest::option::of(any_text()),
        effort in proptest::option::of(0..EFFORTS.len()),
        counts in any::<(Option<u64>, Option<u64>, Option<u64>)>(),
    ) -> CollabAgentToolCall {
        CollabAgentToolCall {
            base,
            sender_thread_id,
            receiver_thread_count: receivers.as_ref().map_or(0, |ids| ids.len() as u64),
            receiver_thread_ids: receivers,
            requested_model,
            requested_reasoning_effort: effort.map(|i| EFFORTS[i].to_owned()),
            agent_state_count: counts.0,
            completed_agent_count: counts.1,
            failed_agent_count: counts.2,
        }
    }
}

/// Breaks exactly one rule of a valid event; returns the path and rule of
/// the one error expected.
fn break_command(
    event: &mut CommandExecution,
    mutation: usize,
    by: u16,
) -> (&'static str, &'static str) {
    let by = u64::from(by);
    match mutation {
        0 => {
            event.base.thread_id.clear();
            ("base.thread_id", "non_empty")
        }
        1 => {
            event.base.app_server_client.product_client_id.clear();
            ("base.app_server_client.product_client_id", "non_empty")
        }
        2 => {
            event.base.runtime.runtime_os.clear();
            ("base.runtime.runtime_os", "non_empty")
        }
        3 => {
            event.base.completed_at_ms = event.base.started_at_ms - 1;
            ("base", "check")
        }
        4 => {
            event.base.guardian_review_count = event.base.review_count + 1 + by;
            ("base", "check")
        }
        5 => {
            event.exit_code = Some(256 + by as i32);
            ("exit_code", "range")
        }
        6 => {
            event.exit_code = Some(-2 - by as i32);
            ("exit_code", "range")
        }
        7 => {
            event.command_search_action_count = event.command_total_action_count + 1 + by;
            ("", "check")
        }
        _ => {
            event.base.tool_name.clear();
            ("base.tool_name", "non_empty")
        }
    }
}

fn break_collab(event: &mut CollabAgentToolCall, mutation: usize) -> (&'static str, &'static str) {
    match mutation {
        0 => {
            event.sender_thread_id.clear();
            ("sender_thread_id", "non_empty")
        }
        1 => {
            event.requested_reasoning_effort = Some("High".to_owned());
            ("requested_reasoning_effort", "one_of")
        }
        _ => {
            event.receiver_thread_count += 1;
            event.receiver_thread_ids.get_or_insert_with(Vec::new);
            ("", "check")
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_command_executions_validate(event in command_execution()) {
        prop_assert!(event.validate().is_ok(), "{:?}", event.validate());
        prop_assert!(ToolItemEvent::from(event).validate().is_ok());
    }

    #[test]
    fn generated_collab_calls_validate(event in collab_agent_tool_call()) {
        prop_assert!(event.validate().is_ok(), "{:?}", event.validate());
    }

    #[test]
    fn one_broken_rule_is_one_error_at_its_path(
        mut event in command_execution(),
        mutation in 0..9usize,
        by in any::<u16>(),
    ) {
        let expected = break_command(&mut event, mutation, by);
        let errors = event.validate().unwrap_err();
        prop_assert_eq!(only_error(&errors), expected);
    }

    #[test]
    fn one_broken_collab_rule_is_one_error_at_its_path(
        mut event in collab_agent_tool_call(),
        mutation in 0..3usize,
    ) {
        let expected = break_collab(&mut event, mutation);
        let errors = event.validate().unwrap_err();
        prop_assert_eq!(only_error(&errors), expected);
    }
}
