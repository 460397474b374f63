use analytics_core::AnalyticsEnum;

// serde would honour these; the derive cannot (its variant fields with
// attributes are named), so each is an error rather than dropped.
#[derive(AnalyticsEnum)]
enum Step {
    Moved(#[analytics(range(max = 9))] u32, bool),
    Stamped(#[serde(with = "stamp")] u64),
}

fn main() {}
