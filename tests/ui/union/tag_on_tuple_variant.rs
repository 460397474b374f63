use analytics_core::AnalyticsEnum;

#[derive(AnalyticsEnum)]
#[serde(tag = "type")]
enum Outcome {
    Completed { exit_code: i32 },
    Moved(u32, u32),
}

fn main() {}
