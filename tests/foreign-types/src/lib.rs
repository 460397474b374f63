//! A protocol crate foreign to analytics-core: serde derives only.

use serde::{Deserialize, Serialize};

/// Who started a thread (the reference's `codex_protocol::ThreadSource`).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ThreadSource {
    User,
    Subagent,
    MemoryConsolidation,
}

/// A reviewed action, internally tagged as the reference's review events are.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReviewedAction {
    Command {
        command: String,
        cwd: Option<String>,
    },
    Patch {
        files: Vec<String>,
    },
    Network,
}

/// A sandbox policy with data.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct SandboxPolicy {
    pub mode: String,
    pub writable_roots: Vec<String>,
}
