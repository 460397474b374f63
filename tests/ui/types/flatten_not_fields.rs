use analytics_core::AnalyticsEvent;

struct Base {
    thread_id: String,
}

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(flatten)]
    base: Base,
    exit_code: i32,
}

fn main() {}
