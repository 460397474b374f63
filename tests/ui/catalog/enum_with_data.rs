use analytics_core::AnalyticsEnum;

#[derive(AnalyticsEnum)]
enum Outcome {
    Completed,
    Failed { reason: String },
}

fn main() {}
