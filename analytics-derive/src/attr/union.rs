//! `#[serde(...)]` of an `AnalyticsEnum` and of its variants: the keys that
//! choose serde's enum representation (`tag`, `content`, `untagged`) and the
//! renames of variants and of struct-variant fields.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, LitStr};

use super::{error, serde_keys, set, string, Errors};
use crate::symbol;

/// `#[serde(...)]` on an enum deriving `AnalyticsEnum`.
#[derive(Default)]
pub struct SerdeEnum {
    pub rename_all: Option<LitStr>,
    pub tag: Option<LitStr>,
    pub content: Option<LitStr>,
    pub untagged: Option<Span>,
    pub deny_unknown_fields: Option<Span>,
}

/// serde's representation of an enum, as written on the container.
pub enum Tagging {
    /// `{"Variant": payload}`, `"Unit"`: serde's default.
    External,
    /// `#[serde(tag = "..")]`: the tag inside the variant's object.
    Internal { tag: LitStr },
    /// `#[serde(tag = "..", content = "..")]`.
    Adjacent { tag: LitStr, content: LitStr },
    /// `#[serde(untagged)]`: the payload alone.
    Untagged,
}

impl SerdeEnum {
    /// The representation the keys select; a combination serde rejects is an
    /// error on the key at fault.
    pub fn tagging(&self, errors: &mut Errors) -> Tagging {
        match (&self.tag, &self.content, self.untagged) {
            (None, None, None) => Tagging::External,
            (Some(tag), None, None) => Tagging::Internal { tag: tag.clone() },
            (Some(tag), Some(content), None) => Tagging::Adjacent {
                tag: tag.clone(),
                content: content.clone(),
            },
            (None, None, Some(_)) => Tagging::Untagged,
            (None, Some(content), _) => {
                errors.push(error(
                    content,
                    "`content` needs `tag` next to it: `#[serde(tag = \"type\", content = \"data\")]`",
                ));
                Tagging::External
            }
            (Some(tag), _, Some(_)) => {
                errors.push(error(
                    tag,
                    "an enum is either `untagged` or has a `tag`, not both; keep one",
                ));
                Tagging::Untagged
            }
        }
    }
}

/// Reads `#[serde(...)]` of an enum deriving `AnalyticsEnum`.
pub fn serde_enum(attrs: &[Attribute], derive: &str, errors: &mut Errors) -> SerdeEnum {
    let mut out = SerdeEnum::default();
    serde_keys(attrs, derive, errors, |key, meta, errors| {
        let span = meta.path.span();
        if key == symbol::RENAME_ALL {
            set(&mut out.rename_all, string(meta)?, span, key, errors);
        } else if key == symbol::RENAME {
            // The Rust-side name of the type: it does not change the JSON.
            string(meta)?;
        } else if key == symbol::TAG {
            set(&mut out.tag, string(meta)?, span, key, errors);
        } else if key == symbol::CONTENT {
            set(&mut out.content, string(meta)?, span, key, errors);
        } else if key == symbol::UNTAGGED {
            set(&mut out.untagged, span, span, key, errors);
        } else if key == symbol::DENY_UNKNOWN_FIELDS {
            set(&mut out.deny_unknown_fields, span, span, key, errors);
        } else {
            return Ok(false);
        }
        Ok(true)
    });
    out
}

/// `#[serde(...)]` on a variant of an enum with data.
#[derive(Default)]
pub struct SerdeUnionVariant {
    pub rename: Option<LitStr>,
    /// Renames the fields of a struct variant.
    pub rename_all: Option<LitStr>,
}

/// Reads `#[serde(...)]` of a variant of an enum with data.
pub fn serde_union_variant(
    attrs: &[Attribute],
    derive: &str,
    errors: &mut Errors,
) -> SerdeUnionVariant {
    let mut out = SerdeUnionVariant::default();
    serde_keys(attrs, derive, errors, |key, meta, errors| {
        let span = meta.path.span();
        if key == symbol::RENAME {
            set(&mut out.rename, string(meta)?, span, key, errors);
        } else if key == symbol::RENAME_ALL {
            set(&mut out.rename_all, string(meta)?, span, key, errors);
        } else {
            return Ok(false);
        }
        Ok(true)
    });
    out
}
