use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
#[analytics(check = check_timing)]
struct CommandRan {
    started_at_ms: u64,
    completed_at_ms: u64,
}

fn check_timing(started_at_ms: u64, completed_at_ms: u64) -> Result<(), String> {
    if completed_at_ms >= started_at_ms { Ok(()) } else { Err("completed before it started".into()) }
}

fn main() {}
