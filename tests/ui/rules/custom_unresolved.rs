use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(custom = checks::is_thread_id)]
    thread_id: String,
}

mod checks {}

fn main() {}
