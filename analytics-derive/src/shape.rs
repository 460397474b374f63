//! The kind of item a derive was put on: what must hold before there is a
//! model to build (a struct with named fields, an enum of the right
//! variants, no generic parameters).

use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields};

use crate::attr::Errors;

fn error(span: impl Spanned, message: impl std::fmt::Display) -> darling::Error {
    darling::Error::custom(message).with_span(&span.span())
}

/// `AnalyticsEvent` / `AnalyticsFields` need a struct with named fields.
pub fn struct_shape<'a>(
    input: &'a DeriveInput,
    derive: &str,
    errors: &mut Errors,
) -> Option<&'a syn::FieldsNamed> {
    match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(fields) => Some(fields),
            Fields::Unnamed(fields) => {
                errors.push(error(
                    fields,
                    format!("`{derive}` needs a struct with named fields; a tuple struct has no field names for the wire"),
                ));
                None
            }
            Fields::Unit => {
                errors.push(error(
                    &input.ident,
                    format!("`{derive}` needs a struct with named fields, such as `struct {} {{ id: String }}`", input.ident),
                ));
                None
            }
        },
        Data::Enum(data) => {
            errors.push(error(
                data.enum_token,
                format!("`{derive}` can only be derived for a struct with named fields, not an enum (for a closed set of values, derive `AnalyticsEnum`)"),
            ));
            None
        }
        Data::Union(data) => {
            errors.push(error(
                data.union_token,
                format!(
                    "`{derive}` can only be derived for a struct with named fields, not a union"
                ),
            ));
            None
        }
    }
}

/// `AnalyticsEnum` needs an enum (variants of any kind); `EventCatalog` an enum of newtype variants.
pub fn enum_shape<'a>(
    input: &'a DeriveInput,
    derive: &str,
    newtype: bool,
    errors: &mut Errors,
) -> Option<&'a syn::DataEnum> {
    let data = match &input.data {
        Data::Enum(data) => data,
        Data::Struct(data) => {
            let what = if newtype {
                "one newtype variant per event"
            } else {
                "unit variants"
            };
            errors.push(error(
                data.struct_token,
                format!("`{derive}` can only be derived for an enum with {what}"),
            ));
            return None;
        }
        Data::Union(data) => {
            errors.push(error(
                data.union_token,
                format!("`{derive}` can only be derived for an enum"),
            ));
            return None;
        }
    };
    let mut ok = true;
    if data.variants.is_empty() {
        errors.push(error(
            &input.ident,
            format!("`{derive}` needs at least one variant"),
        ));
        ok = false;
    }
    for variant in &data.variants {
        let fine = match &variant.fields {
            // `AnalyticsEnum` takes unit, newtype, tuple and struct variants.
            Fields::Unit => !newtype,
            Fields::Unnamed(fields) => !newtype || fields.unnamed.len() == 1,
            Fields::Named(_) => !newtype,
        };
        if !fine {
            let message = if newtype {
                format!(
                    "each variant of an `{derive}` holds one event: `{}(SomeEvent)`",
                    variant.ident
                )
            } else {
                format!(
                    "`{derive}` variants must be unit variants; `{}` carries data",
                    variant.ident
                )
            };
            let span = match &variant.fields {
                Fields::Unit => variant.ident.span(),
                fields => fields.span(),
            };
            errors.push(error(span, message));
            ok = false;
        }
        if let Some((eq, _)) = &variant.discriminant {
            if !newtype {
                continue;
            }
            errors.push(error(
                eq,
                "an `EventCatalog` variant cannot have a discriminant",
            ));
            ok = false;
        }
    }
    ok.then_some(data)
}

/// Generic types are not supported: an event has one schema and one name.
pub fn no_generics(input: &DeriveInput, derive: &str, errors: &mut Errors) {
    if !input.generics.params.is_empty() {
        errors.push(error(
            &input.generics,
            format!("`{derive}` does not support generic parameters: an analytics type has one schema; use concrete field types"),
        ));
    }
}
