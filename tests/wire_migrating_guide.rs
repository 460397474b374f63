//! docs/migrating.md, compiled: the guide's "before" (hand-written serde) and
//! "after" (the derives) send the same bytes, and the shared-params pattern
//! writes the shared struct under each name.

use analytics_foreign_types::ThreadSource;

mod codex_protocol {
    pub use analytics_foreign_types::ThreadSource;
}

mod before {
    use serde::Serialize;

    #[derive(Serialize)]
    pub struct ToolItemBase {
        pub thread_id: String,
        pub turn_id: String,
    }

    #[derive(Serialize)]
    pub struct CommandExecutionParams {
        #[serde(flatten)]
        pub base: ToolItemBase,
        pub exit_code: Option<i32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub thread_source: Option<super::codex_protocol::ThreadSource>,
    }

    #[derive(Serialize)]
    pub struct CommandExecutionRequest {
        pub event_type: &'static str,
        pub event_params: CommandExecutionParams,
    }

    #[derive(Serialize)]
    pub struct ThreadParams {
        pub thread_id: String,
        pub model: String,
    }

    #[derive(Serialize)]
    pub struct ThreadRequest {
        pub event_type: &'static str,
        pub event_params: ThreadParams,
    }

    #[derive(Serialize)]
    #[serde(untagged)]
    pub enum TrackEventRequest {
        CommandExecution(CommandExecutionRequest),
        Thread(ThreadRequest),
    }
}

mod after {
    use analytics_core::{AnalyticsEvent, AnalyticsFields, EventCatalog};

    #[derive(AnalyticsFields)]
    pub struct ToolItemBase {
        pub thread_id: String,
        pub turn_id: String,
    }

    #[derive(AnalyticsEvent)]
    #[analytics(name = "codex_command_execution_event")]
    pub struct CommandExecution {
        #[serde(flatten)]
        pub base: ToolItemBase,
        pub exit_code: Option<i32>,
        #[analytics(serde)]
        #[serde(skip_serializing_if = "Option::is_none")]
        pub thread_source: Option<super::codex_protocol::ThreadSource>,
    }

    #[derive(AnalyticsFields)]
    pub struct ThreadParams {
        pub thread_id: String,
        pub model: String,
    }

    #[derive(AnalyticsEvent)]
    #[analytics(name = "codex_thread_started")]
    pub struct ThreadStarted {
        #[serde(flatten)]
        pub params: ThreadParams,
    }

    #[derive(AnalyticsEvent)]
    #[analytics(name = "codex_thread_resumed")]
    pub struct ThreadResumed {
        #[serde(flatten)]
        pub params: ThreadParams,
    }

    #[derive(EventCatalog)]
    pub enum ToolItemEvent {
        CommandExecution(Box<CommandExecution>),
        ThreadStarted(ThreadStarted),
        ThreadResumed(ThreadResumed),
    }
}

#[test]
fn the_guide_after_code_sends_the_before_bytes() {
    for (exit_code, thread_source) in [(Some(0), Some(ThreadSource::Subagent)), (None, None)] {
        let before = before::TrackEventRequest::CommandExecution(before::CommandExecutionRequest {
            event_type: "codex_command_execution_event",
            event_params: before::CommandExecutionParams {
                base: before::ToolItemBase {
                    thread_id: "th\"1".into(),
                    turn_id: "t1".into(),
                },
                exit_code,
                thread_source,
            },
        });
        let event = || after::CommandExecution {
            base: after::ToolItemBase {
                thread_id: "th\"1".into(),
                turn_id: "t1".into(),
            },
            exit_code,
            thread_source,
        };
        let expected = serde_json::to_string(&before).unwrap();
        // The reducer call sites: `.into()`.
        let request: analytics_core::TrackEventRequest = event().into();
        assert_eq!(serde_json::to_string(&request).unwrap(), expected);
        let catalog: after::ToolItemEvent = event().into();
        assert_eq!(serde_json::to_string(&catalog).unwrap(), expected);
        let mut fast = Vec::new();
        request.write_json(&mut fast);
        assert_eq!(String::from_utf8(fast).unwrap(), expected);
    }
}

#[test]
fn the_shared_params_struct_is_written_under_each_name() {
    for name in ["codex_thread_started", "codex_thread_resumed"] {
        let before = before::TrackEventRequest::Thread(before::ThreadRequest {
            event_type: name,
            event_params: before::ThreadParams {
                thread_id: "th".into(),
                model: "m".into(),
            },
        });
        let params = after::ThreadParams {
            thread_id: "th".into(),
            model: "m".into(),
        };
        let request: analytics_core::TrackEventRequest = match name {
            "codex_thread_started" => after::ThreadStarted { params }.into(),
            _ => after::ThreadResumed { params }.into(),
        };
        assert_eq!(
            serde_json::to_string(&request).unwrap(),
            serde_json::to_string(&before).unwrap()
        );
    }
}
