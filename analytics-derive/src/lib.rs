//! Derive macros for `analytics-core`. Depend on `analytics-core` (feature
//! `derive`, on by default), which re-exports them next to their traits.
//!
//! Each derive runs the same pipeline (`expand::derive`), one module per
//! step and in one direction: `attr` parses the attributes once, `shape` and
//! `model` build the derive's view of the type, `check` validates the model
//! (every problem is collected, each on the span of the token to change),
//! and `expand` emits the code. On error the derive still emits a stub impl,
//! so the user sees the real error and not a cascade of follow-on ones.

mod attr;
mod case;
mod check;
mod expand;
mod model;
mod shape;
mod symbol;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// `#[derive(AnalyticsEvent)]`: an event params struct. See `analytics_core`.
#[proc_macro_derive(AnalyticsEvent, attributes(analytics, serde))]
pub fn derive_analytics_event(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive::<model::Event>(&input).into()
}

/// `#[derive(AnalyticsFields)]`: a reusable group of fields. See `analytics_core`.
#[proc_macro_derive(AnalyticsFields, attributes(analytics, serde))]
pub fn derive_analytics_fields(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive::<model::Struct>(&input).into()
}

/// `#[derive(AnalyticsEnum)]`: a closed set of string values. See `analytics_core`.
#[proc_macro_derive(AnalyticsEnum, attributes(analytics, serde))]
pub fn derive_analytics_enum(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive::<model::Enum>(&input).into()
}

/// `#[derive(EventCatalog)]`: an enum with one newtype variant per event. See `analytics_core`.
#[proc_macro_derive(EventCatalog, attributes(analytics))]
pub fn derive_event_catalog(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive::<model::Catalog>(&input).into()
}
