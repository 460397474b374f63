//! Code generation. Every derive's output sits in `const _: () = { .. };` and
//! names the runtime only through `<crate>::__private` (imported as `_ap`).

pub mod catalog;
pub mod enums;
pub mod event;
mod fallback;
pub mod field_set;
pub mod fields;

use proc_macro2::TokenStream;
use quote::quote;

/// Wraps generated items in an unnamed const with the runtime imported as `_ap`.
pub fn wrap(krate: &TokenStream, items: TokenStream) -> TokenStream {
    quote! {
        #[doc(hidden)]
        #[allow(
            deprecated,
            non_snake_case,
            non_camel_case_types,
            non_upper_case_globals,
            unused_qualifications,
            unused_attributes,
            clippy::all,
            clippy::pedantic
        )]
        const _: () = {
            use #krate::__private as _ap;
            #items
        };
    }
}

/// `value` as serde_json writes it inside a string (quotes not included).
pub fn json_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A byte-string literal of `text`.
pub fn bytes(text: &str) -> syn::LitByteStr {
    syn::LitByteStr::new(text.as_bytes(), proc_macro2::Span::call_site())
}

/// The end of every derive: the generated code when the input had no error;
/// otherwise every collected error, next to a stub so nothing cascades.
pub fn emit<M>(
    errors: darling::error::Accumulator,
    model: Option<M>,
    krate: &TokenStream,
    input: &syn::DeriveInput,
    expand: impl FnOnce(M) -> TokenStream,
    stub: impl FnOnce() -> TokenStream,
) -> TokenStream {
    match (errors.finish(), model) {
        (Ok(()), Some(model)) => wrap(krate, expand(model)),
        (result, _) => {
            let errors = result
                .err()
                .unwrap_or_else(|| darling::Error::custom("invalid input"));
            with_errors(errors, input, wrap(krate, stub()))
        }
    }
}

/// Turns collected errors into tokens, next to a stub so nothing cascades.
/// A generic type gets no stub: the stub's impls would name the type without
/// its parameters, one more error about code the user never wrote.
fn with_errors(errors: darling::Error, input: &syn::DeriveInput, stub: TokenStream) -> TokenStream {
    let errors = errors.write_errors();
    if !input.generics.params.is_empty() {
        return errors;
    }
    quote! {
        #errors
        #stub
    }
}
