use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(custom = valid_exit_code)]
    exit_code: Option<i32>,
}

fn valid_exit_code(code: &u8) -> Result<(), String> {
    if *code < 128 { Ok(()) } else { Err("killed by a signal".into()) }
}

fn main() {}
