use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(non_empty)]
    #[analytics(length(max = 64), non_empty)]
    command: String,
}

fn main() {}
