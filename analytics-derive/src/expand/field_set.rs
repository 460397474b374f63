//! The `FieldSet` impl shared by events and groups of fields: writer, serde
//! `Serialize`/`Deserialize`, validation, schema and the wire-name set.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;

use super::decls::member_decls;
use super::read::{accept, codec_wrappers, finish, slot_field, slot_member, wrapper_names};
use super::{bytes, json_escape};
use crate::model::{Field, Number, NumberValue, RuleKind, RuleSpec, Struct};

/// Everything a struct gets from either derive.
pub fn expand(model: &Struct<'_>) -> TokenStream {
    let ident = model.ident;
    let type_name = ident.to_string();
    let slots = format_ident!("__AnalyticsSlots{}", ident);

    // Envelope fields are read, validated and built with the others, but
    // written at the envelope's top level (`event.rs`), not as members.
    let params: Vec<&Field<'_>> = model
        .fields
        .iter()
        .filter(|f| f.envelope.is_none())
        .collect();
    let own_names: Vec<&String> = params
        .iter()
        .filter(|f| f.flatten.is_none() && f.written())
        .map(|f| &f.wire_name)
        .collect();
    let own_hashes = own_names.iter().map(|name| name_hash(name));
    let own_bloom = own_names
        .iter()
        .fold(0u128, |bloom, name| bloom | name_bit(name));
    let own_bloom = proc_macro2::Literal::u128_suffixed(own_bloom);
    let flattened_types: Vec<&syn::Type> = model
        .fields
        .iter()
        .filter(|f| f.flatten.is_some())
        .map(|f| f.ty)
        .collect();
    let flattened_names = flattened_types
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> &<#ty as _ap::FieldSet>::NAMES));
    let flattened_blooms = flattened_types
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> | <#ty as _ap::FieldSet>::NAMES.bloom));

    let collisions = collisions(model);
    let codecs = model.fields.iter().map(codec_wrappers);
    let deny_unknown_fields = model.deny_unknown_fields;
    let slot_fields = model.fields.iter().map(slot_field);
    let slot_defaults = model.fields.iter().map(|field| {
        let member = slot_member(field);
        let ty = field.ty;
        if field.flatten.is_some() {
            let slots = quote_spanned!(ty.span()=> <#ty as _ap::FieldSet>::__new_slots());
            quote!(#member: #slots)
        } else {
            quote!(#member: _ap::Option::None)
        }
    });
    let validate = validate_into(model);
    let members = params.iter().map(|field| member_field(field, true));
    let decls = member_decls(&params);
    let accept = accept(params.iter().copied());
    let finish = finish(ident, &model.fields);

    let check_paths = model
        .checks
        .iter()
        .map(|check| check.to_token_stream().to_string().replace(' ', ""));
    let readable = model.write_only.is_none();
    // Items equal to the trait's defaults are left out (each item costs
    // compile time in every crate of events).
    let checks_const = (!model.checks.is_empty())
        .then(|| quote!(const CHECKS: &'static [&'static _ap::str] = &[#(#check_paths),*];));
    let readable_const = (!readable).then(|| {
        quote!(
            const __READABLE: _ap::bool = false;
        )
    });
    let deny_const = deny_unknown_fields.then(|| {
        quote!(
            const DENY_UNKNOWN_FIELDS: _ap::bool = true;
        )
    });
    // The reading half: real for a readable struct; for a write-only one,
    // errors that nothing reaches (no `Deserialize`, and a readable struct
    // that flattens it fails the check below).
    let (slots_type, read_items) = if readable {
        let items = quote! {
            fn __accept<'de, __A: _ap::serde::de::MapAccess<'de>>(
                __slots: &mut #slots,
                __key: &_ap::str,
                __map: &mut __A,
            ) -> _ap::Result<_ap::bool, __A::Error> {
                #accept
            }

            #finish
        };
        (quote!(#slots), items)
    } else {
        // The trait's defaults are the write-only reader: an error.
        (quote!(()), quote!())
    };
    let read = readable.then(|| {
        let flattened_readable = model.fields.iter().filter(|f| f.flatten.is_some()).map(|field| {
            let ty = field.ty;
            let message = format!(
                "the flattened field `{}` (`{}`) is write-only (a borrowed field, or `#[analytics(write_only)]`), but `{ident}` reads its fields back: mark `{ident}` `#[analytics(write_only)]` too, or make the borrowed field owned (`String`)",
                field.rust_name,
                ty.to_token_stream().to_string().replace(' ', "")
            );
            let readable = quote_spanned!(ty.span()=> <#ty as _ap::FieldSet>::__READABLE);
            quote_spanned! {field.member.span()=>
                const _: () = if !#readable {
                    _ap::core::panic!(#message)
                };
            }
        });
        quote! {
            #(#flattened_readable)*

            #[doc(hidden)]
            pub struct #slots {
                #(#slot_fields,)*
                // Last, so the struct is `Sized` even when a flattened type is
                // not a `FieldSet` (its slots type is then an error, reported once).
                __sized: (),
            }

            impl _ap::Default for #slots {
                fn default() -> Self {
                    #slots { #(#slot_defaults,)* __sized: () }
                }
            }

            #[automatically_derived]
            impl<'de> _ap::serde::Deserialize<'de> for #ident {
                fn deserialize<__D: _ap::serde::Deserializer<'de>>(__deserializer: __D) -> _ap::Result<Self, __D::Error> {
                    _ap::deserialize_field_set(__deserializer)
                }
            }
        }
    });

    quote! {
        #(#collisions)*
        #(#codecs)*

        #[automatically_derived]
        impl _ap::FieldSet for #ident {
            const TYPE_NAME: &'static _ap::str = #type_name;
            const NAMES: _ap::NameSet = _ap::NameSet {
                own: &[#(#own_names),*],
                hashes: &[#(#own_hashes),*],
                flattened: &[#(#flattened_names),*],
                bloom: #own_bloom #(#flattened_blooms)*,
            };
            #checks_const
            #readable_const
            #deny_const
            type Slots = #slots_type;

            #read_items

            #validate

            #[inline]
            fn __members<__M: _ap::Members>(&self, __m: &mut __M) {
                #(#members)*
            }

            const __MEMBER_DECLS: &'static _ap::MemberDecls = #decls;
        }

        #[automatically_derived]
        impl _ap::serde::Serialize for #ident {
            fn serialize<__S: _ap::serde::Serializer>(&self, __serializer: __S) -> _ap::Result<__S::Ok, __S::Error> {
                _ap::serialize_field_set(self, __serializer)
            }
        }

        #read
    }
}

// A field's type that is not an analytics value (or, flattened, not a group
// of fields) is reported by the first use below: every use names the type as
// `<Type as Trait>::item`, spanned on the field's type, so each use is the
// same diagnostic and rustc prints it once (a generic helper bounded by the
// trait would add its own "required by" note, and one error per helper).

/// FNV-1a, the same as `__private::name_hash`.
fn name_hash_value(name: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// [`name_hash_value`] as a literal.
fn name_hash(name: &str) -> proc_macro2::Literal {
    proc_macro2::Literal::u64_suffixed(name_hash_value(name))
}

/// `__private::name_bit` of a wire name.
fn name_bit(name: &str) -> u128 {
    1 << (name_hash_value(name) >> 57)
}

/// A wire name written both by this struct and by a flattened base. The
/// derive cannot see the base's fields, so the check is one `const`
/// evaluation per struct (hashes compared, not strings) matched against one
/// arm per field whose tokens carry the user's field span.
fn collisions(model: &Struct<'_>) -> Vec<TokenStream> {
    let flattened: Vec<&Field<'_>> = model
        .fields
        .iter()
        .filter(|f| f.flatten.is_some())
        .collect();
    let own: Vec<&Field<'_>> = model
        .fields
        .iter()
        .filter(|f| f.flatten.is_none() && f.envelope.is_none() && f.written())
        .collect();
    let mut out = Vec::new();
    if !flattened.is_empty() && !own.is_empty() {
        let ident = model.ident;
        let base_names = flattened
            .iter()
            .map(|base| format!("`{}` (`{}`)", base.rust_name, base.ty.to_token_stream()))
            .collect::<Vec<_>>()
            .join(" or ");
        let arms = own.iter().enumerate().map(|(i, field)| {
            let message = format!(
                "the wire name `{}` of field `{}` is also written by the flattened field {base_names}",
                field.wire_name, field.rust_name
            );
            quote_spanned!(field.wire_span=> #i => _ap::collided(#message),)
        });
        // One const item and one evaluation over the struct's own `NAMES`
        // (its own names in the order of the arms, and its bases): a `match`
        // on the index of the first colliding name runs only its own arm, and
        // each arm carries its field's span, so the error lands on the field.
        out.push(quote! {
            const _: () = match _ap::first_collision(&<#ident as _ap::FieldSet>::NAMES) {
                #(#arms)*
                _ => {}
            };
        });
    }
    for (i, second) in flattened.iter().enumerate() {
        for first in &flattened[..i] {
            let (a, b) = (first.ty, second.ty);
            let message = format!(
                "the flattened fields `{}` and `{}` write a wire name in common",
                first.rust_name, second.rust_name
            );
            let names_a = quote_spanned!(a.span()=> <#a as _ap::FieldSet>::NAMES);
            let names_b = quote_spanned!(b.span()=> <#b as _ap::FieldSet>::NAMES);
            out.push(quote_spanned! {second.member.span()=>
                const _: () = if #names_b.intersects(&#names_a) {
                    _ap::core::panic!(#message)
                };
            });
        }
    }
    out
}

/// The `__validate_into` of a struct with struct-level checks or envelope
/// fields; nothing for the others, whose validation is the trait's default:
/// the member walk with a validating sink. Envelope fields are not members
/// of `event_params`, so they are walked here with the others, in the
/// order of declaration, before the struct's checks.
fn validate_into(model: &Struct<'_>) -> Option<TokenStream> {
    let has_envelope = model.fields.iter().any(|f| f.envelope.is_some());
    if model.checks.is_empty() && !has_envelope {
        return None;
    }
    let walk = if has_envelope {
        let members = model.fields.iter().map(|field| member_field(field, true));
        quote!(#(#members)*)
    } else {
        quote!(_ap::FieldSet::__members(self, __m);)
    };
    let checks = model.checks.iter().map(|check| {
        quote_spanned! {check.span()=>
            _ap::rules::check(self, #check, __path, __errors);
        }
    });
    Some(quote! {
        #[inline]
        fn __validate_into(&self, __path: &_ap::Path<'_>, __errors: &mut _ap::ValidationErrors) {
            {
                let __m = &mut _ap::Validation::new(__path, __errors);
                #walk
            }
            #(#checks)*
        }
    })
}

/// A field's rules, run when the sink `__m` validates (see
/// `__private::Members::rules`), on `__value`; nothing for a field without.
fn member_rules(field: &Field<'_>) -> TokenStream {
    if field.rules.is_empty() {
        return quote!();
    }
    let member = field.member;
    let rust_name = &field.rust_name;
    let rules = field.rules.iter().map(rule_call);
    // Rules on an `Option` apply to the value when it is `Some`.
    let checked = if field.is_option {
        quote!(if let _ap::Option::Some(__value) = &self.#member { #(#rules)* })
    } else {
        quote!(let __value = &self.#member; #(#rules)*)
    };
    quote! {
        if let _ap::Option::Some((__path, __errors)) = _ap::Members::rules(__m, #rust_name) {
            let __path = &__path;
            #checked
        }
    }
}

fn bound(number: &Option<Number>) -> TokenStream {
    match number {
        None => quote!(_ap::Option::None),
        Some(number) => match number.value {
            NumberValue::Int(value) => {
                let lit = proc_macro2::Literal::i128_unsuffixed(value);
                quote!(_ap::Option::Some(_ap::Bound::Int(#lit)))
            }
            NumberValue::Float(value) => {
                let lit = proc_macro2::Literal::f64_unsuffixed(value);
                quote!(_ap::Option::Some(_ap::Bound::Float(#lit)))
            }
        },
    }
}

fn count(number: &Option<Number>) -> TokenStream {
    match number {
        Some(Number {
            value: NumberValue::Int(value),
            ..
        }) if *value >= 0 => {
            let lit = proc_macro2::Literal::u64_unsuffixed(*value as u64);
            quote!(_ap::Option::Some(#lit))
        }
        _ => quote!(_ap::Option::None),
    }
}

/// One rule, called on `__value`, spanned on the rule so that a rule on the
/// wrong type is reported there.
pub(super) fn rule_call(rule: &RuleSpec) -> TokenStream {
    let span = rule.span;
    match &rule.kind {
        RuleKind::Range { min, max } => {
            let (min, max) = (bound(min), bound(max));
            quote_spanned!(span=> _ap::rules::range(__value, #min, #max, __path, __errors);)
        }
        RuleKind::Length { min, max } => {
            let (min, max) = (count(min), count(max));
            quote_spanned!(span=> _ap::rules::length(__value, #min, #max, __path, __errors);)
        }
        RuleKind::NonEmpty => {
            quote_spanned!(span=> _ap::rules::non_empty(__value, __path, __errors);)
        }
        RuleKind::Pattern(pattern) => quote_spanned! {span=>
            {
                static __PATTERN: _ap::rules::LazyRegex = _ap::rules::LazyRegex::new(#pattern);
                _ap::rules::pattern(__value, &__PATTERN, __path, __errors);
            }
        },
        RuleKind::OneOf(values, _) => quote_spanned! {span=>
            _ap::rules::one_of(__value, &[#(#values),*], __path, __errors);
        },
        RuleKind::Custom(path) => quote_spanned! {span=>
            _ap::rules::custom(#path(__value), __path, __errors);
        },
    }
}

/// One member of `__members` (and of an event's envelope writer and
/// `Serialize`, `event.rs`): a call into the sink `__m`, the JSON writer, a
/// serde map or validation (see `__private::Members`), after the field's
/// rules `with_rules` (the walks that may validate).
pub(super) fn member_field(field: &Field<'_>, with_rules: bool) -> TokenStream {
    let member = field.member;
    let ty = field.ty;
    let rust_name = &field.rust_name;
    if field.flatten.is_some() {
        return quote_spanned! {ty.span()=>
            <#ty as _ap::FieldSet>::__flatten_into(&self.#member, __m, #rust_name);
        };
    }
    if !field.written() {
        return quote!();
    }
    let rules = if with_rules {
        member_rules(field)
    } else {
        quote!()
    };
    let name = &field.wire_name;
    let key = bytes(&format!(",\"{}\":", json_escape(&field.wire_name)));
    // A `pii` member goes through the client's policy when JSON is written
    // (kept, dropped or hashed); serde's output is the value as it is.
    let call = match (&field.codec, field.pii) {
        (Some(_), false) => {
            let value = serde_value(field);
            quote!(_ap::Members::serde(__m, #name, #key, #rust_name, #value);)
        }
        (Some(_), true) => {
            let value = serde_value(field);
            quote!(_ap::Members::pii_serde(__m, #name, #key, #rust_name, #value);)
        }
        (None, false) => quote_spanned! {ty.span()=>
            <#ty as _ap::AnalyticsValue>::__member(&self.#member, __m, #name, #key, #rust_name);
        },
        (None, true) => quote_spanned! {ty.span()=>
            _ap::Members::pii_value::<#ty>(__m, #name, #key, #rust_name, &self.#member);
        },
    };
    // Validation walks a member its `skip_if` leaves out of the output.
    let call = match &field.skip_if {
        Some(skip) => {
            let call_skip = quote_spanned!(skip.span()=> #skip(&self.#member));
            quote!(if _ap::Members::every_member(__m) || !#call_skip { #call })
        }
        None => call,
    };
    quote!(#rules #call)
}

pub(super) fn member_count(fields: &[&Field<'_>]) -> TokenStream {
    let always = fields
        .iter()
        .filter(|f| f.flatten.is_none() && f.written() && f.skip_if.is_none())
        .count();
    let parts = fields.iter().filter(|f| f.written()).filter_map(|field| {
        let member = field.member;
        let ty = field.ty;
        if field.flatten.is_some() {
            Some(
                quote_spanned!(ty.span()=> + <#ty as _ap::FieldSet>::__member_count(&self.#member)),
            )
        } else {
            field.skip_if.as_ref().map(|skip| {
                let call = quote_spanned!(skip.span()=> #skip(&self.#member));
                quote!(+ (!#call) as _ap::usize)
            })
        }
    });
    quote!(#always #(#parts)*)
}

/// `&impl Serialize` of a field written through serde.
fn serde_value(field: &Field<'_>) -> TokenStream {
    let member = field.member;
    match field
        .codec
        .as_ref()
        .and_then(|codec| codec.serialize.as_ref())
    {
        Some(_) => {
            let (ser, _) = wrapper_names(field);
            quote!(&#ser(&self.#member))
        }
        None => quote_spanned!(field.ty.span()=> &self.#member),
    }
}
