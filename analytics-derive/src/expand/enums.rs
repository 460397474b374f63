//! `#[derive(AnalyticsEnum)]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::{bytes, fallback, json_escape, Derive};
use crate::attr::Errors;
use crate::check;
use crate::model::{Built, Enum};

impl<'a> Derive<'a> for Enum<'a> {
    fn build(input: &'a DeriveInput, errors: &mut Errors) -> Built<Self> {
        Enum::build(input, errors)
    }

    fn check(&self, errors: &mut Errors) {
        check::duplicate_variant_names(&self.variants, errors);
        check::union_variants(self, errors);
    }

    fn expand(&self) -> TokenStream {
        if self.is_union() {
            super::union::expand(self)
        } else {
            expand(self)
        }
    }

    fn stub(input: &DeriveInput, _: &str) -> TokenStream {
        fallback::enumeration(&input.ident)
    }
}

fn expand(model: &Enum<'_>) -> TokenStream {
    let ident = model.ident;
    let type_name = ident.to_string();
    let description = &model.description;
    let variants: Vec<_> = model.variants.iter().map(|variant| variant.ident).collect();
    let names: Vec<_> = model
        .variants
        .iter()
        .map(|variant| &variant.wire_name)
        .collect();
    let quoted: Vec<_> = names
        .iter()
        .map(|name| bytes(&format!("\"{}\"", json_escape(name))))
        .collect();
    let descriptions = model.variants.iter().map(|variant| &variant.description);
    let indexes = 0..model.variants.len() as u32;
    quote! {
        #[automatically_derived]
        impl _ap::AnalyticsEnum for #ident {
            const VALUES: &'static [&'static _ap::str] = &[#(#names),*];

            #[inline]
            fn as_str(&self) -> &'static _ap::str {
                match self {
                    #(#ident::#variants => #names,)*
                }
            }

            fn from_wire(__value: &_ap::str) -> _ap::Option<Self> {
                match __value {
                    #(#names => _ap::Option::Some(#ident::#variants),)*
                    _ => _ap::Option::None,
                }
            }
        }

        #[automatically_derived]
        impl _ap::AnalyticsValue for #ident {
            type __Read = Self;
            #[inline]
            fn __from_read(__read: Self) -> Self {
                __read
            }

            #[inline]
            fn write_json(&self, __out: &mut _ap::Vec<_ap::u8>) {
                __out.extend_from_slice(match self {
                    #(#ident::#variants => #quoted,)*
                });
            }

            fn field_type() -> _ap::FieldType {
                static SCHEMA: _ap::EnumSchema = _ap::EnumSchema {
                    name: #type_name,
                    description: #description,
                    values: &[#(_ap::EnumValue { name: #names, description: #descriptions }),*],
                };
                _ap::FieldType::Enum(&SCHEMA)
            }
        }

        #[automatically_derived]
        impl _ap::serde::Serialize for #ident {
            fn serialize<__S: _ap::serde::Serializer>(&self, __serializer: __S) -> _ap::Result<__S::Ok, __S::Error> {
                match self {
                    #(#ident::#variants => __serializer.serialize_unit_variant(#type_name, #indexes, #names),)*
                }
            }
        }

        #[automatically_derived]
        impl<'de> _ap::serde::Deserialize<'de> for #ident {
            fn deserialize<__D: _ap::serde::Deserializer<'de>>(__deserializer: __D) -> _ap::Result<Self, __D::Error> {
                _ap::deserialize_enum::<Self, __D>(__deserializer)
            }
        }
    }
}
