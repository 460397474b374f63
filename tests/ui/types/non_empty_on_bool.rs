use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(non_empty)]
    success: bool,
}

fn main() {}
