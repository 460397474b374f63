//! The second step: the derive's view of the user's type, built from the
//! parsed attributes: wire names resolved, rules parsed into numbers. Knows
//! nothing of codegen.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::ext::IdentExt;
use syn::{DeriveInput, Ident, LitStr, Type};

use crate::attr::{self, Errors, VariantAttrs};
use crate::case::Rename;
use crate::shape;

mod field;
mod union;

pub use union::Payload;

/// What the first two steps give the driver: the runtime crate path, the
/// model when the input could be read, and for an event its name as far as
/// it is known (for the stub emitted on error).
pub struct Built<M> {
    pub krate: TokenStream,
    pub model: Option<M>,
    pub event_name: String,
}

/// A struct deriving `AnalyticsEvent` or `AnalyticsFields`.
pub struct Struct<'a> {
    pub ident: &'a Ident,
    pub description: String,
    pub fields: Vec<Field<'a>>,
    pub checks: Vec<syn::Path>,
    /// `#[serde(deny_unknown_fields)]`: an unknown key is an error when reading.
    pub deny_unknown_fields: bool,
    /// Why the struct has no `Deserialize` (`None`: it has one).
    pub write_only: Option<WriteOnly>,
}

/// Why a struct is write-only.
pub enum WriteOnly {
    /// `#[analytics(write_only)]`.
    Asked,
    /// A field whose type borrows (`&'static str`): its name and type.
    Borrowed { field: String, ty: String },
}

/// A struct deriving `AnalyticsEvent`: its fields and its name.
pub struct Event<'a> {
    pub fields: Struct<'a>,
    pub info: EventInfo,
}

/// What `AnalyticsEvent` adds to a struct.
pub struct EventInfo {
    pub name: String,
    /// The `name = "..."` literal, or the struct name when defaulted.
    pub name_span: Span,
    pub name_given: bool,
    pub any_name: bool,
    pub version: u32,
}

/// A named field.
pub struct Field<'a> {
    pub member: &'a Ident,
    /// The field name without `r#`: what validation paths print.
    pub rust_name: String,
    pub ty: &'a Type,
    /// The key on the wire (after `rename` / `rename_all`).
    pub wire_name: String,
    /// Where the wire name comes from: the `rename` literal or the field name.
    pub wire_span: Span,
    pub flatten: Option<Span>,
    /// `#[analytics(envelope)]`: a top-level key of the event's envelope.
    pub envelope: Option<Span>,
    pub skip_if: Option<syn::ExprPath>,
    pub default: Option<FieldDefault>,
    pub rules: Vec<RuleSpec>,
    pub description: String,
    pub pii: bool,
    pub deprecated: Option<String>,
    /// `#[analytics(user_id)]` / `#[analytics(anonymous_id)]`, with the key's span.
    pub identity: Vec<(Identity, Span)>,
    /// The type is spelled `Option<..>` (serde's rule, syntactic): rules apply to `Some`.
    pub is_option: bool,
    /// `skip` or `skip_serializing`: never written, not in the schema.
    pub skip_serializing: Option<Span>,
    /// `skip` or `skip_deserializing`: never read, its default instead.
    pub skip_deserializing: Option<Span>,
    /// `#[serde(alias = "..")]`: other keys read into this field.
    pub aliases: Vec<LitStr>,
    /// Written and read through serde rather than `AnalyticsValue`.
    pub codec: Option<SerdeCodec>,
}

/// The identity role of a field (`analytics_core::IdentityRole`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    UserId,
    AnonymousId,
}

impl Identity {
    /// The attribute key.
    pub fn key(self) -> &'static str {
        match self {
            Identity::UserId => "user_id",
            Identity::AnonymousId => "anonymous_id",
        }
    }
}

/// `#[analytics(serde)]`, or serde's `with` / `serialize_with` / `deserialize_with`.
pub struct SerdeCodec {
    pub span: Span,
    /// `serialize_with` (or `with`'s `serialize`); `None`: the type's own `Serialize`.
    pub serialize: Option<syn::ExprPath>,
    /// `deserialize_with` (or `with`'s `deserialize`); `None`: the type's own `Deserialize`.
    pub deserialize: Option<syn::ExprPath>,
    /// `schema = path`: a `fn() -> serde_json::Value`.
    pub schema: Option<syn::Path>,
}

impl Field<'_> {
    /// The field is on the wire when writing.
    pub fn written(&self) -> bool {
        self.skip_serializing.is_none()
    }
}

/// `#[serde(default)]` or `#[serde(default = "path")]` on a field.
pub enum FieldDefault {
    Trait,
    Path(syn::ExprPath),
}

/// One rule on a field, with the span of its key.
pub struct RuleSpec {
    pub kind: RuleKind,
    pub span: Span,
}

pub enum RuleKind {
    Range {
        min: Option<Number>,
        max: Option<Number>,
    },
    Length {
        min: Option<Number>,
        max: Option<Number>,
    },
    NonEmpty,
    Pattern(LitStr),
    OneOf(Vec<LitStr>, Span),
    Custom(syn::Path),
}

impl RuleKind {
    pub fn name(&self) -> &'static str {
        match self {
            RuleKind::Range { .. } => "range",
            RuleKind::Length { .. } => "length",
            RuleKind::NonEmpty => "non_empty",
            RuleKind::Pattern(_) => "pattern",
            RuleKind::OneOf(..) => "one_of",
            RuleKind::Custom(_) => "custom",
        }
    }
}

/// A numeric literal of a rule, with its tokens (`-1` is two tokens: an
/// error on it underlines both).
#[derive(Clone)]
pub struct Number {
    pub value: NumberValue,
    pub tokens: TokenStream,
}

#[derive(Clone, Copy, PartialEq, PartialOrd)]
pub enum NumberValue {
    Int(i128),
    Float(f64),
}

impl NumberValue {
    pub fn as_f64(self) -> f64 {
        match self {
            NumberValue::Int(value) => value as f64,
            NumberValue::Float(value) => value,
        }
    }
}

/// An enum deriving `AnalyticsEnum`.
pub struct Enum<'a> {
    pub ident: &'a Ident,
    pub description: String,
    pub variants: Vec<Variant<'a>>,
    /// serde's representation (`tag`, `content`, `untagged`).
    pub tagging: attr::Tagging,
    pub deny_unknown_fields: bool,
    /// A variant holds a borrowed type: no `Deserialize`.
    pub write_only: bool,
}

impl Enum<'_> {
    /// The enum has data variants or a representation other than serde's
    /// default: a union, not a closed set of strings.
    pub fn is_union(&self) -> bool {
        !matches!(self.tagging, attr::Tagging::External)
            || self
                .variants
                .iter()
                .any(|variant| !matches!(variant.payload, Payload::Unit))
    }
}

pub struct Variant<'a> {
    pub ident: &'a Ident,
    pub wire_name: String,
    pub wire_span: Span,
    pub description: String,
    pub payload: Payload<'a>,
}

/// An enum deriving `EventCatalog`.
pub struct Catalog<'a> {
    pub ident: &'a Ident,
    pub variants: Vec<CatalogVariant<'a>>,
    /// `#[analytics(write_only)]`: no `Deserialize`, write-only events allowed.
    pub write_only: bool,
}

pub struct CatalogVariant<'a> {
    pub ident: &'a Ident,
    /// The event type (inside the `Box` of a boxed variant).
    pub ty: &'a Type,
    /// The variant holds `Box<Event>` (large events, as the reference does).
    pub boxed: bool,
}

/// The path to the runtime crate: `::analytics_core` or `#[analytics(crate = path)]`.
pub fn runtime_crate(krate: Option<&syn::Path>) -> TokenStream {
    match krate {
        Some(path) => quote!(#path),
        None => quote!(::analytics_core),
    }
}

fn rename_rule(serde: attr::SerdeContainer, errors: &mut Errors) -> Rename {
    match serde.rename_all {
        None => Rename::NONE,
        Some(value) => match Rename::parse(&value.value()) {
            Ok(rule) => rule,
            Err(message) => {
                errors.push(darling::Error::custom(message).with_span(&value));
                Rename::NONE
            }
        },
    }
}

impl<'a> Event<'a> {
    /// Reads an `AnalyticsEvent` struct.
    pub fn build(input: &'a DeriveInput, errors: &mut Errors) -> Built<Event<'a>> {
        let derive = crate::symbol::DERIVE_EVENT;
        let parsed = attr::analytics::<attr::EventAttrs>(&input.attrs, errors);
        let attrs = parsed.attrs;
        let krate = runtime_crate(attrs.krate.as_ref());
        let fields = shape::struct_shape(input, derive, errors);
        shape::no_generics(input, derive, errors);
        let info = EventInfo::from_attrs(
            input,
            attrs.name.map(|name| name.0),
            attrs.version.map(|version| version.value),
            attrs.any_name.is_present(),
        );
        let event_name = info.name.clone();
        let write_only = attrs.write_only.is_present();
        let model = fields.filter(|_| parsed.ok).map(|fields| Event {
            fields: Struct::from_input(input, derive, fields, attrs.check, write_only, errors),
            info,
        });
        Built {
            krate,
            model,
            event_name,
        }
    }
}

impl<'a> Struct<'a> {
    /// Reads an `AnalyticsFields` struct.
    pub fn build(input: &'a DeriveInput, errors: &mut Errors) -> Built<Struct<'a>> {
        let derive = crate::symbol::DERIVE_FIELDS;
        let parsed = attr::analytics::<attr::FieldsAttrs>(&input.attrs, errors);
        let krate = runtime_crate(parsed.attrs.krate.as_ref());
        let fields = shape::struct_shape(input, derive, errors);
        shape::no_generics(input, derive, errors);
        let checks = parsed.attrs.check;
        let write_only = parsed.attrs.write_only.is_present();
        let model = fields
            .filter(|_| parsed.ok)
            .map(|fields| Struct::from_input(input, derive, fields, checks, write_only, errors));
        Built {
            krate,
            model,
            event_name: String::new(),
        }
    }

    /// Builds the model of a struct with named fields.
    fn from_input(
        input: &'a DeriveInput,
        derive: &str,
        fields: &'a syn::FieldsNamed,
        checks: Vec<syn::Path>,
        write_only: bool,
        errors: &mut Errors,
    ) -> Struct<'a> {
        let serde = attr::serde_container(&input.attrs, derive, errors);
        let deny_unknown_fields = serde.deny_unknown_fields.is_some();
        let rename = rename_rule(serde, errors);
        let fields: Vec<Field<'a>> = fields
            .named
            .iter()
            .map(|field| Field::from_syn(field, derive, rename, errors))
            .collect();
        let borrowed = fields
            .iter()
            .find(|field| field.skip_deserializing.is_none() && borrows(field.ty));
        let write_only = match (write_only, borrowed) {
            (true, _) => Some(WriteOnly::Asked),
            (false, Some(field)) => Some(WriteOnly::Borrowed {
                field: field.rust_name.clone(),
                ty: quote::ToTokens::to_token_stream(field.ty)
                    .to_string()
                    .replace(" < ", "<")
                    .replace(" >", ">")
                    .replace("& '", "&'"),
            }),
            (false, None) => None,
        };
        Struct {
            ident: &input.ident,
            description: attr::doc_comment(&input.attrs),
            fields,
            checks,
            deny_unknown_fields,
            write_only,
        }
    }
}

impl EventInfo {
    pub fn from_attrs(
        input: &DeriveInput,
        name: Option<LitStr>,
        version: Option<u32>,
        any_name: bool,
    ) -> EventInfo {
        let (name, name_span, name_given) = match name {
            Some(name) => (name.value(), name.span(), true),
            None => (
                Rename::snake_case_type(&input.ident.unraw().to_string()),
                input.ident.span(),
                false,
            ),
        };
        EventInfo {
            name,
            name_span,
            name_given,
            any_name,
            version: version.unwrap_or(1),
        }
    }
}

impl<'a> Enum<'a> {
    /// Reads an `AnalyticsEnum`.
    pub fn build(input: &'a DeriveInput, errors: &mut Errors) -> Built<Enum<'a>> {
        let derive = crate::symbol::DERIVE_ENUM;
        let parsed = attr::analytics::<attr::EnumAttrs>(&input.attrs, errors);
        let krate = runtime_crate(parsed.attrs.krate.as_ref());
        let data = shape::enum_shape(input, derive, false, errors);
        shape::no_generics(input, derive, errors);
        let model = data
            .filter(|_| parsed.ok)
            .map(|data| Enum::from_input(input, derive, data, errors));
        Built {
            krate,
            model,
            event_name: String::new(),
        }
    }

    fn from_input(
        input: &'a DeriveInput,
        derive: &str,
        data: &'a syn::DataEnum,
        errors: &mut Errors,
    ) -> Enum<'a> {
        let union::EnumSerde {
            rename,
            tagging,
            deny_unknown_fields,
        } = union::enum_serde(input, derive, errors);
        let variants: Vec<Variant<'a>> = data
            .variants
            .iter()
            .map(|variant| {
                let ours = attr::analytics::<VariantAttrs>(&variant.attrs, errors).attrs;
                let serde = attr::serde_union_variant(&variant.attrs, derive, errors);
                let payload =
                    Payload::from_fields(&variant.fields, serde.rename_all, derive, errors);
                let renamed = match (ours.rename.map(|name| name.0), serde.rename) {
                    (Some(first), Some(second)) => {
                        errors.push(
                            darling::Error::custom(
                                "the variant is renamed twice (`analytics` and `serde`); keep one",
                            )
                            .with_span(&second),
                        );
                        Some(first)
                    }
                    (one, other) => one.or(other),
                };
                let (wire_name, wire_span) = match renamed {
                    Some(name) => (name.value(), name.span()),
                    None => (
                        rename.variant(&variant.ident.unraw().to_string()),
                        variant.ident.span(),
                    ),
                };
                Variant {
                    ident: &variant.ident,
                    wire_name,
                    wire_span,
                    description: attr::doc_comment(&variant.attrs),
                    payload,
                }
            })
            .collect();
        let write_only = variants.iter().any(|variant| variant.payload.borrows());
        Enum {
            ident: &input.ident,
            description: attr::doc_comment(&input.attrs),
            variants,
            tagging,
            deny_unknown_fields,
            write_only,
        }
    }
}

// Each model's `build` reads its own attribute struct and shape; what they
// share (`runtime_crate`, `shape::*`, `attr::analytics`) is called, not copied.
impl<'a> Catalog<'a> {
    /// Reads an `EventCatalog`.
    pub fn build(input: &'a DeriveInput, errors: &mut Errors) -> Built<Catalog<'a>> {
        let derive = crate::symbol::DERIVE_CATALOG;
        let parsed = attr::analytics::<attr::CatalogAttrs>(&input.attrs, errors);
        let krate = runtime_crate(parsed.attrs.krate.as_ref());
        let data = shape::enum_shape(input, derive, true, errors);
        shape::no_generics(input, derive, errors);
        let write_only = parsed.attrs.write_only.is_present();
        let model = data
            .filter(|_| parsed.ok)
            .map(|data| Catalog::from_input(input, data, write_only));
        Built {
            krate,
            model,
            event_name: String::new(),
        }
    }

    /// The variants are newtypes (checked by the shape).
    fn from_input(
        input: &'a DeriveInput,
        data: &'a syn::DataEnum,
        write_only: bool,
    ) -> Catalog<'a> {
        let variants = data
            .variants
            .iter()
            .filter_map(|variant| match &variant.fields {
                syn::Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                    let ty = &fields.unnamed[0].ty;
                    let inner = boxed(ty);
                    Some(CatalogVariant {
                        ident: &variant.ident,
                        ty: inner.unwrap_or(ty),
                        boxed: inner.is_some(),
                    })
                }
                _ => None,
            })
            .collect();
        Catalog {
            ident: &input.ident,
            variants,
            write_only,
        }
    }
}

/// `T` of `Box<T>` (also spelled `std::boxed::Box<T>`, `alloc::boxed::Box<T>`).
fn boxed(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let segments = &path.path.segments;
    let last = segments.last()?;
    let prefix_ok = match segments.len() {
        1 => true,
        3 => {
            let first = segments[0].ident.to_string();
            matches!(first.as_str(), "std" | "alloc") && segments[1].ident == "boxed"
        }
        _ => false,
    };
    if !prefix_ok || last.ident != "Box" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(syn::GenericArgument::Type(inner)) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}

/// The type holds a reference somewhere (`&'static str`, `Option<&'static str>`,
/// `Vec<&'static str>`): it cannot be read back from owned input.
fn borrows(ty: &Type) -> bool {
    match ty {
        Type::Reference(_) => true,
        Type::Paren(inner) => borrows(&inner.elem),
        Type::Group(inner) => borrows(&inner.elem),
        Type::Array(inner) => borrows(&inner.elem),
        Type::Slice(inner) => borrows(&inner.elem),
        Type::Tuple(tuple) => tuple.elems.iter().any(borrows),
        Type::Path(path) => path.path.segments.iter().any(|segment| {
            matches!(&segment.arguments, syn::PathArguments::AngleBracketed(args)
                if args.args.iter().any(|arg| matches!(arg, syn::GenericArgument::Type(ty) if borrows(ty))))
        }),
        _ => false,
    }
}
