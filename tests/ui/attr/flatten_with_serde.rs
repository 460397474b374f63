use analytics_core::{AnalyticsEvent, AnalyticsFields};

#[derive(AnalyticsFields)]
struct Base {
    thread_id: String,
}

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(flatten, serde)]
    #[serde(alias = "b")]
    base: Base,
    command: String,
}

fn main() {}
