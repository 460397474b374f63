//! Enums with data in every representation: generated code names nothing
//! from the prelude and raises no warning.
#![no_implicit_prelude]
#![deny(warnings)]

mod stamp {
    pub fn serialize<S: ::serde::Serializer>(
        value: &u64,
        serializer: S,
    ) -> ::std::result::Result<S::Ok, S::Error> {
        serializer.serialize_u64(*value)
    }

    pub fn deserialize<'de, D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::std::result::Result<u64, D::Error> {
        <u64 as ::serde::Deserialize<'de>>::deserialize(deserializer)
    }
}

fn one() -> u32 {
    1
}

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
        Noted {
            #[analytics(serde)]
            source: ::std::option::Option<::std::string::String>,
            #[serde(with = "crate::stamp")]
            at: u64,
            #[serde(default)]
            count: u32,
            #[serde(default = "crate::one")]
            weight: u32,
            #[serde(skip_deserializing)]
            local: bool,
        },
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
