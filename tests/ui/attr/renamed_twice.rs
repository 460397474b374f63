use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(rename = "code")]
    #[serde(rename = "exit")]
    exit_code: i32,
}

fn main() {}
