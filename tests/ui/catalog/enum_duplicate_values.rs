use analytics_core::AnalyticsEnum;

#[derive(AnalyticsEnum)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    Completed,
    #[serde(rename = "completed")]
    Done,
}

fn main() {}
