//! A seeded simulation of an agent session: realistic tool items of all seven
//! kinds, valid under every rule. Used by the `tool_items` example, the tests
//! and the benchmarks, so all of them see the same events for a seed.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::events::*;

/// Generates the tool items of a simulated session.
pub struct Session {
    rng: StdRng,
    client: AppServerClient,
    runtime: Runtime,
    thread: u32,
    turn: u32,
    item: u32,
    clock_ms: u64,
}

const TOOLS_MCP: &[(&str, &str)] = &[
    ("github", "search_issues"),
    ("github", "create_pull_request"),
    ("linear", "list_tickets"),
    ("postgres", "query"),
    ("figma", "get_frame"),
];
const DYNAMIC_TOOLS: &[&str] = &[
    "open_editor_tab",
    "run_notebook_cell",
    "show_diff",
    "ask_reviewer",
];
const MODELS: &[&str] = &["gpt-5", "gpt-5-codex", "gpt-5-mini"];
const EFFORTS: &[&str] = &["minimal", "low", "medium", "high", "xhigh"];

impl Session {
    /// A session whose events depend only on `seed`.
    pub fn new(seed: u64) -> Session {
        let mut rng = StdRng::seed_from_u64(seed);
        let (product_client_id, client_name, transport) = match rng.gen_range(0..3) {
            0 => ("codex_tui", Some("codex-tui"), RpcTransport::InProcess),
            1 => (
                "codex_vscode",
                Some("Codex \"VS Code\" extension"),
                RpcTransport::Stdio,
            ),
            _ => ("codex_desktop", None, RpcTransport::Websocket),
        };
        let client = AppServerClient {
            product_client_id: product_client_id.to_owned(),
            client_name: client_name.map(str::to_owned),
            client_version: Some(format!(
                "1.{}.{}",
                rng.gen_range(0..30),
                rng.gen_range(0..10)
            )),
            rpc_transport: transport,
            experimental_api_enabled: [None, Some(true), Some(false)][rng.gen_range(0..3)],
        };
        let runtime = match rng.gen_range(0..3) {
            0 => ("macos", "15.3.1", "aarch64"),
            1 => ("linux", "6.8.0-45-generic", "x86_64"),
            _ => ("windows", "10.0.26100", "x86_64"),
        };
        let runtime = Runtime {
            codex_rs_version: "0.99.0".to_owned(),
            runtime_os: runtime.0.to_owned(),
            runtime_os_version: runtime.1.to_owned(),
            runtime_arch: runtime.2.to_owned(),
        };
        Session {
            rng,
            client,
            runtime,
            thread: 1,
            turn: 1,
            item: 0,
            clock_ms: 1_764_000_000_000,
        }
    }

    /// `count` tool items, in the order they complete.
    pub fn events(&mut self, count: usize) -> Vec<ToolItemEvent> {
        (0..count).map(|_| self.next_event()).collect()
    }

    /// The next tool item: kinds weighted as a coding agent uses them.
    pub fn next_event(&mut self) -> ToolItemEvent {
        self.item += 1;
        if self.rng.gen_bool(0.12) {
            self.turn += 1;
        }
        if self.rng.gen_bool(0.01) {
            self.thread += 1;
            self.turn = 1;
        }
        match self.rng.gen_range(0..100) {
            0..=44 => ToolItemEvent::CommandExecution(self.command_execution()),
            45..=64 => ToolItemEvent::FileChange(self.file_change()),
            65..=74 => ToolItemEvent::McpToolCall(self.mcp_tool_call()),
            75..=81 => ToolItemEvent::DynamicToolCall(self.dynamic_tool_call()),
            82..=87 => ToolItemEvent::CollabAgentToolCall(self.collab_agent_tool_call()),
            88..=95 => ToolItemEvent::WebSearch(self.web_search()),
            _ => ToolItemEvent::ImageGeneration(self.image_generation()),
        }
    }

    fn base(&mut self, tool_name: &str) -> ToolItemBase {
        let rng = &mut self.rng;
        let started_at_ms = self.clock_ms + rng.gen_range(0..5_000);
        let span = rng.gen_range(5..120_000);
        let completed_at_ms = started_at_ms + span;
        self.clock_ms = completed_at_ms;
        let review_count = if rng.gen_bool(0.2) {
            rng.gen_range(1..3)
        } else {
            0
        };
        let guardian_review_count = rng.gen_range(0..=review_count);
        let user_review_count = review_count - guardian_review_count;
        let (outcome, status, failure_kind) = match rng.gen_range(0..20) {
            0 => (
                FinalApprovalOutcome::UserDenied,
                TerminalStatus::Rejected,
                Some(FailureKind::ApprovalDenied),
            ),
            1 => (
                FinalApprovalOutcome::GuardianAborted,
                TerminalStatus::Interrupted,
                Some(FailureKind::ApprovalAborted),
            ),
            2 => (
                FinalApprovalOutcome::PolicyForbidden,
                TerminalStatus::Rejected,
                Some(FailureKind::PolicyForbidden),
            ),
            3 => (
                FinalApprovalOutcome::NotNeeded,
                TerminalStatus::Failed,
                Some(FailureKind::ToolError),
            ),
            4 => (
                FinalApprovalOutcome::ConfigAllowed,
                TerminalStatus::Failed,
                Some(FailureKind::SandboxDenied),
            ),
            5 if review_count > 0 => (
                FinalApprovalOutcome::UserApprovedForSession,
                TerminalStatus::Completed,
                None,
            ),
            6 if review_count > 0 => (
                FinalApprovalOutcome::GuardianApproved,
                TerminalStatus::Completed,
                None,
            ),
            7 if review_count > 0 => (
                FinalApprovalOutcome::UserApproved,
                TerminalStatus::Completed,
                None,
            ),
            _ => (
                FinalApprovalOutcome::NotNeeded,
                TerminalStatus::Completed,
                None,
            ),
        };
        let subagent = self.thread > 1 && rng.gen_bool(0.5);
        ToolItemBase {
            thread_id: format!("thread-{:04}", self.thread),
            turn_id: format!("turn-{:04}", self.turn),
            item_id: format!("item-{:06}", self.item),
            app_server_client: self.client.clone(),
            runtime: self.runtime.clone(),
            thread_source: Some(if subagent {
                ThreadSource::Subagent
            } else {
                ThreadSource::User
            }),
            subagent_source: subagent.then(|| "thread_spawn".to_owned()),
            parent_thread_id: subagent.then(|| "thread-0001".to_owned()),
            tool_name: tool_name.to_owned(),
            started_at_ms,
            completed_at_ms,
            duration_ms: rng.gen_bool(0.95).then_some(span),
            execution_duration_ms: rng.gen_bool(0.9).then(|| rng.gen_range(0..=span)),
            review_count,
            guardian_review_count,
            user_review_count,
            final_approval_outcome: outcome,
            terminal_status: status,
            failure_kind,
            requested_additional_permissions: rng.gen_bool(0.05),
            requested_network_access: rng.gen_bool(0.08),
        }
    }

    fn command_execution(&mut self) -> CommandExecution {
        let base = self.base("shell");
        let rng = &mut self.rng;
        let read = rng.gen_range(0..4);
        let list = rng.gen_range(0..3);
        let search = rng.gen_range(0..3);
        let unknown = rng.gen_range(0..2);
        let exit_code = match base.terminal_status {
            TerminalStatus::Completed => Some(if rng.gen_bool(0.85) {
                0
            } else {
                rng.gen_range(1..=255)
            }),
            TerminalStatus::Failed => Some(rng.gen_range(-1..=255)),
            _ => None,
        };
        CommandExecution {
            base,
            command_execution_source: match rng.gen_range(0..10) {
                0 => CommandExecutionSource::UserShell,
                1 => CommandExecutionSource::UnifiedExecStartup,
                2 => CommandExecutionSource::UnifiedExecInteraction,
                _ => CommandExecutionSource::Agent,
            },
            exit_code,
            command_total_action_count: read + list + search + unknown,
            command_read_action_count: read,
            command_list_files_action_count: list,
            command_search_action_count: search,
            command_unknown_action_count: unknown,
        }
    }

    fn file_change(&mut self) -> FileChange {
        let base = self.base("apply_patch");
        let rng = &mut self.rng;
        let (add, update, delete, moved) = (
            rng.gen_range(0..3),
            rng.gen_range(0..6),
            rng.gen_range(0..2),
            rng.gen_range(0..2),
        );
        FileChange {
            base,
            file_change_count: add + update + delete + moved,
            file_add_count: add,
            file_update_count: update,
            file_delete_count: delete,
            file_move_count: moved,
        }
    }

    fn mcp_tool_call(&mut self) -> McpToolCall {
        let (server, tool) = TOOLS_MCP[self.rng.gen_range(0..TOOLS_MCP.len())];
        let base = self.base(&format!("mcp__{server}__{tool}"));
        McpToolCall {
            mcp_error_present: base.terminal_status == TerminalStatus::Failed,
            base,
            mcp_server_name: server.to_owned(),
            mcp_tool_name: tool.to_owned(),
        }
    }

    fn dynamic_tool_call(&mut self) -> DynamicToolCall {
        let name = DYNAMIC_TOOLS[self.rng.gen_range(0..DYNAMIC_TOOLS.len())];
        let base = self.base(name);
        let rng = &mut self.rng;
        let reported = rng.gen_bool(0.8);
        let text = rng.gen_range(0..4);
        let image = rng.gen_range(0..2);
        DynamicToolCall {
            success: reported.then_some(base.terminal_status == TerminalStatus::Completed),
            base,
            dynamic_tool_name: name.to_owned(),
            output_content_item_count: reported.then_some(text + image),
            output_text_item_count: reported.then_some(text),
            output_image_item_count: reported.then_some(image),
        }
    }

    fn collab_agent_tool_call(&mut self) -> CollabAgentToolCall {
        let tool = ["spawn_agent", "send_input", "wait"][self.rng.gen_range(0..3)];
        let base = self.base(tool);
        let rng = &mut self.rng;
        let receivers = rng.gen_range(1..4u64);
        let known = rng.gen_bool(0.7);
        let spawning = base.tool_name == "spawn_agent";
        let completed = rng.gen_range(0..=receivers);
        CollabAgentToolCall {
            sender_thread_id: base.thread_id.clone(),
            receiver_thread_count: receivers,
            receiver_thread_ids: known.then(|| {
                (0..receivers)
                    .map(|i| format!("thread-{:04}", self.thread as u64 + 1 + i))
                    .collect()
            }),
            requested_model: spawning.then(|| MODELS[rng.gen_range(0..MODELS.len())].to_owned()),
            requested_reasoning_effort: spawning
                .then(|| EFFORTS[rng.gen_range(0..EFFORTS.len())].to_owned()),
            agent_state_count: (!spawning).then_some(receivers),
            completed_agent_count: (!spawning).then_some(completed),
            failed_agent_count: (!spawning).then_some(receivers - completed),
            base,
        }
    }

    fn web_search(&mut self) -> WebSearch {
        let base = self.base("web_search");
        let rng = &mut self.rng;
        let action = [
            Some(WebSearchAction::Search),
            Some(WebSearchAction::OpenPage),
            Some(WebSearchAction::FindInPage),
            Some(WebSearchAction::Other),
            None,
        ][rng.gen_range(0..5)];
        let query_present = matches!(
            action,
            Some(WebSearchAction::Search | WebSearchAction::FindInPage)
        );
        WebSearch {
            base,
            web_search_action: action,
            query_present,
            query_count: query_present.then(|| rng.gen_range(1..4)),
        }
    }

    fn image_generation(&mut self) -> ImageGeneration {
        let base = self.base("image_generation");
        let rng = &mut self.rng;
        ImageGeneration {
            base,
            revised_prompt_present: rng.gen_bool(0.6),
            saved_path_present: rng.gen_bool(0.9),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_valid_and_cover_every_kind() {
        let events = Session::new(7).events(2_000);
        let mut seen = std::collections::BTreeSet::new();
        for event in &events {
            if let Err(errors) = event.validate() {
                panic!("simulated {} is invalid:\n{errors}", event.event_type());
            }
            seen.insert(event.event_type());
        }
        assert_eq!(
            seen.len(),
            ToolItemEvent::NAMES.len(),
            "kinds seen: {seen:?}"
        );
    }

    #[test]
    fn a_seed_gives_the_same_session() {
        assert_eq!(Session::new(3).events(50), Session::new(3).events(50));
        assert_ne!(Session::new(3).events(50), Session::new(4).events(50));
    }
}
