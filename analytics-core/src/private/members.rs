//! Where a derived struct's members go: the one generated walk
//! ([`FieldSet::__members`](super::FieldSet::__members)) and its sinks.

use serde::ser::{SerializeMap, SerializeStruct, Serializer};

use super::FieldSet;
use crate::json;
use crate::validate::{Path, ValidationErrors};
use crate::value::AnalyticsValue;
use crate::AnalyticsEvent;

/// `Serialize` for a field set: a map of its members.
pub fn serialize_field_set<T: FieldSet, S: Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(value.__member_count()))?;
    let mut members = MapWriter::new(&mut map);
    value.__serialize_members(&mut members);
    members.finish()?;
    map.end()
}

/// A serde map written member by member, keeping the first error: once a
/// member fails, the later ones are skipped and [`MapWriter::finish`] returns
/// that error. Each generated member is then one call with no `?` (a branch
/// and an error path per member in a generic body is what borrow checking
/// of derived code spends its time on).
pub struct MapWriter<'m, M: SerializeMap> {
    map: &'m mut M,
    error: Option<M::Error>,
}

impl<'m, M: SerializeMap> MapWriter<'m, M> {
    /// Writes into `map`.
    #[inline]
    pub fn new(map: &'m mut M) -> Self {
        MapWriter { map, error: None }
    }

    /// Serializes `key: value`, unless a member before it failed.
    #[inline]
    pub fn entry<T: serde::Serialize + ?Sized>(&mut self, key: &'static str, value: &T) {
        if self.error.is_none() {
            if let Err(error) = self.map.serialize_entry(key, value) {
                self.error = Some(error);
            }
        }
    }

    /// The first member's error, if one failed.
    #[inline]
    pub fn finish(self) -> Result<(), M::Error> {
        match self.error {
            None => Ok(()),
            Some(error) => Err(error),
        }
    }
}

/// Where a derived struct's members go: the JSON writer (a `Vec<u8>`,
/// members written as `,"key":value` with the key pre-escaped), a serde map
/// ([`MapWriter`]), validation ([`Validation`]) or a count
/// ([`MemberCount`]). A derived [`FieldSet::__members`] is one call per
/// member (plus, for a field with rules, the rules), and each sink is
/// written once here: the outputs cannot drift, and the derive emits one walk
/// where it used to emit one body per output and one for validation.
///
/// Each member comes with its wire `name`, its pre-escaped `key` and the
/// Rust `field` name (the path of a validation error).
pub trait Members: Sized {
    /// A member whose type is an analytics value.
    fn value<T: AnalyticsValue + ?Sized>(
        &mut self,
        name: &'static str,
        key: &'static [u8],
        field: &'static str,
        value: &T,
    );

    /// A `#[analytics(pii)]` member: the client's PII policy applies when
    /// JSON is written; serde's output (the default) is the value as it is.
    #[inline]
    fn pii_value<T: AnalyticsValue + ?Sized>(
        &mut self,
        name: &'static str,
        key: &'static [u8],
        field: &'static str,
        value: &T,
    ) {
        self.value(name, key, field, value);
    }

    /// A member written through serde (`#[analytics(serde)]`, `with`).
    fn serde<T: serde::Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        key: &'static [u8],
        field: &'static str,
        value: &T,
    );

    /// A `#[analytics(pii)]` member written through serde (the policy as
    /// for [`Members::pii_value`]).
    #[inline]
    fn pii_serde<T: serde::Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        key: &'static [u8],
        field: &'static str,
        value: &T,
    ) {
        self.serde(name, key, field, value);
    }

    /// A flattened field: its members, inline. Validation goes below the
    /// field's path instead (and runs the base's struct-level checks).
    #[inline]
    fn flatten<B: FieldSet>(&mut self, field: &'static str, value: &B) {
        let _ = field;
        value.__members(self);
    }

    /// Where the rules of `field` report, when this sink validates: the
    /// field's path and the errors. A generated member with rules runs them
    /// only when this is `Some`, just before the member itself.
    #[inline]
    fn rules(&mut self, field: &'static str) -> Option<(Path<'_>, &mut ValidationErrors)> {
        let _ = field;
        None
    }

    /// Whether a member its `skip_if` leaves out of the output is walked
    /// anyway (validation checks every field, written or not).
    #[inline]
    fn every_member(&self) -> bool {
        false
    }
}

impl Members for Vec<u8> {
    #[inline]
    fn value<T: AnalyticsValue + ?Sized>(
        &mut self,
        _: &'static str,
        key: &'static [u8],
        _: &'static str,
        value: &T,
    ) {
        value.__write_member(key, self);
    }

    #[inline]
    fn pii_value<T: AnalyticsValue + ?Sized>(
        &mut self,
        _: &'static str,
        key: &'static [u8],
        _: &'static str,
        value: &T,
    ) {
        write_pii_member(self, key, value);
    }

    #[inline]
    fn serde<T: serde::Serialize + ?Sized>(
        &mut self,
        _: &'static str,
        key: &'static [u8],
        _: &'static str,
        value: &T,
    ) {
        self.extend_from_slice(key);
        json::write_serde(self, value);
    }

    #[inline]
    fn pii_serde<T: serde::Serialize + ?Sized>(
        &mut self,
        _: &'static str,
        key: &'static [u8],
        _: &'static str,
        value: &T,
    ) {
        write_pii_serde(self, key, value);
    }
}

impl<M: SerializeMap> Members for MapWriter<'_, M> {
    #[inline]
    fn value<T: AnalyticsValue + ?Sized>(
        &mut self,
        name: &'static str,
        _: &'static [u8],
        _: &'static str,
        value: &T,
    ) {
        value.__serialize_member(self, name);
    }

    #[inline]
    fn serde<T: serde::Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        _: &'static [u8],
        _: &'static str,
        value: &T,
    ) {
        self.entry(name, value);
    }
}

/// The member walk as validation: each member's nested values validated
/// below its Rust field's path, each field's rules run before it (see
/// [`Members::rules`]), every member walked, `skip_if` or not.
pub struct Validation<'a> {
    path: &'a Path<'a>,
    errors: &'a mut ValidationErrors,
}

impl<'a> Validation<'a> {
    /// Validates into `errors`, with paths below `path`.
    #[inline]
    pub fn new(path: &'a Path<'a>, errors: &'a mut ValidationErrors) -> Self {
        Validation { path, errors }
    }
}

impl Members for Validation<'_> {
    #[inline]
    fn value<T: AnalyticsValue + ?Sized>(
        &mut self,
        _: &'static str,
        _: &'static [u8],
        field: &'static str,
        value: &T,
    ) {
        value.__validate_member(field, self.path, self.errors);
    }

    #[inline]
    fn serde<T: serde::Serialize + ?Sized>(
        &mut self,
        _: &'static str,
        _: &'static [u8],
        field: &'static str,
        value: &T,
    ) {
        check_serializable(value, &self.path.field(field), self.errors);
    }

    #[inline]
    fn flatten<B: FieldSet>(&mut self, field: &'static str, value: &B) {
        value.__validate_into(&self.path.field(field), self.errors);
    }

    #[inline]
    fn rules(&mut self, field: &'static str) -> Option<(Path<'_>, &mut ValidationErrors)> {
        Some((self.path.field(field), &mut *self.errors))
    }

    #[inline]
    fn every_member(&self) -> bool {
        true
    }
}

/// Rule `serde` of a field written through serde: its `Serialize` must
/// succeed as JSON (a map with non-string keys fails), since `write_json`
/// cannot report an error.
pub fn check_serializable<T: serde::Serialize + ?Sized>(
    value: &T,
    path: &Path<'_>,
    errors: &mut ValidationErrors,
) {
    if let Err(problem) = serde_json::to_writer(std::io::sink(), value) {
        errors.push(
            path.render(),
            "serde",
            format!("cannot be written as JSON: {problem}"),
        );
    }
}

/// The member walk as a count of the members written (serde's
/// `serialize_map` length).
pub struct MemberCount(pub usize);

impl Members for MemberCount {
    #[inline]
    fn value<T: AnalyticsValue + ?Sized>(
        &mut self,
        _: &'static str,
        _: &'static [u8],
        _: &'static str,
        _: &T,
    ) {
        self.0 += 1;
    }

    #[inline]
    fn serde<T: serde::Serialize + ?Sized>(
        &mut self,
        _: &'static str,
        _: &'static [u8],
        _: &'static str,
        _: &T,
    ) {
        self.0 += 1;
    }
}

/// `Serialize` for an `EventCatalog` variant: the envelope.
pub fn serialize_envelope<E: AnalyticsEvent, S: Serializer>(
    event: &E,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut envelope = serializer.serialize_struct("TrackEventRequest", 2)?;
    envelope.serialize_field("event_type", E::NAME)?;
    envelope.serialize_field("event_params", event)?;
    envelope.end()
}

/// Writes the member `key` (`,"name":`, pre-escaped) of a `#[analytics(pii)]`
/// field: under the client's PII policy when `track` is writing (kept,
/// dropped, or its value hashed), as is otherwise.
#[inline]
pub fn write_pii_member<T: AnalyticsValue + ?Sized>(out: &mut Vec<u8>, key: &[u8], value: &T) {
    #[cfg(feature = "client")]
    crate::client::write_pii_member(out, key, |out| value.write_json(out));
    #[cfg(not(feature = "client"))]
    {
        out.extend_from_slice(key);
        value.write_json(out);
    }
}

/// [`write_pii_member`] for a field written through serde (`#[analytics(serde)]`, `with`).
#[inline]
pub fn write_pii_serde<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, key: &[u8], value: &T) {
    #[cfg(feature = "client")]
    crate::client::write_pii_member(out, key, |out| json::write_serde(out, value));
    #[cfg(not(feature = "client"))]
    {
        out.extend_from_slice(key);
        json::write_serde(out, value);
    }
}
