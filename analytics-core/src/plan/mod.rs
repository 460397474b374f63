//! Schemas and the tracking plan.
//!
//! The derives describe every event as a `'static` [`EventSchema`]. This module
//! turns those descriptions into documents that people and tools outside the
//! program read:
//!
//! - [`EventSchema::json_schema`] and [`TrackingPlan::json_schema`]: JSON
//!   Schema (draft 2020-12) of the wire envelope, for validators, warehouses
//!   and code generators (see [`json_schema`](mod@json_schema) for the mapping);
//! - [`TrackingPlan`]: an owned data model of every event, with a stable JSON
//!   rendering ([`TrackingPlan::to_json`], meant to be committed) and a
//!   Markdown one ([`TrackingPlan::to_markdown`], readable on GitHub);
//! - [`TrackingPlan::diff`]: the changes between two plans, each classified
//!   breaking or compatible ([`PlanDiff`]); the snapshot guard of
//!   [`crate::testing`] fails a test on a breaking change whose event version
//!   was not raised.
//!
//! ```
//! use analytics_core::{AnalyticsEvent, TrackingPlan};
//!
//! /// A page was opened.
//! #[derive(AnalyticsEvent)]
//! #[analytics(name = "page_opened")]
//! pub struct PageOpened {
//!     /// The page's path.
//!     #[analytics(non_empty)]
//!     pub path: String,
//!     /// Load time, when measured.
//!     pub load_ms: Option<u32>,
//! }
//!
//! let plan = TrackingPlan::from_events(&[PageOpened::schema()]);
//! let json = plan.to_json();
//! assert_eq!(TrackingPlan::from_json(&json).unwrap(), plan);
//! assert!(plan.to_markdown().contains("| `path` | string | yes |"));
//!
//! let schema = PageOpened::schema().json_schema();
//! assert_eq!(schema["properties"]["event_type"]["const"], "page_opened");
//! assert!(TrackingPlan::diff(&plan, &plan).changes().is_empty());
//! ```
//!
//! [`EventSchema`]: crate::EventSchema
//! [`EventSchema::json_schema`]: crate::EventSchema::json_schema

mod definitions;
mod diff;
mod document;
mod error;
mod from_schema;
pub mod json_schema;
mod markdown;
mod model;
mod pretty;
mod read;
#[cfg(test)]
mod tests;

pub use diff::{ChangeKind, PlanChange, PlanDiff};
pub use error::PlanError;
pub use model::{
    PlanEnum, PlanEnumValue, PlanEvent, PlanField, PlanObject, PlanRule, PlanType, PlanUnion,
    PlanVariant, PlanVariantShape, TrackingPlan, PLAN_FORMAT_VERSION,
};
pub use read::{MAX_EXPANDED_FIELDS, MAX_NESTING};
