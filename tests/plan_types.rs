//! The field types beyond scalars, objects and arrays — maps, any JSON, a
//! field's own JSON Schema, unions in serde's four representations — and
//! envelope fields and checks, through every rendering of the plan: JSON
//! (round trip), Markdown, JSON Schema (checked with a real validator on
//! instances that serde itself writes) and the diff's classes.
//!
//! The schemas are built by hand as `'static` values, as the derives build them.

use analytics_core::plan::{ChangeKind, PlanType, PlanVariantShape};
use analytics_core::{
    EnumSchema, EnumValue, EventSchema, FieldSchema, FieldType, IntegerKind, SerdeSchema, Tagging,
    TrackingPlan, UnionSchema, UnionVariant, VariantShape,
};
use jsonschema::Validator;
use serde::Serialize;
use serde_json::{json, Value};

const fn field(name: &'static str, ty: FieldType) -> FieldSchema {
    FieldSchema {
        name,
        rust_path: name,
        ty,
        required: true,
        nullable: false,
        description: "",
        rules: &[],
        pii: false,
        deprecated: None,
        identity: None,
    }
}

const fn nullable(mut field: FieldSchema) -> FieldSchema {
    field.nullable = true;
    field
}

static KIND: EnumSchema = EnumSchema {
    name: "Kind",
    description: "A kind.",
    values: &[
        EnumValue {
            name: "small",
            description: "",
        },
        EnumValue {
            name: "large",
            description: "",
        },
    ],
};

static CARD_FIELDS: [FieldSchema; 2] = [
    field("number", FieldType::String),
    nullable(field("cvc", FieldType::Integer(IntegerKind::U16))),
];

static WALLET_FIELDS: [FieldSchema; 1] = [field("id", FieldType::String)];
static WALLET: analytics_core::ObjectSchema = analytics_core::ObjectSchema {
    name: "Wallet",
    description: "",
    fields: &WALLET_FIELDS,
    checks: &[],
};

static PAIR: [FieldType; 2] = [FieldType::String, FieldType::Boolean];

/// The variants of a payment; `Points` and `Pair` only where serde can write them.
const fn payment(tagging: Tagging, variants: &'static [UnionVariant]) -> UnionSchema {
    UnionSchema {
        name: "Payment",
        description: "How it was paid.",
        tagging,
        variants,
    }
}

const CASH: UnionVariant = UnionVariant {
    name: "Cash",
    description: "In cash.",
    shape: VariantShape::Unit,
};
const CARD: UnionVariant = UnionVariant {
    name: "Card",
    description: "",
    shape: VariantShape::Struct(&CARD_FIELDS),
};
const POINTS: UnionVariant = UnionVariant {
    name: "Points",
    description: "",
    shape: VariantShape::Newtype(&FieldType::Integer(IntegerKind::U32)),
};
const PAIR_VARIANT: UnionVariant = UnionVariant {
    name: "Pair",
    description: "",
    shape: VariantShape::Tuple(&PAIR),
};
const WALLET_VARIANT: UnionVariant = UnionVariant {
    name: "Wallet",
    description: "",
    shape: VariantShape::Newtype(&FieldType::Object(&WALLET)),
};

static EXTERNAL: UnionSchema = payment(Tagging::External, &[CASH, CARD, POINTS, PAIR_VARIANT]);
static INTERNAL: UnionSchema = payment(
    Tagging::Internal { tag: "type" },
    &[CASH, CARD, WALLET_VARIANT],
);
static ADJACENT: UnionSchema = payment(
    Tagging::Adjacent {
        tag: "t",
        content: "c",
    },
    &[CASH, CARD, POINTS, PAIR_VARIANT],
);
static UNTAGGED: UnionSchema = payment(Tagging::Untagged, &[CASH, CARD, POINTS, PAIR_VARIANT]);

fn date_schema() -> Value {
    json!({ "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" })
}

static DATE: SerdeSchema = SerdeSchema {
    rust_type: "time::Date",
    json_schema: date_schema,
};

static STRING: FieldType = FieldType::String;
static COUNT: FieldType = FieldType::Integer(IntegerKind::U64);

/// An event with every new kind of field, its payment in `union`'s tagging.
fn event(union: &'static UnionSchema) -> &'static EventSchema {
    let fields = vec![
        field("payment", FieldType::Union(union)),
        field(
            "labels",
            FieldType::Map {
                keys: None,
                values: &STRING,
            },
        ),
        field(
            "counts",
            FieldType::Map {
                keys: Some(&KIND),
                values: &COUNT,
            },
        ),
        field("extra", FieldType::Any),
        field("day", FieldType::Serde(&DATE)),
    ];
    Box::leak(Box::new(EventSchema {
        name: "paid",
        version: 1,
        description: "Something was paid.",
        fields: Box::leak(fields.into_boxed_slice()),
        rust_type: "Paid",
        envelope: Box::leak(Box::new([field("skill_id", FieldType::String)])),
        checks: &["checks::paid_consistent"],
        write_only: true,
    }))
}

// serde's own enums: the instances the JSON Schema must accept are what serde writes.

#[derive(Serialize)]
enum External {
    Cash,
    Card { number: String, cvc: Option<u16> },
    Points(u32),
    Pair(String, bool),
}

#[derive(Serialize)]
struct Wallet {
    id: String,
}

#[derive(Serialize)]
#[serde(tag = "type")]
enum Internal {
    Cash,
    Card { number: String, cvc: Option<u16> },
    Wallet(Wallet),
}

#[derive(Serialize)]
#[serde(tag = "t", content = "c")]
enum Adjacent {
    Cash,
    Card { number: String, cvc: Option<u16> },
    Points(u32),
    Pair(String, bool),
}

#[derive(Serialize)]
#[serde(untagged)]
enum Untagged {
    Cash,
    Card { number: String, cvc: Option<u16> },
    Points(u32),
    Pair(String, bool),
}

fn envelope(payment: Value) -> Value {
    json!({
        "event_type": "paid",
        "skill_id": "s-1",
        "event_params": {
            "payment": payment,
            "labels": {"a": "x", "b": "y"},
            "counts": {"small": 2},
            "extra": [1, {"x": null}],
            "day": "2024-05-01",
        }
    })
}

fn payments(tagging: Tagging) -> Vec<Value> {
    let card = |cvc| (String::from("4242"), cvc);
    let all = |values: Vec<Result<Value, serde_json::Error>>| -> Vec<Value> {
        values.into_iter().map(Result::unwrap).collect()
    };
    match tagging {
        Tagging::External => all(vec![
            serde_json::to_value(External::Cash),
            serde_json::to_value(External::Card {
                number: card(None).0,
                cvc: card(Some(123)).1,
            }),
            serde_json::to_value(External::Points(7)),
            serde_json::to_value(External::Pair("p".into(), true)),
        ]),
        Tagging::Internal { .. } => all(vec![
            serde_json::to_value(Internal::Cash),
            serde_json::to_value(Internal::Card {
                number: card(None).0,
                cvc: None,
            }),
            serde_json::to_value(Internal::Wallet(Wallet { id: "w".into() })),
        ]),
        Tagging::Adjacent { .. } => all(vec![
            serde_json::to_value(Adjacent::Cash),
            serde_json::to_value(Adjacent::Card {
                number: card(None).0,
                cvc: Some(1),
            }),
            serde_json::to_value(Adjacent::Points(7)),
            serde_json::to_value(Adjacent::Pair("p".into(), false)),
        ]),
        Tagging::Untagged => all(vec![
            serde_json::to_value(Untagged::Cash),
            serde_json::to_value(Untagged::Card {
                number: card(None).0,
                cvc: None,
            }),
            serde_json::to_value(Untagged::Points(7)),
            serde_json::to_value(Untagged::Pair("p".into(), true)),
        ]),
    }
}

/// Values that are no variant of the payment in this tagging.
fn wrong_payments(tagging: Tagging) -> Vec<Value> {
    let mut wrong = vec![
        json!("Bitcoin"),
        json!({"Card": {"number": 4242}}),
        json!({"type": "Card", "number": 4242}),
        json!({"t": "Card", "c": {"number": 4242}}),
        json!({"number": 4242}),
        json!(["p"]),
    ];
    match tagging {
        Tagging::External => wrong.push(json!({"Cash": null, "Points": 1})),
        Tagging::Internal { .. } => wrong.push(json!({"type": "Wallet", "id": 1})),
        Tagging::Adjacent { .. } => wrong.push(json!({"t": "Points", "c": "seven"})),
        Tagging::Untagged => wrong.push(json!(-1)),
    }
    wrong
}

#[test]
fn json_schema_accepts_what_serde_writes_in_each_tagging() {
    for union in [&EXTERNAL, &INTERNAL, &ADJACENT, &UNTAGGED] {
        let schema = event(union).json_schema();
        let payment_def = &schema["$defs"]["Payment"];
        assert_eq!(
            payment_def["oneOf"].as_array().unwrap().len(),
            union.variants.len()
        );
        let validator = Validator::new(&schema).unwrap();
        for payment in payments(union.tagging) {
            let instance = envelope(payment);
            let errors: Vec<String> = validator
                .iter_errors(&instance)
                .map(|error| error.to_string())
                .collect();
            assert!(
                errors.is_empty(),
                "{:?}: {instance}: {errors:?}",
                union.tagging
            );
        }
        for payment in wrong_payments(union.tagging) {
            let instance = envelope(payment);
            assert!(
                !validator.is_valid(&instance),
                "{:?} accepts {instance}",
                union.tagging
            );
        }
    }
}

#[test]
fn json_schema_of_maps_any_and_a_fields_own_schema() {
    let schema = event(&EXTERNAL).json_schema();
    let params = &schema["properties"]["event_params"]["properties"];
    assert_eq!(
        params["labels"],
        json!({"type": "object", "additionalProperties": {"type": "string"}})
    );
    assert_eq!(
        params["counts"]["propertyNames"],
        json!({"enum": ["small", "large"]})
    );
    assert_eq!(params["extra"], json!({}));
    assert_eq!(params["day"], date_schema());
    // The envelope field is required, between event_type and event_params.
    assert_eq!(
        schema["required"],
        json!(["event_type", "skill_id", "event_params"])
    );
    let validator = Validator::new(&schema).unwrap();
    let valid = envelope(json!("Cash"));
    assert!(validator.is_valid(&valid));
    for (pointer, wrong) in [
        ("/event_params/labels/a", json!(1)),
        ("/event_params/counts/small", json!(-1)),
        ("/event_params/day", json!("May 1st")),
        ("/skill_id", json!(null)),
    ] {
        let mut instance = valid.clone();
        *instance.pointer_mut(pointer).unwrap() = wrong;
        assert!(!validator.is_valid(&instance), "{pointer}");
    }
    let mut unknown_key = valid.clone();
    unknown_key["event_params"]["counts"]["medium"] = json!(1);
    assert!(!validator.is_valid(&unknown_key));
    let mut missing = valid;
    missing.as_object_mut().unwrap().remove("skill_id");
    assert!(!validator.is_valid(&missing));
}

#[test]
fn plan_json_round_trips_and_markdown_shows_the_new_types() {
    for union in [&EXTERNAL, &INTERNAL, &ADJACENT, &UNTAGGED] {
        let plan = TrackingPlan::from_events(&[event(union)]);
        let json = plan.to_json();
        assert!(json.contains("\"unions\": {"), "{json}");
        assert!(json.contains("\"envelope\": ["));
        assert!(json.contains("\"checks\": [\"checks::paid_consistent\"]"));
        assert!(json.contains("\"write_only\": true"));
        let back = TrackingPlan::from_json(&json).unwrap();
        assert_eq!(back, plan);
        assert_eq!(back.to_json(), json);
        assert_eq!(back.json_schema(), plan.json_schema());
    }
    let markdown = TrackingPlan::from_events(&[event(&ADJACENT)]).to_markdown();
    for expected in [
        "| `payment` | union `Payment` | yes |",
        "| `labels` | map of string to string | yes |",
        "| `counts` | map of enum [`Kind`](#enum-kind) to integer (u64) | yes |",
        "| `extra` | any JSON | yes |",
        "| `day` | JSON (own schema) | yes |",
        "| `skill_id` | string | yes |",
        "Checks (run by `validate()`): `checks::paid_consistent`.",
        "### Union `Payment`",
        "adjacently tagged: `{\"t\": \"<variant>\", \"c\": <payload>}`",
        "| `Pair` | tuple (string, boolean) |",
        "| `Card` | fields `number`: string, `cvc`: integer (u16) or null |",
    ] {
        assert!(
            markdown.contains(expected),
            "missing {expected:?} in\n{markdown}"
        );
    }
}

/// The plan of `event(union)`, edited.
fn edited(
    union: &'static UnionSchema,
    edit: impl FnOnce(&mut analytics_core::plan::PlanEvent),
) -> TrackingPlan {
    let mut plan = TrackingPlan::from_events(&[event(union)]);
    edit(plan.event_mut("paid").unwrap());
    plan
}

fn only(old: &TrackingPlan, new: &TrackingPlan) -> (ChangeKind, Option<String>, bool) {
    let diff = TrackingPlan::diff(old, new);
    assert_eq!(diff.changes().len(), 1, "{diff}");
    let change = &diff.changes()[0];
    assert_eq!(change.breaking(), change.breaking);
    (change.kind, change.field.clone(), change.breaking)
}

fn union_of(event: &mut analytics_core::plan::PlanEvent) -> &mut analytics_core::plan::PlanUnion {
    match &mut event.field_mut("payment").unwrap().ty {
        PlanType::Union(union) => std::sync::Arc::make_mut(union),
        other => panic!("payment is a union: {other:?}"),
    }
}

#[test]
fn diff_classes_of_the_new_types() {
    let base = TrackingPlan::from_events(&[event(&EXTERNAL)]);
    let field = |name: &str| Some(name.to_owned());

    let values_changed = edited(&EXTERNAL, |event| {
        if let PlanType::Map { values, .. } = &mut event.field_mut("labels").unwrap().ty {
            **values = PlanType::Boolean;
        }
    });
    assert_eq!(
        only(&base, &values_changed),
        (ChangeKind::TypeChanged, field("labels{}"), true)
    );

    let key_removed = edited(&EXTERNAL, |event| {
        if let PlanType::Map {
            keys: Some(keys), ..
        } = &mut event.field_mut("counts").unwrap().ty
        {
            keys.values.pop();
        }
    });
    assert_eq!(
        only(&base, &key_removed),
        (ChangeKind::EnumValueRemoved, field("counts{}"), true)
    );

    let removed = edited(&EXTERNAL, |event| {
        union_of(event).variants.retain(|v| v.name != "Points")
    });
    assert_eq!(
        only(&base, &removed),
        (ChangeKind::VariantRemoved, field("payment"), true)
    );
    assert_eq!(
        only(&removed, &base),
        (ChangeKind::VariantAdded, field("payment"), false)
    );

    let reshaped = edited(&EXTERNAL, |event| {
        union_of(event).variants[2].shape = PlanVariantShape::Unit;
    });
    assert_eq!(
        only(&base, &reshaped),
        (ChangeKind::VariantChanged, field("payment"), true)
    );

    let payload_changed = edited(&EXTERNAL, |event| {
        union_of(event).variants[2].shape = PlanVariantShape::Newtype(PlanType::String);
    });
    assert_eq!(
        only(&base, &payload_changed),
        (ChangeKind::TypeChanged, field("payment::Points"), true)
    );

    let struct_field_removed = edited(&EXTERNAL, |event| {
        if let PlanVariantShape::Struct(fields) = &mut union_of(event).variants[1].shape {
            fields.pop();
        }
    });
    assert_eq!(
        only(&base, &struct_field_removed),
        (ChangeKind::FieldRemoved, field("payment::Card.cvc"), true)
    );

    let retagged = TrackingPlan::from_events(&[event(&ADJACENT)]);
    assert_eq!(
        only(&base, &retagged),
        (ChangeKind::TypeChanged, field("payment"), true)
    );

    let envelope_removed = edited(&EXTERNAL, |event| event.envelope.clear());
    assert_eq!(
        only(&base, &envelope_removed),
        (ChangeKind::FieldRemoved, field("skill_id"), true)
    );
    assert_eq!(
        only(&envelope_removed, &base),
        (ChangeKind::FieldAdded, field("skill_id"), true)
    );
    let optional_envelope_added = edited(&EXTERNAL, |event| event.envelope[0].nullable = true);
    assert_eq!(
        only(&envelope_removed, &optional_envelope_added),
        (ChangeKind::FieldAdded, field("skill_id"), false)
    );

    let check_removed = edited(&EXTERNAL, |event| event.checks.clear());
    assert_eq!(
        only(&base, &check_removed),
        (ChangeKind::RuleLoosened, None, false)
    );
    assert_eq!(
        only(&check_removed, &base),
        (ChangeKind::RuleTightened, None, true)
    );

    let own_schema_changed = edited(&EXTERNAL, |event| {
        event.field_mut("day").unwrap().ty = PlanType::Json(json!({"type": "string"}));
    });
    assert_eq!(
        only(&base, &own_schema_changed),
        (ChangeKind::TypeChanged, field("day"), true)
    );
}

#[test]
fn describe_uses_the_same_words_for_schema_and_plan_types() {
    static ITEM: FieldType = FieldType::Nullable(&FieldType::String);
    let types = [
        FieldType::Array(&ITEM),
        FieldType::Map {
            keys: Some(&KIND),
            values: &COUNT,
        },
        FieldType::Map {
            keys: None,
            values: &ITEM,
        },
        FieldType::Union(&EXTERNAL),
        FieldType::Ref("Node"),
        FieldType::Any,
        FieldType::Serde(&DATE),
    ];
    for ty in types {
        assert_eq!(ty.describe(), PlanType::from(&ty).describe());
    }
    assert_eq!(
        FieldType::Array(&ITEM).describe(),
        "array of (string or null)"
    );
}
