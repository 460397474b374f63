use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(custom = is_thread_id)]
    thread_id: String,
}

fn is_thread_id(value: &str) -> bool {
    value.starts_with("thread-")
}

fn main() {}
