use analytics_core::AnalyticsFields;

#[derive(AnalyticsFields)]
enum Base {
    Thread(String),
}

fn main() {}
