//! Rows: an envelope becomes one `JSONEachRow` line of its table, and a row
//! read back becomes the event's `event_params` again.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::plan::PlanType;

use super::table::{Column, Encoding, Table, MESSAGE_ID_COLUMN, TIMESTAMP_COLUMN, VERSION_COLUMN};

/// Writes rows of one table from envelopes, copying each value's JSON bytes.
#[derive(Debug, Clone)]
pub(crate) struct RowWriter {
    /// `{"_event_version":N,` pre-rendered.
    version: Vec<u8>,
    /// The `#[analytics(envelope)]` keys.
    envelope: Vec<Node>,
    /// The keys of `event_params`.
    nodes: Vec<Node>,
}

#[derive(Debug, Clone)]
enum Node {
    Leaf {
        key: String,
        /// `"column":` pre-rendered.
        column: Vec<u8>,
        encoding: Encoding,
        /// The key is always written with a non-null value.
        required: bool,
    },
    Object {
        key: String,
        children: Vec<Node>,
    },
}

impl RowWriter {
    pub(crate) fn new(table: &Table) -> RowWriter {
        let mut nodes = Vec::new();
        let mut envelope = Vec::new();
        for column in table
            .columns
            .iter()
            .filter(|column| !column.path.is_empty())
        {
            let nodes = if column.in_envelope {
                &mut envelope
            } else {
                &mut nodes
            };
            insert_node(nodes, column, &column.path);
        }
        RowWriter {
            version: format!("\"{VERSION_COLUMN}\":{},", table.version).into_bytes(),
            envelope,
            nodes,
        }
    }

    /// Appends the row of one event and `\n` to `out`: `envelope` holds the
    /// envelope's members other than `event_type` and `event_params`.
    pub(crate) fn write(
        &self,
        envelope: &[Member<'_>],
        params: &RawValue,
        message_id: &[u8; 16],
        timestamp_ms: u64,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        out.extend_from_slice(b"{\"");
        out.extend_from_slice(MESSAGE_ID_COLUMN.as_bytes());
        out.extend_from_slice(b"\":\"");
        write_uuid(message_id, out);
        out.extend_from_slice(b"\",");
        out.extend_from_slice(&self.version);
        out.push(b'"');
        out.extend_from_slice(TIMESTAMP_COLUMN.as_bytes());
        out.extend_from_slice(b"\":");
        out.extend_from_slice(itoa::Buffer::new().format(timestamp_ms).as_bytes());
        write_members(&self.envelope, envelope, "", "the envelope", out)?;
        write_object(&self.nodes, params, "", out)?;
        out.extend_from_slice(b"}\n");
        Ok(())
    }
}

/// `8-4-4-4-12` lowercase hex, as `Envelope::message_id` formats it.
fn write_uuid(id: &[u8; 16], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, byte) in id.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push(b'-');
        }
        out.push(HEX[usize::from(byte >> 4)]);
        out.push(HEX[usize::from(byte & 15)]);
    }
}

fn insert_node(nodes: &mut Vec<Node>, column: &Column, path: &[String]) {
    let key = &path[0];
    if path.len() == 1 {
        let mut rendered = Vec::with_capacity(column.name.len() + 4);
        crate::json::write_str(&mut rendered, &column.name);
        rendered.push(b':');
        nodes.push(Node::Leaf {
            key: key.clone(),
            column: rendered,
            encoding: column.encoding,
            required: !column.ty.starts_with("Nullable(")
                && !column.ty.starts_with("LowCardinality(Nullable("),
        });
        return;
    }
    let position = nodes
        .iter()
        .position(|node| matches!(node, Node::Object { key: k, .. } if k == key));
    let index = match position {
        Some(index) => index,
        None => {
            nodes.push(Node::Object {
                key: key.clone(),
                children: Vec::new(),
            });
            nodes.len() - 1
        }
    };
    if let Node::Object { children, .. } = &mut nodes[index] {
        insert_node(children, column, &path[1..]);
    }
}

/// Writes `,"column":value` for every leaf under `nodes`, from the object `raw`.
fn write_object(
    nodes: &[Node],
    raw: &RawValue,
    path: &str,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let Fields(fields) = serde_json::from_str(raw.get()).map_err(|error| {
        let at = if path.is_empty() {
            "event_params"
        } else {
            path
        };
        format!("{at} is not a JSON object: {error}")
    })?;
    write_members(nodes, &fields, path, "the table", out)
}

/// Writes the leaves under `nodes` from the members of one object; a member
/// no node names is an error (the event does not match the plan).
fn write_members(
    nodes: &[Node],
    fields: &[Member<'_>],
    path: &str,
    owner: &str,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let mut used = vec![false; fields.len()];
    // Fields usually arrive in wire order: search from where the last one was.
    let mut cursor = 0;
    for node in nodes {
        let key = match node {
            Node::Leaf { key, .. } | Node::Object { key, .. } => key.as_str(),
        };
        let found = (0..fields.len())
            .map(|step| (cursor + step) % fields.len())
            .find(|&i| !used[i] && fields[i].0 == key);
        // Only errors and nested objects need the path: build it then.
        let child_path = || {
            if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            }
        };
        match (node, found) {
            (
                Node::Leaf {
                    column,
                    encoding,
                    required,
                    ..
                },
                Some(i),
            ) => {
                used[i] = true;
                cursor = i + 1;
                let value = fields[i].1.get();
                out.push(b',');
                out.extend_from_slice(column);
                match encoding {
                    Encoding::Json => out.extend_from_slice(value.as_bytes()),
                    Encoding::JsonText if value == "null" && !required => {
                        out.extend_from_slice(b"null")
                    }
                    Encoding::JsonText => crate::json::write_str(out, value),
                }
            }
            // An omitted key: the column's default (`NULL` for a nullable column).
            (
                Node::Leaf {
                    required: false, ..
                },
                None,
            ) => {}
            (Node::Leaf { required: true, .. } | Node::Object { .. }, None) => {
                return Err(format!("`{}` is missing", child_path()));
            }
            (Node::Object { children, .. }, Some(i)) => {
                used[i] = true;
                cursor = i + 1;
                write_object(children, fields[i].1, &child_path(), out)?;
            }
        }
    }
    if let Some(i) = used.iter().position(|used| !used) {
        let key = &fields[i].0;
        let at = if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        };
        return Err(format!(
            "`{at}` is not a field of {owner} (the event does not match the plan)"
        ));
    }
    Ok(())
}

/// One member of a JSON object: its key (borrowed when unescaped) and its unparsed value.
pub(crate) type Member<'a> = (Cow<'a, str>, &'a RawValue);

/// An object's members in order.
struct Fields<'a>(Vec<Member<'a>>);

impl<'de> Deserialize<'de> for Fields<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = Fields<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(32));
                while let Some(Key(key)) = map.next_key()? {
                    fields.push((key, map.next_value()?));
                }
                Ok(Fields(fields))
            }
        }
        deserializer.deserialize_map(FieldsVisitor)
    }
}

struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(value)))
            }
            fn visit_str<E>(self, value: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(value.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// An envelope taken apart: its `event_type`, its `event_params` (unparsed)
/// and its other members (the `#[analytics(envelope)]` keys).
pub(crate) struct Parts<'a> {
    pub(crate) event_type: Cow<'a, str>,
    pub(crate) params: &'a RawValue,
    pub(crate) others: Vec<Member<'a>>,
}

/// Takes an envelope apart.
pub(crate) fn split_envelope(json: &[u8]) -> Result<Parts<'_>, String> {
    let text = std::str::from_utf8(json).map_err(|error| format!("not UTF-8: {error}"))?;
    let Fields(fields) =
        serde_json::from_str(text).map_err(|error| format!("not a JSON object: {error}"))?;
    let mut event_type = None;
    let mut params = None;
    let mut others = Vec::new();
    for (key, value) in fields {
        match &*key {
            "event_type" => {
                let name: Cow<'_, str> = serde_json::from_str(value.get())
                    .map_err(|_| "`event_type` is not a string".to_owned())?;
                event_type = Some(name);
            }
            "event_params" => params = Some(value),
            _ => others.push((key, value)),
        }
    }
    match (event_type, params) {
        (Some(event_type), Some(params)) => Ok(Parts {
            event_type,
            params,
            others,
        }),
        (None, _) => Err("the envelope has no `event_type`".to_owned()),
        (Some(_), None) => Err("the envelope has no `event_params`".to_owned()),
    }
}

impl Table {
    /// The `event_params` of the event a row holds (`row` as read back with
    /// `SELECT * .. FORMAT JSONEachRow`): flattened columns are nested again,
    /// JSON text parsed, `UInt8` booleans made `true`/`false`, quoted 64-bit
    /// integers made numbers. The envelope columns are left out.
    pub fn params_from_row(&self, row: &Map<String, Value>) -> Result<Value, String> {
        self.object_from_row(row, false)
    }

    /// The whole envelope of the event a row holds: `event_type`, the
    /// `#[analytics(envelope)]` keys, then `event_params` (see
    /// [`params_from_row`](Table::params_from_row)).
    pub fn envelope_from_row(&self, row: &Map<String, Value>) -> Result<Value, String> {
        let mut envelope = Map::new();
        envelope.insert("event_type".to_owned(), Value::String(self.event.clone()));
        if let Value::Object(keys) = self.object_from_row(row, true)? {
            envelope.extend(keys);
        }
        envelope.insert("event_params".to_owned(), self.params_from_row(row)?);
        Ok(Value::Object(envelope))
    }

    fn object_from_row(
        &self,
        row: &Map<String, Value>,
        in_envelope: bool,
    ) -> Result<Value, String> {
        let mut params = Map::new();
        let columns = self
            .columns
            .iter()
            .filter(|column| !column.path.is_empty() && column.in_envelope == in_envelope);
        for column in columns {
            let value = row
                .get(&column.name)
                .ok_or_else(|| format!("the row has no column `{}`", column.name))?;
            let value = match column.encoding {
                Encoding::JsonText => match value {
                    Value::Null => Value::Null,
                    Value::String(text) => serde_json::from_str(text).map_err(|error| {
                        format!("column `{}` holds no JSON: {error}", column.name)
                    })?,
                    other => return Err(format!("column `{}`: {other} is not text", column.name)),
                },
                Encoding::Json => match &column.plan_type {
                    Some(ty) => decode(ty, value),
                    None => value.clone(),
                },
            };
            let mut object = &mut params;
            for key in &column.path[..column.path.len() - 1] {
                let entry = object
                    .entry(key.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                object = entry
                    .as_object_mut()
                    .ok_or_else(|| format!("column `{}` collides with `{key}`", column.name))?;
            }
            object.insert(column.path[column.path.len() - 1].clone(), value);
        }
        Ok(Value::Object(params))
    }
}

/// A typed column's value as the event wrote it.
fn decode(ty: &PlanType, value: &Value) -> Value {
    match (ty, value) {
        (_, Value::Null) => Value::Null,
        (PlanType::Boolean, Value::Number(number)) => Value::Bool(number.as_u64() != Some(0)),
        (PlanType::Integer(_), Value::String(text)) => {
            serde_json::from_str(text).unwrap_or_else(|_| value.clone())
        }
        (PlanType::Array(item), Value::Array(items)) => {
            Value::Array(items.iter().map(|value| decode(item, value)).collect())
        }
        (PlanType::Nullable(inner), value) => decode(inner, value),
        _ => value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_written_like_envelope_message_ids() {
        let id = [
            0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x10, 0x32, 0x54, 0x76, 0x98, 0xba,
            0xdc, 0xfe,
        ];
        let mut out = Vec::new();
        write_uuid(&id, &mut out);
        let envelope = crate::client::Envelope::new(b"{}".to_vec(), id, 0);
        assert_eq!(String::from_utf8(out).unwrap(), envelope.message_id());
        assert_eq!(
            envelope.message_id(),
            "01234567-89ab-cdef-1032-547698badcfe"
        );
    }
}
