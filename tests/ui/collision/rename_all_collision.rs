use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
#[serde(rename_all = "camelCase")]
struct CommandRan {
    exitCode: i32,
    exit_code: i32,
}

fn main() {}
