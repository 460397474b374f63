//! Items that generated code uses. Not public API: no semver guarantee.
//!
//! Generated code reaches the runtime only through `::analytics_core::__private`
//! (or `<crate = path>::__private`), so it compiles in any user crate. This
//! module is the one list of what generated code may call: the traits a
//! derive implements and the compile-time name checks here, then one module
//! per step: `members` (the member walk and its sinks: the JSON writer,
//! serde, validation), `read` (reading back), `decl` (the schema tables)
//! and `catalog` (registration).

mod catalog;
mod decl;
mod decl_text;
mod members;
mod read;

pub use catalog::*;
pub use decl::*;
pub use members::*;
pub use read::*;

use serde::de::{self, Deserializer, MapAccess};
use serde::ser::SerializeMap;

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

    /// Validates into `errors`, with paths below `path`: the member walk
    /// with a [`Validation`] sink. The derive overrides it only for a struct
    /// with struct-level checks or envelope fields.
    #[inline]
    fn __validate_into(&self, path: &Path<'_>, errors: &mut ValidationErrors) {
        self.__members(&mut Validation::new(path, errors));
    }

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
    #[inline]
    fn __member_count(&self) -> usize {
        let mut count = MemberCount(0);
        self.__members(&mut count);
        count.0
    }

    /// This value as the flattened field `field` of a struct being walked
    /// (the generated call names the type, spanned on the field, so a
    /// flattened type that is not a `FieldSet` is one diagnostic there).
    #[inline]
    fn __flatten_into<M: Members>(&self, members: &mut M, field: &'static str) {
        members.flatten(field, self);
    }

    /// The declaration of every member written, in order: the schema's data.
    const __MEMBER_DECLS: &'static MemberDecls;

    /// Appends the schema of every wire field; `prefix` is the Rust path of the
    /// flattened field this type sits in (empty at the top).
    #[inline]
    fn __field_schemas(prefix: &str, out: &mut Vec<FieldSchema>) {
        field_schemas(Self::__MEMBER_DECLS, prefix, out);
    }

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
    // Const evaluation is an interpreter: the bases' bloom is folded once,
    // and each name is tested against it inline; only the few that pass
    // walk the bases.
    let mut bloom = 0;
    let mut j = 0;
    while j < bases.len() {
        bloom |= bases[j].bloom;
        j += 1;
    }
    let mut i = 0;
    while i < names.len() {
        let hash = hashes[i];
        if bloom & (1 << (hash >> 57)) != 0 {
            let mut j = 0;
            while j < bases.len() {
                if bases[j].contains_hashed(names[i], hash) {
                    return i;
                }
                j += 1;
            }
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
