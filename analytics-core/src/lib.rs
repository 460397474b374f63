//! Typed product-analytics events.
//!
//! `#[derive(AnalyticsEvent)]` on a params struct gives the event its wire
//! name, registers it in the process-wide [`catalog`], converts it into a
//! [`TrackEventRequest`], validates its fields, describes it as an
//! [`EventSchema`] and serializes it to the exact envelope the Codex analytics
//! crate sends: `{"event_type": "...", "event_params": {...}}`.
//!
//! ```
//! use analytics_core::{AnalyticsEnum, AnalyticsEvent, AnalyticsFields, TrackEventRequest};
//!
//! #[derive(AnalyticsFields)]
//! pub struct Base {
//!     #[analytics(non_empty)]
//!     pub thread_id: String,
//! }
//!
//! #[derive(AnalyticsEnum, Clone, Copy)]
//! #[serde(rename_all = "snake_case")]
//! pub enum Outcome { Completed, Failed }
//!
//! /// A shell command the agent ran.
//! #[derive(AnalyticsEvent)]
//! #[analytics(name = "command_ran")]
//! pub struct CommandRan {
//!     #[analytics(flatten)]
//!     pub base: Base,
//!     pub outcome: Outcome,
//!     #[analytics(range(min = -1, max = 255))]
//!     pub exit_code: Option<i32>,
//! }
//!
//! let event = CommandRan {
//!     base: Base { thread_id: "thread-1".into() },
//!     outcome: Outcome::Completed,
//!     exit_code: Some(0),
//! };
//! assert_eq!(CommandRan::EVENT_NAME, "command_ran");
//! event.validate().unwrap();
//! let request = TrackEventRequest::from(event);
//! let mut json = Vec::new();
//! request.write_json(&mut json);
//! assert_eq!(
//!     String::from_utf8(json).unwrap(),
//!     r#"{"event_type":"command_ran","event_params":{"thread_id":"thread-1","outcome":"completed","exit_code":0}}"#
//! );
//! ```
#![warn(missing_docs)]

pub mod catalog;
#[cfg(feature = "clickhouse")]
pub mod clickhouse;
#[cfg(feature = "client")]
pub mod client;
mod envelope;
mod event;
#[cfg(any(feature = "client", feature = "ingest"))]
pub mod failed;
mod identity;
#[cfg(feature = "ingest")]
pub mod ingest;
pub mod json;
pub mod plan;
pub mod rules;
pub mod schema;
pub mod testing;
mod validate;
mod value;

#[doc(hidden)]
#[path = "private/mod.rs"]
pub mod __private;

pub use envelope::{EventBatch, TrackEventRequest, Trackable};
pub use event::{AnalyticsEnum, AnalyticsEvent, AnalyticsFields, EventCatalog};
pub use identity::{IdentityKey, IdentityKeys};
pub use plan::{PlanChange, PlanDiff, TrackingPlan};
pub use schema::IdentityRole;
pub use schema::{
    Bound, EnumSchema, EnumValue, EventSchema, FieldSchema, FieldType, IntegerKind, ObjectSchema,
    Rule,
};
pub use schema::{SerdeSchema, Tagging, UnionSchema, UnionVariant, VariantShape};
pub use validate::{Path, ValidationError, ValidationErrors};
pub use value::{AnalyticsKey, AnalyticsValue, TaggedPayload};

#[cfg(feature = "clickhouse")]
pub use clickhouse::ClickHouseSink;
#[cfg(feature = "client")]
pub use client::{
    Client, ClientBuilder, DropCounts, DropReason, Envelope, JsonLinesSink, MemorySink, Metrics,
    PiiPolicy, RetryPolicy, Sink, SinkError, SinkErrorKind, StdoutSink, Timeout, TrackError,
};
#[cfg(feature = "http")]
pub use client::{HeaderProvider, HeaderRequest, HttpFormat, HttpSink, UnknownFormat};

/// `#[derive(AnalyticsEvent)]`: see the crate documentation.
#[cfg(feature = "derive")]
pub use analytics_derive::{AnalyticsEnum, AnalyticsEvent, AnalyticsFields, EventCatalog};
