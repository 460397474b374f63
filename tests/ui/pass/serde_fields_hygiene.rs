//! The serde field attributes, `#[analytics(serde)]` with a foreign type and
//! a boxed catalog variant, write-only events and catalogs, generated under `#![no_implicit_prelude]` and
//! `#![deny(warnings)]`, with user types named like the primitives in scope
//! (finding 12.7).
#![no_implicit_prelude]
#![deny(warnings)]

mod events {
    #![allow(non_camel_case_types, dead_code)]

    use ::analytics_core::{AnalyticsEvent, EventCatalog};
    use ::analytics_foreign_types::ThreadSource;

    pub struct u8;
    pub struct str;
    pub struct bool;
    pub struct usize;
    pub struct u32;

    pub mod stamp {
        pub fn serialize<S: ::serde::Serializer>(
            value: &::core::primitive::u64,
            serializer: S,
        ) -> ::core::result::Result<S::Ok, S::Error> {
            serializer.serialize_u64(*value)
        }

        pub fn deserialize<'de, D: ::serde::Deserializer<'de>>(
            deserializer: D,
        ) -> ::core::result::Result<::core::primitive::u64, D::Error> {
            <::core::primitive::u64 as ::serde::Deserialize>::deserialize(deserializer)
        }
    }

    fn no_schema() -> ::serde_json::Value {
        ::serde_json::Value::Null
    }

    fn fallback() -> ::std::string::String {
        ::std::string::String::new()
    }

    #[derive(AnalyticsEvent)]
    #[analytics(name = "review_decided", version = 2)]
    #[serde(deny_unknown_fields)]
    pub struct Review {
        #[analytics(serde)]
        pub source: ::core::option::Option<ThreadSource>,
        #[analytics(serde, schema = no_schema)]
        pub other: ThreadSource,
        #[serde(with = "stamp")]
        pub at: ::core::primitive::u64,
        #[serde(skip)]
        pub local: ::std::vec::Vec<::core::primitive::u8>,
        #[serde(skip_serializing)]
        pub old: ::core::option::Option<::core::primitive::bool>,
        #[serde(skip_deserializing)]
        pub count: ::core::primitive::u32,
        #[serde(default = "fallback", alias = "turnId")]
        pub turn_id: ::std::string::String,
        #[analytics(range(min = 0, max = 9))]
        pub size: ::core::primitive::usize,
    }

    #[derive(EventCatalog)]
    pub enum Events {
        Review(::std::boxed::Box<Review>),
    }

    #[derive(AnalyticsEvent)]
    #[analytics(name = "turn_started")]
    pub struct Turn {
        pub sandbox_policy: ::core::option::Option<&'static ::core::primitive::str>,
    }

    #[derive(AnalyticsEvent)]
    #[analytics(name = "note_taken", write_only)]
    pub struct Note {
        pub text: ::std::string::String,
    }

    #[derive(EventCatalog)]
    #[analytics(write_only)]
    pub enum Outgoing {
        Turn(Turn),
        Note(::std::boxed::Box<Note>),
        Review(Review),
    }
}

fn main() {
    let _ = events::Events::NAMES;
    let _ = events::Outgoing::NAMES;
}
