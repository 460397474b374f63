//! Keys for the definitions that the renderings share.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::plan::{PlanEnum, PlanObject, PlanUnion};

/// Shared definitions found while writing: each distinct object or enum gets
/// a key (its Rust name, suffixed `_2`, `_3`... when two different types
/// share a name).
#[derive(Default)]
pub(crate) struct Definitions {
    pub(crate) objects: Vec<(String, Arc<PlanObject>)>,
    pub(crate) enums: Vec<(String, PlanEnum)>,
    pub(crate) unions: Vec<(String, Arc<PlanUnion>)>,
    pub(crate) taken: BTreeSet<String>,
}

impl Definitions {
    /// Reserves a key (for names that are not types, such as event names).
    pub(crate) fn reserve(&mut self, name: &str) -> String {
        let key = self.free_key(name);
        self.taken.insert(key.clone());
        key
    }

    fn free_key(&self, name: &str) -> String {
        if !self.taken.contains(name) {
            return name.to_owned();
        }
        (2..)
            .map(|n| format!("{name}_{n}"))
            .find(|key| !self.taken.contains(key))
            .unwrap_or_else(|| name.to_owned())
    }

    pub(crate) fn object_key(&mut self, object: &Arc<PlanObject>) -> String {
        if let Some((key, _)) = self
            .objects
            .iter()
            .find(|(_, known)| Arc::ptr_eq(known, object) || known == object)
        {
            return key.clone();
        }
        let key = self.reserve(&object.name);
        self.objects.push((key.clone(), Arc::clone(object)));
        key
    }

    /// The key of the object or union with this Rust name met last (what a
    /// [`PlanType::Ref`](crate::plan::PlanType::Ref) inside it points to).
    pub(crate) fn key_by_name(&self, name: &str) -> Option<String> {
        let object = self
            .objects
            .iter()
            .rev()
            .find(|(_, object)| object.name == name);
        let union = self
            .unions
            .iter()
            .rev()
            .find(|(_, union)| union.name == name);
        object
            .map(|(key, _)| key)
            .or(union.map(|(key, _)| key))
            .cloned()
    }

    pub(crate) fn union_key(&mut self, union: &Arc<PlanUnion>) -> String {
        if let Some((key, _)) = self
            .unions
            .iter()
            .find(|(_, known)| Arc::ptr_eq(known, union) || known == union)
        {
            return key.clone();
        }
        let key = self.reserve(&union.name);
        self.unions.push((key.clone(), Arc::clone(union)));
        key
    }

    pub(crate) fn enum_key(&mut self, schema: &PlanEnum) -> String {
        if let Some((key, _)) = self.enums.iter().find(|(_, known)| known == schema) {
            return key.clone();
        }
        let key = self.reserve(&schema.name);
        self.enums.push((key.clone(), schema.clone()));
        key
    }
}
