use analytics_core::{AnalyticsEvent, AnalyticsFields};

#[derive(AnalyticsFields)]
struct Base {
    thread_id: String,
}

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(flatten, non_empty)]
    base: Base,
    exit_code: i32,
}

fn main() {}
