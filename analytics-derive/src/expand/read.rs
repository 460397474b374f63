//! The reading half of a field set: the slots filled while deserializing,
//! each key's reader, the value of a missing key, and the serde wrappers of
//! `serialize_with` / `deserialize_with` fields.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::model::{Field, FieldDefault};

/// The field of the slots struct for `field`: named after it, spanned on its
/// type, so that a flattened type that is not a `FieldSet` gives the slots
/// struct the same diagnostic as every other use (reported once).
pub(super) fn slot_member(field: &Field<'_>) -> syn::Ident {
    format_ident!("slot_{}", field.rust_name, span = field.ty.span())
}

pub(super) fn slot_field(field: &Field<'_>) -> TokenStream {
    let member = slot_member(field);
    let ty = field.ty;
    if field.flatten.is_some() {
        quote_spanned!(ty.span()=> pub #member: <#ty as _ap::FieldSet>::Slots)
    } else {
        quote!(pub #member: _ap::Option<#ty>)
    }
}

/// The names of the serde wrappers of a field with `serialize_with` /
/// `deserialize_with` (or `with`); they live in the derive's own `const _`.
pub(super) fn wrapper_names(field: &Field<'_>) -> (syn::Ident, syn::Ident) {
    (
        format_ident!("__AnalyticsSer_{}", field.rust_name),
        format_ident!("__AnalyticsDe_{}", field.rust_name),
    )
}

/// For a field written through serde with a user function, a wrapper type
/// whose `Serialize` / `Deserialize` calls it (what serde_derive does).
pub(super) fn codec_wrappers(field: &Field<'_>) -> TokenStream {
    let Some(codec) = &field.codec else {
        return quote!();
    };
    let ty = field.ty;
    let (ser, de) = wrapper_names(field);
    let mut out = TokenStream::new();
    if let Some(path) = &codec.serialize {
        out.extend(quote_spanned! {path.span()=>
            struct #ser<'__a>(&'__a #ty);
            impl _ap::serde::Serialize for #ser<'_> {
                fn serialize<__S: _ap::serde::Serializer>(&self, __serializer: __S) -> _ap::Result<__S::Ok, __S::Error> {
                    #path(self.0, __serializer)
                }
            }
        });
    }
    if let Some(path) = &codec.deserialize {
        out.extend(quote_spanned! {path.span()=>
            struct #de(#ty);
            impl<'de> _ap::serde::Deserialize<'de> for #de {
                fn deserialize<__D: _ap::serde::Deserializer<'de>>(__deserializer: __D) -> _ap::Result<Self, __D::Error> {
                    _ap::Result::map(#path(__deserializer), #de)
                }
            }
        });
    }
    out
}

/// The body of a reader of `fields` (`__accept`, `__accept_envelope`): the
/// key's index among the wire names and aliases (one runtime lookup over a
/// static list, no string `match`), then one arm per field that takes it;
/// a key none takes is offered to each flattened field in turn.
pub(super) fn accept<'f, 'a: 'f>(fields: impl IntoIterator<Item = &'f Field<'a>>) -> TokenStream {
    let mut names: Vec<String> = Vec::new();
    let mut own = Vec::new();
    let mut flattened = Vec::new();
    for field in fields {
        let slot = slot_member(field);
        let ty = field.ty;
        if field.flatten.is_some() {
            flattened.push(quote_spanned! {ty.span()=>
                if <#ty as _ap::FieldSet>::__accept(&mut __slots.#slot, __key, __map)? {
                    return _ap::Result::Ok(true);
                }
            });
            continue;
        }
        if field.skip_deserializing.is_some() {
            continue;
        }
        let name = &field.wire_name;
        let first = names.len();
        names.push(name.clone());
        names.extend(field.aliases.iter().map(|alias| alias.value()));
        let indices = (first..names.len()).map(proc_macro2::Literal::usize_unsuffixed);
        let read = match &field.codec {
            Some(codec) => match &codec.deserialize {
                // The wrapper slot is fresh: a second key is caught here.
                Some(_) => {
                    let (_, de) = wrapper_names(field);
                    quote! {{
                        if _ap::Option::is_some(&__slots.#slot) {
                            return _ap::Result::Err(_ap::serde::de::Error::duplicate_field(#name));
                        }
                        let mut __wrapped: _ap::Option<#de> = _ap::Option::None;
                        _ap::next_serde_member(&mut __wrapped, #name, __map)?;
                        __slots.#slot = _ap::Option::map(__wrapped, |__value| __value.0);
                        _ap::Result::Ok(true)
                    }}
                }
                None => quote_spanned! {ty.span()=>
                    _ap::next_serde_member::<__A, #ty>(&mut __slots.#slot, #name, __map)
                },
            },
            None => quote_spanned! {ty.span()=>
                <#ty as _ap::AnalyticsValue>::__next_member(&mut __slots.#slot, #name, __map)
            },
        };
        own.push(quote!(#(#indices)|* => #read,));
    }
    quote! {
        match _ap::key_index(__key, &[#(#names),*]) {
            #(#own)*
            _ => {
                #(#flattened)*
                _ap::Result::Ok(false)
            }
        }
    }
}

pub(super) fn finish_field(field: &Field<'_>) -> TokenStream {
    let member = field.member;
    let slot = slot_member(field);
    let ty = field.ty;
    if field.flatten.is_some() {
        let finish =
            quote_spanned!(ty.span()=> <#ty as _ap::FieldSet>::__finish::<__E>(__slots.#slot));
        let value = or_return(finish);
        return quote!(#member: #value);
    }
    let name = &field.wire_name;
    if field.skip_deserializing.is_some() {
        return match &field.default {
            Some(FieldDefault::Path(path)) => quote_spanned!(path.span()=> #member: #path()),
            _ => quote_spanned!(ty.span()=> #member: <#ty as _ap::Default>::default()),
        };
    }
    match &field.default {
        None => {
            let value = match field
                .codec
                .as_ref()
                .map(|codec| codec.deserialize.is_some())
            {
                Some(true) => quote! {
                    _ap::missing_with_member::<_, __E>(__slots.#slot, #name)
                },
                Some(false) => quote_spanned! {ty.span()=>
                    _ap::missing_member::<#ty, __E>(__slots.#slot, #name)
                },
                None => quote_spanned! {ty.span()=>
                    <#ty as _ap::AnalyticsValue>::__missing_member::<__E>(__slots.#slot, #name)
                },
            };
            let value = or_return(value);
            quote!(#member: #value)
        }
        Some(FieldDefault::Trait) => quote_spanned! {ty.span()=>
            #member: _ap::Option::unwrap_or_default(__slots.#slot)
        },
        Some(FieldDefault::Path(path)) => {
            let call = quote_spanned!(path.span()=> #path());
            quote! {
            #member: match __slots.#slot {
                _ap::Option::Some(__value) => __value,
                _ap::Option::None => #call,
            }
            }
        }
    }
}

/// `result?` without the `?`: a `match` that returns the error as it is.
/// `?` goes through `Try` and `From` for every field of a struct, which
/// type checking pays for; the error type here is always the function's.
fn or_return(result: TokenStream) -> TokenStream {
    quote! {
        match #result {
            _ap::Result::Ok(__value) => __value,
            _ap::Result::Err(__error) => return _ap::Result::Err(__error),
        }
    }
}
