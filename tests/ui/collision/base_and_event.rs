use analytics_core::{AnalyticsEvent, AnalyticsFields};

#[derive(AnalyticsFields)]
struct ToolItemBase {
    thread_id: String,
    turn_id: String,
}

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(flatten)]
    base: ToolItemBase,
    turn_id: String,
    exit_code: i32,
}

fn main() {}
