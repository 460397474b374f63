//! Valid Codex events for the validation tests (`mod validate_support;`).
#![allow(dead_code)]

use codex_analytics::*;

pub fn base() -> ToolItemBase {
    ToolItemBase {
        thread_id: "thread-1".to_owned(),
        turn_id: "turn-1".to_owned(),
        item_id: "item-1".to_owned(),
        app_server_client: AppServerClient {
            product_client_id: "codex_tui".to_owned(),
            client_name: Some("codex-tui".to_owned()),
            client_version: Some("1.2.3".to_owned()),
            rpc_transport: RpcTransport::Stdio,
            experimental_api_enabled: Some(false),
        },
        runtime: Runtime {
            codex_rs_version: "0.99.0".to_owned(),
            runtime_os: "macos".to_owned(),
            runtime_os_version: "15.3.1".to_owned(),
            runtime_arch: "aarch64".to_owned(),
        },
        thread_source: Some(ThreadSource::User),
        subagent_source: None,
        parent_thread_id: None,
        tool_name: "shell".to_owned(),
        started_at_ms: 1_000,
        completed_at_ms: 3_000,
        duration_ms: Some(2_000),
        execution_duration_ms: Some(1_500),
        review_count: 2,
        guardian_review_count: 1,
        user_review_count: 1,
        final_approval_outcome: FinalApprovalOutcome::NotNeeded,
        terminal_status: TerminalStatus::Completed,
        failure_kind: None,
        requested_additional_permissions: false,
        requested_network_access: false,
    }
}

pub fn command_execution() -> CommandExecution {
    CommandExecution {
        base: base(),
        command_execution_source: CommandExecutionSource::Agent,
        exit_code: Some(0),
        command_total_action_count: 4,
        command_read_action_count: 1,
        command_list_files_action_count: 1,
        command_search_action_count: 1,
        command_unknown_action_count: 1,
    }
}

pub fn collab_agent_tool_call() -> CollabAgentToolCall {
    CollabAgentToolCall {
        base: base(),
        sender_thread_id: "thread-1".to_owned(),
        receiver_thread_count: 3,
        receiver_thread_ids: Some(vec![
            "thread-2".into(),
            "thread-3".into(),
            "thread-4".into(),
        ]),
        requested_model: Some("gpt-5".to_owned()),
        requested_reasoning_effort: Some("high".to_owned()),
        agent_state_count: Some(3),
        completed_agent_count: Some(2),
        failed_agent_count: Some(1),
    }
}

/// One valid event of each of the seven kinds.
pub fn all_events() -> Vec<ToolItemEvent> {
    vec![
        command_execution().into(),
        FileChange {
            base: base(),
            file_change_count: 4,
            file_add_count: 1,
            file_update_count: 1,
            file_delete_count: 1,
            file_move_count: 1,
        }
        .into(),
        McpToolCall {
            base: base(),
            mcp_server_name: "github".to_owned(),
            mcp_tool_name: "search_issues".to_owned(),
            mcp_error_present: false,
        }
        .into(),
        DynamicToolCall {
            base: base(),
            dynamic_tool_name: "lookup".to_owned(),
            success: Some(true),
            output_content_item_count: Some(2),
            output_text_item_count: Some(1),
            output_image_item_count: Some(1),
        }
        .into(),
        collab_agent_tool_call().into(),
        WebSearch {
            base: base(),
            web_search_action: Some(WebSearchAction::Search),
            query_present: true,
            query_count: Some(1),
        }
        .into(),
        ImageGeneration {
            base: base(),
            revised_prompt_present: true,
            saved_path_present: false,
        }
        .into(),
    ]
}
