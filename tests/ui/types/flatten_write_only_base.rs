use analytics_core::{AnalyticsEvent, AnalyticsFields};

#[derive(AnalyticsFields)]
struct Base {
    product: &'static str,
}

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(flatten)]
    base: Base,
    command: String,
}

fn main() {}
