//! The tracking plan turned into what validation walks: regexes compiled,
//! recursive references resolved to indexes into one arena of objects.

use crate::plan::{
    PlanEvent, PlanField, PlanObject, PlanRule, PlanType, PlanUnion, PlanVariantShape, TrackingPlan,
};
use crate::schema::{Bound, IntegerKind, Tagging};

/// A plan whose rules cannot be compiled (a `pattern` that is not a regex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    /// Where: `event_name.rust_path`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for CompileError {}

/// A check the plan names but that only the producer's Rust code can run: a
/// `custom` field rule or a struct-level `check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotCheckable {
    /// The event it belongs to.
    pub event: String,
    /// The Rust path of the field (`custom`) or of the struct (`check`; empty
    /// for the event itself).
    pub path: String,
    /// `custom` (a field rule), `check` (a struct-level function) or
    /// `schema` (a field described by a user-given JSON Schema: its JSON is
    /// accepted as it is).
    pub rule: &'static str,
    /// The function's path, as written in the source (for `schema`, the
    /// field's Rust type).
    pub function: String,
}

pub(crate) struct Compiled {
    pub(crate) events: Vec<Event>,
    pub(crate) objects: Vec<Object>,
    pub(crate) unions: Vec<Union>,
    pub(crate) not_checkable: Vec<NotCheckable>,
}

pub(crate) struct Union {
    pub(crate) name: String,
    pub(crate) tagging: Tagging,
    pub(crate) variants: Vec<Variant>,
}

pub(crate) struct Variant {
    pub(crate) name: String,
    pub(crate) shape: Shape,
}

pub(crate) enum Shape {
    Unit,
    Newtype(Ty),
    Tuple(Vec<Ty>),
    /// `Ty::Object` of the variant's fields.
    Struct(Ty),
}

pub(crate) struct Event {
    pub(crate) name: String,
    pub(crate) version: u32,
    /// `Ty::Object` of the event's `event_params`.
    pub(crate) params: Ty,
    /// The `#[analytics(envelope)]` fields, at the top level of the envelope.
    pub(crate) envelope: Fields,
}

pub(crate) struct Object {
    pub(crate) name: String,
    pub(crate) fields: Fields,
}

pub(crate) struct Fields {
    pub(crate) list: Vec<Field>,
    /// The required fields as a bit set, when there are at most 128 fields.
    pub(crate) required: Option<u128>,
}

impl Fields {
    fn new(list: Vec<Field>) -> Fields {
        let required = (list.len() <= 128).then(|| {
            list.iter()
                .enumerate()
                .filter(|(_, field)| field.required)
                .fold(0u128, |bits, (index, _)| bits | 1 << index)
        });
        Fields { list, required }
    }
}

impl Fields {
    /// The index of the field with this wire name.
    #[inline]
    pub(crate) fn find(&self, wire: &str) -> Option<usize> {
        self.list.iter().position(|field| same(&field.wire, wire))
    }

    /// [`find`](Fields::find) for a key's raw bytes.
    #[inline]
    pub(crate) fn find_bytes(&self, wire: &[u8]) -> Option<usize> {
        self.list
            .iter()
            .position(|field| same_bytes(field.wire.as_bytes(), wire))
    }
}

/// Whether two keys or names are the same text. Inline, in word-sized
/// steps: the keys of an event are short, and a call to `memcmp` for each
/// (what `==` on `str` makes) costs more than the comparison itself. Up to
/// 32 bytes, a fixed number of (overlapping) words is compared at once, with
/// no loop whose end depends on the length: keys of all lengths follow one
/// another, and a loop's exit would be mispredicted at each.
#[inline(always)]
pub(crate) fn same(a: &str, b: &str) -> bool {
    same_bytes(a.as_bytes(), b.as_bytes())
}

/// [`same`] over bytes: for the fast path, which compares the raw text of
/// keys and strings with the plan's names.
#[inline(always)]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n >= 8 {
        let word = |text: &[u8], at: usize| {
            u64::from_ne_bytes(text[at..at + 8].try_into().expect("8 bytes"))
        };
        let differ = |at: usize| word(a, at) ^ word(b, at);
        if n <= 16 {
            return differ(0) | differ(n - 8) == 0;
        }
        if n <= 32 {
            return differ(0) | differ(8) | differ(n - 16) | differ(n - 8) == 0;
        }
        let mut at = 0;
        while at + 8 < n {
            if differ(at) != 0 {
                return false;
            }
            at += 8;
        }
        // The last word, overlapping the one before when `n` is not a multiple of 8.
        differ(n - 8) == 0
    } else if n >= 4 {
        let word = |text: &[u8], at: usize| {
            u32::from_ne_bytes(text[at..at + 4].try_into().expect("4 bytes"))
        };
        (word(a, 0) ^ word(b, 0)) | (word(a, n - 4) ^ word(b, n - 4)) == 0
    } else {
        a.iter().zip(b).all(|(x, y)| x == y)
    }
}

pub(crate) struct Field {
    pub(crate) wire: String,
    /// The member's start as producers write it, `"wire":`, when the wire
    /// name needs no escape in JSON (no `"`, `\`, control character): the
    /// fast path compares it with the raw bytes at once.
    pub(crate) key: Option<Box<[u8]>>,
    pub(crate) rust: String,
    pub(crate) ty: Ty,
    pub(crate) required: bool,
    pub(crate) nullable: bool,
    pub(crate) rules: Vec<Check>,
}

pub(crate) enum Ty {
    String,
    Integer(IntegerKind),
    Number(u8),
    Boolean,
    Enum(EnumSet),
    /// An index into [`Compiled::objects`].
    Object(usize),
    Array(Box<Ty>),
    Nullable(Box<Ty>),
    Map {
        keys: Option<EnumSet>,
        values: Box<Ty>,
    },
    Any,
    /// An index into [`Compiled::unions`].
    Union(usize),
}

pub(crate) struct EnumSet {
    pub(crate) name: String,
    pub(crate) values: Vec<String>,
}

// A plan rule made ready to run: the regex compiled, the `one_of` values
// held for the message. The third form of a rule on purpose (static, owned,
// compiled), each built from the one before.
pub(crate) enum Check {
    Range {
        min: Option<Bound>,
        max: Option<Bound>,
    },
    Length {
        min: Option<u64>,
        max: Option<u64>,
    },
    NonEmpty,
    Pattern {
        source: String,
        regex: regex_lite::Regex,
    },
    OneOf(Vec<String>),
}

impl Ty {
    /// This type with its `Nullable` layers peeled, and whether `null` is
    /// allowed (`nullable`, or any layer peeled).
    #[inline]
    pub(crate) fn peeled(&self, nullable: bool) -> (&Ty, bool) {
        let (mut ty, mut nullable) = (self, nullable);
        while let Ty::Nullable(inner) = ty {
            ty = inner;
            nullable = true;
        }
        (ty, nullable)
    }

    /// The same words as [`PlanType::describe`].
    pub(crate) fn describe(&self, objects: &[Object], unions: &[Union]) -> String {
        match self {
            Ty::String => "string".to_owned(),
            Ty::Integer(kind) => format!("integer ({kind})"),
            Ty::Number(bits) => format!("number (f{bits})"),
            Ty::Boolean => "boolean".to_owned(),
            Ty::Enum(set) => format!("enum {}", set.name),
            Ty::Object(index) => format!("object {}", objects[*index].name),
            Ty::Array(item) if matches!(**item, Ty::Nullable(_)) => {
                format!("array of ({})", item.describe(objects, unions))
            }
            Ty::Array(item) => format!("array of {}", item.describe(objects, unions)),
            Ty::Nullable(inner) => format!("{} or null", inner.describe(objects, unions)),
            Ty::Map { keys: None, values } => {
                format!("map of string to {}", values.describe(objects, unions))
            }
            Ty::Map {
                keys: Some(keys),
                values,
            } => format!(
                "map of enum {} to {}",
                keys.name,
                values.describe(objects, unions)
            ),
            Ty::Any => "any JSON".to_owned(),
            Ty::Union(index) => format!("union {}", unions[*index].name),
        }
    }
}

/// Compiles every event of `plan`.
pub(crate) fn compile(plan: &TrackingPlan) -> Result<Compiled, CompileError> {
    let mut compiler = Compiler {
        objects: Vec::new(),
        unions: Vec::new(),
        enclosing: Vec::new(),
        not_checkable: Vec::new(),
        event: String::new(),
    };
    let mut events = Vec::with_capacity(plan.events.len());
    for event in &plan.events {
        events.push(compiler.event(event)?);
    }
    Ok(Compiled {
        events,
        objects: compiler.objects,
        unions: compiler.unions,
        not_checkable: compiler.not_checkable,
    })
}

struct Compiler {
    objects: Vec<Object>,
    unions: Vec<Union>,
    /// The objects being compiled, innermost last, by Rust type name: what a
    /// `Ref` points to.
    enclosing: Vec<(String, usize)>,
    not_checkable: Vec<NotCheckable>,
    /// The event being compiled, for error paths.
    event: String,
}

impl Compiler {
    fn event(&mut self, event: &PlanEvent) -> Result<Event, CompileError> {
        self.event = event.name.clone();
        let index = self.objects.len();
        self.objects.push(Object {
            name: event.rust_type.clone(),
            fields: Fields::new(Vec::new()),
        });
        self.enclosing.push((event.rust_type.clone(), index));
        self.objects[index].fields = self.fields(&event.fields, "")?;
        self.enclosing.pop();
        self.checks(&event.checks, "");
        let envelope = self.fields(&event.envelope, "")?;
        Ok(Event {
            name: event.name.clone(),
            version: event.version,
            params: Ty::Object(index),
            envelope,
        })
    }

    fn checks(&mut self, checks: &[String], path: &str) {
        for function in checks {
            self.not_checkable.push(NotCheckable {
                event: self.event.clone(),
                path: path.to_owned(),
                rule: "check",
                function: function.clone(),
            });
        }
    }

    /// `prefix` is the Rust path of the struct holding these fields, for the
    /// list of checks that cannot run on arrival.
    fn fields(&mut self, fields: &[PlanField], prefix: &str) -> Result<Fields, CompileError> {
        let mut list = Vec::with_capacity(fields.len());
        for field in fields {
            let path = join(prefix, &field.rust_path);
            let mut rules = Vec::with_capacity(field.rules.len());
            for rule in &field.rules {
                if let Some(check) = self.rule(rule, &path)? {
                    rules.push(check);
                }
            }
            // `Nullable` layers peeled here once, not for each value checked.
            let mut ty = self.ty(&field.ty, &path)?;
            let mut nullable = field.nullable;
            while let Ty::Nullable(inner) = ty {
                ty = *inner;
                nullable = true;
            }
            list.push(Field {
                key: (!field
                    .name
                    .bytes()
                    .any(|byte| matches!(byte, b'"' | b'\\' | ..0x20)))
                .then(|| format!("\"{}\":", field.name).into_bytes().into()),
                wire: field.name.clone(),
                rust: field.rust_path.clone(),
                ty,
                required: field.required,
                nullable,
                rules,
            });
        }
        Ok(Fields::new(list))
    }

    fn rule(&mut self, rule: &PlanRule, path: &str) -> Result<Option<Check>, CompileError> {
        Ok(Some(match rule {
            PlanRule::Range { min, max } => Check::Range {
                min: *min,
                max: *max,
            },
            PlanRule::Length { min, max } => Check::Length {
                min: *min,
                max: *max,
            },
            PlanRule::NonEmpty => Check::NonEmpty,
            PlanRule::Pattern(source) => Check::Pattern {
                regex: regex_lite::Regex::new(source).map_err(|error| CompileError {
                    path: join(&self.event, path),
                    message: format!("invalid pattern {source:?}: {error}"),
                })?,
                source: source.clone(),
            },
            PlanRule::OneOf(values) => Check::OneOf(values.clone()),
            PlanRule::Custom(function) => {
                self.not_checkable.push(NotCheckable {
                    event: self.event.clone(),
                    path: path.to_owned(),
                    rule: "custom",
                    function: function.clone(),
                });
                return Ok(None);
            }
        }))
    }

    fn ty(&mut self, ty: &PlanType, path: &str) -> Result<Ty, CompileError> {
        Ok(match ty {
            PlanType::String => Ty::String,
            PlanType::Integer(kind) => Ty::Integer(*kind),
            PlanType::Number(bits) => Ty::Number(*bits),
            PlanType::Boolean => Ty::Boolean,
            PlanType::Enum(set) => Ty::Enum(EnumSet {
                name: set.name.clone(),
                values: set.values.iter().map(|value| value.name.clone()).collect(),
            }),
            PlanType::Object(object) => Ty::Object(self.object(object, path)?),
            PlanType::Array(item) => Ty::Array(Box::new(self.ty(item, path)?)),
            PlanType::Nullable(inner) => Ty::Nullable(Box::new(self.ty(inner, path)?)),
            PlanType::Map { keys, values } => Ty::Map {
                keys: keys.as_ref().map(|set| EnumSet {
                    name: set.name.clone(),
                    values: set.values.iter().map(|value| value.name.clone()).collect(),
                }),
                values: Box::new(self.ty(values, path)?),
            },
            PlanType::Any => Ty::Any,
            PlanType::Json(schema) => {
                if !(schema == &serde_json::Value::Bool(true)
                    || schema.as_object().is_some_and(|schema| schema.is_empty()))
                {
                    self.not_checkable.push(NotCheckable {
                        event: self.event.clone(),
                        path: path.to_owned(),
                        rule: "schema",
                        function: schema.to_string(),
                    });
                }
                Ty::Any
            }
            PlanType::Union(union) => Ty::Union(self.union(union, path)?),
            PlanType::Ref(name) => match self.enclosing.iter().rev().find(|(n, _)| n == name) {
                Some((_, index)) => Ty::Object(*index),
                None => {
                    return Err(CompileError {
                        path: join(&self.event, path),
                        message: format!("a reference to {name:?}, which encloses no field here"),
                    })
                }
            },
        })
    }

    fn union(&mut self, union: &PlanUnion, path: &str) -> Result<usize, CompileError> {
        let mut variants = Vec::with_capacity(union.variants.len());
        for variant in &union.variants {
            let shape = match &variant.shape {
                PlanVariantShape::Unit => Shape::Unit,
                PlanVariantShape::Newtype(ty) => Shape::Newtype(self.ty(ty, path)?),
                PlanVariantShape::Tuple(items) => Shape::Tuple(
                    items
                        .iter()
                        .map(|ty| self.ty(ty, path))
                        .collect::<Result<_, _>>()?,
                ),
                PlanVariantShape::Struct(fields) => {
                    let index = self.objects.len();
                    self.objects.push(Object {
                        name: format!("{}::{}", union.name, variant.name),
                        fields: Fields::new(Vec::new()),
                    });
                    self.objects[index].fields = self.fields(fields, path)?;
                    Shape::Struct(Ty::Object(index))
                }
            };
            variants.push(Variant {
                name: variant.name.clone(),
                shape,
            });
        }
        self.unions.push(Union {
            name: union.name.clone(),
            tagging: union.tagging,
            variants,
        });
        Ok(self.unions.len() - 1)
    }

    fn object(&mut self, object: &PlanObject, path: &str) -> Result<usize, CompileError> {
        let index = self.objects.len();
        self.objects.push(Object {
            name: object.name.clone(),
            fields: Fields::new(Vec::new()),
        });
        self.enclosing.push((object.name.clone(), index));
        let fields = self.fields(&object.fields, path);
        self.enclosing.pop();
        self.objects[index].fields = fields?;
        self.checks(&object.checks, path);
        Ok(index)
    }
}

fn join(prefix: &str, name: &str) -> String {
    match (prefix.is_empty(), name.is_empty()) {
        (true, _) => name.to_owned(),
        (_, true) => prefix.to_owned(),
        _ => format!("{prefix}.{name}"),
    }
}
