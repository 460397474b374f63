//! A field's model, from its `#[analytics(...)]` and `#[serde(...)]`
//! attributes: wire name, skips, serde codec, rules with their numbers.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Expr, Lit, LitStr, Type};

use super::{Field, FieldDefault, Identity, Number, NumberValue, RuleKind, RuleSpec, SerdeCodec};
use crate::attr::{self, Errors, FieldAttrs};
use crate::case::Rename;

impl<'a> Field<'a> {
    pub(super) fn from_syn(
        field: &'a syn::Field,
        derive: &str,
        rename: Rename,
        errors: &mut Errors,
    ) -> Field<'a> {
        let member = field
            .ident
            .as_ref()
            .expect("the shape check admits named fields only");
        let parsed = attr::analytics::<FieldAttrs>(&field.attrs, errors);
        // The span of a rule is its key (`range`, `non_empty`...): where a
        // rule on the wrong type is reported.
        let keys = parsed.keys;
        let key_span = |name: &str, fallback: Span| {
            keys.iter()
                .find(|key| key.name == name)
                .map_or(fallback, |key| key.span)
        };
        let ours = parsed.attrs;
        let serde = attr::serde_field(&field.attrs, derive, errors);
        let rust_name = member.unraw().to_string();

        let (wire_name, wire_span) = match (ours.rename.map(|name| name.0), serde.rename) {
            (Some(first), Some(second)) => {
                errors.push(
                    darling::Error::custom(
                        "the field is renamed twice (`analytics` and `serde`); keep one",
                    )
                    .with_span(&second),
                );
                (first.value(), first.span())
            }
            (Some(name), None) | (None, Some(name)) => (name.value(), name.span()),
            (None, None) => (rename.field(&rust_name), member.span()),
        };

        let flatten = match ours.flatten.is_present() {
            true => Some(ours.flatten.span()),
            false => serde.flatten,
        };

        let path_of = |text: &LitStr, key: &str, errors: &mut Errors| {
            errors.handle(text.parse::<syn::ExprPath>().map_err(|error| {
                darling::Error::custom(format!("`{key}` must name a function: {error}"))
                    .with_span(text)
            }))
        };
        let mut codec = None;
        if ours.serde.is_present()
            || serde.with.is_some()
            || serde.serialize_with.is_some()
            || serde.deserialize_with.is_some()
        {
            let (mut serialize, mut deserialize) = (None, None);
            if let Some(module) = &serde.with {
                if let Some(path) = path_of(module, "with", errors) {
                    let (mut ser, mut de) = (path.clone(), path);
                    ser.path
                        .segments
                        .push(syn::Ident::new("serialize", module.span()).into());
                    de.path
                        .segments
                        .push(syn::Ident::new("deserialize", module.span()).into());
                    serialize = Some(ser);
                    deserialize = Some(de);
                }
            }
            if let Some(text) = &serde.serialize_with {
                serialize = path_of(text, "serialize_with", errors).or(serialize);
            }
            if let Some(text) = &serde.deserialize_with {
                deserialize = path_of(text, "deserialize_with", errors).or(deserialize);
            }
            let span = match ours.serde.is_present() {
                true => ours.serde.span(),
                false => field.ty.span(),
            };
            codec = Some(SerdeCodec {
                span,
                serialize,
                deserialize,
                schema: ours.schema.clone(),
            });
        } else if let Some(schema) = &ours.schema {
            errors.push(
                darling::Error::custom(
                    "`schema` describes an `#[analytics(serde)]` field: add `serde`",
                )
                .with_span(schema),
            );
        }
        let skip_serializing = serde.skip.or(serde.skip_serializing);
        let skip_deserializing = serde.skip.or(serde.skip_deserializing);
        let skip_if = serde.skip_serializing_if.and_then(|path| {
            errors.handle(path.parse::<syn::ExprPath>().map_err(|error| {
                darling::Error::custom(format!(
                    "`skip_serializing_if` must name a function: {error}"
                ))
                .with_span(&path)
            }))
        });
        let default = serde.default.and_then(|(_, default)| match default {
            None => Some(FieldDefault::Trait),
            Some(path) => errors
                .handle(path.parse::<syn::ExprPath>().map_err(|error| {
                    darling::Error::custom(format!("`default` must name a function: {error}"))
                        .with_span(&path)
                }))
                .map(FieldDefault::Path),
        });

        let mut rules = Vec::new();
        if let Some(bounds) = ours.range {
            let span = key_span("range", bounds_span(&bounds));
            if let Some((min, max)) = bounds_of(&bounds, "range", errors) {
                rules.push(RuleSpec {
                    kind: RuleKind::Range { min, max },
                    span,
                });
            }
        }
        if let Some(bounds) = ours.length {
            let span = key_span("length", bounds_span(&bounds));
            if let Some((min, max)) = bounds_of(&bounds, "length", errors) {
                rules.push(RuleSpec {
                    kind: RuleKind::Length { min, max },
                    span,
                });
            }
        }
        if ours.non_empty.is_present() {
            rules.push(RuleSpec {
                kind: RuleKind::NonEmpty,
                span: key_span("non_empty", ours.non_empty.span()),
            });
        }
        if let Some(attr::Str(pattern)) = ours.pattern {
            rules.push(RuleSpec {
                span: key_span("pattern", pattern.span()),
                kind: RuleKind::Pattern(pattern),
            });
        }
        if let Some(list) = ours.one_of {
            rules.push(RuleSpec {
                span: key_span("one_of", list.span),
                kind: RuleKind::OneOf(list.values, list.span),
            });
        }
        if let Some(path) = ours.custom {
            rules.push(RuleSpec {
                span: path.span(),
                kind: RuleKind::Custom(path),
            });
        }

        let deprecated = match ours.deprecated {
            Some(attr::Str(note)) => Some(note.value()),
            None => attr::deprecation(&field.attrs),
        };

        // In the order written, so a second role is the one reported.
        let mut identity: Vec<(Identity, Span)> = [
            (Identity::UserId, &ours.user_id),
            (Identity::AnonymousId, &ours.anonymous_id),
        ]
        .into_iter()
        .filter(|(_, switch)| switch.is_present())
        .map(|(role, switch)| (role, key_span(role.key(), switch.span())))
        .collect();
        identity.sort_by_key(|(role, _)| keys.iter().position(|key| key.name == role.key()));

        Field {
            member,
            rust_name,
            ty: &field.ty,
            wire_name,
            wire_span,
            flatten,
            envelope: ours.envelope.is_present().then(|| ours.envelope.span()),
            skip_if,
            default,
            rules,
            description: attr::doc_comment(&field.attrs),
            pii: ours.pii.is_present(),
            deprecated,
            identity,
            is_option: is_option(&field.ty),
            skip_serializing,
            skip_deserializing,
            aliases: serde.alias,
            codec,
        }
    }
}

/// The bounds of `range` / `length`; `None` when one did not parse (its
/// error is reported, and the rule is dropped so nothing follows from it).
fn bounds_of(
    bounds: &attr::BoundsAttr,
    rule: &str,
    errors: &mut Errors,
) -> Option<(Option<Number>, Option<Number>)> {
    let mut parse = |bound: &Option<attr::RawExpr>| match bound {
        None => Some(None),
        Some(expr) => number(&expr.0, rule, errors).map(Some),
    };
    let min = parse(&bounds.min);
    let max = parse(&bounds.max);
    Some((min?, max?))
}

fn bounds_span(bounds: &attr::BoundsAttr) -> Span {
    bounds
        .min
        .as_ref()
        .or(bounds.max.as_ref())
        .map(|expr| expr.0.span())
        .unwrap_or_else(Span::call_site)
}

/// Reads `-1`, `255`, `0.5`, `-1e3` (a literal, possibly negated).
fn number(expr: &Expr, rule: &str, errors: &mut Errors) -> Option<Number> {
    let (negative, lit) = match expr {
        Expr::Lit(lit) => (false, &lit.lit),
        Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => match &**expr {
            Expr::Lit(lit) => (true, &lit.lit),
            _ => return wrong_literal(expr, rule, errors),
        },
        _ => return wrong_literal(expr, rule, errors),
    };
    let value = match lit {
        Lit::Int(int) => match int.base10_parse::<i128>() {
            Ok(value) => NumberValue::Int(if negative { -value } else { value }),
            Err(error) => {
                errors.push(
                    darling::Error::custom(format!("invalid `{rule}` bound: {error}"))
                        .with_span(int),
                );
                return None;
            }
        },
        Lit::Float(float) => match float.base10_parse::<f64>() {
            Ok(value) if value.is_finite() => {
                NumberValue::Float(if negative { -value } else { value })
            }
            Ok(_) => {
                errors.push(
                    darling::Error::custom(format!("`{rule}` bound is too large for an f64"))
                        .with_span(float),
                );
                return None;
            }
            Err(error) => {
                errors.push(
                    darling::Error::custom(format!("invalid `{rule}` bound: {error}"))
                        .with_span(float),
                );
                return None;
            }
        },
        _ => return wrong_literal(expr, rule, errors),
    };
    Some(Number {
        value,
        tokens: quote::ToTokens::to_token_stream(expr),
    })
}

fn wrong_literal(expr: &Expr, rule: &str, errors: &mut Errors) -> Option<Number> {
    errors.push(
        darling::Error::custom(format!(
            "`{rule}` bounds must be number literals, such as `min = 0` or `max = 1.5`"
        ))
        .with_span(expr),
    );
    None
}

/// `Option<..>`, `std::option::Option<..>`, `core::option::Option<..>` (serde's syntactic rule).
fn is_option(ty: &Type) -> bool {
    let Type::Path(path) = ty else { return false };
    if path.qself.is_some() {
        return false;
    }
    let segments = &path.path.segments;
    let last = match segments.last() {
        Some(last) => last,
        None => return false,
    };
    let prefix_ok = match segments.len() {
        1 => true,
        3 => {
            let first = segments[0].ident.to_string();
            (first == "std" || first == "core") && segments[1].ident == "option"
        }
        _ => false,
    };
    prefix_ok
        && last.ident == "Option"
        && matches!(last.arguments, syn::PathArguments::AngleBracketed(_))
}
