use analytics_core::AnalyticsEnum;

struct Duration {
    millis: u64,
}

// One error per field whose type is not an analytics value, on that type,
// whatever the variant's shape and the field's serde attributes.
#[derive(AnalyticsEnum)]
#[serde(tag = "type")]
enum Outcome {
    Completed { took: Duration },
    Retried {
        #[serde(default)]
        after: Option<Duration>,
    },
    Failed { reason: String },
}

#[derive(AnalyticsEnum)]
enum Step {
    Moved(Duration, u32),
    Timed(Box<Duration>),
}

fn main() {}
