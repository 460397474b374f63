//! Where an event carries the identity of its user: the keys marked
//! `#[analytics(user_id)]` / `#[analytics(anonymous_id)]`, found from an
//! event's static schema or from a tracking plan, and read from an envelope.

use std::borrow::Cow;

use serde_json::Value;

use crate::plan::{PlanEvent, PlanField};
use crate::schema::{EventSchema, FieldSchema, IdentityRole};

/// One identity key of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityKey {
    /// The wire name.
    pub key: Cow<'static, str>,
    /// The key is at the top level of the envelope (`#[analytics(envelope)]`),
    /// not in `event_params`.
    pub in_envelope: bool,
}

/// The keys an event carries its user's identity in, one per role; both
/// `None` for an event without identity fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityKeys {
    /// The key of the known user's id.
    pub user_id: Option<IdentityKey>,
    /// The key of the anonymous (device, installation) id.
    pub anonymous_id: Option<IdentityKey>,
}

impl IdentityKeys {
    /// The keys of an event type linked into this binary.
    pub fn of(schema: &EventSchema) -> Self {
        let key = |role| {
            let in_params = schema.fields.iter().find(|f| f.identity == Some(role));
            let (field, in_envelope): (&FieldSchema, bool) = match in_params {
                Some(field) => (field, false),
                None => (
                    schema.envelope.iter().find(|f| f.identity == Some(role))?,
                    true,
                ),
            };
            Some(IdentityKey {
                key: Cow::Borrowed(field.name),
                in_envelope,
            })
        };
        IdentityKeys {
            user_id: key(IdentityRole::UserId),
            anonymous_id: key(IdentityRole::AnonymousId),
        }
    }

    /// The keys of an event of a tracking plan (a receiver without the Rust types).
    pub fn of_plan(event: &PlanEvent) -> Self {
        let find = |fields: &[PlanField], role| {
            fields
                .iter()
                .find(|field| field.identity == Some(role))
                .map(|field| field.name.clone())
        };
        let key = |role| {
            if let Some(name) = find(&event.fields, role) {
                return Some(IdentityKey {
                    key: Cow::Owned(name),
                    in_envelope: false,
                });
            }
            find(&event.envelope, role).map(|name| IdentityKey {
                key: Cow::Owned(name),
                in_envelope: true,
            })
        };
        IdentityKeys {
            user_id: key(IdentityRole::UserId),
            anonymous_id: key(IdentityRole::AnonymousId),
        }
    }

    /// The key of `role`, if the event has one.
    pub fn get(&self, role: IdentityRole) -> Option<&IdentityKey> {
        match role {
            IdentityRole::UserId => self.user_id.as_ref(),
            IdentityRole::AnonymousId => self.anonymous_id.as_ref(),
        }
    }

    /// Neither role has a key.
    pub fn is_empty(&self) -> bool {
        self.user_id.is_none() && self.anonymous_id.is_none()
    }

    /// The value of `role` in `envelope` (`{"event_type":..,"event_params":{..}}`):
    /// `None` when the event has no such key, the key is absent, or its value
    /// is not a non-empty string (`null` included).
    pub fn read<'a>(&self, role: IdentityRole, envelope: &'a Value) -> Option<&'a str> {
        let key = self.get(role)?;
        let object = if key.in_envelope {
            envelope
        } else {
            envelope.get("event_params")?
        };
        object
            .get(key.key.as_ref())?
            .as_str()
            .filter(|id| !id.is_empty())
    }
}
