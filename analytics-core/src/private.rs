//! Items that generated code uses. Not public API: no semver guarantee.
//!
//! Generated code reaches the runtime only through `::analytics_core::__private`
//! (or `<crate = path>::__private`), so it compiles in any user crate.
//!
//! Over 600 lines on purpose: this is the one list of what generated code may
//! call (the traits, serialize, deserialize, schema and catalog helpers, in
//! that order of sections), kept in one file so that a change to the derive's
//! contract is one diff; its schema builders are shared with the plan code.

use std::any::TypeId;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeMap, SerializeStruct, Serializer};

pub use crate::envelope::TrackEventRequest;
pub use crate::json;
pub use crate::rules;
pub use crate::schema::{
    Bound, EnumSchema, EnumValue, EventSchema, FieldSchema, FieldType, IdentityRole, ObjectSchema,
    Rule, SerdeSchema, Tagging, UnionSchema, UnionVariant, VariantShape,
};
pub use crate::validate::{Path, ValidationErrors};
pub use crate::value::{AnalyticsValue, TaggedPayload};
pub use crate::{AnalyticsEnum, AnalyticsEvent, AnalyticsFields, EventCatalog};
pub use ::core;
pub use inventory;
pub use serde;
pub use std::sync::OnceLock;

/// A buffered JSON value (an `event_params` object read before its name).
pub type JsonValue = serde_json::Value;
/// The buffered top-level envelope keys of one event.
pub type JsonMap = serde_json::Map<String, serde_json::Value>;
/// The error of reading a buffered value.
pub type JsonError = serde_json::Error;

pub use ::core::{
    clone::Clone, default::Default, fmt::Formatter, marker::Copy, marker::Sized, option::Option,
    result::Result,
};
pub use ::std::{boxed::Box, string::String, vec::Vec};
// Primitive types by path: generated code compiles when the user's crate has
// its own types named `u8`, `str`, `bool`... in scope.
pub use ::core::primitive::{bool, str, u32, u8, usize};

/// The machinery shared by events and groups of fields: what a derive needs
/// from the types it flattens, nests or dispatches to.
///
/// Its `on_unimplemented` is `AnalyticsFields`'s: the trait is only named by
/// generated code for a flattened field, and the user must derive that.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a group of analytics fields",
    label = "`flatten` needs a type that derives `AnalyticsFields`",
    note = "`flatten` inlines the fields of a struct that derives `AnalyticsFields`: derive it on `{Self}`, or remove `flatten`"
)]
pub trait FieldSet: Sized {
    /// The Rust type name, for serde's `expecting` messages.
    const TYPE_NAME: &'static str;

    /// The wire names this type writes (its own and its flattened bases'), for
    /// the compile-time collision check.
    const NAMES: NameSet;

    /// The paths of its struct-level `#[analytics(check = path)]` functions.
    const CHECKS: &'static [&'static str] = &[];

    /// Validates into `errors`, with paths below `path`.
    fn __validate_into(&self, path: &Path<'_>, errors: &mut ValidationErrors);

    /// Hands every member written to `members`, in order: the one generated
    /// walk behind both the JSON writer and `Serialize`.
    fn __members<M: Members>(&self, members: &mut M);

    /// Appends `,"key":value` for every member written.
    #[inline]
    fn __write_members(&self, out: &mut Vec<u8>) {
        self.__members(out);
    }

    /// Serializes every member written into a serde map (the first error is
    /// kept in `map`, see [`MapWriter`]).
    #[inline]
    fn __serialize_members<M: SerializeMap>(&self, map: &mut MapWriter<'_, M>) {
        self.__members(map);
    }

    /// How many members are written (for `serialize_map`'s length hint).
    fn __member_count(&self) -> usize;

    /// Appends the schema of every wire field; `prefix` is the Rust path of the
    /// flattened field this type sits in (empty at the top).
    fn __field_schemas(prefix: &str, out: &mut Vec<FieldSchema>);

    /// `false` for a write-only struct (a borrowed field, or
    /// `#[analytics(write_only)]`): its reading items below are errors, and a
    /// readable struct that flattens it does not compile.
    const __READABLE: bool = true;

    /// `#[serde(deny_unknown_fields)]`: a key no field takes is an error.
    const DENY_UNKNOWN_FIELDS: bool = false;

    /// Partial state while deserializing: one slot per field.
    type Slots: Default;

    /// Empty slots (generated code calls this rather than `Default::default`,
    /// so a flattened type that is not a `FieldSet` is one diagnostic).
    #[inline]
    fn __new_slots() -> Self::Slots {
        Default::default()
    }

    /// Deserializes the value for `key` into its slot; `false` if the key is
    /// not ours. The default is a write-only struct's: an error that nothing
    /// reaches (the derive emits the reader of a readable struct).
    fn __accept<'de, A: MapAccess<'de>>(
        slots: &mut Self::Slots,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        let _ = (slots, key, map);
        write_only(Self::TYPE_NAME)
    }

    /// Builds the value once every key was read; a missing key is serde's
    /// `missing_field` error (an `Option` field becomes `None`). The default
    /// is a write-only struct's, as for [`FieldSet::__accept`].
    fn __finish<E: de::Error>(slots: Self::Slots) -> Result<Self, E> {
        let _ = slots;
        write_only(Self::TYPE_NAME)
    }
}

/// The wire names of a type, as a tree: its own fields plus its flattened bases.
///
/// Each name comes with its [`name_hash`], computed by the derive, so that the
/// compile-time collision check compares integers, not strings: const
/// evaluation is an interpreter, and string loops made it the largest part of
/// a crate's compile time.
#[derive(Clone, Copy)]
pub struct NameSet {
    /// Wire names of the type's own fields.
    pub own: &'static [&'static str],
    /// `name_hash` of each of `own`.
    pub hashes: &'static [u64],
    /// The name sets of the flattened bases.
    pub flattened: &'static [&'static NameSet],
    /// [`name_bit`] of every name of the set, its bases' included: most
    /// names are ruled out by one test, not a walk of the tree.
    pub bloom: u128,
}

/// The bit of a name (of its [`name_hash`]) in [`NameSet::bloom`] (the
/// derive computes the same value at expansion).
pub const fn name_bit(hash: u64) -> u128 {
    1 << (hash >> 57)
}

/// FNV-1a of a wire name (the derive computes the same value at expansion).
pub const fn name_hash(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

impl NameSet {
    /// Whether `name` (whose hash is `hash`) is written by this type.
    pub const fn contains_hashed(&self, name: &str, hash: u64) -> bool {
        if self.bloom & name_bit(hash) == 0 {
            return false;
        }
        let mut i = 0;
        while i < self.hashes.len() {
            if self.hashes[i] == hash && str_eq(self.own[i], name) {
                return true;
            }
            i += 1;
        }
        let mut j = 0;
        while j < self.flattened.len() {
            if self.flattened[j].contains_hashed(name, hash) {
                return true;
            }
            j += 1;
        }
        false
    }

    /// Whether the two sets share a name.
    pub const fn intersects(&self, other: &NameSet) -> bool {
        let mut i = 0;
        if self.bloom & other.bloom == 0 {
            return false;
        }
        while i < self.own.len() {
            if other.contains_hashed(self.own[i], self.hashes[i]) {
                return true;
            }
            i += 1;
        }
        let mut j = 0;
        while j < self.flattened.len() {
            if self.flattened[j].intersects(other) {
                return true;
            }
            j += 1;
        }
        false
    }
}

/// The index of the first of a set's own names that one of its flattened
/// bases also writes, `usize::MAX` when none: one const evaluation per struct,
/// matched against one arm per field. Slices and an index, not arrays by value
/// and an array of flags: const evaluation copies whatever it is handed.
pub const fn first_collision(set: &NameSet) -> usize {
    let (names, hashes, bases) = (set.own, set.hashes, set.flattened);
    let mut i = 0;
    while i < names.len() {
        let mut j = 0;
        while j < bases.len() {
            if bases[j].contains_hashed(names[i], hashes[i]) {
                return i;
            }
            j += 1;
        }
        i += 1;
    }
    usize::MAX
}

/// Fails compilation with `message` (called in the arm of a `const` item's
/// `match` whose tokens carry the user's field span).
#[track_caller]
pub const fn collided(message: &'static str) -> ! {
    panic!("{}", message)
}

/// Fails compilation when an `EventCatalog` (which reads its events back)
/// holds a write-only event; `reason` names the event and its field.
#[track_caller]
pub const fn readable_in_catalog(reason: &'static str) {
    if !reason.is_empty() {
        panic!("{}", reason);
    }
}

/// What a borrowed or write-only value "reads": nothing, ever. Its
/// `Deserialize` fails; no struct that reads is built over it.
pub enum Unreadable {}

impl<'de> de::Deserialize<'de> for Unreadable {
    fn deserialize<D: Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(de::Error::custom(
            "a borrowed or write-only value cannot be read back",
        ))
    }
}

/// The reading items of a write-only struct: unreachable (nothing that
/// reads compiles over it), an error if called anyway.
pub fn write_only<T, E: de::Error>(name: &str) -> Result<T, E> {
    Err(E::custom(format_args!(
        "`{name}` is write-only: it cannot be read back"
    )))
}

/// `a == b`, usable in `const` assertions.
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

// ---------------------------------------------------------------- serialize

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

// -------------------------------------------------------------- deserialize

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

// ------------------------------------------------------------------ schema

/// One member of a field set, as the derive declares it: a `static` table of
/// these per struct is all the schema code a derive emits, and
/// [`field_schemas`] (one function, not one per struct) turns it into
/// [`FieldSchema`]s.
pub enum MemberDecl {
    /// A field of the struct.
    Field(FieldDecl),
    /// A flattened field: the members of its type, below its Rust name.
    Flatten {
        /// The flattened field's Rust name (a prefix of its members' paths).
        rust_name: &'static str,
        /// `<Type as FieldSet>::__field_schemas`.
        schemas: fn(&str, &mut Vec<FieldSchema>),
    },
}

/// The declared facts of one wire field (see [`MemberDecl`]).
pub struct FieldDecl {
    /// The wire name.
    pub name: &'static str,
    /// The Rust name (the last part of [`FieldSchema::rust_path`]).
    pub rust_name: &'static str,
    /// The key is always written (no `skip_serializing_if`).
    pub required: bool,
    /// From the doc comment.
    pub description: &'static str,
    /// The rules declared on the field.
    pub rules: &'static [Rule],
    /// `#[analytics(pii)]`.
    pub pii: bool,
    /// The deprecation note.
    pub deprecated: Option<&'static str>,
    /// `#[analytics(user_id)]` / `#[analytics(anonymous_id)]`.
    pub identity: Option<IdentityRole>,
    /// Where the wire type comes from.
    pub ty: TypeDecl,
}

/// Where a field's wire type comes from.
pub enum TypeDecl {
    /// An analytics value: `<Type as AnalyticsValue>::field_type` and `::nullable`.
    Value(fn() -> FieldType, fn() -> bool),
    /// A field written through serde: `Any`, or `Serde` with the user's JSON
    /// Schema; and whether it is an `Option`.
    Serde(FieldType, bool),
}

/// Appends the schemas of `members`; `prefix` is the Rust path of the
/// flattened field they sit in (empty at the top).
pub fn field_schemas(members: &'static [MemberDecl], prefix: &str, out: &mut Vec<FieldSchema>) {
    for member in members {
        match member {
            MemberDecl::Field(field) => out.push(field.schema(prefix)),
            MemberDecl::Flatten { rust_name, schemas } => {
                schemas(&join_prefix(prefix, rust_name), out);
            }
        }
    }
}

// The derive builds each `FieldDecl` with these `const fn`s rather than a
// struct literal: a literal repeats nine field expressions and two fn-pointer
// coercions per field, all type-checked and borrow-checked in the user's
// crate; a call names the type's `__TYPE_DECL` and only the facts that differ
// from the defaults (measured: the schema tables were about a third of a
// write-only crate's compile time).
impl FieldDecl {
    /// A required field of type `ty` (`<T as AnalyticsValue>::__TYPE_DECL`,
    /// or [`TypeDecl::Serde`] for a field written through serde): no rules,
    /// not PII, not deprecated, no identity role.
    pub const fn new(
        name: &'static str,
        rust_name: &'static str,
        description: &'static str,
        ty: TypeDecl,
    ) -> FieldDecl {
        FieldDecl {
            name,
            rust_name,
            required: true,
            description,
            rules: &[],
            pii: false,
            deprecated: None,
            identity: None,
            ty,
        }
    }

    /// The rules declared on the field.
    pub const fn rules(self, rules: &'static [Rule]) -> FieldDecl {
        FieldDecl { rules, ..self }
    }

    /// The key may be left out (`skip_serializing_if`).
    pub const fn optional(self) -> FieldDecl {
        FieldDecl {
            required: false,
            ..self
        }
    }

    /// `#[analytics(pii)]`.
    pub const fn pii(self) -> FieldDecl {
        FieldDecl { pii: true, ..self }
    }

    /// `#[deprecated]` with its note.
    pub const fn deprecated(self, note: &'static str) -> FieldDecl {
        FieldDecl {
            deprecated: Some(note),
            ..self
        }
    }

    /// `#[analytics(user_id)]` / `#[analytics(anonymous_id)]` (from
    /// [`identity_field`], which checks the field's type).
    pub const fn identity(self, role: Option<IdentityRole>) -> FieldDecl {
        FieldDecl {
            identity: role,
            ..self
        }
    }

    /// The field's schema, its Rust path below `prefix`.
    fn schema(&'static self, prefix: &str) -> FieldSchema {
        let rust_path: &'static str = if prefix.is_empty() {
            self.rust_name
        } else {
            Box::leak(format!("{prefix}.{}", self.rust_name).into_boxed_str())
        };
        let (ty, nullable) = match self.ty {
            TypeDecl::Value(ty, nullable) => (ty(), nullable()),
            TypeDecl::Serde(ty, nullable) => (ty, nullable),
        };
        FieldSchema {
            name: self.name,
            rust_path,
            ty,
            required: self.required,
            nullable,
            description: self.description,
            rules: self.rules,
            pii: self.pii,
            deprecated: self.deprecated,
            identity: self.identity,
        }
    }
}

/// The Rust path of a flattened field below `prefix`.
pub fn join_prefix(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// The declared facts of an event, read by [`event_schema`] (one function
/// for every event, not one instance per event type).
pub struct EventDecl {
    /// `AnalyticsEvent::NAME`.
    pub name: &'static str,
    /// `AnalyticsEvent::VERSION`.
    pub version: u32,
    /// From the doc comment.
    pub description: &'static str,
    /// The Rust type name.
    pub rust_type: &'static str,
    /// `FieldSet::CHECKS`.
    pub checks: &'static [&'static str],
    /// `#[analytics(write_only)]` or a borrowed field.
    pub write_only: bool,
    /// `<Event as FieldSet>::__field_schemas`.
    pub fields: fn(&str, &mut Vec<FieldSchema>),
    /// `<Event as AnalyticsEvent>::__envelope_schemas`.
    pub envelope: fn(&mut Vec<FieldSchema>),
}

/// Builds (once) and leaks the schema of an event.
pub fn event_schema(
    cell: &'static OnceLock<EventSchema>,
    decl: &'static EventDecl,
) -> &'static EventSchema {
    if let Some(schema) = cell.get() {
        return schema;
    }
    let _building = crate::schema::building::enter(None);
    cell.get_or_init(|| {
        let mut fields = Vec::new();
        (decl.fields)("", &mut fields);
        let mut envelope = Vec::new();
        (decl.envelope)(&mut envelope);
        EventSchema {
            name: decl.name,
            version: decl.version,
            description: decl.description,
            fields: Box::leak(fields.into_boxed_slice()),
            rust_type: decl.rust_type,
            envelope: Box::leak(envelope.into_boxed_slice()),
            checks: decl.checks,
            write_only: decl.write_only,
        }
    })
}

/// The type of a field holding a nested object `T`: `FieldType::Object` of
/// its schema (built once), or `FieldType::Ref` of its name when asked while
/// that schema is being built on this thread (a recursive type).
pub fn object_type<T: FieldSet + 'static>(
    cell: &'static OnceLock<ObjectSchema>,
    description: &'static str,
) -> FieldType {
    if let Some(schema) = cell.get() {
        return FieldType::Object(schema);
    }
    if crate::schema::building::contains(TypeId::of::<T>()) {
        return FieldType::Ref(T::TYPE_NAME);
    }
    FieldType::Object(object_schema::<T>(cell, description))
}

/// Builds (once) and leaks the schema of a nested object (see [`object_type`]
/// for a field's type, which handles recursive types).
pub fn object_schema<T: FieldSet + 'static>(
    cell: &'static OnceLock<ObjectSchema>,
    description: &'static str,
) -> &'static ObjectSchema {
    if let Some(schema) = cell.get() {
        return schema;
    }
    let _building = crate::schema::building::enter(Some(TypeId::of::<T>()));
    let schema = cell.get_or_init(|| {
        let mut fields = Vec::new();
        T::__field_schemas("", &mut fields);
        ObjectSchema {
            name: T::TYPE_NAME,
            description,
            fields: Box::leak(fields.into_boxed_slice()),
            checks: T::CHECKS,
        }
    });
    crate::schema::building::built_object(schema);
    schema
}

/// A serde_json serializer that writes nowhere: a field of an enum variant
/// written through serde is validated by writing it there.
pub fn json_sink() -> serde_json::Serializer<std::io::Sink> {
    serde_json::Serializer::new(std::io::sink())
}

/// Records serde's refusal to write a value (the `serde` rule), as
/// [`check_serializable`] does for a field of a struct.
pub fn check_written(
    written: Result<(), serde_json::Error>,
    path: &Path<'_>,
    errors: &mut ValidationErrors,
) {
    if let Err(problem) = written {
        errors.push(
            path.render(),
            "serde",
            format!("cannot be written as JSON: {problem}"),
        );
    }
}

/// The type of a field holding an enum with data variants `T`: `Union` of its
/// schema (`build` runs once), or `Ref` of `name` when asked while that schema
/// is being built on this thread (a recursive enum).
pub fn union_type<T: 'static>(
    cell: &'static OnceLock<UnionSchema>,
    name: &'static str,
    build: fn() -> UnionSchema,
) -> FieldType {
    if let Some(schema) = cell.get() {
        return FieldType::Union(schema);
    }
    if crate::schema::building::contains(TypeId::of::<T>()) {
        return FieldType::Ref(name);
    }
    let _building = crate::schema::building::enter(Some(TypeId::of::<T>()));
    let schema = cell.get_or_init(build);
    crate::schema::building::built_union(schema);
    FieldType::Union(schema)
}

/// The leaked type of a value held by a variant of an enum with data: for
/// an `Option<T>`, `Nullable` of `T`'s type (a payload is written `null`).
pub fn leak_value_type<T: AnalyticsValue>() -> &'static FieldType {
    let ty = T::field_type();
    let ty = if T::nullable() {
        FieldType::Nullable(Box::leak(Box::new(ty)))
    } else {
        ty
    };
    Box::leak(Box::new(ty))
}

/// The object or union built in this process with this Rust name (the first
/// one built, if several types share the name): what a [`FieldType::Ref`]
/// names, for a reader that meets it outside the type it refers to.
pub fn resolve_ref(name: &str) -> Option<FieldType> {
    crate::schema::building::resolve(name)
}

// ----------------------------------------------------------------- catalog

/// What the derive registers for each event (through `inventory`).
pub struct CatalogEntry {
    pub(crate) schema: fn() -> &'static EventSchema,
}

impl CatalogEntry {
    /// The entry for event `E`.
    pub const fn new<E: AnalyticsEvent>() -> Self {
        CatalogEntry { schema: E::schema }
    }
}

inventory::collect!(CatalogEntry);

/// A string value: what `#[analytics(user_id)]` / `#[analytics(anonymous_id)]`
/// accept (an identity is a JSON string, or `null` for an `Option`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot carry a user identity",
    label = "not a string",
    note = "`#[analytics(user_id)]` and `#[analytics(anonymous_id)]` go on a field of type String, &'static str, Cow<'static, str>, Box<str>, or an Option of one"
)]
pub trait IdentityValue {}

impl IdentityValue for String {}
impl IdentityValue for Box<str> {}
impl IdentityValue for &'static str {}
impl IdentityValue for Cow<'static, str> {}
impl<T: IdentityValue> IdentityValue for Option<T> {}

/// The identity of a field of type `T`, in its [`FieldDecl`]: `T` is
/// checked to be a string (a `const` bound, spanned on the field's type).
pub const fn identity_field<T: IdentityValue + ?Sized>(role: IdentityRole) -> Option<IdentityRole> {
    Some(role)
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
