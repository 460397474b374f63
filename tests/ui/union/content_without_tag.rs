use analytics_core::AnalyticsEnum;

#[derive(AnalyticsEnum)]
#[serde(content = "data")]
enum Outcome {
    Completed { exit_code: i32 },
    Failed(String),
}

fn main() {}
