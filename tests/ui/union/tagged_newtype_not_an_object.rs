use analytics_core::{AnalyticsEnum, AnalyticsFields};

#[derive(AnalyticsFields)]
struct Timing {
    millis: u64,
}

// serde would fail at run time on `Named` and `Listed`: the tag goes into
// the payload's own JSON object, and a string or a list is not one.
#[derive(AnalyticsEnum)]
#[serde(tag = "type")]
enum Outcome {
    Named(String),
    Timed(Timing),
    Boxed(Box<Timing>),
    Listed(Vec<u32>),
}

fn main() {}
