use analytics_core::EventCatalog;

#[derive(EventCatalog)]
enum ToolItemEvent {}

fn main() {}
