//! Generated code names nothing from the prelude.
#![no_implicit_prelude]

mod events {
    use ::analytics_core::{AnalyticsEnum, AnalyticsEvent, AnalyticsFields, EventCatalog};

    fn positive(value: &i64) -> ::std::result::Result<(), ::std::string::String> {
        if *value > 0 {
            ::std::result::Result::Ok(())
        } else {
            ::std::result::Result::Err(::std::string::ToString::to_string("must be positive"))
        }
    }

    fn whole(_: &Base) -> ::std::result::Result<(), &'static str> {
        ::std::result::Result::Ok(())
    }

    #[derive(AnalyticsEnum)]
    #[serde(rename_all = "snake_case")]
    pub enum Outcome {
        Completed,
        Failed,
    }

    #[derive(AnalyticsFields)]
    #[analytics(check = whole)]
    pub struct Base {
        #[analytics(non_empty, length(max = 64), pattern = "^t", one_of = ["t1", "t2"])]
        pub thread_id: ::std::string::String,
        #[serde(skip_serializing_if = "::std::option::Option::is_none", default)]
        #[analytics(user_id)]
        pub parent: ::std::option::Option<::std::string::String>,
    }

    #[derive(AnalyticsEvent)]
    #[analytics(name = "command_ran")]
    pub struct CommandRan {
        #[analytics(flatten)]
        pub base: Base,
        pub outcome: Outcome,
        #[analytics(range(min = -1, max = 255), custom = positive)]
        pub exit_code: ::std::option::Option<i64>,
        pub ids: ::std::vec::Vec<::std::string::String>,
    }

    #[derive(EventCatalog)]
    pub enum Events {
        CommandRan(CommandRan),
    }
}

fn main() {}
