use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
union CommandRan {
    exit_code: i32,
    signal: u32,
}

fn main() {}
