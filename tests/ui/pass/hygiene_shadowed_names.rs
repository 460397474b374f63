//! User types named like the prelude items, and modules named like the
//! crates generated code uses, do not break the derives.
#![allow(dead_code)]

mod serde {}
mod core {}
mod inventory {}

struct Result;
struct Option;
struct String;
struct Vec;
struct Box;
struct Default;
struct Some;
struct Ok;
struct Err;
struct None;
trait Serialize {}
trait Deserialize {}
trait Clone {}
trait Iterator {}
type Path = u8;
type ValidationErrors = u8;
mod _ap {}

use analytics_core::{AnalyticsEnum, AnalyticsEvent, AnalyticsFields, EventCatalog};

fn whole(_: &CommandRan) -> ::std::result::Result<(), &'static str> {
    ::std::result::Result::Ok(())
}

#[derive(AnalyticsEnum)]
enum Outcome {
    Completed,
}

#[derive(AnalyticsFields)]
struct Base {
    #[analytics(non_empty, pattern = "^t", anonymous_id)]
    thread_id: ::std::string::String,
}

#[derive(AnalyticsEvent)]
#[analytics(name = "command_ran", check = whole)]
struct CommandRan {
    #[analytics(flatten)]
    base: Base,
    outcome: Outcome,
    #[analytics(range(min = 0))]
    exit_code: ::std::option::Option<i32>,
    #[analytics(length(max = 3))]
    ids: ::std::vec::Vec<::std::string::String>,
}

#[derive(EventCatalog)]
enum Events {
    CommandRan(CommandRan),
}

fn main() {
    let event = CommandRan {
        base: Base { thread_id: "t1".into() },
        outcome: Outcome::Completed,
        exit_code: ::std::option::Option::Some(0),
        ids: ::std::vec::Vec::new(),
    };
    event.validate().unwrap();
    Events::from(event).validate().unwrap();
}
