//! Schema declarations: the constants and statics a derive emits (member
//! declarations, an event's `EventDecl`), turned into schemas by one
//! runtime function each.

use std::any::TypeId;
use std::borrow::Cow;

use std::sync::OnceLock;

use super::decl_text::{self, Facts, Member};
use super::FieldSet;
use crate::schema::{EventSchema, FieldSchema, FieldType, IdentityRole, ObjectSchema, UnionSchema};
use crate::validate::{Path, ValidationErrors};
use crate::value::AnalyticsValue;

/// The members of a field set as the derive declares them
/// (`FieldSet::__MEMBER_DECLS`): all the schema a derive emits, data and
/// no function; [`field_schemas`] (one function, not one per struct) turns
/// it into [`FieldSchema`]s.
pub struct MemberDecls {
    /// What the tokens say of each member, in the text of
    /// `__private::decl_text`: one literal, nearly free to compile.
    pub text: &'static str,
    /// The members' wire types, which the text indexes (each distinct type
    /// of the struct once).
    pub types: &'static [TypeDecl],
    /// `<Type as FieldSet>::__MEMBER_DECLS` of each flattened field, which
    /// the text indexes.
    pub flattened: &'static [&'static MemberDecls],
}

impl MemberDecls {
    /// No members (a struct without fields, an event without envelope fields).
    pub const EMPTY: MemberDecls = MemberDecls {
        text: "",
        types: &[],
        flattened: &[],
    };
}

/// Where a field's wire type comes from.
pub enum TypeDecl {
    /// An analytics value: `<Type as AnalyticsValue>::field_type` and `::nullable`.
    Value(fn() -> FieldType, fn() -> bool),
    /// A field written through serde: `Any`, or `Serde` with the user's JSON
    /// Schema; and whether it is an `Option`.
    Serde(FieldType, bool),
}

/// Appends the schemas of `decls`; `prefix` is the Rust path of the
/// flattened field they sit in (empty at the top).
pub fn field_schemas(decls: &'static MemberDecls, prefix: &str, out: &mut Vec<FieldSchema>) {
    for member in decl_text::members(decls.text) {
        match member {
            Member::Field(ty, facts) => out.push(field_schema(&decls.types[ty], facts, prefix)),
            Member::Flatten(index, rust_name) => {
                field_schemas(decls.flattened[index], &join_prefix(prefix, rust_name), out);
            }
        }
    }
}

/// The schema of a field of type `ty`, its Rust path below `prefix`.
fn field_schema(ty: &TypeDecl, facts: Facts, prefix: &str) -> FieldSchema {
    let rust_path: &'static str = if prefix.is_empty() {
        facts.rust_name
    } else {
        Box::leak(format!("{prefix}.{}", facts.rust_name).into_boxed_str())
    };
    let (ty, nullable) = match ty {
        TypeDecl::Value(ty, nullable) => (ty(), nullable()),
        TypeDecl::Serde(ty, nullable) => (*ty, *nullable),
    };
    FieldSchema {
        name: facts.name,
        rust_path,
        ty,
        required: facts.required,
        nullable,
        description: facts.description,
        rules: facts.rules,
        pii: facts.pii,
        deprecated: facts.deprecated,
        identity: facts.identity,
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

/// The declared facts of an event: one `static` per event type, which its
/// `AnalyticsEvent::__DECL` and its catalog entry point to, and which holds
/// its schema once built ([`EventDecl::schema`], one function for every
/// event, not one instance per event type).
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
    /// `<Event as FieldSet>::__MEMBER_DECLS`.
    pub fields: &'static MemberDecls,
    /// `<Event as AnalyticsEvent>::__ENVELOPE_DECLS`.
    pub envelope: &'static MemberDecls,
    /// The schema, built from the rest on first use.
    pub built: OnceLock<EventSchema>,
}

impl EventDecl {
    /// The event's schema, built (once) and kept in `self.built`.
    pub fn schema(&'static self) -> &'static EventSchema {
        if let Some(schema) = self.built.get() {
            return schema;
        }
        let _building = crate::schema::building::enter(None);
        self.built.get_or_init(|| {
            let mut fields = Vec::new();
            field_schemas(self.fields, "", &mut fields);
            let mut envelope = Vec::new();
            field_schemas(self.envelope, "", &mut envelope);
            EventSchema {
                name: self.name,
                version: self.version,
                description: self.description,
                fields: Box::leak(fields.into_boxed_slice()),
                rust_type: self.rust_type,
                envelope: Box::leak(envelope.into_boxed_slice()),
                checks: self.checks,
                write_only: self.write_only,
            }
        })
    }
}

/// The declaration of an event whose derive failed (in its stub impl, so
/// that only the real error is reported): an event of no name and no field.
pub static UNDECLARED: EventDecl = EventDecl {
    name: "",
    version: 1,
    description: "",
    rust_type: "",
    checks: &[],
    write_only: true,
    fields: &MemberDecls::EMPTY,
    envelope: &MemberDecls::EMPTY,
    built: OnceLock::new(),
};

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
/// [`check_serializable`](super::check_serializable) does for a field of a struct.
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

/// The identity `role` of a field of type `T`, in its entry of
/// [`MemberDecls::types`]: `T` is checked to be a string (a `const` bound,
/// spanned on the field's type).
pub const fn identity_field<T: IdentityValue + ?Sized>(role: IdentityRole) -> Option<IdentityRole> {
    Some(role)
}
