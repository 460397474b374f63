use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(pattern = "^[0-9]+$")]
    exit_code: i64,
}

fn main() {}
