//! The Markdown rendering of a tracking plan (GitHub-flavoured).
//!
//! Layout: a title and legend, an index table of the events (linked to their
//! sections), one section per event with a table of its fields (nested
//! objects' fields follow their object as dotted rows), then one section per
//! enum with its values.

use std::fmt::Write as _;

use crate::plan::definitions::Definitions;
use crate::plan::{PlanEnum, PlanField, PlanType, PlanUnion, PlanVariantShape, TrackingPlan};
use crate::schema::describe_with;
use crate::schema::Tagging;

impl TrackingPlan {
    /// The Markdown rendering: an index of events, then a table per event
    /// (field, type, required, rules, PII, description), then the enums.
    pub fn to_markdown(&self) -> String {
        render(self)
    }
}

fn render(plan: &TrackingPlan) -> String {
    let mut defs = Definitions::default();
    let mut out = String::new();
    out.push_str("# Tracking plan\n\n");
    let count = plan.events.len();
    let _ = writeln!(
        out,
        "{count} event{}. Generated from the event definitions by `analytics-core`: do not edit by hand.\n",
        if count == 1 { "" } else { "s" }
    );
    out.push_str(
        "Every event is sent as `{\"event_type\": \"<event>\", \"event_params\": {...}}`; \
         the tables list the keys of `event_params`. \
         **Required**: the key is always present (its value may still be `null` when the type says so). \
         **PII**: the value is personal data.\n\n",
    );
    if plan.events.is_empty() {
        out.push_str("No events.\n");
        return out;
    }

    out.push_str("## Events\n\n| Event | Version | Description |\n|---|---|---|\n");
    for event in &plan.events {
        let _ = writeln!(
            out,
            "| [`{}`](#{}) | {} | {} |",
            cell(&event.name),
            anchor(&event.name),
            event.version,
            cell(first_paragraph(&event.description)),
        );
    }

    for event in &plan.events {
        let _ = writeln!(out, "\n## `{}`\n", event.name);
        if !event.description.is_empty() {
            let _ = writeln!(out, "{}\n", event.description.trim());
        }
        let _ = writeln!(
            out,
            "Version {} · Rust type `{}` · {} field{}\n",
            event.version,
            event.rust_type,
            event.fields.len(),
            if event.fields.len() == 1 { "" } else { "s" }
        );
        if !event.envelope.is_empty() {
            out.push_str("Envelope keys, beside `event_type` (before `event_params`):\n\n");
            field_table(&mut out, &event.envelope, &mut defs);
            out.push('\n');
        }
        if !event.checks.is_empty() {
            let _ = writeln!(
                out,
                "Checks (run by `validate()`): {}.\n",
                code_list(&event.checks)
            );
        }
        if event.fields.is_empty() {
            out.push_str("No fields: `event_params` is `{}`.\n");
            continue;
        }
        field_table(&mut out, &event.fields, &mut defs);
    }

    // Union variants may name further unions and enums: walk by index.
    if !defs.unions.is_empty() {
        out.push_str("\n## Unions\n");
        let mut index = 0;
        let mut sections = Vec::new();
        while let Some((key, union)) = defs.unions.get(index).cloned() {
            sections.push((key.clone(), union_section(&key, &union, &mut defs)));
            index += 1;
        }
        sections.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, section) in sections {
            out.push_str(&section);
        }
    }

    if !defs.enums.is_empty() {
        out.push_str("\n## Enums\n");
        let mut enums = defs.enums.clone();
        enums.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, schema) in &enums {
            enum_section(&mut out, key, schema);
        }
    }
    out
}

fn field_table(out: &mut String, fields: &[PlanField], defs: &mut Definitions) {
    out.push_str("| Field | Type | Required | Rules | PII | Description |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for field in fields {
        field_rows(out, "", field, defs);
    }
}

fn code_list(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("`{}`", cell(item)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn union_section(key: &str, union: &PlanUnion, defs: &mut Definitions) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n### Union `{key}`\n");
    if !union.description.is_empty() {
        let _ = writeln!(out, "{}\n", union.description.trim());
    }
    let tagging = match union.tagging {
        Tagging::External => {
            "externally tagged: `{\"<variant>\": <payload>}`, a unit variant as `\"<variant>\"`"
                .to_owned()
        }
        Tagging::Internal { tag } => {
            format!("internally tagged: `{{\"{tag}\": \"<variant>\", <fields>}}`")
        }
        Tagging::Adjacent { tag, content } => {
            format!("adjacently tagged: `{{\"{tag}\": \"<variant>\", \"{content}\": <payload>}}`")
        }
        Tagging::Untagged => "untagged: the payload alone, a unit variant as `null`".to_owned(),
    };
    let _ = writeln!(out, "Written {tagging}.\n");
    out.push_str("| Variant | Carries | Description |\n|---|---|---|\n");
    for variant in &union.variants {
        let carries = match &variant.shape {
            PlanVariantShape::Unit => "nothing".to_owned(),
            PlanVariantShape::Newtype(ty) => type_cell(ty, defs),
            PlanVariantShape::Tuple(items) => {
                let items: Vec<String> = items.iter().map(|item| type_cell(item, defs)).collect();
                format!("tuple ({})", items.join(", "))
            }
            PlanVariantShape::Struct(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|field| {
                        let mut ty = type_cell(&field.ty, defs);
                        if field.nullable {
                            ty.push_str(" or null");
                        }
                        format!("`{}`: {ty}", cell(&field.name))
                    })
                    .collect();
                format!("fields {}", fields.join(", "))
            }
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            cell(&variant.name),
            carries,
            cell(&variant.description)
        );
    }
    out
}

fn enum_section(out: &mut String, key: &str, schema: &PlanEnum) {
    let _ = writeln!(out, "\n### Enum `{key}`\n");
    if !schema.description.is_empty() {
        let _ = writeln!(out, "{}\n", schema.description.trim());
    }
    if schema
        .values
        .iter()
        .all(|value| value.description.trim().is_empty())
    {
        // Nothing to say per value: a list reads better than a half-empty table.
        let values: Vec<String> = schema
            .values
            .iter()
            .map(|value| format!("`{}`", value.name))
            .collect();
        let _ = writeln!(out, "Values: {}.", values.join(", "));
        return;
    }
    out.push_str("| Value | Description |\n|---|---|\n");
    for value in &schema.values {
        let _ = writeln!(
            out,
            "| `{}` | {} |",
            cell(&value.name),
            cell(&value.description)
        );
    }
}

fn field_rows(out: &mut String, prefix: &str, field: &PlanField, defs: &mut Definitions) {
    let path = format!("{prefix}{}", field.name);
    let mut ty = type_cell(&field.ty, defs);
    if field.nullable {
        ty.push_str(" or null");
    }
    let rules = field
        .rules
        .iter()
        .map(|rule| format!("`{}`", cell(&rule.to_string())))
        .collect::<Vec<_>>()
        .join("<br>");
    let mut description = cell(&field.description);
    if let Some(note) = &field.deprecated {
        let note = cell(note);
        description = match (note.is_empty(), description.is_empty()) {
            (true, _) => format!("**Deprecated.** {description}"),
            (false, true) => format!("**Deprecated:** {note}"),
            (false, false) => format!("**Deprecated:** {note}<br>{description}"),
        };
    }
    if let Some(role) = field.identity {
        description = match description.is_empty() {
            true => format!("**Identity:** `{role}`"),
            false => format!("**Identity:** `{role}`<br>{description}"),
        };
    }
    let _ = writeln!(
        out,
        "| `{}` | {} | {} | {} | {} | {} |",
        cell(&path),
        ty,
        if field.required { "yes" } else { "no" },
        rules,
        if field.pii { "yes" } else { "" },
        description.trim(),
    );
    // The fields of a nested object follow it as dotted rows.
    let mut inner = &field.ty;
    let mut item_suffix = String::new();
    loop {
        match inner {
            PlanType::Array(item) => {
                item_suffix.push_str("[]");
                inner = item;
            }
            PlanType::Nullable(value) => inner = value,
            PlanType::Object(object) => {
                let prefix = format!("{path}{item_suffix}.");
                for field in &object.fields {
                    field_rows(out, &prefix, field, defs);
                }
                break;
            }
            _ => break,
        }
    }
}

/// The type's words ([`PlanType::describe`]), enums linked to their section
/// and definitions named by their key.
fn type_cell(ty: &PlanType, defs: &mut Definitions) -> String {
    describe_with(ty, &mut |node| match node {
        PlanType::Enum(schema) => Some(enum_link(&defs.enum_key(schema))),
        PlanType::Object(object) => Some(format!("object `{}`", defs.object_key(object))),
        PlanType::Union(union) => Some(format!("union `{}`", defs.union_key(union))),
        PlanType::Map {
            keys: Some(keys), ..
        } => {
            let keys = enum_link(&defs.enum_key(keys));
            let PlanType::Map { values, .. } = node else {
                return None;
            };
            Some(format!("map of {keys} to {}", type_cell(values, defs)))
        }
        _ => None,
    })
}

fn enum_link(key: &str) -> String {
    format!("enum [`{key}`](#enum-{})", anchor(key))
}

/// GitHub's heading anchor: lowercase, spaces to `-`, punctuation other than
/// `-` and `_` dropped.
fn anchor(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

fn first_paragraph(text: &str) -> &str {
    text.trim().split("\n\n").next().unwrap_or("")
}

/// Text safe in a table cell: `|` escaped, paragraphs kept as `<br>`, lines joined.
fn cell(text: &str) -> String {
    text.trim()
        .split("\n\n")
        .map(|paragraph| {
            paragraph
                .lines()
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("<br>")
        .replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_anchors() {
        assert_eq!(cell("a | b\nc\n\nd"), "a \\| b c<br>d");
        assert_eq!(anchor("Enum Foo_Bar"), "enum-foo_bar");
        assert_eq!(anchor("codex_web_search_event"), "codex_web_search_event");
    }
}
