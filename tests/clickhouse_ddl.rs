//! Tables from plans: column types by server version, the flattening rule,
//! the errors; and (against a real server) envelope keys, maps and free JSON
//! written and read back.

mod clickhouse_support;

use std::sync::Arc;

use analytics_core::clickhouse::{
    ClickHouseSink, DdlError, Encoding, Layout, ServerVersion, Table,
};
use analytics_core::plan::{
    PlanEnum, PlanEnumValue, PlanEvent, PlanField, PlanObject, PlanType, PlanUnion, PlanVariant,
    PlanVariantShape,
};
use analytics_core::schema::IntegerKind;
use analytics_core::{Envelope, Sink, Tagging, TrackingPlan};
use serde_json::{json, Map, Value};

const NEW: ServerVersion = ServerVersion::new(24, 8, 4);
const OLD: ServerVersion = ServerVersion::DEBIAN_18_16;

fn field(name: &str, ty: PlanType) -> PlanField {
    PlanField {
        name: name.into(),
        rust_path: name.into(),
        ty,
        required: true,
        nullable: false,
        description: String::new(),
        rules: Vec::new(),
        pii: false,
        deprecated: None,
        identity: None,
    }
}

fn nullable(mut field: PlanField) -> PlanField {
    field.nullable = true;
    field
}

fn event(name: &str, fields: Vec<PlanField>) -> PlanEvent {
    PlanEvent {
        name: name.into(),
        version: 2,
        description: String::new(),
        rust_type: "Test".into(),
        fields,
        envelope: Vec::new(),
        checks: Vec::new(),
        write_only: false,
    }
}

fn enumeration(count: usize) -> PlanType {
    PlanType::Enum(PlanEnum {
        name: "E".into(),
        description: String::new(),
        values: (0..count)
            .map(|i| PlanEnumValue {
                name: format!("v{i}"),
                description: String::new(),
            })
            .collect(),
    })
}

fn object(fields: Vec<PlanField>) -> PlanType {
    PlanType::Object(Arc::new(PlanObject {
        name: "Obj".into(),
        description: String::new(),
        fields,
        checks: Vec::new(),
    }))
}

fn union() -> PlanType {
    PlanType::Union(Arc::new(PlanUnion {
        name: "Shape".into(),
        description: String::new(),
        tagging: Tagging::Internal { tag: "kind" },
        variants: vec![
            PlanVariant {
                name: "circle".into(),
                description: String::new(),
                shape: PlanVariantShape::Struct(vec![field("r", PlanType::Number(64))]),
            },
            PlanVariant {
                name: "dot".into(),
                description: String::new(),
                shape: PlanVariantShape::Unit,
            },
        ],
    }))
}

fn map_of(values: PlanType) -> PlanType {
    PlanType::Map {
        keys: None,
        values: Box::new(values),
    }
}

/// Every kind of value, with envelope keys.
fn rich_event() -> PlanEvent {
    let mut event = event(
        "ch_rich",
        vec![
            field("counts", map_of(PlanType::Integer(IntegerKind::U32))),
            nullable(field(
                "maybe_counts",
                map_of(PlanType::Integer(IntegerKind::U32)),
            )),
            field(
                "nested_map",
                map_of(PlanType::Array(Box::new(PlanType::String))),
            ),
            field("anything", PlanType::Any),
            field("shape", union()),
            field("custom", PlanType::Json(json!({"type": "string"}))),
            field(
                "outer",
                object(vec![
                    field("inner", object(vec![field("leaf", PlanType::Boolean)])),
                    nullable(field("maybe", object(vec![field("x", PlanType::String)]))),
                ]),
            ),
            field(
                "tree",
                PlanType::Array(Box::new(PlanType::Ref("Node".into()))),
            ),
        ],
    );
    event.envelope = vec![
        field("skill_id", PlanType::String),
        nullable(field("skill_rank", PlanType::Integer(IntegerKind::I16))),
    ];
    event
}

fn column<'a>(table: &'a Table, name: &str) -> &'a analytics_core::clickhouse::Column {
    table
        .columns
        .iter()
        .find(|column| column.name == name)
        .unwrap_or_else(|| panic!("no column {name} in {:#?}", table.columns))
}

#[test]
fn types_follow_the_server_version() {
    let fields = vec![
        field("flag", PlanType::Boolean),
        field("small", enumeration(127)),
        field("large", enumeration(128)),
        nullable(field("maybe_large", enumeration(200))),
        field("wide", PlanType::Integer(IntegerKind::U128)),
        field("counts", map_of(PlanType::Integer(IntegerKind::U32))),
    ];
    let new = Layout::new(NEW).table(&event("e", fields.clone())).unwrap();
    assert_eq!(column(&new, "flag").ty, "Bool");
    assert!(column(&new, "small").ty.starts_with("Enum8('v0' = 1, "));
    assert!(column(&new, "small").ty.ends_with("'v126' = 127)"));
    assert_eq!(column(&new, "large").ty, "LowCardinality(String)");
    assert_eq!(
        column(&new, "maybe_large").ty,
        "LowCardinality(Nullable(String))"
    );
    assert_eq!(column(&new, "wide").ty, "UInt128");
    assert_eq!(column(&new, "counts").ty, "Map(String, UInt32)");
    assert_eq!(column(&new, "counts").encoding, Encoding::Json);

    let old_fields: Vec<PlanField> = fields.into_iter().filter(|f| f.name != "wide").collect();
    let old = Layout::new(OLD).table(&event("e", old_fields)).unwrap();
    assert_eq!(column(&old, "flag").ty, "UInt8");
    assert_eq!(column(&old, "large").ty, "String");
    assert_eq!(column(&old, "maybe_large").ty, "Nullable(String)");
    assert_eq!(column(&old, "counts").ty, "String");
    assert_eq!(column(&old, "counts").encoding, Encoding::JsonText);

    let error = Layout::new(OLD)
        .table(&event(
            "e",
            vec![field("wide", PlanType::Integer(IntegerKind::I128))],
        ))
        .unwrap_err();
    assert!(matches!(error, DdlError::Unsupported { .. }));
    assert_eq!(
        error.to_string(),
        "e.wide: i128 needs Int128/UInt128 columns (ClickHouse 21.6 or later; the server is \
         18.16.1): use a 64-bit integer or a string"
    );
}

#[test]
fn integers_floats_strings_and_arrays_map_one_to_one() {
    use IntegerKind::*;
    let kinds = [
        (I8, "Int8"),
        (I16, "Int16"),
        (I32, "Int32"),
        (I64, "Int64"),
        (Isize, "Int64"),
        (U8, "UInt8"),
        (U16, "UInt16"),
        (U32, "UInt32"),
        (U64, "UInt64"),
        (Usize, "UInt64"),
    ];
    let mut fields: Vec<PlanField> = kinds
        .iter()
        .map(|(kind, _)| field(kind.as_str(), PlanType::Integer(*kind)))
        .collect();
    fields.push(field("f32", PlanType::Number(32)));
    fields.push(field("f64", PlanType::Number(64)));
    fields.push(nullable(field("text", PlanType::String)));
    fields.push(field(
        "items",
        PlanType::Array(Box::new(PlanType::Nullable(Box::new(PlanType::String)))),
    ));
    fields.push(nullable(field(
        "list",
        PlanType::Array(Box::new(PlanType::String)),
    )));
    let mut omitted = field("omitted", PlanType::Integer(U8));
    omitted.required = false;
    fields.push(omitted);
    let table = Layout::default().table(&event("e", fields)).unwrap();
    for (kind, ty) in kinds {
        assert_eq!(column(&table, kind.as_str()).ty, ty);
    }
    assert_eq!(column(&table, "f32").ty, "Float32");
    assert_eq!(column(&table, "f64").ty, "Float64");
    assert_eq!(column(&table, "text").ty, "Nullable(String)");
    assert_eq!(column(&table, "items").ty, "Array(Nullable(String))");
    // No Nullable(Array) in ClickHouse: JSON text keeps null apart from [].
    assert_eq!(column(&table, "list").ty, "Nullable(String)");
    assert_eq!(column(&table, "list").encoding, Encoding::JsonText);
    // A key that may be omitted reads back as NULL, not as 0.
    assert_eq!(column(&table, "omitted").ty, "Nullable(UInt8)");
}

#[test]
fn nested_objects_flatten_with_double_underscores_and_envelope_keys_lead() {
    let table = Layout::new(OLD)
        .table_prefix("p_")
        .table(&rich_event())
        .unwrap();
    assert_eq!(table.name, "p_ch_rich");
    let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "_message_id",
            "_event_version",
            "_timestamp_ms",
            "skill_id",
            "skill_rank",
            "counts",
            "maybe_counts",
            "nested_map",
            "anything",
            "shape",
            "custom",
            "outer__inner__leaf",
            "outer__maybe",
            "tree",
        ]
    );
    assert!(column(&table, "skill_id").in_envelope);
    assert_eq!(column(&table, "skill_rank").ty, "Nullable(Int16)");
    assert_eq!(column(&table, "outer__maybe").ty, "Nullable(String)");
    for json_text in ["anything", "shape", "custom", "tree", "outer__maybe"] {
        assert_eq!(
            column(&table, json_text).encoding,
            Encoding::JsonText,
            "{json_text}"
        );
    }
    // A newer server types the scalar map, and only it.
    let new = Layout::new(NEW).table(&rich_event()).unwrap();
    assert_eq!(column(&new, "counts").ty, "Map(String, UInt32)");
    assert_eq!(column(&new, "maybe_counts").ty, "Nullable(String)");
    assert_eq!(column(&new, "nested_map").ty, "String");
}

#[test]
fn colliding_columns_are_an_error_that_names_the_column() {
    let clash = event(
        "e",
        vec![
            field("a", object(vec![field("b", PlanType::String)])),
            field("a__b", PlanType::String),
        ],
    );
    let error = Layout::default().table(&clash).unwrap_err();
    assert_eq!(
        error,
        DdlError::ColumnCollision {
            event: "e".into(),
            column: "a__b".into()
        }
    );
    assert!(error.to_string().contains("rename one of them"), "{error}");
    let reserved = event("e", vec![field("_message_id", PlanType::String)]);
    assert!(Layout::default().table(&reserved).is_err());
}

#[test]
fn identifiers_and_enum_values_are_quoted() {
    let weird = PlanType::Enum(PlanEnum {
        name: "W".into(),
        description: String::new(),
        values: vec![PlanEnumValue {
            name: "it's \\ here".into(),
            description: String::new(),
        }],
    });
    let plan = TrackingPlan::from_plan_events(vec![event("e", vec![field("we`ird", weird)])]);
    let statements = Layout::default()
        .database("db")
        .create_statements(&plan)
        .unwrap();
    assert_eq!(statements.len(), 1);
    assert!(statements[0].starts_with("CREATE TABLE IF NOT EXISTS `db`.`e`\n("));
    assert!(
        statements[0].contains("`we\\`ird` Enum8('it\\'s \\\\ here' = 1)"),
        "{}",
        statements[0]
    );
    assert!(statements[0].contains("ENGINE = ReplacingMergeTree\n"));
}

fn envelope(json: Value, id: u8) -> Envelope {
    Envelope::new(
        serde_json::to_vec(&json).unwrap(),
        [id; 16],
        1_764_574_000_000,
    )
}

#[test]
fn envelope_keys_maps_and_free_json_round_trip_through_a_real_server() {
    let server = clickhouse_or_skip!();
    let database = server.fresh_database("rich");
    let plan = TrackingPlan::from_plan_events(vec![rich_event()]);
    let mut sink = ClickHouseSink::new(server.url())
        .database(&database)
        .plan(plan);
    sink.ensure_tables().unwrap();
    let table = sink.tables().unwrap().remove(0);
    let events = [
        json!({
            "event_type": "ch_rich",
            "skill_id": "s-1",
            "skill_rank": null,
            "event_params": {
                "counts": {"a": 1, "b\"q": 4294967295u32},
                "maybe_counts": null,
                "nested_map": {"k": ["x", "é"]},
                "anything": [1, {"deep": [null, true, "😀"]}],
                "shape": {"kind": "circle", "r": 0.5},
                "custom": "free",
                "outer": {"inner": {"leaf": true}, "maybe": {"x": "y"}},
                "tree": [{"children": []}]
            }
        }),
        json!({
            "event_type": "ch_rich",
            "skill_id": "s-2",
            "skill_rank": -3,
            "event_params": {
                "counts": {},
                "maybe_counts": {"z": 0},
                "nested_map": {},
                "anything": null,
                "shape": {"kind": "dot"},
                "custom": "more",
                "outer": {"inner": {"leaf": false}, "maybe": null},
                "tree": []
            }
        }),
    ];
    let batch: Vec<Envelope> = events
        .iter()
        .enumerate()
        .map(|(i, event)| envelope(event.clone(), i as u8 + 1))
        .collect();
    sink.send(&batch).unwrap();
    let text = server.query(&format!(
        "SELECT * FROM {database}.ch_rich ORDER BY skill_id \
         SETTINGS output_format_json_quote_64bit_integers = 0 FORMAT JSONEachRow"
    ));
    let rows: Vec<Value> = text
        .lines()
        .map(|line| {
            let row: Map<String, Value> = serde_json::from_str(line).unwrap();
            table.envelope_from_row(&row).unwrap()
        })
        .collect();
    assert_eq!(rows, events);

    // A key the plan does not have is refused, naming it; nothing is inserted.
    let mut stray = events[0].clone();
    stray["event_params"]["outer"]["inner"]["extra"] = json!(1);
    let error = sink.send(&[envelope(stray, 9)]).unwrap_err();
    assert!(
        error
            .message()
            .contains("`outer.inner.extra` is not a field of the table"),
        "{error}"
    );
    let mut missing = events[0].clone();
    missing.as_object_mut().unwrap().remove("skill_id");
    let error = sink.send(&[envelope(missing, 9)]).unwrap_err();
    assert!(error.message().contains("`skill_id` is missing"), "{error}");
    let count = server.query(&format!("SELECT count() FROM {database}.ch_rich"));
    assert_eq!(count, "2\n");
}
