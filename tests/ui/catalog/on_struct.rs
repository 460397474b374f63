use analytics_core::EventCatalog;

#[derive(EventCatalog)]
struct ToolItemEvent {
    exit_code: i32,
}

fn main() {}
