//! Reading: the helpers of derived `Deserialize` impls and of `EventCatalog`.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::FieldSet;
use crate::{AnalyticsEnum, AnalyticsEvent};

/// A map key, borrowed when the input allows it.
pub struct Key<'de>(Cow<'de, str>);

impl Key<'_> {
    /// The key's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// Reads the value of a field written through serde (`#[analytics(serde)]`,
/// `deserialize_with`) into its slot; a second value for the same key is
/// serde's `duplicate field` error; `Ok(true)`, as `__next_member`.
#[inline]
pub fn next_serde_member<'de, A: MapAccess<'de>, T: de::Deserialize<'de>>(
    slot: &mut Option<T>,
    key: &'static str,
    map: &mut A,
) -> Result<bool, A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(key));
    }
    *slot = Some(map.next_value()?);
    Ok(true)
}

/// The position of `key` among `names` (a struct's wire names and
/// aliases, as the derive lists them), `usize::MAX` when none: a generated
/// reader matches on this index, not on strings (one comparison loop here
/// rather than a string `match` per struct).
#[inline]
pub fn key_index(key: &str, names: &[&str]) -> usize {
    let mut i = 0;
    while i < names.len() {
        if names[i] == key {
            return i;
        }
        i += 1;
    }
    usize::MAX
}

/// The value of a `deserialize_with` field that was not in the input:
/// serde's `missing field` error, `Option` or not (serde's own rule).
pub fn missing_with_member<T, E: de::Error>(slot: Option<T>, key: &'static str) -> Result<T, E> {
    slot.ok_or_else(|| de::Error::missing_field(key))
}

/// [`missing_with_member`] into the slot, when it is empty; its error
/// kept in `error` unless one is there already.
#[inline]
pub fn fill_with_member<T, E: de::Error>(
    slot: &mut Option<T>,
    key: &'static str,
    error: &mut Option<E>,
) {
    if slot.is_none() && error.is_none() {
        *error = Some(de::Error::missing_field(key));
    }
}

/// [`missing_member`] into the slot, when it is empty; its error kept in
/// `error` unless one is there already.
#[inline]
pub fn fill_member<T: de::DeserializeOwned, E: de::Error>(
    slot: &mut Option<T>,
    key: &'static str,
    error: &mut Option<E>,
) {
    if slot.is_none() {
        keep(missing_member(None, key), slot, error);
    }
}

/// `result` into `slot`, or its error into `error` unless one is there
/// already (a derived `__finish` reports the first).
#[inline]
pub fn keep<T, E>(result: Result<T, E>, slot: &mut Option<T>, error: &mut Option<E>) {
    match result {
        Ok(value) => *slot = Some(value),
        Err(failure) => {
            if error.is_none() {
                *error = Some(failure);
            }
        }
    }
}

/// A flattened field's `__finish`: its value, or `None` with its error kept
/// in `error` unless one is there already.
#[inline]
pub fn keep_error<T, E>(result: Result<T, E>, error: &mut Option<E>) -> Option<T> {
    let mut slot = None;
    keep(result, &mut slot, error);
    slot
}

/// The value of a slot that `__finish` filled (or of a flattened field),
/// once it has checked that no fill failed.
#[inline(always)]
pub fn filled<T>(slot: Option<T>) -> T {
    match slot {
        Some(value) => value,
        None => unfilled(),
    }
}

/// Out of line, so that each field's extraction is one test and one jump.
#[cold]
#[inline(never)]
fn unfilled() -> ! {
    unreachable!("analytics-core: a slot is read before it is filled")
}

/// Reads a member's value into its slot; a second value for the same key is serde's `duplicate field` error.
#[inline]
pub fn next_member<'de, A: MapAccess<'de>, T: de::DeserializeOwned>(
    slot: &mut Option<T>,
    key: &'static str,
    map: &mut A,
) -> Result<(), A::Error> {
    next_serde_member(slot, key, map).map(|_| ())
}

/// The value of a member that was not in the input: `None` for an `Option`,
/// serde's `missing field` error otherwise (serde's own rule).
pub fn missing_member<T: de::DeserializeOwned, E: de::Error>(
    slot: Option<T>,
    key: &'static str,
) -> Result<T, E> {
    match slot {
        Some(value) => Ok(value),
        None => T::deserialize(MissingField::<E>(key, PhantomData)),
    }
}

/// A deserializer for an absent key: `None` to an `Option`, an error to anything else.
struct MissingField<E>(&'static str, PhantomData<E>);

impl<'de, E: de::Error> Deserializer<'de> for MissingField<E> {
    type Error = E;
    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, E> {
        Err(de::Error::missing_field(self.0))
    }
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_none()
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// `Deserialize` for a field set: a map whose keys go to their slots; unknown
/// keys are ignored (serde's default).
pub fn deserialize_field_set<'de, T: FieldSet, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    deserializer.deserialize_map(FieldSetVisitor::<T>(PhantomData))
}

struct FieldSetVisitor<T>(PhantomData<T>);

impl<'de, T: FieldSet> Visitor<'de> for FieldSetVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "struct {}", T::TYPE_NAME)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut slots = T::Slots::default();
        fill_slots::<T, A>(&mut slots, &mut map)?;
        T::__finish(slots)
    }
}

/// Reads every member of `map` into the slots of `T`.
fn fill_slots<'de, T: FieldSet, A: MapAccess<'de>>(
    slots: &mut T::Slots,
    map: &mut A,
) -> Result<(), A::Error> {
    while let Some(key) = map.next_key::<Key<'de>>()? {
        if !T::__accept(slots, key.as_str(), map)? {
            if T::DENY_UNKNOWN_FIELDS {
                return Err(de::Error::unknown_field(
                    &quoted(key.as_str()),
                    T::NAMES.own,
                ));
            }
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(())
}

/// Reads an event with `#[analytics(envelope)]` fields: `params` (the
/// `event_params` object) into its params fields, then the top-level keys in
/// `envelope` into its envelope fields (keys no field takes are ignored, as
/// every unknown top-level key is). A required envelope key that is absent is
/// serde's `missing field` error.
pub fn deserialize_event<E: AnalyticsEvent>(
    params: serde_json::Value,
    envelope: serde_json::Map<String, serde_json::Value>,
) -> Result<E, serde_json::Error> {
    if E::__ENVELOPE_KEYS.is_empty() {
        return E::__deserialize_params(params);
    }
    struct Params<'s, E: FieldSet>(&'s mut E::Slots);
    impl<'de, E: FieldSet> Visitor<'de> for Params<'_, E> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "struct {}", E::TYPE_NAME)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            fill_slots::<E, A>(self.0, &mut map)
        }
    }
    struct Envelope<'s, E: FieldSet>(&'s mut E::Slots);
    impl<'de, E: AnalyticsEvent> Visitor<'de> for Envelope<'_, E> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "the envelope keys of {}", E::NAME)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<Key<'de>>()? {
                if !E::__accept_envelope(self.0, key.as_str(), &mut map)? {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(())
        }
    }
    let mut slots = E::__new_slots();
    params.deserialize_map(Params::<E>(&mut slots))?;
    serde_json::Value::Object(envelope).deserialize_map(Envelope::<E>(&mut slots))?;
    E::__finish(slots)
}

/// What an `EventCatalog` enum gives the envelope deserializer.
pub trait CatalogDispatch: Sized {
    /// Every event name of the catalog, in declaration order.
    const NAMES: &'static [&'static str];
    /// The enum's name, for `expecting`.
    const TYPE_NAME: &'static str;
    /// Deserializes `event_params` of the event named `name`; `None` when no
    /// variant has that name.
    fn deserialize_params<'de, D: Deserializer<'de>>(
        name: &str,
        params: D,
    ) -> Result<Option<Self>, D::Error>;
    /// The envelope keys of the event named `name` (empty for most events,
    /// and for a name no variant has).
    fn envelope_keys(name: &str) -> &'static [&'static str];
    /// Reads the event named `name` from its buffered `event_params` and
    /// top-level envelope keys (see [`deserialize_event`]).
    fn deserialize_event(
        name: &str,
        params: serde_json::Value,
        envelope: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Option<Self>, serde_json::Error>;
}

/// `Deserialize` for an `EventCatalog` enum: dispatch on `event_type`, with
/// the two keys in either order.
pub fn deserialize_catalog<'de, C: CatalogDispatch, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<C, D::Error> {
    deserializer.deserialize_map(CatalogVisitor::<C>(PhantomData))
}

/// The longest input text an error message quotes whole.
const QUOTED_MAX: usize = 128;

/// `text`, or its start and its length when it is longer than [`QUOTED_MAX`]
/// (an error must not echo megabytes of input).
fn quoted(text: &str) -> Cow<'_, str> {
    if text.len() <= QUOTED_MAX {
        return Cow::Borrowed(text);
    }
    let mut end = QUOTED_MAX / 2;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}… ({} bytes)", &text[..end], text.len()))
}

/// The error for an `event_type` no variant has.
pub fn unknown_event_type<E: de::Error>(name: &str, known: &[&str]) -> E {
    let known = known
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ");
    E::custom(format_args!(
        "unknown event type `{}`, expected one of {known}",
        quoted(name)
    ))
}

/// `Deserialize` for an `AnalyticsEnum`: its wire value; anything else is
/// an error that lists the values allowed.
pub fn deserialize_enum<'de, T: AnalyticsEnum, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    struct EnumVisitor<T>(PhantomData<T>);
    impl<T: AnalyticsEnum> Visitor<'_> for EnumVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("one of ")?;
            for (i, value) in T::VALUES.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "`{value}`")?;
            }
            Ok(())
        }
        fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
            T::from_wire(value).ok_or_else(|| E::unknown_variant(&quoted(value), T::VALUES))
        }
    }
    deserializer.deserialize_identifier(EnumVisitor::<T>(PhantomData))
}

/// A JSON value read with every object checked for a key written twice
/// (serde_json's `Value` keeps the last one): what a buffered
/// `event_params` is read into, so that both envelope key orders reject a
/// duplicate alike.
struct UniqueKeys(serde_json::Value);

impl<'de> de::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde_json::Value;
        struct UniqueVisitor;
        impl<'de> Visitor<'de> for UniqueVisitor {
            type Value = UniqueKeys;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys(Value::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys(Value::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys(Value::from(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys(Value::String(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys(Value::String(v)))
            }
            fn visit_unit<E>(self) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys(Value::Null))
            }
            fn visit_none<E>(self) -> Result<UniqueKeys, E> {
                Ok(UniqueKeys(Value::Null))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<UniqueKeys, D::Error> {
                de::Deserialize::deserialize(d)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
                let mut items = Vec::new();
                while let Some(UniqueKeys(item)) = seq.next_element()? {
                    items.push(item);
                }
                Ok(UniqueKeys(Value::Array(items)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
                let mut object = serde_json::Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    if object.contains_key(&key) {
                        return Err(de::Error::custom(format_args!(
                            "duplicate field `{}`",
                            quoted(&key)
                        )));
                    }
                    let UniqueKeys(value) = map.next_value()?;
                    object.insert(key, value);
                }
                Ok(UniqueKeys(Value::Object(object)))
            }
        }
        deserializer.deserialize_any(UniqueVisitor)
    }
}

struct CatalogVisitor<C>(PhantomData<C>);

struct ParamsSeed<'a, C> {
    name: &'a str,
    marker: PhantomData<C>,
}

impl<'de, C: CatalogDispatch> DeserializeSeed<'de> for ParamsSeed<'_, C> {
    type Value = C;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<C, D::Error> {
        match C::deserialize_params(self.name, deserializer)? {
            Some(event) => Ok(event),
            None => Err(unknown_event_type(self.name, C::NAMES)),
        }
    }
}

impl<'de, C: CatalogDispatch> Visitor<'de> for CatalogVisitor<C> {
    type Value = C;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an event envelope of {} ({{\"event_type\": .., \"event_params\": {{..}}}})",
            C::TYPE_NAME
        )
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<C, A::Error> {
        let mut name: Option<String> = None;
        // `event_params` seen before `event_type`: kept as a JSON value until
        // the name is known (JSON objects are unordered).
        let mut buffered: Option<serde_json::Value> = None;
        let mut event: Option<C> = None;
        // The top-level keys besides the two, for an event with envelope
        // fields: kept until the event is known, then read into it.
        let mut envelope = serde_json::Map::new();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match key.as_str() {
                "event_type" => {
                    if name.is_some() {
                        return Err(de::Error::duplicate_field("event_type"));
                    }
                    let value: String = map.next_value()?;
                    if !C::NAMES.contains(&value.as_str()) {
                        return Err(unknown_event_type(&value, C::NAMES));
                    }
                    name = Some(value);
                }
                "event_params" => {
                    if event.is_some() || buffered.is_some() {
                        return Err(de::Error::duplicate_field("event_params"));
                    }
                    match &name {
                        // Streamed into the event, unless it has envelope
                        // keys that may still follow.
                        Some(name) if C::envelope_keys(name).is_empty() => {
                            event = Some(map.next_value_seed(ParamsSeed::<C> {
                                name,
                                marker: PhantomData,
                            })?);
                        }
                        _ => buffered = Some(map.next_value::<UniqueKeys>()?.0),
                    }
                }
                other => {
                    // Unknown top-level keys are ignored (serde's default),
                    // and kept only when an event could read them.
                    let wanted = match &name {
                        Some(name) => C::envelope_keys(name).contains(&other),
                        None => C::NAMES
                            .iter()
                            .any(|name| C::envelope_keys(name).contains(&other)),
                    };
                    if !wanted {
                        map.next_value::<IgnoredAny>()?;
                    } else if envelope.contains_key(other) {
                        return Err(de::Error::custom(format_args!(
                            "duplicate field `{}`",
                            quoted(other)
                        )));
                    } else {
                        let value = map.next_value::<UniqueKeys>()?.0;
                        envelope.insert(other.to_owned(), value);
                    }
                }
            }
        }
        let name = name.ok_or_else(|| de::Error::missing_field("event_type"))?;
        if let Some(event) = event {
            return Ok(event);
        }
        let params = buffered.ok_or_else(|| de::Error::missing_field("event_params"))?;
        match C::deserialize_event(&name, params, envelope) {
            Ok(Some(event)) => Ok(event),
            Ok(None) => Err(unknown_event_type(&name, C::NAMES)),
            Err(error) => Err(de::Error::custom(error)),
        }
    }
}
