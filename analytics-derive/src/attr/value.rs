//! The argument types of `#[analytics(...)]` keys, each parsed by darling
//! with an error that names the key and shows what to write.

use darling::ast::NestedMeta;
use darling::FromMeta;
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Expr, ExprArray, Lit, LitStr, Meta};

use super::{error, key_name};

/// A string literal argument (`name = "..."`), whose error names the key and
/// shows the value quoted (darling's own says "Unexpected type `path`").
pub struct Str(pub LitStr);

impl FromMeta for Str {
    fn from_meta(item: &Meta) -> darling::Result<Self> {
        let key = key_name(item.path());
        match item {
            Meta::NameValue(meta) => match &meta.value {
                Expr::Lit(syn::ExprLit {
                    lit: Lit::Str(value),
                    ..
                }) => Ok(Str(value.clone())),
                other => {
                    let text = quote::ToTokens::to_token_stream(other).to_string();
                    let text = text.trim_matches('\'');
                    Err(error(
                        other,
                        format!("`{key}` takes a string literal: `{key} = \"{text}\"`"),
                    ))
                }
            },
            _ => Err(error(
                item,
                format!("`{key}` takes a string literal: `{key} = \"...\"`"),
            )),
        }
    }
}

/// An integer literal argument (`version = 2`): darling's own would accept
/// the string `"2"` too.
pub struct Int {
    pub value: u32,
}

impl FromMeta for Int {
    fn from_meta(item: &Meta) -> darling::Result<Self> {
        let key = key_name(item.path());
        let hint = |span: &dyn quote::ToTokens, shown: String| {
            error(
                span.to_token_stream(),
                format!("`{key}` takes an integer literal: `{key} = {shown}`"),
            )
        };
        let Meta::NameValue(meta) = item else {
            return Err(hint(item, "1".to_owned()));
        };
        match &meta.value {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Int(int), ..
            }) => int
                .base10_parse::<u32>()
                .map(|value| Int { value })
                .map_err(|problem| error(int, format!("invalid `{key}`: {problem}"))),
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(text),
                ..
            }) => Err(hint(text, text.value())),
            other => Err(hint(other, "1".to_owned())),
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
                let key = key_name(other.path());
                Err(error(
                    other,
                    format!("`{key}` takes no value: write `{key}` alone"),
                ))
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
            Meta::List(list) => {
                // Parsed inside the parentheses so that an incomplete bound
                // (`min =`) points at them, not at the `#[derive]` line.
                let items = list.parse_args_with(
                    syn::punctuated::Punctuated::<darling::ast::NestedMeta, syn::Token![,]>::parse_terminated,
                )?;
                let items: Vec<_> = items.into_iter().collect();
                let list = BoundsList::from_list(&items).map_err(|error| error.with_span(list))?;
                Ok(BoundsAttr {
                    min: list.min,
                    max: list.max,
                })
            }
            other => {
                let key = key_name(other.path());
                Err(error(
                    other.path(),
                    format!("`{key}` takes its bounds in parentheses: `{key}(min = 1, max = 10)`, or one of them"),
                ))
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
    pub span: Span,
}

impl FromMeta for StrList {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        let Expr::Array(ExprArray { elems, .. }) = expr else {
            return Err(error(
                expr,
                "expected a list of strings: `one_of = [\"a\", \"b\"]`",
            ));
        };
        let mut errors = darling::Error::accumulator();
        let mut values = Vec::new();
        for elem in elems {
            match elem {
                Expr::Lit(syn::ExprLit {
                    lit: Lit::Str(value),
                    ..
                }) => values.push(value.clone()),
                other => errors.push(error(other, "expected a string literal")),
            }
        }
        errors.finish_with(StrList {
            values,
            span: expr.span(),
        })
    }

    fn from_list(items: &[NestedMeta]) -> darling::Result<Self> {
        let mut errors = darling::Error::accumulator();
        let mut values = Vec::new();
        for item in items {
            match item {
                NestedMeta::Lit(Lit::Str(value)) => values.push(value.clone()),
                other => errors.push(error(other, "expected a string literal")),
            }
        }
        let span = items
            .first()
            .map(Spanned::span)
            .unwrap_or_else(Span::call_site);
        errors.finish_with(StrList { values, span })
    }
}
