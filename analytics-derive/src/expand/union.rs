//! `#[derive(AnalyticsEnum)]` on an enum with data variants (or with a
//! `tag` / `untagged` representation): a union.
//!
//! The wire is serde's, so serde writes it: the derive emits two private
//! mirrors of the enum with `#[derive(serde::Serialize)]` (variants holding
//! references to the user's values) and `#[derive(serde::Deserialize)]`
//! (variants holding a newtype of each value), with the representation
//! and every wire name spelled out. `Serialize` and `write_json` go through
//! the first, `Deserialize` through the second: the bytes, the untagged
//! first-fit rule and the error messages are serde's own.
//!
//! Each value is written and read by a small generated helper that goes
//! through `<T as AnalyticsValue>` (or the field's serde codec), spanned on
//! the value's type; serde's generated code never asks for a bound on a
//! user's type. A type that is not an analytics value is then one error, on
//! that type, not a cascade from inside serde's derive.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::LitStr;

use super::decls::member_decls;
use super::field_set::rule_call;
use crate::attr::Tagging;
use crate::model::{Enum, Field, FieldDefault, Payload, SerdeCodec, Variant};

pub fn expand(model: &Enum<'_>) -> TokenStream {
    let ident = model.ident;
    let type_name = ident.to_string();
    let container = container_attrs(model);
    let mut helpers = Vec::new();
    let ser_variants: Vec<_> = model
        .variants
        .iter()
        .map(|variant| ser_variant(variant, &mut helpers))
        .collect();
    let uses_lifetime = model
        .variants
        .iter()
        .any(|variant| !matches!(variant.payload, Payload::Unit));
    let phantom = if uses_lifetime {
        quote!()
    } else {
        quote!(#[serde(skip)] __Phantom(_ap::core::marker::PhantomData<&'__view ()>),)
    };
    let ser_arms = model.variants.iter().map(|variant| ser_arm(ident, variant));
    let validate_arms = model
        .variants
        .iter()
        .map(|variant| validate_arm(ident, variant));
    let schema = schema(model);

    let (read, deserialize) = if model.write_only {
        (
            quote! {
                type __Read = _ap::Unreadable;
                fn __from_read(__read: _ap::Unreadable) -> Self {
                    match __read {}
                }
            },
            quote!(),
        )
    } else {
        let de_variants: Vec<_> = model
            .variants
            .iter()
            .map(|variant| de_variant(variant, &mut helpers))
            .collect();
        let de_arms = model.variants.iter().map(|variant| de_arm(ident, variant));
        (
            quote! {
                type __Read = Self;
                #[inline]
                fn __from_read(__read: Self) -> Self {
                    __read
                }
            },
            // The reading mirror has the user's name (serde puts the type's
            // Rust name in its messages), so it lives in the fn's body, where
            // it shadows the user's type; its fields hold newtypes declared
            // outside (`de_value`), where the user's type names mean theirs.
            quote! {
                #[automatically_derived]
                impl<'de> _ap::serde::Deserialize<'de> for #ident {
                    fn deserialize<__D: _ap::serde::Deserializer<'de>>(__deserializer: __D) -> _ap::Result<Self, __D::Error> {
                        #[derive(_ap::serde::Deserialize)]
                        #container
                        enum #ident {
                            #(#de_variants,)*
                        }

                        let __read = <#ident as _ap::serde::Deserialize<'de>>::deserialize(__deserializer)?;
                        _ap::Result::Ok(match __read {
                            #(#de_arms,)*
                        })
                    }
                }
            },
        )
    };

    // serde writes the payload of an internally tagged newtype variant as
    // an object with the tag inserted, and fails at run time on anything
    // else: check it when compiling, on the payload's type.
    let payload_checks =
        model
            .variants
            .iter()
            .filter_map(|variant| match (&model.tagging, &variant.payload) {
                (Tagging::Internal { .. }, Payload::Newtype(ty)) => {
                    let ty = unboxed(ty);
                    Some(quote_spanned! {ty.span()=>
                        const _: () = <#ty as _ap::TaggedPayload>::__CHECK;
                    })
                }
                _ => None,
            });
    // Every variant of an internally or adjacently tagged enum is an object.
    let tagged_payload = matches!(
        model.tagging,
        Tagging::Internal { .. } | Tagging::Adjacent { .. }
    )
    .then(|| quote!(impl _ap::TaggedPayload for #ident {}));

    quote! {
        #(#helpers)*
        #(#payload_checks)*
        #tagged_payload

        #[derive(_ap::serde::Serialize)]
        #container
        enum __Write<'__view> {
            #(#ser_variants,)*
            #phantom
        }

        #[automatically_derived]
        impl _ap::serde::Serialize for #ident {
            fn serialize<__S: _ap::serde::Serializer>(&self, __serializer: __S) -> _ap::Result<__S::Ok, __S::Error> {
                let __write = match self {
                    #(#ser_arms,)*
                };
                _ap::serde::Serialize::serialize(&__write, __serializer)
            }
        }

        #deserialize

        #[automatically_derived]
        impl _ap::AnalyticsValue for #ident {
            #read

            #[inline]
            fn write_json(&self, __out: &mut _ap::Vec<_ap::u8>) {
                _ap::json::write_serde(__out, self);
            }

            fn field_type() -> _ap::FieldType {
                static __CELL: _ap::OnceLock<_ap::UnionSchema> = _ap::OnceLock::new();
                fn __build() -> _ap::UnionSchema {
                    #schema
                }
                _ap::union_type::<Self>(&__CELL, #type_name, __build)
            }

            fn __validate_nested(&self, __path: &_ap::Path<'_>, __errors: &mut _ap::ValidationErrors) {
                match self {
                    #(#validate_arms,)*
                }
            }
        }
    }
}

/// The type inside `Box<..>` layers written as such (serde writes a box as
/// its content).
fn unboxed(ty: &syn::Type) -> &syn::Type {
    if let syn::Type::Path(path) = ty {
        if let Some(last) = path.path.segments.last() {
            if let (true, syn::PathArguments::AngleBracketed(args)) =
                (last.ident == "Box", &last.arguments)
            {
                if let Some(syn::GenericArgument::Type(inner)) = args.args.first() {
                    return unboxed(inner);
                }
            }
        }
    }
    ty
}

/// The container attributes both mirrors share: serde's runtime through
/// ours, the user's type name in messages, the representation.
fn container_attrs(model: &Enum<'_>) -> TokenStream {
    let type_name = model.ident.to_string();
    // No `expecting`: serde would print it for the variants' visitors too
    // (where a twin says "tuple variant Change::Moved with 2 elements").
    let tagging = match &model.tagging {
        Tagging::External => quote!(),
        Tagging::Internal { tag } => quote!(#[serde(tag = #tag)]),
        Tagging::Adjacent { tag, content } => quote!(#[serde(tag = #tag, content = #content)]),
        Tagging::Untagged => quote!(#[serde(untagged)]),
    };
    let deny = if model.deny_unknown_fields {
        quote!(#[serde(deny_unknown_fields)])
    } else {
        quote!()
    };
    quote! {
        #[serde(crate = "_ap::serde", rename = #type_name)]
        #tagging
        #deny
        #[allow(dead_code)]
    }
}

fn bindings(count: usize) -> Vec<syn::Ident> {
    (0..count)
        .map(|index| format_ident!("__{}", index))
        .collect()
}

/// A helper that serde's derive calls (`serialize_with`) for one value of a
/// variant: it goes through `<T as AnalyticsValue>`, spanned on the type, so
/// a type that is not an analytics value is the one diagnostic everywhere,
/// not a `Serialize` bound failing inside serde's code.
fn ser_helper(
    variant: &Variant<'_>,
    index: usize,
    ty: &syn::Type,
    codec: Option<&SerdeCodec>,
    helpers: &mut Vec<TokenStream>,
) -> TokenStream {
    let helper = format_ident!("__ser_{}_{}", variant.ident, index);
    let body = match codec {
        // `#[analytics(serde)]` / `with`: what a serde twin's field does.
        Some(SerdeCodec {
            serialize: Some(path),
            ..
        }) => quote_spanned!(path.span()=> #path(*__value, __serializer)),
        Some(codec) => quote_spanned! {codec.span=>
            <#ty as _ap::serde::Serialize>::serialize(*__value, __serializer)
        },
        None => quote_spanned! {ty.span()=>
            <#ty as _ap::AnalyticsValue>::__serialize_value(*__value, __serializer)
        },
    };
    helpers.push(quote_spanned! {ty.span()=>
        fn #helper<__S: _ap::serde::Serializer>(__value: &&#ty, __serializer: __S) -> _ap::Result<__S::Ok, __S::Error> {
            #body
        }
    });
    let helper = LitStr::new(&helper.to_string(), ty.span());
    quote!(#[serde(serialize_with = #helper)])
}

fn ser_variant(variant: &Variant<'_>, helpers: &mut Vec<TokenStream>) -> TokenStream {
    let name = variant.ident;
    let wire = &variant.wire_name;
    let body = match &variant.payload {
        Payload::Unit => quote!(),
        Payload::Newtype(ty) => {
            let with = ser_helper(variant, 0, ty, None, helpers);
            quote!((#with &'__view #ty))
        }
        Payload::Tuple(types) => {
            let items = types.iter().enumerate().map(|(index, ty)| {
                let with = ser_helper(variant, index, ty, None, helpers);
                quote!(#with &'__view #ty)
            });
            quote!((#(#items),*))
        }
        Payload::Struct(fields) => {
            let fields = fields.iter().enumerate().map(|(index, field)| {
                let member = field.member;
                let ty = field.ty;
                let key = &field.wire_name;
                let skip = if field.written() {
                    quote!()
                } else {
                    quote!(#[serde(skip_serializing)])
                };
                let skip_if = field.skip_if.as_ref().map(|path| {
                    let helper = format_ident!("__skip_{}_{}", name, field.rust_name);
                    helpers.push(quote_spanned! {path.span()=>
                        fn #helper(__value: &&#ty) -> _ap::bool {
                            #path(*__value)
                        }
                    });
                    let helper = LitStr::new(&helper.to_string(), path.span());
                    quote!(#[serde(skip_serializing_if = #helper)])
                });
                // A helper serde never calls would be dead code.
                let with = field
                    .written()
                    .then(|| ser_helper(variant, index, ty, field.codec.as_ref(), helpers));
                quote!(#[serde(rename = #key)] #skip #skip_if #with #member: &'__view #ty)
            });
            quote!({ #(#fields),* })
        }
    };
    quote!(#[serde(rename = #wire)] #name #body)
}

fn ser_arm(ident: &syn::Ident, variant: &Variant<'_>) -> TokenStream {
    let name = variant.ident;
    match &variant.payload {
        Payload::Unit => quote!(#ident::#name => __Write::#name),
        Payload::Newtype(_) => quote!(#ident::#name(__0) => __Write::#name(__0)),
        Payload::Tuple(types) => {
            let binds = bindings(types.len());
            quote!(#ident::#name(#(#binds),*) => __Write::#name(#(#binds),*))
        }
        Payload::Struct(fields) => {
            let members: Vec<_> = fields.iter().map(|field| field.member).collect();
            quote!(#ident::#name { #(#members),* } => __Write::#name { #(#members),* })
        }
    }
}

/// The type that the reading mirror holds for one value: a newtype of the
/// value declared outside the fn that holds the mirror (inside it, the
/// user's type name means the mirror), whose `Deserialize` goes through
/// `<T as AnalyticsValue>` spanned on the type, as `ser_helper` does. serde
/// treats it as a plain field (a missing `Option` is `None`, a short
/// sequence is an error), unlike a `deserialize_with` field.
///
/// Returns the field's serde attributes and type (a `default` of the field
/// rewritten to build the newtype).
fn de_value(
    variant: &Variant<'_>,
    index: usize,
    ty: &syn::Type,
    field: Option<&Field<'_>>,
    helpers: &mut Vec<TokenStream>,
) -> (TokenStream, syn::Ident) {
    let wrapper = format_ident!("__De_{}_{}", variant.ident, index);
    let codec = field.and_then(|field| field.codec.as_ref());
    let read = match codec {
        Some(SerdeCodec {
            deserialize: Some(path),
            ..
        }) => quote_spanned!(path.span()=> #path(__deserializer)),
        Some(codec) => quote_spanned! {codec.span=>
            <#ty as _ap::serde::Deserialize<'de>>::deserialize(__deserializer)
        },
        None => quote_spanned! {ty.span()=>
            <#ty as _ap::AnalyticsValue>::__deserialize_value(__deserializer)
        },
    };
    helpers.push(quote_spanned! {ty.span()=>
        struct #wrapper(#ty);
    });
    let mut attrs = Vec::new();
    if matches!(
        codec,
        Some(SerdeCodec {
            deserialize: Some(_),
            ..
        })
    ) {
        // A serde twin's own `deserialize_with`, with serde's rules for it.
        let helper = format_ident!("__de_{}_{}", variant.ident, index);
        helpers.push(quote_spanned! {ty.span()=>
            fn #helper<'de, __D: _ap::serde::Deserializer<'de>>(__deserializer: __D) -> _ap::Result<#wrapper, __D::Error> {
                #read.map(#wrapper)
            }
        });
        let helper = LitStr::new(&helper.to_string(), ty.span());
        attrs.push(quote!(#[serde(deserialize_with = #helper)]));
    } else {
        helpers.push(quote_spanned! {ty.span()=>
            impl<'de> _ap::serde::Deserialize<'de> for #wrapper {
                #[inline]
                fn deserialize<__D: _ap::serde::Deserializer<'de>>(__deserializer: __D) -> _ap::Result<Self, __D::Error> {
                    #read.map(#wrapper)
                }
            }
        });
    }
    let Some(field) = field else {
        return (quote!(#(#attrs)*), wrapper);
    };
    let skipped = field.skip_deserializing.is_some();
    match &field.default {
        Some(FieldDefault::Path(path)) => {
            let helper = format_ident!("__default_{}_{}", variant.ident, index);
            helpers.push(quote_spanned! {path.span()=>
                fn #helper() -> #wrapper {
                    #wrapper(#path())
                }
            });
            let helper = LitStr::new(&helper.to_string(), path.span());
            attrs.push(quote!(#[serde(default = #helper)]));
        }
        Some(FieldDefault::Trait) => attrs.push(quote!(#[serde(default)])),
        None => {}
    }
    if skipped || matches!(field.default, Some(FieldDefault::Trait)) {
        helpers.push(quote_spanned! {ty.span()=>
            impl _ap::core::default::Default for #wrapper {
                fn default() -> Self {
                    #wrapper(<#ty as _ap::core::default::Default>::default())
                }
            }
        });
    }
    if skipped {
        attrs.push(quote!(#[serde(skip_deserializing)]));
    }
    (quote!(#(#attrs)*), wrapper)
}

fn de_variant(variant: &Variant<'_>, helpers: &mut Vec<TokenStream>) -> TokenStream {
    let name = variant.ident;
    let wire = &variant.wire_name;
    let body = match &variant.payload {
        Payload::Unit => quote!(),
        Payload::Newtype(ty) => {
            let (attrs, wrapper) = de_value(variant, 0, ty, None, helpers);
            quote!((#attrs #wrapper))
        }
        Payload::Tuple(types) => {
            let items = types.iter().enumerate().map(|(index, ty)| {
                let (attrs, wrapper) = de_value(variant, index, ty, None, helpers);
                quote!(#attrs #wrapper)
            });
            quote!((#(#items),*))
        }
        Payload::Struct(fields) => {
            let fields = fields.iter().enumerate().map(|(index, field)| {
                let member = field.member;
                let key = &field.wire_name;
                let (attrs, wrapper) = de_value(variant, index, field.ty, Some(field), helpers);
                let aliases = &field.aliases;
                quote!(#[serde(rename = #key)] #(#[serde(alias = #aliases)])* #attrs #member: #wrapper)
            });
            quote!({ #(#fields),* })
        }
    };
    quote!(#[serde(rename = #wire)] #name #body)
}

/// From the mirror (named like the user's type, in scope) to `Self`.
fn de_arm(ident: &syn::Ident, variant: &Variant<'_>) -> TokenStream {
    let name = variant.ident;
    match &variant.payload {
        Payload::Unit => quote!(#ident::#name => Self::#name),
        Payload::Newtype(_) => quote!(#ident::#name(__0) => Self::#name(__0.0)),
        Payload::Tuple(types) => {
            let binds = bindings(types.len());
            quote!(#ident::#name(#(#binds),*) => Self::#name(#(#binds.0),*))
        }
        Payload::Struct(fields) => {
            let members: Vec<_> = fields.iter().map(|field| field.member).collect();
            quote!(#ident::#name { #(#members),* } => Self::#name { #(#members: #members.0),* })
        }
    }
}

/// Validation inside a variant: a struct variant's fields at
/// `path.field`, a tuple variant's items at `path[index]`, a newtype's
/// payload at the enum's own path (serde writes it in the enum's place).
fn validate_arm(ident: &syn::Ident, variant: &Variant<'_>) -> TokenStream {
    let name = variant.ident;
    match &variant.payload {
        Payload::Unit => quote!(#ident::#name => {}),
        Payload::Newtype(ty) => quote_spanned! {ty.span()=>
            #ident::#name(__0) => <#ty as _ap::AnalyticsValue>::__validate_nested(__0, __path, __errors)
        },
        Payload::Tuple(types) => {
            let binds = bindings(types.len());
            let checks = types.iter().zip(&binds).enumerate().map(|(index, (ty, bind))| {
                quote_spanned! {ty.span()=>
                    <#ty as _ap::AnalyticsValue>::__validate_nested(#bind, &__path.index(#index), __errors);
                }
            });
            quote!(#ident::#name(#(#binds),*) => { #(#checks)* })
        }
        Payload::Struct(fields) => {
            let members: Vec<_> = fields.iter().map(|field| field.member).collect();
            let checks = fields
                .iter()
                .enumerate()
                .filter(|(_, field)| field.written())
                .map(|(index, field)| validate_field(variant, index, field));
            quote!(#ident::#name { #(#members),* } => { #(#checks)* })
        }
    }
}

fn validate_field(variant: &Variant<'_>, index: usize, field: &Field<'_>) -> TokenStream {
    let member = field.member;
    let ty = field.ty;
    let rust_name = &field.rust_name;
    let rules: Vec<TokenStream> = field.rules.iter().map(rule_call).collect();
    let rules = if rules.is_empty() {
        quote!()
    } else if field.is_option {
        quote! {
            if let _ap::Option::Some(__value) = #member {
                #(#rules)*
            }
        }
    } else {
        quote! {
            let __value = #member;
            #(#rules)*
        }
    };
    // A value written through serde has no rules inside; what can go wrong
    // is that serde refuses to write it: run its writer into a sink.
    let nested = match &field.codec {
        Some(_) => {
            let helper = format_ident!("__ser_{}_{}", variant.ident, index);
            quote! {
                _ap::check_written(#helper(&#member, &mut _ap::json_sink()), __path, __errors);
            }
        }
        None => quote_spanned! {ty.span()=>
            <#ty as _ap::AnalyticsValue>::__validate_nested(#member, __path, __errors);
        },
    };
    quote_spanned! {ty.span()=>
        {
            let __path = &__path.field(#rust_name);
            #rules
            #nested
        }
    }
}

/// The body of the fn building the `UnionSchema` (once, then leaked).
fn schema(model: &Enum<'_>) -> TokenStream {
    let type_name = model.ident.to_string();
    let description = &model.description;
    let tagging = match &model.tagging {
        Tagging::External => quote!(_ap::Tagging::External),
        Tagging::Internal { tag } => quote!(_ap::Tagging::Internal { tag: #tag }),
        Tagging::Adjacent { tag, content } => {
            quote!(_ap::Tagging::Adjacent { tag: #tag, content: #content })
        }
        Tagging::Untagged => quote!(_ap::Tagging::Untagged),
    };
    let variants = model.variants.iter().map(|variant| {
        let name = &variant.wire_name;
        let description = &variant.description;
        let shape = match &variant.payload {
            Payload::Unit => quote!(_ap::VariantShape::Unit),
            Payload::Newtype(ty) => quote_spanned! {ty.span()=>
                _ap::VariantShape::Newtype(<#ty as _ap::AnalyticsValue>::__leak_type())
            },
            Payload::Tuple(types) => {
                let items = types.iter().map(
                    |ty| quote_spanned!(ty.span()=> *<#ty as _ap::AnalyticsValue>::__leak_type()),
                );
                quote!(_ap::VariantShape::Tuple(_ap::Box::leak(_ap::Box::new([#(#items),*]))))
            }
            Payload::Struct(fields) => {
                let decls = member_decls(&fields.iter().collect::<Vec<_>>());
                quote! {{
                    const __DECLS: &_ap::MemberDecls = #decls;
                    let mut __out: _ap::Vec<_ap::FieldSchema> = _ap::Vec::new();
                    _ap::field_schemas(__DECLS, "", &mut __out);
                    _ap::VariantShape::Struct(_ap::Vec::leak(__out))
                }}
            }
        };
        quote!(_ap::UnionVariant { name: #name, description: #description, shape: #shape })
    });
    quote! {
        _ap::UnionSchema {
            name: #type_name,
            description: #description,
            tagging: #tagging,
            variants: _ap::Box::leak(_ap::Box::new([#(#variants),*])),
        }
    }
}
