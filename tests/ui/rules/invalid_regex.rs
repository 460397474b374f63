use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(pattern = "^thread-([0-9]+$")]
    thread_id: String,
}

fn main() {}
