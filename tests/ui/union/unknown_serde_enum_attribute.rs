use analytics_core::AnalyticsEnum;

#[derive(AnalyticsEnum)]
#[serde(tag = "type", variant_identifier)]
enum Outcome {
    Completed { exit_code: i32 },
    #[serde(other)]
    Failed,
}

fn main() {}
