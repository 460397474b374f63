//! The derives in a crate whose only dependency is `analytics-core`: no
//! `serde` in its extern prelude, edition 2024, warnings denied. That this
//! crate builds is the test; the unit test below checks it also runs.
#![deny(warnings, missing_docs)]

use analytics_core::{AnalyticsEnum, AnalyticsEvent, AnalyticsFields, EventCatalog};

/// How a command ended.
#[derive(AnalyticsEnum, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It completed.
    Completed,
    /// It failed.
    Failed,
}

/// Fields every event carries.
#[derive(AnalyticsFields, Debug, Clone, PartialEq)]
#[analytics(check = check_base)]
pub struct Base {
    /// The thread.
    #[analytics(non_empty, length(max = 64), pattern = "^thread-")]
    pub thread_id: String,
    /// When it started.
    pub started_at_ms: u64,
    /// When it completed.
    pub completed_at_ms: u64,
}

fn check_base(base: &Base) -> Result<(), String> {
    if base.completed_at_ms >= base.started_at_ms {
        Ok(())
    } else {
        Err("completed_at_ms is before started_at_ms".to_owned())
    }
}

/// A command ran.
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "command_ran")]
pub struct CommandRan {
    /// The base.
    #[serde(flatten)]
    pub base: Base,
    /// How it ended.
    pub outcome: Outcome,
    /// The exit code.
    #[analytics(range(min = -1, max = 255))]
    pub exit_code: Option<i32>,
    /// The effort requested.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[analytics(one_of = ["low", "high"])]
    pub effort: Option<String>,
    /// Receivers.
    #[analytics(length(max = 3))]
    pub receiver_ids: Vec<String>,
}

/// Every event of this crate.
#[derive(EventCatalog, Debug, Clone, PartialEq)]
pub enum Events {
    /// A command ran.
    CommandRan(CommandRan),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> CommandRan {
        CommandRan {
            base: Base {
                thread_id: "thread-1".to_owned(),
                started_at_ms: 1,
                completed_at_ms: 2,
            },
            outcome: Outcome::Completed,
            exit_code: Some(0),
            effort: None,
            receiver_ids: vec![],
        }
    }

    #[test]
    fn derives_work_without_a_serde_dependency() {
        let event = event();
        event.validate().unwrap();
        let mut out = Vec::new();
        Events::from(event.clone()).write_json(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"event_type":"command_ran","event_params":{"thread_id":"thread-1","started_at_ms":1,"completed_at_ms":2,"outcome":"completed","exit_code":0,"receiver_ids":[]}}"#
        );
        let mut bad = event;
        bad.base.thread_id = "t".to_owned();
        bad.base.completed_at_ms = 0;
        bad.exit_code = Some(-2);
        bad.effort = Some("medium".to_owned());
        let errors = bad.validate().unwrap_err();
        assert_eq!(
            errors.to_string(),
            "base.thread_id: must match the pattern \"^thread-\"\nbase: completed_at_ms is before started_at_ms\nexit_code: must be between -1 and 255 (got -2)\neffort: must be one of \"low\", \"high\" (got \"medium\")"
        );
    }
}

/// Data enums (serde's four representations) compile and write the same
/// bytes in a crate with no serde dependency: the derive's serde mirrors
/// reach serde through `analytics_core::__private` too.
#[cfg(test)]
mod unions {
    use analytics_core::{AnalyticsEnum, AnalyticsEvent};

    /// A reviewed action, tagged as the reference tags it.
    #[derive(AnalyticsEnum, Debug, Clone, PartialEq)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Review {
        /// Approved.
        Approve { reviewer: String },
        /// Skipped.
        Skip,
    }

    /// External, adjacent and untagged shapes.
    #[derive(AnalyticsEnum, Debug, Clone, PartialEq)]
    pub enum External {
        /// A newtype.
        Count(u32),
        /// A tuple.
        Pair(u8, bool),
    }

    /// Adjacently tagged.
    #[derive(AnalyticsEnum, Debug, Clone, PartialEq)]
    #[serde(tag = "t", content = "c")]
    pub enum Adjacent {
        /// A newtype.
        Label(String),
    }

    /// Untagged.
    #[derive(AnalyticsEnum, Debug, Clone, PartialEq)]
    #[serde(untagged)]
    pub enum Loose {
        /// A number.
        Number(i64),
        /// A text.
        Text(String),
    }

    /// An event with one field of each.
    #[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
    #[analytics(name = "review_done")]
    pub struct ReviewDone {
        pub review: Review,
        pub external: External,
        pub adjacent: Adjacent,
        pub loose: Loose,
    }

    #[test]
    fn data_enums_work_without_a_serde_dependency() {
        let event = ReviewDone {
            review: Review::Approve {
                reviewer: "ada".to_owned(),
            },
            external: External::Pair(7, true),
            adjacent: Adjacent::Label("x".to_owned()),
            loose: Loose::Text("free".to_owned()),
        };
        event.validate().unwrap();
        let mut out = Vec::new();
        analytics_core::TrackEventRequest::from(event).write_json(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"event_type":"review_done","event_params":{"review":{"type":"approve","reviewer":"ada"},"external":{"Pair":[7,true]},"adjacent":{"t":"Label","c":"x"},"loose":"free"}}"#
        );
    }
}
