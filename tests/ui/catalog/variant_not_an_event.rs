use analytics_core::{AnalyticsEvent, EventCatalog};

#[derive(AnalyticsEvent)]
struct CommandRan {
    exit_code: i32,
}

struct FileChanged {
    path_count: u64,
}

#[derive(EventCatalog)]
enum ToolItemEvent {
    CommandRan(CommandRan),
    FileChanged(FileChanged),
}

fn main() {}
