//! The schema declarations of a struct's members (`__MEMBER_DECLS`): what
//! the tokens say of each member as one text literal (the format is
//! documented, and read, in analytics-core's `__private::decl_text`), each
//! distinct wire type once, and the flattened structs' own declarations.

use std::fmt::Write;

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;

use crate::model::{Field, Identity, Number, NumberValue, RuleKind};

/// The `&'static MemberDecls` of `fields`, for a `const` item.
pub(super) fn member_decls(fields: &[&Field<'_>]) -> TokenStream {
    let mut text = String::new();
    // Each distinct type once: (the tokens that tell it apart, its entry).
    let mut types: Vec<(String, TokenStream)> = Vec::new();
    let mut flattened: Vec<TokenStream> = Vec::new();
    for field in fields {
        let ty = field.ty;
        if field.flatten.is_some() {
            write!(text, "L{},", flattened.len()).unwrap();
            string(&mut text, &field.rust_name);
            flattened.push(quote_spanned!(ty.span()=> <#ty as _ap::FieldSet>::__MEMBER_DECLS));
            continue;
        }
        if !field.written() {
            continue;
        }
        let (key, entry) = type_decl(field, types.len());
        let index = match types.iter().position(|(known, _)| *known == key) {
            Some(index) => index,
            None => {
                types.push((key, entry));
                types.len() - 1
            }
        };
        write!(text, "F{index},").unwrap();
        string(&mut text, &field.wire_name);
        string(&mut text, &field.rust_name);
        string(&mut text, &field.description);
        facts(&mut text, field);
        text.push('.');
    }
    if text.is_empty() {
        return quote!(&_ap::MemberDecls::EMPTY);
    }
    let count = types.len();
    let types = types.into_iter().map(|(_, entry)| entry);
    // The types in a `static` array: a `&[..]` of constants would be
    // promoted, and qualifying each trait constant for promotion costs more
    // than evaluating it (measured).
    quote!(&_ap::MemberDecls {
        text: #text,
        types: {
            static __TYPES: [_ap::TypeDecl; #count] = [#(#types),*];
            &__TYPES
        },
        flattened: &[#(#flattened),*],
    })
}

/// A field's entry in the types table, and the key under which fields
/// share it (`unique` makes one that no other field has).
fn type_decl(field: &Field<'_>, unique: usize) -> (String, TokenStream) {
    let ty = field.ty;
    if let Some(codec) = &field.codec {
        let nullable = field.is_option;
        let entry = match &codec.schema {
            Some(schema) => {
                let rust_type = ty.to_token_stream().to_string().replace(' ', "");
                quote! {{
                    static __SCHEMA: _ap::SerdeSchema = _ap::SerdeSchema {
                        rust_type: #rust_type,
                        json_schema: #schema,
                    };
                    _ap::TypeDecl::Serde(_ap::FieldType::Serde(&__SCHEMA), #nullable)
                }}
            }
            None => quote!(_ap::TypeDecl::Serde(_ap::FieldType::Any, #nullable)),
        };
        return (format!("serde {unique}"), entry);
    }
    let value = quote_spanned!(ty.span()=> <#ty as _ap::AnalyticsValue>::__TYPE_DECL);
    // The last role wins (the check allows one); the call checks, spanned on
    // the type, that the field holds a string.
    match field.identity.last() {
        Some((role, _)) => {
            let role = match role {
                Identity::UserId => quote!(UserId),
                Identity::AnonymousId => quote!(AnonymousId),
            };
            let check =
                quote_spanned!(ty.span()=> _ap::identity_field::<#ty>(_ap::IdentityRole::#role));
            (format!("identity {unique}"), quote!({ #check; #value }))
        }
        None => (ty.to_token_stream().to_string(), value),
    }
}

/// The facts after a field's names and description.
fn facts(text: &mut String, field: &Field<'_>) {
    if field.skip_if.is_some() {
        text.push('o');
    }
    if field.pii {
        text.push('p');
    }
    if let Some(note) = &field.deprecated {
        text.push('d');
        string(text, note);
    }
    match field.identity.last() {
        Some((Identity::UserId, _)) => text.push('u'),
        Some((Identity::AnonymousId, _)) => text.push('a'),
        None => {}
    }
    for rule in &field.rules {
        match &rule.kind {
            RuleKind::Range { min, max } => {
                text.push('r');
                bound(text, min);
                bound(text, max);
            }
            RuleKind::Length { min, max } => {
                text.push('l');
                limit(text, min);
                limit(text, max);
            }
            RuleKind::NonEmpty => text.push('n'),
            RuleKind::Pattern(pattern) => {
                text.push('x');
                string(text, &pattern.value());
            }
            RuleKind::OneOf(values, _) => {
                write!(text, "e{},", values.len()).unwrap();
                for value in values {
                    string(text, &value.value());
                }
            }
            RuleKind::Custom(path) => {
                text.push('c');
                string(text, &path.to_token_stream().to_string().replace(' ', ""));
            }
        }
    }
}

/// `string = decimal ":" bytes`.
fn string(text: &mut String, value: &str) {
    write!(text, "{}:{value}", value.len()).unwrap();
}

/// `bound = "_" | "i" decimal "," | "f" decimal ","`.
fn bound(text: &mut String, number: &Option<Number>) {
    match number.as_ref().map(|n| &n.value) {
        None => text.push('_'),
        Some(NumberValue::Int(value)) => write!(text, "i{value},").unwrap(),
        Some(NumberValue::Float(value)) => write!(text, "f{value:?},").unwrap(),
    }
}

/// `limit = "_" | decimal ","`: a length bound (the check allows only
/// integers of at least 0).
fn limit(text: &mut String, number: &Option<Number>) {
    match number.as_ref().map(|n| &n.value) {
        Some(NumberValue::Int(value)) if *value >= 0 => write!(text, "{value},").unwrap(),
        _ => text.push('_'),
    }
}
