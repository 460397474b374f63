//! The seven Codex tool-item events and the types they share.

use analytics_core::{AnalyticsEnum, AnalyticsEvent, AnalyticsFields, EventCatalog};

/// The app-server client that drove the turn.
#[derive(AnalyticsFields, Debug, Clone, PartialEq)]
pub struct AppServerClient {
    /// Stable id of the product surface (`codex_tui`, `codex_vscode`...).
    #[analytics(non_empty)]
    pub product_client_id: String,
    /// Client name as reported in the initialize handshake.
    pub client_name: Option<String>,
    /// Client version as reported in the initialize handshake.
    pub client_version: Option<String>,
    /// How the client talks to the app server.
    pub rpc_transport: RpcTransport,
    /// Whether the client opted into experimental APIs.
    pub experimental_api_enabled: Option<bool>,
}

/// Transport between client and app server.
#[derive(AnalyticsEnum, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RpcTransport {
    /// JSON-RPC over stdio.
    Stdio,
    /// JSON-RPC over a websocket.
    Websocket,
    /// The client is linked into the same process.
    InProcess,
}

/// The Codex runtime that produced the event.
#[derive(AnalyticsFields, Debug, Clone, PartialEq)]
pub struct Runtime {
    /// Version of codex-rs.
    #[analytics(non_empty)]
    pub codex_rs_version: String,
    /// Operating system family (`macos`, `linux`, `windows`).
    #[analytics(non_empty)]
    pub runtime_os: String,
    /// Operating system version.
    pub runtime_os_version: String,
    /// CPU architecture (`aarch64`, `x86_64`).
    #[analytics(non_empty)]
    pub runtime_arch: String,
}

/// What started the thread.
#[derive(AnalyticsEnum, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ThreadSource {
    /// A person started it.
    User,
    /// Another agent spawned it.
    Subagent,
    /// Background memory consolidation.
    MemoryConsolidation,
}

/// The final approval decision for a tool item.
#[derive(AnalyticsEnum, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FinalApprovalOutcome {
    Unknown,
    NotNeeded,
    ConfigAllowed,
    PolicyForbidden,
    GuardianApproved,
    GuardianDenied,
    GuardianAborted,
    UserApproved,
    UserApprovedForSession,
    UserDenied,
    UserAborted,
}

/// How a tool item ended.
#[derive(AnalyticsEnum, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TerminalStatus {
    Completed,
    Failed,
    Rejected,
    Interrupted,
}

/// Why a tool item failed.
#[derive(AnalyticsEnum, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    ToolError,
    ApprovalDenied,
    ApprovalAborted,
    SandboxDenied,
    PolicyForbidden,
}

/// Fields shared by every tool-item event, inlined first in `event_params`.
#[derive(AnalyticsFields, Debug, Clone, PartialEq)]
#[analytics(check = check_tool_item_timing)]
pub struct ToolItemBase {
    /// The conversation thread.
    #[analytics(non_empty)]
    pub thread_id: String,
    /// The turn within the thread.
    #[analytics(non_empty)]
    pub turn_id: String,
    /// The tool item within the turn.
    #[analytics(non_empty)]
    pub item_id: String,
    /// The client that drove the turn.
    pub app_server_client: AppServerClient,
    /// The runtime that produced the event.
    pub runtime: Runtime,
    /// What started the thread.
    pub thread_source: Option<ThreadSource>,
    /// For a subagent thread: what spawned it.
    pub subagent_source: Option<String>,
    /// For a subagent thread: the parent thread.
    pub parent_thread_id: Option<String>,
    /// The tool's name (`shell`, `apply_patch`, an MCP tool...).
    #[analytics(non_empty)]
    pub tool_name: String,
    /// When the item started (Unix ms).
    pub started_at_ms: u64,
    /// When the item completed (Unix ms).
    pub completed_at_ms: u64,
    /// Wall time of the item, approvals included.
    pub duration_ms: Option<u64>,
    /// Time spent executing, approvals excluded.
    pub execution_duration_ms: Option<u64>,
    /// Reviews requested for the item.
    pub review_count: u64,
    /// Reviews answered by the guardian.
    pub guardian_review_count: u64,
    /// Reviews answered by the user.
    pub user_review_count: u64,
    /// The final approval decision.
    pub final_approval_outcome: FinalApprovalOutcome,
    /// How the item ended.
    pub terminal_status: TerminalStatus,
    /// Why it failed, when it did.
    pub failure_kind: Option<FailureKind>,
    /// The tool asked for permissions beyond the sandbox.
    pub requested_additional_permissions: bool,
    /// The tool asked for network access.
    pub requested_network_access: bool,
}

/// `completed_at_ms >= started_at_ms`, durations within the span, reviews add up.
fn check_tool_item_timing(base: &ToolItemBase) -> Result<(), String> {
    if base.completed_at_ms < base.started_at_ms {
        return Err(format!(
            "completed_at_ms ({}) is before started_at_ms ({})",
            base.completed_at_ms, base.started_at_ms
        ));
    }
    let span = base.completed_at_ms - base.started_at_ms;
    for (name, value) in [
        ("duration_ms", base.duration_ms),
        ("execution_duration_ms", base.execution_duration_ms),
    ] {
        if let Some(value) = value {
            if value > span {
                return Err(format!(
                    "{name} ({value}) exceeds completed_at_ms - started_at_ms ({span})"
                ));
            }
        }
    }
    // u128: two u64 counts may not add up within u64 (validation must not panic).
    let answered = u128::from(base.guardian_review_count) + u128::from(base.user_review_count);
    if answered > u128::from(base.review_count) {
        return Err(format!(
            "guardian_review_count + user_review_count ({}) exceeds review_count ({})",
            answered, base.review_count
        ));
    }
    Ok(())
}

/// Where a command came from.
#[derive(AnalyticsEnum, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum CommandExecutionSource {
    /// The agent ran it.
    Agent,
    /// The user ran it from the shell.
    UserShell,
    /// Startup of a unified-exec session.
    UnifiedExecStartup,
    /// Input to a unified-exec session.
    UnifiedExecInteraction,
}

/// A shell command that the agent (or the user) ran.
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "codex_command_execution_event", check = check_command_counts)]
pub struct CommandExecution {
    #[analytics(flatten)]
    pub base: ToolItemBase,
    /// Where the command came from.
    pub command_execution_source: CommandExecutionSource,
    /// Exit code; `None` when the command did not run to completion.
    #[analytics(range(min = -1, max = 255))]
    pub exit_code: Option<i32>,
    /// Parsed actions in the command, of every kind.
    pub command_total_action_count: u64,
    /// Parsed `read` actions.
    pub command_read_action_count: u64,
    /// Parsed `list files` actions.
    pub command_list_files_action_count: u64,
    /// Parsed `search` actions.
    pub command_search_action_count: u64,
    /// Actions of no known kind.
    pub command_unknown_action_count: u64,
}

/// The total is at least each per-kind count.
fn check_command_counts(event: &CommandExecution) -> Result<(), String> {
    let kinds = [
        ("command_read_action_count", event.command_read_action_count),
        (
            "command_list_files_action_count",
            event.command_list_files_action_count,
        ),
        (
            "command_search_action_count",
            event.command_search_action_count,
        ),
        (
            "command_unknown_action_count",
            event.command_unknown_action_count,
        ),
    ];
    for (name, count) in kinds {
        if count > event.command_total_action_count {
            return Err(format!(
                "{name} ({count}) exceeds command_total_action_count ({})",
                event.command_total_action_count
            ));
        }
    }
    Ok(())
}

/// A patch the agent applied.
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "codex_file_change_event", check = check_file_counts)]
pub struct FileChange {
    #[analytics(flatten)]
    pub base: ToolItemBase,
    /// Files touched, of every kind.
    pub file_change_count: u64,
    /// Files added.
    pub file_add_count: u64,
    /// Files updated.
    pub file_update_count: u64,
    /// Files deleted.
    pub file_delete_count: u64,
    /// Files moved.
    pub file_move_count: u64,
}

/// Each per-kind count is within the total.
fn check_file_counts(event: &FileChange) -> Result<(), String> {
    // u128: four u64 counts may not add up within u64 (validation must not panic).
    let kinds = u128::from(event.file_add_count)
        + u128::from(event.file_update_count)
        + u128::from(event.file_delete_count)
        + u128::from(event.file_move_count);
    if kinds > u128::from(event.file_change_count) {
        return Err(format!(
            "the per-kind file counts add up to {kinds}, more than file_change_count ({})",
            event.file_change_count
        ));
    }
    Ok(())
}

/// A call to a tool of an MCP server.
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "codex_mcp_tool_call_event")]
pub struct McpToolCall {
    #[analytics(flatten)]
    pub base: ToolItemBase,
    /// The MCP server's configured name.
    #[analytics(non_empty)]
    pub mcp_server_name: String,
    /// The tool's name on that server.
    #[analytics(non_empty)]
    pub mcp_tool_name: String,
    /// The call returned an error.
    pub mcp_error_present: bool,
}

/// A call to a tool registered at run time by the client.
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "codex_dynamic_tool_call_event")]
pub struct DynamicToolCall {
    #[analytics(flatten)]
    pub base: ToolItemBase,
    /// The dynamic tool's name.
    #[analytics(non_empty)]
    pub dynamic_tool_name: String,
    /// The client reported success.
    pub success: Option<bool>,
    /// Content items in the output, of every kind.
    pub output_content_item_count: Option<u64>,
    /// Text items in the output.
    pub output_text_item_count: Option<u64>,
    /// Image items in the output.
    pub output_image_item_count: Option<u64>,
}

/// A call between collaborating agents (spawn, send, wait...).
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "codex_collab_agent_tool_call_event", check = check_receivers)]
pub struct CollabAgentToolCall {
    #[analytics(flatten)]
    pub base: ToolItemBase,
    /// The thread that made the call.
    #[analytics(non_empty)]
    pub sender_thread_id: String,
    /// How many threads receive it.
    pub receiver_thread_count: u64,
    /// The receiving threads, when known.
    pub receiver_thread_ids: Option<Vec<String>>,
    /// The model requested for a spawned agent.
    pub requested_model: Option<String>,
    /// The reasoning effort requested for a spawned agent.
    #[analytics(one_of = ["minimal", "low", "medium", "high", "xhigh"])]
    pub requested_reasoning_effort: Option<String>,
    /// Agents whose state was reported.
    pub agent_state_count: Option<u64>,
    /// Agents that completed.
    pub completed_agent_count: Option<u64>,
    /// Agents that failed.
    pub failed_agent_count: Option<u64>,
}

/// `receiver_thread_ids` has `receiver_thread_count` ids, none empty.
fn check_receivers(event: &CollabAgentToolCall) -> Result<(), String> {
    if let Some(ids) = &event.receiver_thread_ids {
        if ids.len() as u64 != event.receiver_thread_count {
            return Err(format!(
                "receiver_thread_ids has {} ids but receiver_thread_count is {}",
                ids.len(),
                event.receiver_thread_count
            ));
        }
        if let Some(index) = ids.iter().position(String::is_empty) {
            return Err(format!("receiver_thread_ids[{index}] is empty"));
        }
    }
    Ok(())
}

/// What a web search call did.
#[derive(AnalyticsEnum, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WebSearchAction {
    Search,
    OpenPage,
    FindInPage,
    Other,
}

/// A web search made by the model.
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "codex_web_search_event")]
pub struct WebSearch {
    #[analytics(flatten)]
    pub base: ToolItemBase,
    /// The kind of action.
    pub web_search_action: Option<WebSearchAction>,
    /// A query was given (the query itself is never sent).
    pub query_present: bool,
    /// How many queries.
    pub query_count: Option<u64>,
}

/// An image the model generated.
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "codex_image_generation_event")]
pub struct ImageGeneration {
    #[analytics(flatten)]
    pub base: ToolItemBase,
    /// The model revised the prompt (the prompt itself is never sent).
    pub revised_prompt_present: bool,
    /// The image was saved to disk (the path is never sent).
    pub saved_path_present: bool,
}

/// Every Codex tool-item event, for code that wants an exhaustive `match`.
#[derive(EventCatalog, Debug, Clone, PartialEq)]
pub enum ToolItemEvent {
    CommandExecution(CommandExecution),
    FileChange(FileChange),
    McpToolCall(McpToolCall),
    DynamicToolCall(DynamicToolCall),
    CollabAgentToolCall(CollabAgentToolCall),
    WebSearch(WebSearch),
    ImageGeneration(ImageGeneration),
}

impl ToolItemEvent {
    /// The schema of every tool-item event, in the order of the variants: the
    /// set a ClickHouse sink or a plan of tool items is built from.
    pub fn schemas() -> [&'static analytics_core::EventSchema; 7] {
        [
            CommandExecution::schema(),
            FileChange::schema(),
            McpToolCall::schema(),
            DynamicToolCall::schema(),
            CollabAgentToolCall::schema(),
            WebSearch::schema(),
            ImageGeneration::schema(),
        ]
    }

    /// The shared base of the event inside.
    pub fn base(&self) -> &ToolItemBase {
        match self {
            ToolItemEvent::CommandExecution(event) => &event.base,
            ToolItemEvent::FileChange(event) => &event.base,
            ToolItemEvent::McpToolCall(event) => &event.base,
            ToolItemEvent::DynamicToolCall(event) => &event.base,
            ToolItemEvent::CollabAgentToolCall(event) => &event.base,
            ToolItemEvent::WebSearch(event) => &event.base,
            ToolItemEvent::ImageGeneration(event) => &event.base,
        }
    }
}
