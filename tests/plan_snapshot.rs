//! The committed tracking plan of the Codex events: fails on a breaking change
//! whose event version was not raised (see `analytics_core::testing`).
//!
//! After a deliberate change: `ANALYTICS_PLAN_UPDATE=1 cargo test --test plan_snapshot`,
//! then commit `examples/codex/tracking-plan.{json,md}`.

use analytics_core::testing::assert_plan_compatible_with_markdown;
use codex_analytics::ToolItemEvent;

#[test]
fn codex_tracking_plan_is_compatible() {
    // Link the Codex events in: the catalog lists only linked code.
    assert_eq!(ToolItemEvent::NAMES.len(), 7);
    assert_plan_compatible_with_markdown(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/codex/tracking-plan.json"
        ),
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/codex/tracking-plan.md"
        ),
    );
}
