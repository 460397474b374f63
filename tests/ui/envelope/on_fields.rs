use analytics_core::AnalyticsFields;

#[derive(AnalyticsFields)]
struct Base {
    #[analytics(envelope)]
    thread_id: String,
}

fn main() {}
