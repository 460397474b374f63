//! Code generation. Every derive's output sits in `const _: () = { .. };` and
//! names the runtime only through `<crate>::__private` (imported as `_ap`).

mod catalog;
mod decls;
mod enums;
mod event;
mod fallback;
mod field_set;
mod fields;
mod read;
mod union;

use proc_macro2::TokenStream;
use quote::quote;

use crate::attr::Errors;
use crate::model::Built;

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

/// One derive: how its model is read, checked, expanded, and stubbed.
pub trait Derive<'a>: Sized {
    /// Reads the attributes and builds the model (steps `attr` and `model`).
    fn build(input: &'a syn::DeriveInput, errors: &mut Errors) -> Built<Self>;
    /// Checks the model (step `check`).
    fn check(&self, errors: &mut Errors);
    /// Emits the code of a model without error.
    fn expand(&self) -> TokenStream;
    /// The minimal impls emitted next to the errors.
    fn stub(input: &syn::DeriveInput, event_name: &str) -> TokenStream;
}

/// The pipeline every derive runs: attr -> model -> check -> expand; on
/// error, every collected error next to a stub so nothing cascades.
pub fn derive<'a, D: Derive<'a>>(input: &'a syn::DeriveInput) -> TokenStream {
    let mut errors = darling::Error::accumulator();
    let built = D::build(input, &mut errors);
    if let Some(model) = &built.model {
        model.check(&mut errors);
    }
    match (errors.finish(), &built.model) {
        (Ok(()), Some(model)) => wrap(&built.krate, model.expand()),
        (result, _) => {
            let errors = result
                .err()
                .unwrap_or_else(|| darling::Error::custom("invalid input"));
            let stub = wrap(&built.krate, D::stub(input, &built.event_name));
            with_errors(errors, input, stub)
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
