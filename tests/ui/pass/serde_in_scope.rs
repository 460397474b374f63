//! serde's derives and traits in scope next to ours; the derived JSON is the
//! JSON serde derives for the same struct.
use analytics_core::{AnalyticsEvent, AnalyticsFields};
use serde::{Deserialize, Serialize};

#[derive(AnalyticsFields)]
struct Base {
    #[analytics(non_empty)]
    thread_id: String,
}

#[derive(AnalyticsEvent)]
#[analytics(name = "command_ran")]
struct CommandRan {
    #[serde(flatten)]
    base: Base,
    #[serde(rename = "code")]
    #[analytics(range(min = -1))]
    exit_code: Option<i32>,
}

#[derive(Serialize, Deserialize)]
struct SerdeBase {
    thread_id: String,
}

#[derive(Serialize, Deserialize)]
struct SerdeCommandRan {
    #[serde(flatten)]
    base: SerdeBase,
    #[serde(rename = "code")]
    exit_code: Option<i32>,
}

fn main() {
    let ours = CommandRan { base: Base { thread_id: "t".into() }, exit_code: Some(-1) };
    let theirs = SerdeCommandRan { base: SerdeBase { thread_id: "t".into() }, exit_code: Some(-1) };
    ours.validate().unwrap();
    assert_eq!(serde_json::to_string(&ours).unwrap(), serde_json::to_string(&theirs).unwrap());
}
