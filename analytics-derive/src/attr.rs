//! Parsing of `#[analytics(...)]` and of the `#[serde(...)]` keys we honour,
//! with darling (unknown keys get a "did you mean" hint).

use darling::util::Override;
use darling::{FromDeriveInput, FromField, FromMeta, FromVariant};
use proc_macro2::Span;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ExprArray, Lit, LitStr, Meta, Token};

use crate::symbol::ANALYTICS;

/// `#[analytics(...)]` on an event struct.
#[derive(FromDeriveInput)]
#[darling(attributes(analytics))]
pub struct EventAttrs {
    /// The wire name; default: the struct name in snake_case.
    pub name: Option<Str>,
    /// The event version; default 1.
    pub version: Option<darling::util::SpannedValue<u32>>,
    /// Accept any non-empty name (skip the `[a-z][a-z0-9_]*` rule).
    pub any_name: Switch,
    /// Path to the runtime crate, for crates that re-export it.
    #[darling(rename = "crate")]
    pub krate: Option<syn::Path>,
    /// Struct-level checks, `fn(&Self) -> Result<(), impl Display>`.
    #[darling(multiple)]
    pub check: Vec<syn::Path>,
}

/// `#[analytics(...)]` on an `AnalyticsFields` struct.
#[derive(FromDeriveInput)]
#[darling(attributes(analytics))]
pub struct FieldsAttrs {
    #[darling(rename = "crate")]
    pub krate: Option<syn::Path>,
    #[darling(multiple)]
    pub check: Vec<syn::Path>,
}

/// `#[analytics(...)]` on an `AnalyticsEnum` or an `EventCatalog`.
#[derive(FromDeriveInput)]
#[darling(attributes(analytics))]
pub struct EnumAttrs {
    #[darling(rename = "crate")]
    pub krate: Option<syn::Path>,
}

/// `#[serde(...)]` on a struct or an enum: the keys that change the wire.
#[derive(FromDeriveInput, Default)]
#[darling(attributes(serde), default)]
pub struct SerdeContainerAttrs {
    pub rename_all: Option<LitStr>,
    /// The Rust-side name of the type; does not change the JSON.
    pub rename: Option<LitStr>,
}

/// `#[analytics(...)]` on a field.
#[derive(FromField, Default)]
#[darling(attributes(analytics), default)]
pub struct FieldAttrs {
    pub flatten: Switch,
    pub rename: Option<Str>,
    pub pii: Switch,
    pub deprecated: Option<Str>,
    pub range: Option<BoundsAttr>,
    pub length: Option<BoundsAttr>,
    pub non_empty: Switch,
    pub pattern: Option<Str>,
    pub one_of: Option<StrList>,
    pub custom: Option<syn::Path>,
}

/// `#[serde(...)]` on a field: the keys that change the wire.
#[derive(FromField, Default)]
#[darling(attributes(serde), default)]
pub struct SerdeFieldAttrs {
    pub rename: Option<LitStr>,
    pub flatten: Switch,
    pub skip_serializing_if: Option<LitStr>,
    pub default: Option<Override<LitStr>>,
}

/// `#[serde(...)]` / `#[analytics(...)]` on an enum variant.
#[derive(FromVariant, Default)]
#[darling(attributes(serde, analytics), default)]
pub struct VariantAttrs {
    pub rename: Option<LitStr>,
}

/// A string literal argument (`name = "..."`), whose error names the key and
/// shows the value quoted (darling's own says "Unexpected type `path`").
pub struct Str(pub LitStr);

impl FromMeta for Str {
    fn from_meta(item: &Meta) -> darling::Result<Self> {
        let key = quote::ToTokens::to_token_stream(item.path()).to_string();
        match item {
            Meta::NameValue(meta) => match &meta.value {
                Expr::Lit(syn::ExprLit {
                    lit: Lit::Str(value),
                    ..
                }) => Ok(Str(value.clone())),
                other => {
                    let text = quote::ToTokens::to_token_stream(other).to_string();
                    let text = text.trim_matches('\'');
                    Err(darling::Error::custom(format!(
                        "`{key}` takes a string literal: `{key} = \"{text}\"`"
                    ))
                    .with_span(other))
                }
            },
            _ => Err(darling::Error::custom(format!(
                "`{key}` takes a string literal: `{key} = \"...\"`"
            ))
            .with_span(item)),
        }
    }
}

/// A key without a value (`non_empty`, `flatten`...), whose error says so
/// (darling's `Flag` says "Unexpected type `bool`" for `non_empty = true`).
#[derive(Default, Clone, Copy)]
pub struct Switch(Option<Span>);

impl Switch {
    pub fn is_present(&self) -> bool {
        self.0.is_some()
    }

    pub fn span(&self) -> Span {
        self.0.unwrap_or_else(Span::call_site)
    }
}

impl FromMeta for Switch {
    fn from_none() -> Option<Self> {
        Some(Switch(None))
    }

    fn from_meta(item: &Meta) -> darling::Result<Self> {
        match item {
            Meta::Path(path) => Ok(Switch(Some(path.span()))),
            other => {
                let key = quote::ToTokens::to_token_stream(other.path()).to_string();
                Err(
                    darling::Error::custom(format!("`{key}` takes no value: write `{key}` alone"))
                        .with_span(other),
                )
            }
        }
    }
}

/// `(min = .., max = ..)` of `range` and `length`.
#[derive(Default)]
pub struct BoundsAttr {
    pub min: Option<RawExpr>,
    pub max: Option<RawExpr>,
}

/// The fields of [`BoundsAttr`], parsed by darling.
#[derive(FromMeta, Default)]
struct BoundsList {
    min: Option<RawExpr>,
    max: Option<RawExpr>,
}

impl FromMeta for BoundsAttr {
    fn from_meta(item: &Meta) -> darling::Result<Self> {
        match item {
            Meta::List(_) => {
                let list = BoundsList::from_meta(item)?;
                Ok(BoundsAttr {
                    min: list.min,
                    max: list.max,
                })
            }
            other => {
                let key = quote::ToTokens::to_token_stream(other.path()).to_string();
                Err(darling::Error::custom(format!(
                    "`{key}` takes its bounds in parentheses: `{key}(min = 1, max = 10)`, or one of them"
                ))
                .with_span(other))
            }
        }
    }
}

/// An expression taken as written: darling's `Expr` parses the inside of a
/// string literal, which would let `min = "0"` pass as `min = 0`.
pub struct RawExpr(pub Expr);

impl FromMeta for RawExpr {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        Ok(RawExpr(expr.clone()))
    }
}

/// `["a", "b"]` (or `("a", "b")`) of `one_of`.
pub struct StrList {
    pub values: Vec<LitStr>,
    pub span: proc_macro2::Span,
}

impl FromMeta for StrList {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        let Expr::Array(ExprArray { elems, .. }) = expr else {
            return Err(darling::Error::custom(
                "expected a list of strings: `one_of = [\"a\", \"b\"]`",
            )
            .with_span(expr));
        };
        let mut errors = darling::Error::accumulator();
        let mut values = Vec::new();
        for elem in elems {
            match elem {
                Expr::Lit(syn::ExprLit {
                    lit: Lit::Str(value),
                    ..
                }) => values.push(value.clone()),
                other => errors
                    .push(darling::Error::custom("expected a string literal").with_span(other)),
            }
        }
        errors.finish_with(StrList {
            values,
            span: syn::spanned::Spanned::span(expr),
        })
    }

    fn from_list(items: &[darling::ast::NestedMeta]) -> darling::Result<Self> {
        let mut errors = darling::Error::accumulator();
        let mut values = Vec::new();
        for item in items {
            match item {
                darling::ast::NestedMeta::Lit(Lit::Str(value)) => values.push(value.clone()),
                other => errors
                    .push(darling::Error::custom("expected a string literal").with_span(other)),
            }
        }
        let span = items
            .first()
            .map(syn::spanned::Spanned::span)
            .unwrap_or_else(proc_macro2::Span::call_site);
        errors.finish_with(StrList { values, span })
    }
}

/// The text of the doc comments, one line each, trimmed.
pub fn doc_comment(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(meta) = &attr.meta {
            if let Expr::Lit(syn::ExprLit {
                lit: Lit::Str(text),
                ..
            }) = &meta.value
            {
                let text = text.value();
                lines.push(
                    text.strip_prefix(' ')
                        .unwrap_or(&text)
                        .trim_end()
                        .to_owned(),
                );
            }
        }
    }
    lines.join("\n").trim().to_owned()
}

/// The note of a `#[deprecated]` attribute: `Some("")` when there is none.
pub fn deprecation(attrs: &[Attribute]) -> Option<String> {
    let attr = attrs
        .iter()
        .find(|attr| attr.path().is_ident("deprecated"))?;
    let note = match &attr.meta {
        syn::Meta::Path(_) => String::new(),
        syn::Meta::NameValue(meta) => match &meta.value {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(text),
                ..
            }) => text.value(),
            _ => String::new(),
        },
        syn::Meta::List(_) => {
            let mut note = String::new();
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("note") {
                    note = meta.value()?.parse::<LitStr>()?.value();
                } else if meta.input.peek(syn::Token![=]) {
                    meta.value()?.parse::<Expr>()?;
                }
                Ok(())
            });
            note
        }
    };
    Some(note)
}

/// One key of an `#[analytics(...)]` attribute (`range`, `name`...), with the
/// span of the key itself.
#[derive(Clone)]
pub struct Key {
    pub name: String,
    pub span: Span,
}

/// A key that the attribute does not have, with the closest known key.
pub struct UnknownKey {
    pub name: String,
    pub span: Span,
    pub suggestion: Option<&'static str>,
    pub known: &'static [&'static str],
}

/// A key written twice.
pub struct DuplicateKey {
    pub name: String,
    pub first: Span,
    pub second: Span,
}

/// The keys of every `#[analytics(...)]` attribute of an item, in order,
/// the keys of a repeated key, and the attributes with each repeated key
/// removed (so that darling parses the first one and does not report the
/// repetition a second time, without the "first one here").
///
/// `multiple` lists the keys that may repeat (`check`). An attribute that does
/// not parse as a list of metas is kept as is: darling reports it.
pub struct ScannedAttrs {
    pub keys: Vec<Key>,
    pub duplicates: Vec<DuplicateKey>,
    pub unknown: Vec<UnknownKey>,
    /// `Some` when a duplicate was removed: the attributes to give darling.
    pub deduplicated: Option<Vec<Attribute>>,
}

impl ScannedAttrs {
    /// The span of the first `name` key, if written.
    pub fn span_of(&self, name: &str) -> Option<Span> {
        self.keys
            .iter()
            .find(|key| key.name == name)
            .map(|key| key.span)
    }
}

/// Scans the `#[analytics(...)]` attributes (see [`ScannedAttrs`]); `known`
/// lists the keys the attribute takes there.
pub fn scan(
    attrs: &[Attribute],
    known: &'static [&'static str],
    multiple: &[&str],
) -> ScannedAttrs {
    let mut keys: Vec<Key> = Vec::new();
    let mut duplicates = Vec::new();
    let mut unknown = Vec::new();
    let mut rebuilt = Vec::with_capacity(attrs.len());
    for attr in attrs {
        if !attr.path().is_ident(ANALYTICS) {
            rebuilt.push(attr.clone());
            continue;
        }
        let Ok(metas) = attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
        else {
            rebuilt.push(attr.clone());
            continue;
        };
        let mut kept: Punctuated<Meta, Token![,]> = Punctuated::new();
        for meta in metas {
            let path = meta.path();
            let name = match path.get_ident() {
                Some(ident) => ident.to_string(),
                None => quote::ToTokens::to_token_stream(path).to_string(),
            };
            let span = path.span();
            if !known.contains(&name.as_str()) {
                unknown.push(UnknownKey {
                    suggestion: did_you_mean(&name, known),
                    name,
                    span,
                    known,
                });
                continue;
            }
            let repeated =
                !multiple.contains(&name.as_str()) && keys.iter().any(|key| key.name == name);
            if repeated {
                let first = keys
                    .iter()
                    .find(|key| key.name == name)
                    .map(|key| key.span)
                    .unwrap_or(span);
                duplicates.push(DuplicateKey {
                    name,
                    first,
                    second: span,
                });
                continue;
            }
            keys.push(Key { name, span });
            kept.push(meta);
        }
        let mut attr = attr.clone();
        if let Meta::List(list) = &mut attr.meta {
            list.tokens = quote::ToTokens::to_token_stream(&kept);
        }
        rebuilt.push(attr);
    }
    let deduplicated = (!duplicates.is_empty() || !unknown.is_empty()).then_some(rebuilt);
    ScannedAttrs {
        keys,
        duplicates,
        unknown,
        deduplicated,
    }
}

/// Parses the container's `#[analytics(...)]` with darling, after the
/// duplicate-key scan (duplicates are reported by `check::duplicate_keys`).
pub fn parse_container<T: FromDeriveInput>(
    input: &syn::DeriveInput,
    known: &'static [&'static str],
    errors: &mut crate::model::Errors,
) -> Option<T> {
    let scanned = scan(&input.attrs, known, crate::symbol::REPEATABLE_KEYS);
    crate::check::unknown_keys(&scanned.unknown, errors);
    crate::check::duplicate_keys(&scanned.duplicates, errors);
    match scanned.deduplicated {
        None => errors.handle(T::from_derive_input(input)),
        Some(attrs) => {
            let mut input = input.clone();
            input.attrs = attrs;
            errors.handle(T::from_derive_input(&input))
        }
    }
}

/// The known key closest to `name`, if one is close (darling's rule: Jaro
/// similarity above 0.8).
fn did_you_mean(name: &str, known: &[&'static str]) -> Option<&'static str> {
    known
        .iter()
        .map(|candidate| (strsim::jaro(name, candidate), *candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symbol::{ENUM_KEYS, EVENT_KEYS, FIELDS_KEYS, FIELD_KEYS};

    /// The key lists of `symbol.rs` (used for unknown-key errors) are exactly
    /// what darling accepts: every listed key parses.
    #[test]
    fn key_lists_match_the_darling_structs() {
        let field: syn::Field = syn::parse_quote! {
            #[analytics(flatten, rename = "x", pii, deprecated = "d", range(min = 1),
                length(max = 2), non_empty, pattern = "a", one_of = ["a"], custom = f)]
            x: String
        };
        assert!(FieldAttrs::from_field(&field).is_ok());
        assert_eq!(
            scan(&field.attrs, FIELD_KEYS, &[]).keys.len(),
            FIELD_KEYS.len()
        );

        let event: syn::DeriveInput = syn::parse_quote! {
            #[analytics(name = "n", version = 2, any_name, crate = krate, check = c, check = d)]
            struct E { x: u8 }
        };
        assert!(EventAttrs::from_derive_input(&event).is_ok());
        let scanned = scan(&event.attrs, EVENT_KEYS, crate::symbol::REPEATABLE_KEYS);
        assert!(scanned.unknown.is_empty() && scanned.duplicates.is_empty());

        let fields: syn::DeriveInput = syn::parse_quote!(
            #[analytics(crate = krate, check = c)]
            struct F {
                x: u8,
            }
        );
        assert!(FieldsAttrs::from_derive_input(&fields).is_ok());
        assert_eq!(
            scan(&fields.attrs, FIELDS_KEYS, &[]).keys.len(),
            FIELDS_KEYS.len()
        );

        let enumeration: syn::DeriveInput = syn::parse_quote!(
            #[analytics(crate = krate)]
            enum G {
                A,
            }
        );
        assert!(EnumAttrs::from_derive_input(&enumeration).is_ok());
        assert_eq!(
            scan(&enumeration.attrs, ENUM_KEYS, &[]).keys.len(),
            ENUM_KEYS.len()
        );
    }

    #[test]
    fn unknown_and_duplicate_keys() {
        let field: syn::Field = syn::parse_quote! {
            #[analytics(rnage(min = 1), non_empty)]
            #[analytics(non_empty, zzz)]
            x: String
        };
        let scanned = scan(&field.attrs, FIELD_KEYS, &[]);
        let unknown: Vec<_> = scanned
            .unknown
            .iter()
            .map(|key| (key.name.as_str(), key.suggestion))
            .collect();
        assert_eq!(unknown, [("rnage", Some("range")), ("zzz", None)]);
        assert_eq!(scanned.duplicates.len(), 1);
        assert_eq!(scanned.duplicates[0].name, "non_empty");
        // Darling parses what is left without complaint.
        let mut deduplicated = field.clone();
        deduplicated.attrs = scanned.deduplicated.unwrap();
        assert!(FieldAttrs::from_field(&deduplicated).is_ok());
    }
}
