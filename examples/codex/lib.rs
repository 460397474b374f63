//! The flagship example: the seven Codex tool-item analytics events, defined
//! once with the derives and shared by the examples, the tests and the
//! benchmarks.
//!
//! The wire format is the one the Codex CLI's analytics crate sends: every
//! event is `{"event_type": "codex_..._event", "event_params": {...}}` with the
//! fields of [`ToolItemBase`] inlined first. As in the reference, nothing here
//! carries a raw prompt, query or path: only presence flags and counts.

pub mod events;
pub mod fixtures;
pub mod simulate;

pub use events::*;
