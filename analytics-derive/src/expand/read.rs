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

/// The body of `__finish`: every slot that may fail when its key was
/// missing is filled first, each fill keeping the first error in
/// `__error` (no return per field), then one check of that error, then the
/// struct, built from the filled slots without a branch of its own. The
/// first error is serde's: the struct's own fields in declaration order,
/// then the flattened ones (serde reads those last, from what the others
/// left). A `match` that returns per field made type checking, borrow
/// checking and drop elaboration pay for a partly built struct at every
/// field (measured: about a sixth of a readable crate's compile time).
pub(super) fn finish(ident: &syn::Ident, fields: &[Field<'_>]) -> TokenStream {
    let mut flattened = Vec::new();
    let mut fills = Vec::new();
    let mut values = Vec::new();
    for (index, field) in fields.iter().enumerate() {
        let member = field.member;
        let slot = slot_member(field);
        let ty = field.ty;
        if field.flatten.is_some() {
            let local = format_ident!("__flattened_{}", index);
            let finish =
                quote_spanned!(ty.span()=> <#ty as _ap::FieldSet>::__finish::<__E>(__slots.#slot));
            flattened.push(quote!(let #local = _ap::keep_error(#finish, &mut __error);));
            values.push(quote!(#member: _ap::filled(#local)));
            continue;
        }
        let name = &field.wire_name;
        if field.skip_deserializing.is_some() {
            values.push(match &field.default {
                Some(FieldDefault::Path(path)) => quote_spanned!(path.span()=> #member: #path()),
                _ => quote_spanned!(ty.span()=> #member: <#ty as _ap::Default>::default()),
            });
            continue;
        }
        match &field.default {
            None => {
                let fill = match field
                    .codec
                    .as_ref()
                    .map(|codec| codec.deserialize.is_some())
                {
                    Some(true) => quote! {
                        _ap::fill_with_member::<_, __E>(&mut __slots.#slot, #name, &mut __error);
                    },
                    Some(false) => quote_spanned! {ty.span()=>
                        _ap::fill_member::<#ty, __E>(&mut __slots.#slot, #name, &mut __error);
                    },
                    None => quote_spanned! {ty.span()=>
                        <#ty as _ap::AnalyticsValue>::__fill_member::<__E>(&mut __slots.#slot, #name, &mut __error);
                    },
                };
                fills.push(fill);
                values.push(quote!(#member: _ap::filled(__slots.#slot)));
            }
            Some(FieldDefault::Trait) => values.push(quote_spanned! {ty.span()=>
                #member: _ap::Option::unwrap_or_default(__slots.#slot)
            }),
            Some(FieldDefault::Path(path)) => {
                let call = quote_spanned!(path.span()=> #path());
                values.push(quote! {
                    #member: match __slots.#slot {
                        _ap::Option::Some(__value) => __value,
                        _ap::Option::None => #call,
                    }
                });
            }
        }
    }
    // Only the own fields' fills borrow the slots mutably.
    let slots = if fills.is_empty() {
        quote!(__slots)
    } else {
        quote!(mut __slots)
    };
    let check = (!fills.is_empty() || !flattened.is_empty()).then(|| {
        quote! {
            if let _ap::Option::Some(__error) = __error {
                return _ap::Result::Err(__error);
            }
        }
    });
    let error = check
        .is_some()
        .then(|| quote!(let mut __error: _ap::Option<__E> = _ap::Option::None;));
    quote! {
        fn __finish<__E: _ap::serde::de::Error>(#slots: Self::Slots) -> _ap::Result<Self, __E> {
            #error
            #(#fills)*
            #(#flattened)*
            #check
            _ap::Result::Ok(#ident { #(#values,)* })
        }
    }
}
