//! The data of an `AnalyticsEnum` variant (newtype, tuple, struct) and the
//! representation serde gives the enum: what an enum with data needs beyond
//! the wire names of a unit-only one.

use syn::{Fields, Type};

use super::{borrows, Field};
use crate::attr::{self, Errors, Tagging};
use crate::case::Rename;
use crate::symbol;

/// What a variant carries.
pub enum Payload<'a> {
    Unit,
    Newtype(&'a Type),
    Tuple(Vec<&'a Type>),
    /// Named fields, read like a struct's (renames, rules, docs).
    Struct(Vec<Field<'a>>),
}

impl<'a> Payload<'a> {
    /// The payload of `fields`, struct fields renamed by the variant's `rename_all`.
    pub(super) fn from_fields(
        fields: &'a Fields,
        rename_all: Option<syn::LitStr>,
        derive: &str,
        errors: &mut Errors,
    ) -> Payload<'a> {
        match fields {
            Fields::Unit => Payload::Unit,
            Fields::Unnamed(fields) => {
                unnamed_field_attrs(fields, errors);
                if fields.unnamed.len() == 1 {
                    Payload::Newtype(&fields.unnamed[0].ty)
                } else {
                    Payload::Tuple(fields.unnamed.iter().map(|field| &field.ty).collect())
                }
            }
            Fields::Named(fields) => {
                let rename = match rename_all {
                    None => Rename::NONE,
                    Some(value) => Rename::parse(&value.value()).unwrap_or_else(|message| {
                        errors.push(darling::Error::custom(message).with_span(&value));
                        Rename::NONE
                    }),
                };
                Payload::Struct(
                    fields
                        .named
                        .iter()
                        .map(|field| Field::from_syn(field, derive, rename, errors))
                        .collect(),
                )
            }
        }
    }

    /// A type of the payload borrows (`&'static str`): the enum cannot be read.
    pub fn borrows(&self) -> bool {
        match self {
            Payload::Unit => false,
            Payload::Newtype(ty) => borrows(ty),
            Payload::Tuple(types) => types.iter().any(|ty| borrows(ty)),
            Payload::Struct(fields) => fields
                .iter()
                .any(|field| field.skip_deserializing.is_none() && borrows(field.ty)),
        }
    }
}

/// Rules, renames and serde codecs go on named fields: on the fields of a
/// newtype or tuple variant they would be dropped, so each is an error.
fn unnamed_field_attrs(fields: &syn::FieldsUnnamed, errors: &mut Errors) {
    let ours = [symbol::ANALYTICS.0, symbol::SERDE.0];
    for attr in fields.unnamed.iter().flat_map(|field| &field.attrs) {
        let Some(name) = ours.iter().find(|name| attr.path().is_ident(name)) else {
            continue;
        };
        errors.push(
            darling::Error::custom(format!(
                "`#[{name}(..)]` is not supported on the field of a newtype or tuple variant; name the field (`Variant {{ value: T }}`) and put it there"
            ))
            .with_span(attr.path()),
        );
    }
}

/// `#[serde(...)]` of the enum, read once for every kind of `AnalyticsEnum`.
pub(super) struct EnumSerde {
    pub rename: Rename,
    pub tagging: Tagging,
    pub deny_unknown_fields: bool,
}

pub(super) fn enum_serde(input: &syn::DeriveInput, derive: &str, errors: &mut Errors) -> EnumSerde {
    let serde = attr::serde_enum(&input.attrs, derive, errors);
    let tagging = serde.tagging(errors);
    let rename = match &serde.rename_all {
        None => Rename::NONE,
        Some(value) => Rename::parse(&value.value()).unwrap_or_else(|message| {
            errors.push(darling::Error::custom(message).with_span(value));
            Rename::NONE
        }),
    };
    EnumSerde {
        rename,
        tagging,
        deny_unknown_fields: serde.deny_unknown_fields.is_some(),
    }
}
