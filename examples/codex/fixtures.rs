//! Fixed instances for tests, benchmarks and docs.

use crate::events::*;

/// The reference's own golden command-execution event (the Codex analytics
/// crate's serialization test): thread-1 / turn-1 / item-1, client codex_tui
/// over a websocket, runtime 0.99.0 on macOS 15.3.1 aarch64.
pub fn golden_command_execution() -> CommandExecution {
    CommandExecution {
        base: ToolItemBase {
            thread_id: "thread-1".to_string(),
            turn_id: "turn-1".to_string(),
            item_id: "item-1".to_string(),
            app_server_client: AppServerClient {
                product_client_id: "codex_tui".to_string(),
                client_name: Some("codex-tui".to_string()),
                client_version: Some("1.2.3".to_string()),
                rpc_transport: RpcTransport::Websocket,
                experimental_api_enabled: Some(true),
            },
            runtime: Runtime {
                codex_rs_version: "0.99.0".to_string(),
                runtime_os: "macos".to_string(),
                runtime_os_version: "15.3.1".to_string(),
                runtime_arch: "aarch64".to_string(),
            },
            thread_source: Some(ThreadSource::User),
            subagent_source: None,
            parent_thread_id: None,
            tool_name: "shell".to_string(),
            started_at_ms: 123_000,
            completed_at_ms: 125_000,
            duration_ms: Some(2000),
            execution_duration_ms: Some(1900),
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
        command_total_action_count: 4,
        command_read_action_count: 1,
        command_list_files_action_count: 1,
        command_search_action_count: 1,
        command_unknown_action_count: 1,
    }
}
