//! `#[derive(EventCatalog)]`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::DeriveInput;

use super::{fallback, Derive};
use crate::attr::Errors;
use crate::model::{Built, Catalog};

impl<'a> Derive<'a> for Catalog<'a> {
    fn build(input: &'a DeriveInput, errors: &mut Errors) -> Built<Self> {
        Catalog::build(input, errors)
    }

    fn check(&self, _: &mut Errors) {}

    fn expand(&self) -> TokenStream {
        expand(self)
    }

    fn stub(input: &DeriveInput, _: &str) -> TokenStream {
        fallback::catalog(&input.ident)
    }
}

fn expand(model: &Catalog<'_>) -> TokenStream {
    let ident = model.ident;
    let type_name = ident.to_string();
    let variants: Vec<_> = model.variants.iter().map(|variant| variant.ident).collect();
    let types: Vec<_> = model.variants.iter().map(|variant| variant.ty).collect();
    // A boxed variant holds `Box<Event>`: built with `Box::new`, moved out with `*`.
    let wrap: Vec<TokenStream> = model
        .variants
        .iter()
        .map(|variant| match variant.boxed {
            true => quote!(_ap::Box::new),
            false => quote!(),
        })
        .collect();
    let unwrap: Vec<TokenStream> = model
        .variants
        .iter()
        .map(|variant| match variant.boxed {
            true => quote!(*),
            false => quote!(),
        })
        .collect();
    let boxed_from = model.variants.iter().filter(|v| v.boxed).map(|variant| {
        let (ty, name) = (variant.ty, variant.ident);
        quote! {
            #[automatically_derived]
            impl _ap::core::convert::From<_ap::Box<#ty>> for #ident {
                fn from(__event: _ap::Box<#ty>) -> Self {
                    #ident::#name(__event)
                }
            }
        }
    });
    // Every use of a variant's type is `<Type as AnalyticsEvent>::item`,
    // spanned on the type: a type that is not an event is one diagnostic,
    // reported once (see `field_set.rs`).
    let events: Vec<TokenStream> = types
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> <#ty as _ap::AnalyticsEvent>))
        .collect();
    let mut duplicates = Vec::new();
    for (i, second) in model.variants.iter().enumerate() {
        for (j, first) in model.variants[..i].iter().enumerate() {
            let (a, b) = (&events[j], &events[i]);
            let message = format!(
                "variants `{}` and `{}` of `{ident}` have the same event name; each event of a catalog needs its own name",
                first.ident, second.ident
            );
            duplicates.push(quote_spanned! {second.ident.span()=>
                const _: () = if _ap::str_eq(#a::NAME, #b::NAME) {
                    _ap::core::panic!(#message)
                };
            });
        }
    }

    let read_trait = (!model.write_only).then(|| {
        quote! {
        #[automatically_derived]
            impl _ap::EventCatalog for #ident {
                const NAMES: &'static [&'static _ap::str] = #ident::NAMES;
                const __PII_AT_WRITE: _ap::bool = true;
                fn event_type(&self) -> &'static _ap::str {
                    #ident::event_type(self)
                }
                fn validate(&self) -> _ap::Result<(), _ap::ValidationErrors> {
                    #ident::validate(self)
                }
                fn write_json(&self, __out: &mut _ap::Vec<_ap::u8>) {
                    #ident::write_json(self, __out)
                }
                fn event_schema(&self) -> _ap::Option<&'static _ap::EventSchema> {
                    match self {
                        #(#ident::#variants(_) => _ap::Option::Some(#events::schema()),)*
                    }
                }
            }

            #[automatically_derived]
            impl _ap::CatalogDispatch for #ident {
                const NAMES: &'static [&'static _ap::str] = #ident::NAMES;
                const TYPE_NAME: &'static _ap::str = #type_name;

                fn deserialize_params<'de, __D: _ap::serde::Deserializer<'de>>(
                    __name: &_ap::str,
                    __params: __D,
                ) -> _ap::Result<_ap::Option<Self>, __D::Error> {
                    #(
                        if __name == #events::NAME {
                            return _ap::Result::Ok(_ap::Option::Some(#ident::#variants(
                                #wrap(#events::__deserialize_params(__params)?),
                            )));
                        }
                    )*
                    let _ = __params;
                    _ap::Result::Ok(_ap::Option::None)
                }

                fn envelope_keys(__name: &_ap::str) -> &'static [&'static _ap::str] {
                    #(
                        if __name == #events::NAME {
                            return #events::__ENVELOPE_KEYS;
                        }
                    )*
                    &[]
                }

                fn deserialize_event(
                    __name: &_ap::str,
                    __params: _ap::JsonValue,
                    __envelope: _ap::JsonMap,
                ) -> _ap::Result<_ap::Option<Self>, _ap::JsonError> {
                    #(
                        if __name == #events::NAME {
                            return _ap::Result::Ok(_ap::Option::Some(#ident::#variants(
                                #wrap(_ap::deserialize_event::<#types>(__params, __envelope)?),
                            )));
                        }
                    )*
                    let _ = (__params, __envelope);
                    _ap::Result::Ok(_ap::Option::None)
                }
            }

            #[automatically_derived]
            impl<'de> _ap::serde::Deserialize<'de> for #ident {
                fn deserialize<__D: _ap::serde::Deserializer<'de>>(__deserializer: __D) -> _ap::Result<Self, __D::Error> {
                    _ap::deserialize_catalog::<Self, __D>(__deserializer)
                }
            }


        }
    });
    // An event that cannot be read back stops a readable catalog with one
    // error naming the event and its field, on the variant's type.
    let readable = types
        .iter()
        .zip(&events)
        .filter(|_| !model.write_only)
        .map(|(ty, event)| {
            quote_spanned! {ty.span()=>
                const _: () = _ap::readable_in_catalog(#event::__WRITE_ONLY);
            }
        });
    // One `From` per distinct type: two variants of one type are the
    // duplicate-name error above, not a second "conflicting implementations".
    let mut seen = Vec::new();
    let mut from = Vec::new();
    for ((variant, ty), wrap) in model.variants.iter().zip(&types).zip(&wrap) {
        let key = ty.to_token_stream().to_string();
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let name = variant.ident;
        from.push(quote! {
            #[automatically_derived]
            impl _ap::core::convert::From<#ty> for #ident {
                fn from(__event: #ty) -> Self {
                    #ident::#name(#wrap(__event))
                }
            }
        });
    }

    quote! {
        #(#duplicates)*
        #(#readable)*

        #[automatically_derived]
        impl #ident {
            #[doc = "Every event name of the catalog, in declaration order."]
            pub const NAMES: &'static [&'static _ap::str] = &[#(#events::NAME),*];

            /// The wire name of the event inside.
            pub fn event_type(&self) -> &'static _ap::str {
                match self {
                    #(#ident::#variants(_) => #events::NAME,)*
                }
            }

            /// Validates the event inside.
            pub fn validate(&self) -> _ap::Result<(), _ap::ValidationErrors> {
                match self {
                    #(#ident::#variants(__event) => #events::validate(__event),)*
                }
            }

            /// Appends the compact envelope of the event inside.
            pub fn write_json(&self, __out: &mut _ap::Vec<_ap::u8>) {
                match self {
                    #(#ident::#variants(__event) => #events::write_json(__event, __out),)*
                }
            }
        }

        #read_trait

        #[automatically_derived]
        impl _ap::serde::Serialize for #ident {
            fn serialize<__S: _ap::serde::Serializer>(&self, __serializer: __S) -> _ap::Result<__S::Ok, __S::Error> {
                match self {
                    #(#ident::#variants(__event) => #events::__serialize_envelope(__event, __serializer),)*
                }
            }
        }

        #(#from)*

        #(#boxed_from)*

        #[automatically_derived]
        impl _ap::core::convert::From<#ident> for _ap::TrackEventRequest {
            fn from(__catalog: #ident) -> Self {
                match __catalog {
                    #(#ident::#variants(__event) => #events::into_request(#unwrap __event),)*
                }
            }
        }
    }
}
