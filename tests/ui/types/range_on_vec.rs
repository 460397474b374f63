use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(range(max = 10))]
    exit_codes: Vec<i32>,
}

fn main() {}
