//! Reading a tracking plan file.

use std::path::Path;

use analytics_core::TrackingPlan;
use anyhow::Context as _;

/// Reads and parses the tracking plan JSON at `path`.
pub fn read(path: &Path) -> anyhow::Result<TrackingPlan> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the plan {}", path.display()))?;
    TrackingPlan::from_json(&text)
        .map_err(|error| anyhow::anyhow!("{}: invalid plan: {error}", path.display()))
}
