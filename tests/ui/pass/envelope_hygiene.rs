//! Envelope fields compile with no prelude and every warning denied.
#![no_implicit_prelude]
#![deny(warnings)]

mod events {
    use ::analytics_core::{AnalyticsEvent, EventCatalog};

    #[derive(AnalyticsEvent)]
    #[analytics(name = "skill_invoked")]
    pub struct SkillInvoked {
        /// The skill.
        #[analytics(envelope, non_empty)]
        pub skill_id: ::std::string::String,
        /// Its version, when known.
        #[analytics(envelope, range(max = 9))]
        #[serde(rename = "skillVersion", skip_serializing_if = "::std::option::Option::is_none", default)]
        pub skill_version: ::std::option::Option<u32>,
        /// How it was invoked.
        pub invocation: ::std::string::String,
    }

    #[derive(AnalyticsEvent)]
    #[analytics(name = "skill_written", write_only)]
    pub struct SkillWritten {
        /// Borrowed: write-only.
        #[analytics(envelope)]
        pub skill_id: &'static str,
        /// The note.
        pub note: &'static str,
    }

    #[derive(EventCatalog)]
    pub enum Events {
        SkillInvoked(SkillInvoked),
    }

    #[derive(EventCatalog)]
    #[analytics(write_only)]
    pub enum Outgoing {
        SkillInvoked(SkillInvoked),
        SkillWritten(SkillWritten),
    }
}

fn main() {
    let _ = events::Events::NAMES;
    let _ = events::Outgoing::NAMES;
}
