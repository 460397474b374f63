use analytics_core::AnalyticsEnum;

struct Duration {
    millis: u64,
}

#[derive(AnalyticsEnum)]
#[serde(tag = "type")]
enum Outcome {
    Completed { took: Duration },
    Failed { reason: String },
}

fn main() {}
