//! Where a derived struct's members go: the one generated walk
//! ([`FieldSet::__members`](super::FieldSet::__members)) and its sinks.

use serde::ser::{SerializeMap, SerializeStruct, Serializer};

use super::FieldSet;
use crate::json;
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
/// members written as `,"key":value` with the key pre-escaped) or a serde map
/// ([`MapWriter`]). A derived [`FieldSet::__members`] is one call per member,
/// and each sink is written once here, so the two outputs cannot drift and
/// the derive emits one walk where it used to emit two.
pub trait Members {
    /// A member whose type is an analytics value.
    fn value<T: AnalyticsValue + ?Sized>(
        &mut self,
        name: &'static str,
        key: &'static [u8],
        value: &T,
    );

    /// A `#[analytics(pii)]` member: the client's PII policy applies when
    /// JSON is written; serde's output (the default) is the value as it is.
    #[inline]
    fn pii_value<T: AnalyticsValue + ?Sized>(
        &mut self,
        name: &'static str,
        key: &'static [u8],
        value: &T,
    ) {
        self.value(name, key, value);
    }

    /// A member written through serde (`#[analytics(serde)]`, `with`).
    fn serde<T: serde::Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        key: &'static [u8],
        value: &T,
    );

    /// A `#[analytics(pii)]` member written through serde (the policy as
    /// for [`Members::pii_value`]).
    #[inline]
    fn pii_serde<T: serde::Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        key: &'static [u8],
        value: &T,
    ) {
        self.serde(name, key, value);
    }
}

impl Members for Vec<u8> {
    #[inline]
    fn value<T: AnalyticsValue + ?Sized>(
        &mut self,
        _: &'static str,
        key: &'static [u8],
        value: &T,
    ) {
        value.__write_member(key, self);
    }

    #[inline]
    fn pii_value<T: AnalyticsValue + ?Sized>(
        &mut self,
        _: &'static str,
        key: &'static [u8],
        value: &T,
    ) {
        write_pii_member(self, key, value);
    }

    #[inline]
    fn serde<T: serde::Serialize + ?Sized>(
        &mut self,
        _: &'static str,
        key: &'static [u8],
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
        value: &T,
    ) {
        value.__serialize_member(self, name);
    }

    #[inline]
    fn serde<T: serde::Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        _: &'static [u8],
        value: &T,
    ) {
        self.entry(name, value);
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
