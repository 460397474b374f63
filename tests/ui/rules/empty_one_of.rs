use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(one_of = [])]
    effort: String,
}

fn main() {}
