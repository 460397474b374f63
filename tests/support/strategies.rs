//! proptest strategies for the Codex events: every Some/None mix, strings with
//! quotes, backslashes, newlines, control characters and non-ASCII text.
//! Values are arbitrary (not kept inside the rules): for wire tests.

#![allow(dead_code)]

use proptest::prelude::*;

use analytics_core::AnalyticsEnum;
use codex_analytics::*;

/// Strings that exercise JSON escaping.
pub fn text() -> impl Strategy<Value = String> {
    let tricky = prop_oneof![
        Just('"'),
        Just('\\'),
        Just('\n'),
        Just('\r'),
        Just('\t'),
        Just('\u{0}'),
        Just('\u{1f}'),
        Just('\u{7f}'),
        Just('/'),
        Just('é'),
        Just('😀'),
        Just('\u{2028}'),
        proptest::char::range('a', 'z'),
        any::<char>(),
    ];
    prop_oneof![
        3 => proptest::collection::vec(tricky, 0..16).prop_map(|chars| chars.into_iter().collect()),
        1 => any::<String>(),
    ]
}

/// Any variant of an `AnalyticsEnum`, from its own list of wire values (no
/// hand-kept list of variants to forget one in).
pub fn any_variant<T: AnalyticsEnum + Clone + std::fmt::Debug + 'static>(
) -> impl Strategy<Value = T> {
    let variants: Vec<T> = T::VALUES
        .iter()
        .map(|value| T::from_wire(value).expect("every wire value names a variant"))
        .collect();
    proptest::sample::select(variants)
}

pub fn rpc_transport() -> impl Strategy<Value = RpcTransport> {
    any_variant::<RpcTransport>()
}

/// The leaf values the Codex generators below draw from. [`Leaves::ANY`] is
/// for wire tests (every value a field's type allows); a test about rules
/// passes its own, e.g. values mostly inside a rule and sometimes not.
#[derive(Clone, Copy)]
pub struct Leaves {
    /// Every string field (ids, names, versions, list items).
    pub text: fn() -> BoxedStrategy<String>,
    /// Every count and timestamp.
    pub count: fn() -> BoxedStrategy<u64>,
    /// `CommandExecution::exit_code`.
    pub exit_code: fn() -> BoxedStrategy<Option<i32>>,
    /// `CollabAgentToolCall::requested_reasoning_effort`.
    pub reasoning_effort: fn() -> BoxedStrategy<Option<String>>,
    /// How much likelier `Some` is than `None` for every optional field.
    pub some_weight: u32,
}

impl Leaves {
    /// Anything the types allow, `Some` and `None` equally likely.
    pub const ANY: Leaves = Leaves {
        text: || text().boxed(),
        count: || any::<u64>().boxed(),
        exit_code: || proptest::option::of(any::<i32>()).boxed(),
        reasoning_effort: || proptest::option::of(text()).boxed(),
        some_weight: 1,
    };

    fn opt<T: std::fmt::Debug + Clone + 'static>(
        self,
        strategy: impl Strategy<Value = T> + 'static,
    ) -> BoxedStrategy<Option<T>> {
        prop_oneof![1 => Just(None), self.some_weight => strategy.prop_map(Some)].boxed()
    }

    fn counts5(self) -> impl Strategy<Value = (u64, u64, u64, u64, u64)> {
        let c = self.count;
        (c(), c(), c(), c(), c())
    }
}

pub fn app_server_client() -> impl Strategy<Value = AppServerClient> {
    app_server_client_of(Leaves::ANY)
}

fn app_server_client_of(leaves: Leaves) -> impl Strategy<Value = AppServerClient> {
    let text = leaves.text;
    (
        text(),
        leaves.opt(text()),
        leaves.opt(text()),
        rpc_transport(),
        leaves.opt(any::<bool>()),
    )
        .prop_map(
            |(
                product_client_id,
                client_name,
                client_version,
                rpc_transport,
                experimental_api_enabled,
            )| {
                AppServerClient {
                    product_client_id,
                    client_name,
                    client_version,
                    rpc_transport,
                    experimental_api_enabled,
                }
            },
        )
}

pub fn runtime() -> impl Strategy<Value = Runtime> {
    runtime_of(Leaves::ANY)
}

fn runtime_of(leaves: Leaves) -> impl Strategy<Value = Runtime> {
    let text = leaves.text;
    (text(), text(), text(), text()).prop_map(
        |(codex_rs_version, runtime_os, runtime_os_version, runtime_arch)| Runtime {
            codex_rs_version,
            runtime_os,
            runtime_os_version,
            runtime_arch,
        },
    )
}

pub fn base() -> BoxedStrategy<ToolItemBase> {
    base_of(Leaves::ANY)
}

/// The shared base of every tool item, from `leaves`.
pub fn base_of(leaves: Leaves) -> BoxedStrategy<ToolItemBase> {
    let (text, count) = (leaves.text, leaves.count);
    let ids = (
        text(),
        text(),
        text(),
        app_server_client_of(leaves),
        runtime_of(leaves),
    );
    let thread = (
        leaves.opt(any_variant::<ThreadSource>()),
        leaves.opt(text()),
        leaves.opt(text()),
        text(),
    );
    let times = (count(), count(), leaves.opt(count()), leaves.opt(count()));
    let reviews = (count(), count(), count());
    let outcome = (
        any_variant::<FinalApprovalOutcome>(),
        any_variant::<TerminalStatus>(),
        leaves.opt(any_variant::<FailureKind>()),
        any::<bool>(),
        any::<bool>(),
    );
    (ids, thread, times, reviews, outcome)
        .prop_map(
            |(
                (thread_id, turn_id, item_id, app_server_client, runtime),
                (thread_source, subagent_source, parent_thread_id, tool_name),
                (started_at_ms, completed_at_ms, duration_ms, execution_duration_ms),
                (review_count, guardian_review_count, user_review_count),
                (
                    final_approval_outcome,
                    terminal_status,
                    failure_kind,
                    requested_additional_permissions,
                    requested_network_access,
                ),
            )| ToolItemBase {
                thread_id,
                turn_id,
                item_id,
                app_server_client,
                runtime,
                thread_source,
                subagent_source,
                parent_thread_id,
                tool_name,
                started_at_ms,
                completed_at_ms,
                duration_ms,
                execution_duration_ms,
                review_count,
                guardian_review_count,
                user_review_count,
                final_approval_outcome,
                terminal_status,
                failure_kind,
                requested_additional_permissions,
                requested_network_access,
            },
        )
        .boxed()
}

/// Any of the seven events.
pub fn event() -> BoxedStrategy<ToolItemEvent> {
    event_of(Leaves::ANY)
}

/// Any of the seven events, from `leaves`.
pub fn event_of(leaves: Leaves) -> BoxedStrategy<ToolItemEvent> {
    let (text, count) = (leaves.text, leaves.count);
    let base = || base_of(leaves);
    let command = (
        base(),
        any_variant::<CommandExecutionSource>(),
        (leaves.exit_code)(),
        leaves.counts5(),
    )
        .prop_map(
            |(base, command_execution_source, exit_code, (total, read, list, search, unknown))| {
                ToolItemEvent::CommandExecution(CommandExecution {
                    base,
                    command_execution_source,
                    exit_code,
                    command_total_action_count: total,
                    command_read_action_count: read,
                    command_list_files_action_count: list,
                    command_search_action_count: search,
                    command_unknown_action_count: unknown,
                })
            },
        );
    let file =
        (base(), leaves.counts5()).prop_map(|(base, (change, add, update, delete, moved))| {
            ToolItemEvent::FileChange(FileChange {
                base,
                file_change_count: change,
                file_add_count: add,
                file_update_count: update,
                file_delete_count: delete,
                file_move_count: moved,
            })
        });
    let mcp = (base(), text(), text(), any::<bool>()).prop_map(
        |(base, mcp_server_name, mcp_tool_name, mcp_error_present)| {
            ToolItemEvent::McpToolCall(McpToolCall {
                base,
                mcp_server_name,
                mcp_tool_name,
                mcp_error_present,
            })
        },
    );
    let dynamic = (
        base(),
        text(),
        leaves.opt(any::<bool>()),
        (
            leaves.opt(count()),
            leaves.opt(count()),
            leaves.opt(count()),
        ),
    )
        .prop_map(
            |(base, dynamic_tool_name, success, (content, text_items, image))| {
                ToolItemEvent::DynamicToolCall(DynamicToolCall {
                    base,
                    dynamic_tool_name,
                    success,
                    output_content_item_count: content,
                    output_text_item_count: text_items,
                    output_image_item_count: image,
                })
            },
        );
    let collab = (
        base(),
        text(),
        count(),
        leaves.opt(proptest::collection::vec(text(), 0..4)),
        leaves.opt(text()),
        (leaves.reasoning_effort)(),
        (
            leaves.opt(count()),
            leaves.opt(count()),
            leaves.opt(count()),
        ),
    )
        .prop_map(
            |(
                base,
                sender_thread_id,
                receiver_thread_count,
                receiver_thread_ids,
                requested_model,
                requested_reasoning_effort,
                (states, completed, failed),
            )| {
                ToolItemEvent::CollabAgentToolCall(CollabAgentToolCall {
                    base,
                    sender_thread_id,
                    receiver_thread_count,
                    receiver_thread_ids,
                    requested_model,
                    requested_reasoning_effort,
                    agent_state_count: states,
                    completed_agent_count: completed,
                    failed_agent_count: failed,
                })
            },
        );
    let web = (
        base(),
        leaves.opt(any_variant::<WebSearchAction>()),
        any::<bool>(),
        leaves.opt(count()),
    )
        .prop_map(|(base, web_search_action, query_present, query_count)| {
            ToolItemEvent::WebSearch(WebSearch {
                base,
                web_search_action,
                query_present,
                query_count,
            })
        });
    let image = (base(), any::<bool>(), any::<bool>()).prop_map(
        |(base, revised_prompt_present, saved_path_present)| {
            ToolItemEvent::ImageGeneration(ImageGeneration {
                base,
                revised_prompt_present,
                saved_path_present,
            })
        },
    );
    prop_oneof![command, file, mcp, dynamic, collab, web, image].boxed()
}
