use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(custom = valid_exit_code)]
    exit_code: i32,
}

struct ExitCodeError;

fn valid_exit_code(code: &i32) -> Result<(), ExitCodeError> {
    if *code >= 0 { Ok(()) } else { Err(ExitCodeError) }
}

fn main() {}
