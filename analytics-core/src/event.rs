//! The traits the derives implement: [`AnalyticsEvent`] and [`AnalyticsFields`].

use crate::__private::FieldSet;
use crate::envelope::TrackEventRequest;
use crate::json;
use crate::schema::EventSchema;
use crate::validate::{Path, ValidationErrors};

/// A typed analytics event: a params struct with a wire name.
///
/// Derive it with `#[derive(AnalyticsEvent)]`; see the crate docs.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an analytics event",
    label = "expected a type that derives `AnalyticsEvent`",
    note = "add `#[derive(AnalyticsEvent)]` to `{Self}`"
)]
pub trait AnalyticsEvent: FieldSet + serde::Serialize + Send + Sync + 'static {
    /// The `event_type` written on the wire.
    const NAME: &'static str;

    /// The event's version (`#[analytics(version = N)]`, default 1).
    const VERSION: u32;

    /// `{"event_type":"<NAME>","event_params":` pre-escaped at compile time.
    #[doc(hidden)]
    const __ENVELOPE_PREFIX: &'static [u8];

    /// The event's declared facts, and its schema once built (the derive's
    /// `static`).
    #[doc(hidden)]
    const __DECL: &'static crate::__private::EventDecl;

    /// The event's schema: wire name, version, description, every wire field.
    #[inline]
    fn schema() -> &'static EventSchema {
        Self::__DECL.schema()
    }

    /// Checks every field rule and struct-level check; reports all violations.
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        self.__validate_into(&Path::ROOT, &mut errors);
        errors.into_result()
    }

    /// Appends the compact envelope `{"event_type":..,"event_params":{..}}`
    /// (with the `#[analytics(envelope)]` keys between the two),
    /// byte-identical to `serde_json::to_writer` of the same request.
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(Self::__ENVELOPE_PREFIX);
        self.write_params_json(out);
        out.push(b'}');
    }

    /// Appends the compact `event_params` object alone.
    #[inline]
    fn write_params_json(&self, out: &mut Vec<u8>) {
        json::write_object(out, |out| self.__write_members(out));
    }

    /// Writes the compact envelope to any `io::Write` (one `write_all`).
    fn write_json_to<W: std::io::Write>(&self, writer: W) -> std::io::Result<()>
    where
        Self: Sized,
    {
        json::write_to(writer, |out| self.write_json(out))
    }

    /// Serializes the envelope of this event (for `EventCatalog`; see
    /// `AnalyticsValue` on why generated code calls trait methods).
    #[doc(hidden)]
    fn __serialize_envelope<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>
    where
        Self: Sized,
    {
        crate::__private::serialize_envelope(self, serializer)
    }

    /// Why the event cannot be read back (it names the borrowed field, or
    /// `#[analytics(write_only)]`); empty when it can. An `EventCatalog` over
    /// a write-only event is a compile error with this text.
    #[doc(hidden)]
    const __WRITE_ONLY: &'static str = "";

    /// Deserializes `event_params` into this event (for `EventCatalog`);
    /// the default is a write-only event's: an error (the derive emits the
    /// reader of a readable event).
    #[doc(hidden)]
    fn __deserialize_params<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Self, D::Error>
    where
        Self: Sized,
    {
        let _ = deserializer;
        crate::__private::write_only(Self::NAME)
    }

    /// The wire names (and aliases) of the `#[analytics(envelope)]` fields:
    /// the top-level keys, besides `event_type` and `event_params`, that an
    /// `EventCatalog` reads into this event.
    #[doc(hidden)]
    const __ENVELOPE_KEYS: &'static [&'static str] = &[];

    /// Reads the value of the envelope key `key` into its slot; `false` if
    /// no envelope field of this event takes that key.
    #[doc(hidden)]
    fn __accept_envelope<'de, A: serde::de::MapAccess<'de>>(
        slots: &mut Self::Slots,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error>
    where
        Self: Sized,
    {
        let _ = (slots, key, map);
        Ok(false)
    }

    /// The declaration of every envelope field written, in declaration order.
    #[doc(hidden)]
    const __ENVELOPE_DECLS: &'static crate::__private::MemberDecls =
        &crate::__private::MemberDecls::EMPTY;

    /// Wraps the event in the dynamic [`TrackEventRequest`].
    fn into_request(self) -> TrackEventRequest
    where
        Self: Sized,
    {
        TrackEventRequest::new(self)
    }
}

/// A reusable group of fields (a base, or a nested object).
///
/// Derive it with `#[derive(AnalyticsFields)]`. An event includes a base with
/// `#[analytics(flatten)]` (or `#[serde(flatten)]`); a field whose type
/// derives `AnalyticsFields` without `flatten` is a nested JSON object.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a group of analytics fields",
    label = "`flatten` needs a type that derives `AnalyticsFields`",
    note = "add `#[derive(AnalyticsFields)]` to `{Self}`"
)]
pub trait AnalyticsFields: FieldSet {
    /// Checks every field rule and struct-level check; reports all violations.
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        self.__validate_into(&Path::ROOT, &mut errors);
        errors.into_result()
    }
}

/// An enum whose unit variants are the closed set of values of a field.
///
/// Derive it with `#[derive(AnalyticsEnum)]`; `#[serde(rename_all)]` and
/// `#[serde(rename)]` are honoured exactly as serde does.
pub trait AnalyticsEnum: Sized + 'static {
    /// The wire values, in declaration order.
    const VALUES: &'static [&'static str];

    /// The wire value of this variant.
    fn as_str(&self) -> &'static str;

    /// The variant whose wire value is `value`.
    fn from_wire(value: &str) -> Option<Self>;
}

/// An enum of events (`#[derive(EventCatalog)]`): one newtype variant per
/// event, for code that wants an exhaustive `match`.
pub trait EventCatalog: serde::Serialize + for<'de> serde::Deserialize<'de> {
    /// Every event name of the catalog, in declaration order.
    const NAMES: &'static [&'static str];

    /// The wire name of the event inside.
    fn event_type(&self) -> &'static str;

    /// Validates the event inside.
    fn validate(&self) -> Result<(), ValidationErrors>;

    /// Appends the compact envelope of the event inside.
    fn write_json(&self, out: &mut Vec<u8>);

    /// The schema of the event inside, from its own type (never looked up by
    /// name: two types may claim one name). The derive provides it; the
    /// default, for hand-written impls, is `None`.
    fn event_schema(&self) -> Option<&'static crate::schema::EventSchema> {
        None
    }

    /// `write_json` is the derived writer, which applies the client's PII
    /// policy as it writes; `false` for a hand-written impl, whose bytes the
    /// client scans instead.
    #[doc(hidden)]
    const __PII_AT_WRITE: bool = false;

    /// Writes the compact envelope of the event inside to any `io::Write`.
    fn write_json_to<W: std::io::Write>(&self, writer: W) -> std::io::Result<()>
    where
        Self: Sized,
    {
        json::write_to(writer, |out| self.write_json(out))
    }
}
