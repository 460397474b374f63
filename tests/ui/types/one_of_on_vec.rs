use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(one_of = ["low", "high"])]
    efforts: Vec<String>,
}

fn main() {}
