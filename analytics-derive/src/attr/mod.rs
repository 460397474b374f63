//! The first step: the attributes of the user's item, parsed once.
//!
//! `#[analytics(...)]` is read with darling (its "did you mean" for unknown
//! keys); the `#[serde(...)]` keys are read by hand against the constants of
//! `symbol.rs`, so that a serde attribute the derives do not honour is an
//! error that names it. Duplicated keys are reported here with a pointer to
//! the first one. This module knows nothing of the model or of codegen.

use darling::ast::NestedMeta;
use darling::FromMeta;
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Lit, LitStr, Meta};

use crate::symbol::{self, Symbol};

mod union;
mod value;

pub use union::{serde_enum, serde_union_variant, Tagging};
pub use value::{BoundsAttr, Int, RawExpr, Str, StrList, Switch};

/// Collects every error of one derive (see `darling::error::Accumulator`).
pub type Errors = darling::error::Accumulator;

pub(super) fn error(span: impl Spanned, message: impl std::fmt::Display) -> darling::Error {
    darling::Error::custom(message).with_span(&span.span())
}

/// `#[analytics(...)]` on an event struct.
#[derive(FromMeta, Default)]
#[darling(default)]
pub struct EventAttrs {
    /// The wire name; default: the struct name in snake_case.
    pub name: Option<Str>,
    /// The event version; default 1.
    pub version: Option<Int>,
    /// Accept any non-empty name (skip the `[a-z][a-z0-9_]*` rule).
    pub any_name: Switch,
    /// Path to the runtime crate, for crates that re-export it.
    #[darling(rename = "crate")]
    pub krate: Option<syn::Path>,
    /// Struct-level checks, `fn(&Self) -> Result<(), impl Display>`.
    #[darling(multiple)]
    pub check: Vec<syn::Path>,
    /// No `Deserialize` (faster compiles; implied by a borrowed field).
    pub write_only: Switch,
}

// One darling struct per kind of item, so that each accepts exactly its keys
// (an unknown key is darling's error, with its did-you-mean).

/// `#[analytics(...)]` on an `AnalyticsFields` struct.
#[derive(FromMeta, Default)]
#[darling(default)]
pub struct FieldsAttrs {
    #[darling(rename = "crate")]
    pub krate: Option<syn::Path>,
    #[darling(multiple)]
    pub check: Vec<syn::Path>,
    pub write_only: Switch,
}

/// `#[analytics(...)]` on an `AnalyticsEnum`.
#[derive(FromMeta, Default)]
#[darling(default)]
pub struct EnumAttrs {
    #[darling(rename = "crate")]
    pub krate: Option<syn::Path>,
}

/// `#[analytics(...)]` on an `EventCatalog`.
#[derive(FromMeta, Default)]
#[darling(default)]
pub struct CatalogAttrs {
    #[darling(rename = "crate")]
    pub krate: Option<syn::Path>,
    /// No `Deserialize`: the catalog may hold write-only events.
    pub write_only: Switch,
}

/// `#[analytics(...)]` on a field.
#[derive(FromMeta, Default)]
#[darling(default)]
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
    /// Written and read through the field type's own serde impls.
    pub serde: Switch,
    /// With `serde`: a `fn() -> serde_json::Value` giving the JSON Schema.
    pub schema: Option<syn::Path>,
    /// Written at the top level of the event's envelope, not in `event_params`.
    pub envelope: Switch,
    /// The string is the id of the user the event is about.
    pub user_id: Switch,
    /// The string is the anonymous id (device, installation) the event is about.
    pub anonymous_id: Switch,
}

/// `#[serde(...)]` or `#[analytics(...)]` on an enum variant.
#[derive(FromMeta, Default)]
#[darling(default)]
pub struct VariantAttrs {
    pub rename: Option<Str>,
}

/// One key of an attribute (`range`, `name`...), with the span of the key.
#[derive(Clone)]
pub struct Key {
    pub name: String,
    pub span: Span,
}

/// What `#[analytics(...)]` of one item says: the darling struct (its
/// defaults when a key did not parse: the error is collected) and the keys in
/// the order written, for the spans of rules.
pub struct Analytics<T> {
    pub attrs: T,
    pub keys: Vec<Key>,
    /// Every key parsed: the item's model is meaningful.
    pub ok: bool,
}

/// Reads every `#[analytics(...)]` of an item once, as one list of keys.
pub fn analytics<T: FromMeta + Default>(attrs: &[Attribute], errors: &mut Errors) -> Analytics<T> {
    let mut keys: Vec<Key> = Vec::new();
    let mut kept = Vec::new();
    let mut ok = true;
    for attr in attrs
        .iter()
        .filter(|attr| attr.path().is_ident(symbol::ANALYTICS.0))
    {
        let Some(items) = nested(attr, symbol::ANALYTICS, errors) else {
            ok = false;
            continue;
        };
        for item in items {
            let NestedMeta::Meta(meta) = &item else {
                kept.push(item);
                continue;
            };
            let name = key_name(meta.path());
            let span = meta.path().span();
            let repeatable = symbol::REPEATABLE_KEYS.contains(&name.as_str());
            if let Some(first) = keys.iter().find(|key| key.name == name && !repeatable) {
                duplicate_key(&name, first.span, span, errors);
                continue;
            }
            keys.push(Key { name, span });
            kept.push(item);
        }
    }
    let attrs = match T::from_list(&kept) {
        Ok(attrs) => attrs,
        Err(error) => {
            errors.push(error);
            ok = false;
            T::default()
        }
    };
    Analytics { attrs, keys, ok }
}

/// The items of `#[name(...)]`; `None` (with the error on the attribute)
/// when it is not a list of keys.
fn nested(attr: &Attribute, name: Symbol, errors: &mut Errors) -> Option<Vec<NestedMeta>> {
    let list = match &attr.meta {
        Meta::List(list) => list,
        other => {
            errors.push(error(
                other,
                format!("expected a list of keys: `#[{}(...)]`", name.0),
            ));
            return None;
        }
    };
    // Parsed inside the attribute's own parentheses, so that "unexpected end
    // of input" points at the closing one, not at the `#[derive]` line
    // (issue 12, finding 7).
    let items = list.parse_args_with(
        syn::punctuated::Punctuated::<NestedMeta, syn::Token![,]>::parse_terminated,
    );
    match items {
        Ok(items) => Some(items.into_iter().collect()),
        Err(problem) => {
            errors.push(problem.into());
            None
        }
    }
}

pub(super) fn key_name(path: &syn::Path) -> String {
    match path.get_ident() {
        Some(ident) => ident.to_string(),
        None => quote::ToTokens::to_token_stream(path)
            .to_string()
            .replace(' ', ""),
    }
}

/// A key written twice: an error on the second, and one on the first
/// ("first one here"), since a derive cannot emit notes.
fn duplicate_key(name: &str, first: Span, second: Span, errors: &mut Errors) {
    let what = if name == symbol::RANGE.0 || name == symbol::LENGTH.0 {
        format!(
            "duplicate `{name}` rule on this field; write both bounds in one `{name}(min = .., max = ..)`"
        )
    } else if symbol::RULE_KEYS.iter().any(|rule| rule.0 == name) {
        format!("duplicate `{name}` rule on this field; remove one")
    } else {
        format!("duplicate `{name}` key; write it once")
    };
    errors.push(error(second, what));
    errors.push(error(first, format!("first `{name}` here")));
}

// ------------------------------------------------------------------ serde

/// `#[serde(...)]` on a struct or an enum: the keys that change the wire.
#[derive(Default)]
pub struct SerdeContainer {
    pub rename_all: Option<LitStr>,
    pub deny_unknown_fields: Option<Span>,
}

/// `#[serde(...)]` on a field: the keys that change the wire.
#[derive(Default)]
pub struct SerdeField {
    pub rename: Option<LitStr>,
    pub flatten: Option<Span>,
    pub skip_serializing_if: Option<LitStr>,
    /// `default` (`None` inside) or `default = "path"`.
    pub default: Option<(Span, Option<LitStr>)>,
    pub skip: Option<Span>,
    pub skip_serializing: Option<Span>,
    pub skip_deserializing: Option<Span>,
    /// Other names accepted when reading.
    pub alias: Vec<LitStr>,
    pub with: Option<LitStr>,
    pub serialize_with: Option<LitStr>,
    pub deserialize_with: Option<LitStr>,
}

/// Reads `#[serde(...)]` of a struct or an enum.
pub fn serde_container(attrs: &[Attribute], derive: &str, errors: &mut Errors) -> SerdeContainer {
    let mut out = SerdeContainer::default();
    serde_keys(attrs, derive, errors, |key, meta, errors| {
        if key == symbol::RENAME_ALL {
            set(
                &mut out.rename_all,
                string(meta)?,
                meta.path.span(),
                key,
                errors,
            );
        } else if key == symbol::RENAME {
            // The Rust-side name of the type: it does not change the JSON.
            string(meta)?;
        } else if key == symbol::DENY_UNKNOWN_FIELDS {
            let span = meta.path.span();
            set(&mut out.deny_unknown_fields, span, span, key, errors);
        } else {
            return Ok(false);
        }
        Ok(true)
    });
    out
}

/// Reads `#[serde(...)]` of a field.
pub fn serde_field(attrs: &[Attribute], derive: &str, errors: &mut Errors) -> SerdeField {
    let mut out = SerdeField::default();
    serde_keys(attrs, derive, errors, |key, meta, errors| {
        if key == symbol::RENAME {
            set(
                &mut out.rename,
                string(meta)?,
                meta.path.span(),
                key,
                errors,
            );
        } else if key == symbol::FLATTEN {
            set(
                &mut out.flatten,
                meta.path.span(),
                meta.path.span(),
                key,
                errors,
            );
        } else if key == symbol::SKIP_SERIALIZING_IF {
            set(
                &mut out.skip_serializing_if,
                string(meta)?,
                meta.path.span(),
                key,
                errors,
            );
        } else if key == symbol::DEFAULT {
            let path = if meta.input.peek(syn::Token![=]) {
                Some(string(meta)?)
            } else {
                None
            };
            set(
                &mut out.default,
                (meta.path.span(), path),
                meta.path.span(),
                key,
                errors,
            );
        } else if key == symbol::SKIP {
            let span = meta.path.span();
            set(&mut out.skip, span, span, key, errors);
        } else if key == symbol::SKIP_SERIALIZING {
            let span = meta.path.span();
            set(&mut out.skip_serializing, span, span, key, errors);
        } else if key == symbol::SKIP_DESERIALIZING {
            let span = meta.path.span();
            set(&mut out.skip_deserializing, span, span, key, errors);
        } else if key == symbol::ALIAS {
            out.alias.push(string(meta)?);
        } else if key == symbol::WITH {
            let span = meta.path.span();
            set(&mut out.with, string(meta)?, span, key, errors);
        } else if key == symbol::SERIALIZE_WITH {
            let span = meta.path.span();
            set(&mut out.serialize_with, string(meta)?, span, key, errors);
        } else if key == symbol::DESERIALIZE_WITH {
            let span = meta.path.span();
            set(&mut out.deserialize_with, string(meta)?, span, key, errors);
        } else {
            return Ok(false);
        }
        Ok(true)
    });
    out
}

/// Calls `accept` on every key of every `#[serde(...)]`; a key it does not
/// take (`Ok(false)`) is an error naming it. A key that does not parse stops
/// that attribute, with the error on the token at fault.
fn serde_keys(
    attrs: &[Attribute],
    derive: &str,
    errors: &mut Errors,
    mut accept: impl FnMut(Symbol, &syn::meta::ParseNestedMeta<'_>, &mut Errors) -> syn::Result<bool>,
) {
    for attr in attrs
        .iter()
        .filter(|attr| attr.path().is_ident(symbol::SERDE.0))
    {
        if !matches!(attr.meta, Meta::List(_)) {
            errors.push(error(
                &attr.meta,
                "expected a list of keys: `#[serde(...)]`",
            ));
            continue;
        }
        let result = attr.parse_nested_meta(|meta| {
            let name = key_name(&meta.path);
            let known = symbol::SERDE_KEYS.iter().find(|key| key.0 == name);
            let taken = match known {
                Some(key) => accept(*key, &meta, errors)?,
                None => false,
            };
            if !taken {
                errors.push(error(
                    &meta.path,
                    format!("`#[serde({name})]` is not supported by `{derive}` here; remove it (the derives write the JSON themselves and would not honour it)"),
                ));
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(problem) = result {
            errors.push(problem.into());
        }
    }
}

/// Consumes `= value` or `(...)` after a key that is reported, so that the
/// next keys are still read.
fn skip_value(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| skip_value(&inner))?;
    }
    Ok(())
}

/// `key = "string"`, with the error on the value when it is not one.
fn string(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    let key = key_name(&meta.path);
    let value = meta.value()?;
    let mut expr: Expr = value.parse()?;
    // A literal passed through a `macro_rules!` fragment comes in a group.
    while let Expr::Group(group) = expr {
        expr = *group.expr;
    }
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(text),
            ..
        }) => Ok(text),
        other => Err(syn::Error::new_spanned(
            &other,
            format!("`{key}` takes a string literal: `{key} = \"...\"`"),
        )),
    }
}

/// Stores a serde key's value; a second one is an error.
fn set<T>(slot: &mut Option<T>, value: T, span: Span, key: Symbol, errors: &mut Errors) {
    if slot.is_some() {
        errors.push(error(
            span,
            format!("duplicate `{}` in `#[serde(...)]`; write it once", key.0),
        ));
    } else {
        *slot = Some(value);
    }
}

// ------------------------------------------------------------ doc comments

/// The text of the doc comments, one line each, trimmed.
pub fn doc_comment(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let Meta::NameValue(meta) = &attr.meta {
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
        Meta::Path(_) => String::new(),
        Meta::NameValue(meta) => match &meta.value {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(text),
                ..
            }) => text.value(),
            _ => String::new(),
        },
        Meta::List(_) => {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_key_parses_once() {
        let field: syn::Field = syn::parse_quote! {
            #[analytics(flatten, rename = "x", pii, deprecated = "d", range(min = 1),
                length(max = 2), non_empty, pattern = "a", one_of = ["a"], custom = f)]
            x: String
        };
        let mut errors = darling::Error::accumulator();
        let parsed: Analytics<FieldAttrs> = analytics(&field.attrs, &mut errors);
        assert!(errors.finish().is_ok());
        assert!(parsed.ok);
        assert_eq!(parsed.keys.len(), 10);
        let mut errors = darling::Error::accumulator();
        let field: syn::Field = syn::parse_quote! {
            #[analytics(serde, schema = s)]
            x: String
        };
        let parsed: Analytics<FieldAttrs> = analytics(&field.attrs, &mut errors);
        assert!(errors.finish().is_ok());
        assert!(parsed.ok && parsed.attrs.serde.is_present() && parsed.attrs.schema.is_some());
    }

    #[test]
    fn duplicates_are_dropped_and_reported() {
        let field: syn::Field = syn::parse_quote! {
            #[analytics(non_empty)]
            #[analytics(non_empty, check = a, check = b)]
            x: String
        };
        let mut errors = darling::Error::accumulator();
        let parsed: Analytics<EventAttrs> = analytics(&field.attrs, &mut errors);
        // `non_empty` twice (2 errors: the duplicate and "first here"), then
        // darling: `non_empty` is not an event key.
        let messages: Vec<String> = errors
            .finish()
            .unwrap_err()
            .into_iter()
            .map(|error| error.to_string())
            .collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].starts_with("duplicate `non_empty` rule"));
        assert_eq!(parsed.keys.len(), 3);
    }

    #[test]
    fn serde_keys_not_honoured_are_named() {
        let field: syn::Field = syn::parse_quote! {
            #[serde(rename = "y", borrow, with = "m", default, bound = "T: X")]
            x: String
        };
        let mut errors = darling::Error::accumulator();
        let serde = serde_field(&field.attrs, "AnalyticsEvent", &mut errors);
        assert_eq!(serde.rename.unwrap().value(), "y");
        assert!(serde.default.is_some());
        assert!(serde.with.is_some());
        let messages: Vec<String> = errors
            .finish()
            .unwrap_err()
            .into_iter()
            .map(|error| error.to_string())
            .collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].starts_with("`#[serde(borrow)]` is not supported"));
        assert!(messages[1].starts_with("`#[serde(bound)]` is not supported"));
    }
}
