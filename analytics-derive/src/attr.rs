//! Parsing of `#[analytics(...)]` and of the `#[serde(...)]` keys we honour,
//! with darling (unknown keys get a "did you mean" hint).

use darling::util::{Flag, Override};
use darling::{FromDeriveInput, FromField, FromMeta, FromVariant};
use syn::{Attribute, Expr, ExprArray, Lit, LitStr};

/// `#[analytics(...)]` on an event struct.
#[derive(FromDeriveInput)]
#[darling(attributes(analytics))]
pub struct EventAttrs {
    /// The wire name; default: the struct name in snake_case.
    pub name: Option<LitStr>,
    /// The event version; default 1.
    pub version: Option<darling::util::SpannedValue<u32>>,
    /// Accept any non-empty name (skip the `[a-z][a-z0-9_]*` rule).
    pub any_name: Flag,
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
    pub flatten: Flag,
    pub rename: Option<LitStr>,
    pub pii: Flag,
    pub deprecated: Option<LitStr>,
    pub range: Option<BoundsAttr>,
    pub length: Option<BoundsAttr>,
    pub non_empty: Flag,
    pub pattern: Option<LitStr>,
    pub one_of: Option<StrList>,
    pub custom: Option<syn::Path>,
}

/// `#[serde(...)]` on a field: the keys that change the wire.
#[derive(FromField, Default)]
#[darling(attributes(serde), default)]
pub struct SerdeFieldAttrs {
    pub rename: Option<LitStr>,
    pub flatten: Flag,
    pub skip_serializing_if: Option<LitStr>,
    pub default: Option<Override<LitStr>>,
}

/// `#[serde(...)]` / `#[analytics(...)]` on an enum variant.
#[derive(FromVariant, Default)]
#[darling(attributes(serde, analytics), default)]
pub struct VariantAttrs {
    pub rename: Option<LitStr>,
}

/// `(min = .., max = ..)` of `range` and `length`.
#[derive(FromMeta, Default)]
pub struct BoundsAttr {
    pub min: Option<Expr>,
    pub max: Option<Expr>,
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
