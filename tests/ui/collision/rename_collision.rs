use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    exit_code: i32,
    #[serde(rename = "exit_code")]
    signal: i32,
}

fn main() {}
