//! The top level of what arrives: a reference envelope
//! (`{"event_type":..,"event_params":{..}}`), a Segment `track` message
//! (`{"type":"track","event":..,"properties":{..},"messageId":..}`), or a
//! batch of them (`{"events":[..]}`, `{"batch":[..]}`), told apart by keys.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::check::{Key, Path, Report, Value};
use super::compile::{same, Compiled, Ty};

/// The default top-level key of the client's message id in the reference
/// format (`ClientBuilder::message_id_key("message_id")`): read as the
/// event's id.
pub(crate) const MESSAGE_ID_KEY: &str = "message_id";

/// Keys of a Segment message other than `event` and `properties`: read, not checked.
const SEGMENT_KEYS: &[&str] = &[
    "type",
    "messageId",
    "timestamp",
    "originalTimestamp",
    "sentAt",
    "receivedAt",
    "anonymousId",
    "userId",
    "context",
    "integrations",
    "channel",
    "version",
    "writeKey",
];

/// What a top-level JSON value turned out to be.
pub(crate) enum Shape<'de> {
    /// A batch: the items, as raw JSON borrowed from the input.
    Batch(Vec<&'de RawValue>),
    /// One event, checked (see [`Seen`]).
    Event(Seen<'de>),
    /// Not an object, or an object with neither shape; the message says why.
    Neither(String),
}

/// One event as read.
pub(crate) struct Seen<'de> {
    pub(crate) event_type: Option<Cow<'de, str>>,
    /// The index of the event in the plan, when its type is known.
    pub(crate) event: Option<usize>,
    pub(crate) segment: bool,
    pub(crate) message_id: Option<Cow<'de, str>>,
    /// What makes it not an envelope at all, if anything.
    pub(crate) not_envelope: Option<String>,
}

/// Reads one top-level value, checking the event it is as it goes.
pub(crate) struct TopLevel<'c, 'r> {
    pub(crate) plan: &'c Compiled,
    /// The top-level keys of a reference envelope that carry its message id
    /// (`ClientBuilder::message_id_key`).
    pub(crate) message_id_keys: &'c [String],
    pub(crate) report: &'r mut Report,
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_, '_> {
    type Value = Shape<'de>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Shape<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

fn neither<'de>(what: &str) -> Shape<'de> {
    Shape::Neither(format!(
        "expected an event envelope or a batch (a JSON object), got {what}"
    ))
}

impl<'de> Visitor<'de> for TopLevel<'_, '_> {
    type Value = Shape<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event envelope or a batch")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Shape<'de>, E> {
        Ok(neither("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Shape<'de>, E> {
        Ok(neither("a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Shape<'de>, E> {
        Ok(neither("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Shape<'de>, E> {
        Ok(neither("a number"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Shape<'de>, E> {
        Ok(neither("a string"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Shape<'de>, E> {
        Ok(neither("null"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(neither("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Shape<'de>, A::Error> {
        let mut seen = Seen {
            event_type: None,
            event: None,
            segment: false,
            message_id: None,
            not_envelope: None,
        };
        let mut params: Option<&'de RawValue> = None;
        let mut params_checked = false;
        let mut batch: Option<Vec<&'de RawValue>> = None;
        let mut version: Option<Option<u64>> = None;
        // Keys that are neither envelope keys nor known yet: checked at the end,
        // once the event (and so its `#[analytics(envelope)]` fields) is known.
        let mut unknown: Vec<(Cow<'de, str>, Option<&'de RawValue>)> = Vec::new();
        let mut envelope_seen: Vec<usize> = Vec::new();
        let mut problems: Vec<String> = Vec::new();
        let mut keys = 0usize;
        while let Some(key) = map.next_key_seed(Key)? {
            keys += 1;
            match &*key {
                "event_type" | "event" => {
                    seen.segment |= key == "event";
                    let name = map.next_value_seed(MaybeStr)?;
                    if seen.event_type.is_some() {
                        problems.push(format!("the key {:?} appears twice", &*key));
                    }
                    match name {
                        Some(name) => {
                            seen.event = self.plan.events.iter().position(|e| same(&e.name, &name));
                            seen.event_type = Some(name);
                        }
                        None => problems.push(format!("{:?} must be a string", &*key)),
                    }
                }
                "event_params" | "properties" => {
                    seen.segment |= key == "properties";
                    if params.is_some() || params_checked {
                        problems.push(format!("the key {:?} appears twice", &*key));
                        map.next_value::<IgnoredAny>()?;
                    } else if let Some(event) = seen.event {
                        map.next_value_seed(self.params(event))?;
                        params_checked = true;
                    } else {
                        params = Some(map.next_value()?);
                    }
                }
                "events" | "batch" => match map.next_value_seed(Items)? {
                    Some(items) if batch.is_none() => batch = Some(items),
                    Some(_) => problems.push(format!("the key {:?} appears twice", &*key)),
                    None => problems.push(format!("{:?} must be an array", &*key)),
                },
                "event_version" => version = Some(map.next_value_seed(MaybeU64)?),
                "messageId" => {
                    seen.message_id = map.next_value_seed(MaybeStr)?;
                    unknown.push((key, None));
                }
                "type" => {
                    if let Some(kind) = map.next_value_seed(MaybeStr)? {
                        if kind != "track" {
                            problems.push(format!(
                                "a Segment {kind:?} message carries no event (only \"track\" does)"
                            ));
                        }
                    }
                    unknown.push((key, None));
                }
                id_key if self.is_message_id_key(id_key) => {
                    // The client's opt-in id key; an envelope field of the
                    // same name, if the plan has one, takes it instead (below).
                    let raw: &'de RawValue = map.next_value()?;
                    if seen.message_id.is_none() {
                        if let Ok(id) = serde_json::from_str::<&'de str>(raw.get()) {
                            seen.message_id = Some(Cow::Borrowed(id));
                        }
                    }
                    unknown.push((key, Some(raw)));
                }
                _ => {
                    let field = seen.event.and_then(|event| {
                        Some((event, self.plan.events[event].envelope.find(&key)?))
                    });
                    match field {
                        Some((event, position)) if !envelope_seen.contains(&position) => {
                            envelope_seen.push(position);
                            map.next_value_seed(self.envelope_field(event, position))?;
                        }
                        _ => unknown.push((key, Some(map.next_value()?))),
                    }
                }
            }
        }
        if let Some(items) = batch {
            if keys == 1 || (seen.event_type.is_none() && params.is_none() && !params_checked) {
                return Ok(Shape::Batch(items));
            }
            problems.push("an object cannot be both a batch and an event".to_owned());
        }
        if keys == 0 {
            return Ok(Shape::Neither(
                "expected an event envelope or a batch, got an empty object".to_owned(),
            ));
        }
        let has_params = params.is_some() || params_checked;
        if seen.event_type.is_none() && !has_params {
            return Ok(Shape::Neither(
                "expected an event envelope (\"event_type\" and \"event_params\") or a batch (\"events\" or \"batch\")"
                    .to_owned(),
            ));
        }
        if seen.event_type.is_none() && problems.is_empty() {
            problems.push(if seen.segment {
                "missing the key \"event\"".to_owned()
            } else {
                "missing the key \"event_type\"".to_owned()
            });
        }
        if !has_params && seen.event.is_some() {
            problems.push(if seen.segment {
                "missing the key \"properties\"".to_owned()
            } else {
                "missing the key \"event_params\"".to_owned()
            });
        }
        if !problems.is_empty() {
            seen.not_envelope = Some(problems.join("; "));
            return Ok(Shape::Event(seen));
        }
        let Some(event) = seen.event else {
            return Ok(Shape::Event(seen));
        };
        if let Some(raw) = params {
            let mut deserializer = serde_json::Deserializer::from_str(raw.get());
            self.params(event)
                .deserialize(&mut deserializer)
                .map_err(de::Error::custom)?;
        }
        let envelope = &self.plan.events[event].envelope;
        for (key, raw) in unknown {
            if seen.segment && SEGMENT_KEYS.contains(&&*key) {
                continue;
            }
            if let (Some(position), Some(raw)) = (envelope.find(&key), raw) {
                if !envelope_seen.contains(&position) {
                    envelope_seen.push(position);
                    let mut deserializer = serde_json::Deserializer::from_str(raw.get());
                    self.envelope_field(event, position)
                        .deserialize(&mut deserializer)
                        .map_err(de::Error::custom)?;
                    continue;
                }
            }
            if self.is_message_id_key(&key) && raw.is_some_and(|raw| raw.get().starts_with('"')) {
                continue;
            }
            let path = Path::ROOT;
            let path = path.field(&key);
            let message = format!("unknown key {:?} in the envelope", &*key);
            self.report.schema_error(&path, "unknown_key", message);
        }
        for (position, field) in envelope.list.iter().enumerate() {
            if field.required && !envelope_seen.contains(&position) {
                let path = Path::ROOT;
                let path = path.field(&field.rust);
                let message = format!("missing the required envelope key {:?}", field.wire);
                self.report.schema_error(&path, "required", message);
            }
        }
        if let Some(version) = version {
            let expected = self.plan.events[event].version;
            if version != Some(u64::from(expected)) {
                let got = version.map_or_else(|| "not an integer".to_owned(), |v| v.to_string());
                let path = Path::ROOT;
                let path = path.field("event_version");
                let message = format!("the plan has version {expected} of this event (got {got})");
                self.report.schema_error(&path, "version", message);
            }
        }
        Ok(Shape::Event(seen))
    }
}

impl<'c> TopLevel<'c, '_> {
    fn is_message_id_key(&self, key: &str) -> bool {
        self.message_id_keys.iter().any(|id_key| id_key == key)
    }

    fn params<'s>(&'s mut self, event: usize) -> Value<'c, 's> {
        let root: &'c Ty = &self.plan.events[event].params;
        Value {
            ty: root,
            nullable: false,
            rules: &[],
            plan: self.plan,
            path: &ROOT,
            report: self.report,
        }
    }
}

static ROOT: Path<'static> = Path::ROOT;

impl<'c> TopLevel<'c, '_> {
    fn envelope_field<'s>(&'s mut self, event: usize, position: usize) -> EnvelopeField<'c, 's> {
        EnvelopeField {
            field: &self.plan.events[event].envelope.list[position],
            plan: self.plan,
            report: self.report,
        }
    }
}

/// An `#[analytics(envelope)]` field: checked like a field of `event_params`.
struct EnvelopeField<'c, 's> {
    field: &'c super::compile::Field,
    plan: &'c Compiled,
    report: &'s mut Report,
}

impl<'de> DeserializeSeed<'de> for EnvelopeField<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let path = ROOT.field(&self.field.rust);
        Value {
            ty: &self.field.ty,
            nullable: self.field.nullable,
            rules: &self.field.rules,
            plan: self.plan,
            path: &path,
            report: self.report,
        }
        .deserialize(deserializer)
    }
}

/// A string value, or `None` (skipped) for any other value.
struct MaybeStr;

impl<'de> DeserializeSeed<'de> for MaybeStr {
    type Value = Option<Cow<'de, str>>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

// A visitor names every kind of value it takes: serde has no catch-all
// method, so the scalars it turns into `None` are listed one by one.
impl<'de> Visitor<'de> for MaybeStr {
    type Value = Option<Cow<'de, str>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(value)))
    }
    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(value.to_owned())))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// An unsigned integer, or `None` for any other value.
struct MaybeU64;

impl<'de> DeserializeSeed<'de> for MaybeU64 {
    type Value = Option<u64>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        Ok(<serde_json::Value as de::Deserialize>::deserialize(deserializer)?.as_u64())
    }
}

/// The items of a batch as raw JSON, or `None` (skipped) when it is not an array.
struct Items;

impl<'de> DeserializeSeed<'de> for Items {
    type Value = Option<Vec<&'de RawValue>>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Items {
    type Value = Option<Vec<&'de RawValue>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of events")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Some(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}
