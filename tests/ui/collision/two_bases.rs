use analytics_core::{AnalyticsEvent, AnalyticsFields};

#[derive(AnalyticsFields)]
struct ToolItemBase {
    thread_id: String,
}

#[derive(AnalyticsFields)]
struct ThreadInfo {
    thread_id: String,
    parent_thread_id: Option<String>,
}

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(flatten)]
    base: ToolItemBase,
    #[analytics(flatten)]
    thread: ThreadInfo,
}

fn main() {}
