//! Derived code is warning-free and documented: `deny(warnings)`,
//! `deny(missing_docs)` and a few pedantic lints do not fire on it.
#![deny(warnings, missing_docs, unused_qualifications, unused_results, trivial_casts)]
#![deny(unreachable_pub, single_use_lifetimes, unused_lifetimes, missing_debug_implementations)]

use analytics_core::{AnalyticsEnum, AnalyticsEvent, AnalyticsFields, EventCatalog};

/// Events of this test.
pub mod events {
    use super::*;

    /// How it ended.
    #[derive(AnalyticsEnum, Debug)]
    pub enum Outcome {
        /// Fine.
        Completed,
    }

    /// The base.
    #[derive(AnalyticsFields, Debug)]
    pub struct Base {
        /// The thread.
        #[analytics(non_empty, pattern = "^t")]
        pub thread_id: String,
    }

    /// A command ran.
    #[derive(AnalyticsEvent, Debug)]
    #[analytics(name = "command_ran")]
    pub struct CommandRan {
        /// The base.
        #[analytics(flatten)]
        pub base: Base,
        /// How it ended.
        pub outcome: Outcome,
        /// The exit code.
        #[deprecated = "use outcome"]
        #[analytics(range(min = -1, max = 255))]
        pub exit_code: Option<i32>,
    }

    /// Every event.
    #[derive(EventCatalog, Debug)]
    pub enum Events {
        /// A command ran.
        CommandRan(CommandRan),
    }
}

fn main() {}
