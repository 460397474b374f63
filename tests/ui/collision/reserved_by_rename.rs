use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(rename = "event_params")]
    params: String,
    exit_code: i32,
}

fn main() {}
