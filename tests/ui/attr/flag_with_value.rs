use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(non_empty = true)]
    command: String,
}

fn main() {}
