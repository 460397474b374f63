use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
#[serde(tag = "kind")]
struct CommandRan {
    #[serde(borrow, rename = "cmd")]
    command: String,
    #[serde(getter = "Self::code")]
    exit_code: i32,
}

fn main() {}
