use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(one_of = ["low", 2, "high"])]
    effort: String,
}

fn main() {}
