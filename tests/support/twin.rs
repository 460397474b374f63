//! Hand-written serde twins of the Codex events, as the reference writes them:
//! `#[derive(Serialize)]` params with `#[serde(flatten)] base`, and an inline
//! variant without flatten. The derived output must equal theirs byte for byte.

#![allow(dead_code)]

use serde::Serialize;

use codex_analytics as codex;

macro_rules! twin_enum {
    ($name:ident, $rename:literal, $($variant:ident),+ $(,)?) => {
        #[derive(Serialize, Clone, Copy)]
        #[serde(rename_all = $rename)]
        pub enum $name { $($variant),+ }
        impl From<codex::$name> for $name {
            fn from(value: codex::$name) -> Self {
                match value { $(codex::$name::$variant => $name::$variant),+ }
            }
        }
    };
}

twin_enum!(RpcTransport, "snake_case", Stdio, Websocket, InProcess);
twin_enum!(
    ThreadSource,
    "snake_case",
    User,
    Subagent,
    MemoryConsolidation
);
twin_enum!(
    FinalApprovalOutcome,
    "snake_case",
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
);
twin_enum!(
    TerminalStatus,
    "snake_case",
    Completed,
    Failed,
    Rejected,
    Interrupted
);
twin_enum!(
    FailureKind,
    "snake_case",
    ToolError,
    ApprovalDenied,
    ApprovalAborted,
    SandboxDenied,
    PolicyForbidden
);
twin_enum!(
    CommandExecutionSource,
    "camelCase",
    Agent,
    UserShell,
    UnifiedExecStartup,
    UnifiedExecInteraction
);
twin_enum!(
    WebSearchAction,
    "snake_case",
    Search,
    OpenPage,
    FindInPage,
    Other
);

#[derive(Serialize)]
pub struct AppServerClient {
    pub product_client_id: String,
    pub client_name: Option<String>,
    pub client_version: Option<String>,
    pub rpc_transport: RpcTransport,
    pub experimental_api_enabled: Option<bool>,
}

#[derive(Serialize)]
pub struct Runtime {
    pub codex_rs_version: String,
    pub runtime_os: String,
    pub runtime_os_version: String,
    pub runtime_arch: String,
}

#[derive(Serialize)]
pub struct ToolItemBase {
    pub thread_id: String,
    pub turn_id: String,
    pub item_id: String,
    pub app_server_client: AppServerClient,
    pub runtime: Runtime,
    pub thread_source: Option<ThreadSource>,
    pub subagent_source: Option<String>,
    pub parent_thread_id: Option<String>,
    pub tool_name: String,
    pub started_at_ms: u64,
    pub completed_at_ms: u64,
    pub duration_ms: Option<u64>,
    pub execution_duration_ms: Option<u64>,
    pub review_count: u64,
    pub guardian_review_count: u64,
    pub user_review_count: u64,
    pub final_approval_outcome: FinalApprovalOutcome,
    pub terminal_status: TerminalStatus,
    pub failure_kind: Option<FailureKind>,
    pub requested_additional_permissions: bool,
    pub requested_network_access: bool,
}

impl From<&codex::ToolItemBase> for ToolItemBase {
    fn from(b: &codex::ToolItemBase) -> Self {
        ToolItemBase {
            thread_id: b.thread_id.clone(),
            turn_id: b.turn_id.clone(),
            item_id: b.item_id.clone(),
            app_server_client: AppServerClient {
                product_client_id: b.app_server_client.product_client_id.clone(),
                client_name: b.app_server_client.client_name.clone(),
                client_version: b.app_server_client.client_version.clone(),
                rpc_transport: b.app_server_client.rpc_transport.into(),
                experimental_api_enabled: b.app_server_client.experimental_api_enabled,
            },
            runtime: Runtime {
                codex_rs_version: b.runtime.codex_rs_version.clone(),
                runtime_os: b.runtime.runtime_os.clone(),
                runtime_os_version: b.runtime.runtime_os_version.clone(),
                runtime_arch: b.runtime.runtime_arch.clone(),
            },
            thread_source: b.thread_source.map(Into::into),
            subagent_source: b.subagent_source.clone(),
            parent_thread_id: b.parent_thread_id.clone(),
            tool_name: b.tool_name.clone(),
            started_at_ms: b.started_at_ms,
            completed_at_ms: b.completed_at_ms,
            duration_ms: b.duration_ms,
            execution_duration_ms: b.execution_duration_ms,
            review_count: b.review_count,
            guardian_review_count: b.guardian_review_count,
            user_review_count: b.user_review_count,
            final_approval_outcome: b.final_approval_outcome.into(),
            terminal_status: b.terminal_status.into(),
            failure_kind: b.failure_kind.map(Into::into),
            requested_additional_permissions: b.requested_additional_permissions,
            requested_network_access: b.requested_network_access,
        }
    }
}

/// The reference's request wrapper: `{ event_type, event_params }`.
#[derive(Serialize)]
pub struct Request<P> {
    pub event_type: &'static str,
    pub event_params: P,
}

#[derive(Serialize)]
pub struct CommandExecution {
    #[serde(flatten)]
    pub base: ToolItemBase,
    pub command_execution_source: CommandExecutionSource,
    pub exit_code: Option<i32>,
    pub command_total_action_count: u64,
    pub command_read_action_count: u64,
    pub command_list_files_action_count: u64,
    pub command_search_action_count: u64,
    pub command_unknown_action_count: u64,
}

#[derive(Serialize)]
pub struct FileChange {
    #[serde(flatten)]
    pub base: ToolItemBase,
    pub file_change_count: u64,
    pub file_add_count: u64,
    pub file_update_count: u64,
    pub file_delete_count: u64,
    pub file_move_count: u64,
}

#[derive(Serialize)]
pub struct McpToolCall {
    #[serde(flatten)]
    pub base: ToolItemBase,
    pub mcp_server_name: String,
    pub mcp_tool_name: String,
    pub mcp_error_present: bool,
}

#[derive(Serialize)]
pub struct DynamicToolCall {
    #[serde(flatten)]
    pub base: ToolItemBase,
    pub dynamic_tool_name: String,
    pub success: Option<bool>,
    pub output_content_item_count: Option<u64>,
    pub output_text_item_count: Option<u64>,
    pub output_image_item_count: Option<u64>,
}

#[derive(Serialize)]
pub struct CollabAgentToolCall {
    #[serde(flatten)]
    pub base: ToolItemBase,
    pub sender_thread_id: String,
    pub receiver_thread_count: u64,
    pub receiver_thread_ids: Option<Vec<String>>,
    pub requested_model: Option<String>,
    pub requested_reasoning_effort: Option<String>,
    pub agent_state_count: Option<u64>,
    pub completed_agent_count: Option<u64>,
    pub failed_agent_count: Option<u64>,
}

#[derive(Serialize)]
pub struct WebSearch {
    #[serde(flatten)]
    pub base: ToolItemBase,
    pub web_search_action: Option<WebSearchAction>,
    pub query_present: bool,
    pub query_count: Option<u64>,
}

#[derive(Serialize)]
pub struct ImageGeneration {
    #[serde(flatten)]
    pub base: ToolItemBase,
    pub revised_prompt_present: bool,
    pub saved_path_present: bool,
}

/// The reference's untagged enum of requests.
#[derive(Serialize)]
#[serde(untagged)]
pub enum TrackEventRequest {
    CommandExecution(Request<CommandExecution>),
    FileChange(Request<FileChange>),
    McpToolCall(Request<McpToolCall>),
    DynamicToolCall(Request<DynamicToolCall>),
    CollabAgentToolCall(Request<CollabAgentToolCall>),
    WebSearch(Request<WebSearch>),
    ImageGeneration(Request<ImageGeneration>),
}

/// The hand-written twin of a derived event, as the reference would build it.
pub fn twin(event: &codex::ToolItemEvent) -> TrackEventRequest {
    use codex::ToolItemEvent as E;
    let event_type = event.event_type();
    match event {
        E::CommandExecution(e) => TrackEventRequest::CommandExecution(Request {
            event_type,
            event_params: CommandExecution {
                base: (&e.base).into(),
                command_execution_source: e.command_execution_source.into(),
                exit_code: e.exit_code,
                command_total_action_count: e.command_total_action_count,
                command_read_action_count: e.command_read_action_count,
                command_list_files_action_count: e.command_list_files_action_count,
                command_search_action_count: e.command_search_action_count,
                command_unknown_action_count: e.command_unknown_action_count,
            },
        }),
        E::FileChange(e) => TrackEventRequest::FileChange(Request {
            event_type,
            event_params: FileChange {
                base: (&e.base).into(),
                file_change_count: e.file_change_count,
                file_add_count: e.file_add_count,
                file_update_count: e.file_update_count,
                file_delete_count: e.file_delete_count,
                file_move_count: e.file_move_count,
            },
        }),
        E::McpToolCall(e) => TrackEventRequest::McpToolCall(Request {
            event_type,
            event_params: McpToolCall {
                base: (&e.base).into(),
                mcp_server_name: e.mcp_server_name.clone(),
                mcp_tool_name: e.mcp_tool_name.clone(),
                mcp_error_present: e.mcp_error_present,
            },
        }),
        E::DynamicToolCall(e) => TrackEventRequest::DynamicToolCall(Request {
            event_type,
            event_params: DynamicToolCall {
                base: (&e.base).into(),
                dynamic_tool_name: e.dynamic_tool_name.clone(),
                success: e.success,
                output_content_item_count: e.output_content_item_count,
                output_text_item_count: e.output_text_item_count,
                output_image_item_count: e.output_image_item_count,
            },
        }),
        E::CollabAgentToolCall(e) => TrackEventRequest::CollabAgentToolCall(Request {
            event_type,
            event_params: CollabAgentToolCall {
                base: (&e.base).into(),
                sender_thread_id: e.sender_thread_id.clone(),
                receiver_thread_count: e.receiver_thread_count,
                receiver_thread_ids: e.receiver_thread_ids.clone(),
                requested_model: e.requested_model.clone(),
                requested_reasoning_effort: e.requested_reasoning_effort.clone(),
                agent_state_count: e.agent_state_count,
                completed_agent_count: e.completed_agent_count,
                failed_agent_count: e.failed_agent_count,
            },
        }),
        E::WebSearch(e) => TrackEventRequest::WebSearch(Request {
            event_type,
            event_params: WebSearch {
                base: (&e.base).into(),
                web_search_action: e.web_search_action.map(Into::into),
                query_present: e.query_present,
                query_count: e.query_count,
            },
        }),
        E::ImageGeneration(e) => TrackEventRequest::ImageGeneration(Request {
            event_type,
            event_params: ImageGeneration {
                base: (&e.base).into(),
                revised_prompt_present: e.revised_prompt_present,
                saved_path_present: e.saved_path_present,
            },
        }),
    }
}
