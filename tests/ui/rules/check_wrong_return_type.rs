use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
#[analytics(check = check_timing)]
struct CommandRan {
    started_at_ms: u64,
    completed_at_ms: u64,
}

fn check_timing(event: &CommandRan) -> bool {
    event.completed_at_ms >= event.started_at_ms
}

fn main() {}
