//! `#[derive(AnalyticsFields)]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::{fallback, field_set, Derive};
use crate::attr::Errors;
use crate::check;
use crate::model::{Built, Struct};

impl<'a> Derive<'a> for Struct<'a> {
    fn build(input: &'a DeriveInput, errors: &mut Errors) -> Built<Self> {
        Struct::build(input, errors)
    }

    fn check(&self, errors: &mut Errors) {
        check::fields(&self.fields, errors);
        check::envelope(&self.fields, false, errors);
    }

    fn expand(&self) -> TokenStream {
        expand(self)
    }

    fn stub(input: &DeriveInput, _: &str) -> TokenStream {
        fallback::fields(&input.ident)
    }
}

fn expand(model: &Struct<'_>) -> TokenStream {
    let ident = model.ident;
    let field_set = field_set::expand(model);
    let description = &model.description;
    let read = match model.write_only {
        None => quote! {
            type __Read = Self;
            #[inline]
            fn __from_read(__read: Self) -> Self {
                __read
            }
        },
        Some(_) => quote! {
            type __Read = _ap::Unreadable;
            fn __from_read(__read: _ap::Unreadable) -> Self {
                match __read {}
            }
        },
    };
    quote! {
        #field_set

        #[automatically_derived]
        impl _ap::AnalyticsFields for #ident {}

        #[automatically_derived]
        impl _ap::AnalyticsValue for #ident {
            #read

            #[inline]
            fn write_json(&self, __out: &mut _ap::Vec<_ap::u8>) {
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
