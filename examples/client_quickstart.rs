//! The delivery client in a few lines: track Codex events through a `Client`
//! that writes JSON Lines under `target/`, flush, print the metrics.
//!
//! `cargo run --example client_quickstart`

use std::time::Duration;

use analytics_core::{Client, JsonLinesSink, PiiPolicy, RetryPolicy, TrackError};
use codex_analytics::*;

fn base(item: u64) -> ToolItemBase {
    ToolItemBase {
        thread_id: "thread-1".into(),
        turn_id: "turn-1".into(),
        item_id: format!("item-{item}"),
        app_server_client: AppServerClient {
            product_client_id: "codex_tui".into(),
            client_name: Some("codex-tui".into()),
            client_version: Some("1.2.3".into()),
            rpc_transport: RpcTransport::Stdio,
            experimental_api_enabled: None,
        },
        runtime: Runtime {
            codex_rs_version: "0.99.0".into(),
            runtime_os: std::env::consts::OS.into(),
            runtime_os_version: String::new(),
            runtime_arch: std::env::consts::ARCH.into(),
        },
        thread_source: Some(ThreadSource::User),
        subagent_source: None,
        parent_thread_id: None,
        tool_name: "shell".into(),
        started_at_ms: 1_000,
        completed_at_ms: 1_250,
        duration_ms: Some(250),
        execution_duration_ms: Some(200),
        review_count: 0,
        guardian_review_count: 0,
        user_review_count: 0,
        final_approval_outcome: FinalApprovalOutcome::NotNeeded,
        terminal_status: TerminalStatus::Completed,
        failure_kind: None,
        requested_additional_permissions: false,
        requested_network_access: false,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/client_quickstart/events.jsonl");
    let _ = std::fs::remove_file(&path);

    let client = Client::builder()
        .sink(JsonLinesSink::new(&path).max_file_bytes(16 << 20))
        .max_batch_events(100)
        .max_batch_delay(Duration::from_millis(500))
        .retry_policy(RetryPolicy::default())
        .pii_policy(PiiPolicy::hash("rotate-me"))
        .build()?;

    client.track(CommandExecution {
        base: base(1),
        command_execution_source: CommandExecutionSource::Agent,
        exit_code: Some(0),
        command_total_action_count: 2,
        command_read_action_count: 1,
        command_list_files_action_count: 1,
        command_search_action_count: 0,
        command_unknown_action_count: 0,
    })?;
    client.track(McpToolCall {
        base: base(2),
        mcp_server_name: "github".into(),
        mcp_tool_name: "search_issues".into(),
        mcp_error_present: false,
    })?;
    client.track(WebSearch {
        base: base(3),
        web_search_action: Some(WebSearchAction::Search),
        query_present: true,
        query_count: Some(1),
    })?;

    // An invalid event is returned, counted, and never written.
    let mut broken = base(4);
    broken.thread_id.clear();
    match client.track(ImageGeneration {
        base: broken,
        revised_prompt_present: false,
        saved_path_present: true,
    }) {
        Err(TrackError::Invalid(errors)) => println!("rejected an invalid event:\n{errors}"),
        other => panic!("expected a validation error, got {other:?}"),
    }

    client.flush(Duration::from_secs(5))?;
    let metrics = client.metrics();
    println!("{metrics:#?}");
    assert_eq!(metrics.delivered, 3);
    assert_eq!(metrics.dropped.invalid, 1);

    let written = std::fs::read_to_string(&path)?;
    println!("{} lines in {}:", written.lines().count(), path.display());
    for line in written.lines() {
        println!("  {line}");
    }
    client.shutdown(Duration::from_secs(5))?;
    Ok(())
}
