use analytics_core::{AnalyticsEvent, AnalyticsFields};

#[derive(AnalyticsFields)]
struct ToolItemBase {
    thread_id: String,
}

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[serde(flatten)]
    base: ToolItemBase,
    #[serde(rename = "thread_id")]
    parent_thread: String,
}

fn main() {}
