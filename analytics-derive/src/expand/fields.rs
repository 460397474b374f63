//! `#[derive(AnalyticsFields)]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::{emit, fallback, field_set};
use crate::attr::FieldsAttrs;
use crate::check;
use crate::model::{runtime_crate, Struct};
use crate::symbol::DERIVE_FIELDS;

pub fn derive(input: &DeriveInput) -> TokenStream {
    let mut errors = darling::Error::accumulator();
    let attrs: Option<FieldsAttrs> =
        crate::attr::parse_container(input, crate::symbol::FIELDS_KEYS, &mut errors);
    let krate = runtime_crate(attrs.as_ref().and_then(|attrs| attrs.krate.as_ref()));
    let fields = check::struct_shape(input, DERIVE_FIELDS, &mut errors);
    check::no_generics(input, DERIVE_FIELDS, &mut errors);
    let model = match (fields, attrs) {
        (Some(fields), Some(attrs)) => {
            Some(Struct::from_input(input, fields, attrs.check, &mut errors))
        }
        _ => None,
    };
    if let Some(model) = &model {
        check::fields(&model.fields, &mut errors);
    }
    emit(
        errors,
        model,
        &krate,
        input,
        |model| expand(&model),
        || fallback::fields(&input.ident),
    )
}

fn expand(model: &Struct<'_>) -> TokenStream {
    let ident = model.ident;
    let field_set = field_set::expand(model);
    let description = &model.description;
    quote! {
        #field_set

        #[automatically_derived]
        impl _ap::AnalyticsFields for #ident {}

        #[automatically_derived]
        impl _ap::AnalyticsValue for #ident {
            #[inline]
            fn write_json(&self, __out: &mut _ap::Vec<u8>) {
                _ap::json::write_object(__out, |__out| <Self as _ap::FieldSet>::__write_members(self, __out));
            }

            fn field_type() -> _ap::FieldType {
                static SCHEMA: _ap::OnceLock<_ap::ObjectSchema> = _ap::OnceLock::new();
                _ap::object_type::<Self>(&SCHEMA, #description)
            }

            #[inline]
            fn __validate_nested(&self, __path: &_ap::Path<'_>, __errors: &mut _ap::ValidationErrors) {
                <Self as _ap::FieldSet>::__validate_into(self, __path, __errors);
            }
        }
    }
}
