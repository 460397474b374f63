//! Enums with data in every representation: generated code names nothing
//! from the prelude and raises no warning.
#![no_implicit_prelude]
#![deny(warnings)]

mod events {
    use ::analytics_core::{AnalyticsEnum, AnalyticsEvent, AnalyticsFields};

    #[derive(AnalyticsFields)]
    pub struct Timing {
        #[analytics(range(max = 1000))]
        pub millis: u32,
    }

    /// What a reviewer did.
    #[derive(AnalyticsEnum)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum ReviewAction {
        /// Approved.
        Approve { reviewer: ::std::string::String },
        Reject {
            #[analytics(non_empty)]
            reviewer: ::std::string::String,
            #[serde(skip_serializing_if = "::std::option::Option::is_none")]
            reason: ::std::option::Option<::std::string::String>,
        },
        Timed(Timing),
        Skip,
    }

    #[derive(AnalyticsEnum)]
    pub enum External {
        Added(::std::string::String),
        Moved(u32, ::std::option::Option<u32>),
        #[serde(rename_all = "camelCase")]
        Edited { line_count: u64 },
        Cleared,
    }

    #[derive(AnalyticsEnum)]
    #[serde(tag = "t", content = "c")]
    pub enum Adjacent {
        Start,
        Pair(bool, i64),
    }

    #[derive(AnalyticsEnum)]
    #[serde(untagged)]
    pub enum Loose {
        Flag(bool),
        Text(&'static str),
    }

    #[derive(AnalyticsEvent)]
    #[analytics(name = "reviewed")]
    pub struct Reviewed {
        pub action: ReviewAction,
        pub external: External,
        pub adjacent: ::std::option::Option<Adjacent>,
        pub loose: ::std::vec::Vec<Loose>,
    }
}

fn main() {
    let _ = <events::Reviewed as ::analytics_core::AnalyticsEvent>::schema();
}
