use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(one_of = ["low", "medium", "low"])]
    effort: String,
}

fn main() {}
