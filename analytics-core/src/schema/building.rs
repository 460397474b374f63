//! Schema construction, one thread at a time, with the types being built.
//!
//! A schema is built on first use inside its type's `OnceLock`. A recursive
//! type asks for its own schema while building it; the stack of the types
//! being built on this thread answers `Ref` before the `OnceLock` is entered
//! again (which would deadlock). Two threads building two mutually
//! recursive types could each wait on the other's `OnceLock`: construction
//! holds one process-wide lock, taken by the outermost build of a thread
//! (an already built schema is read without it).

use std::any::TypeId;
use std::cell::RefCell;
use std::sync::{Mutex, MutexGuard};

use crate::schema::{FieldType, ObjectSchema, UnionSchema};

static LOCK: Mutex<()> = Mutex::new(());
/// Every object and union schema built, for [`resolve`].
static BUILT: Mutex<Vec<FieldType>> = Mutex::new(Vec::new());

#[derive(Default)]
struct Stack {
    types: Vec<Option<TypeId>>,
    guard: Option<MutexGuard<'static, ()>>,
}

thread_local! {
    static STACK: RefCell<Stack> = RefCell::new(Stack::default());
}

/// On the stack until dropped (panic-safe: a panicking build pops too).
pub(crate) struct Entered(());

/// Pushes `ty` (`None` for an event, which cannot recur), taking the
/// process-wide lock if this is the thread's outermost build.
pub(crate) fn enter(ty: Option<TypeId>) -> Entered {
    let outermost = STACK.with(|stack| stack.borrow().types.is_empty());
    // Taken outside the `RefCell` borrow: waiting must not hold it.
    let guard = outermost.then(|| LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
    STACK.with(|stack| {
        let mut stack = stack.borrow_mut();
        if guard.is_some() {
            stack.guard = guard;
        }
        stack.types.push(ty);
    });
    Entered(())
}

impl Drop for Entered {
    fn drop(&mut self) {
        let guard = STACK.with(|stack| {
            let mut stack = stack.borrow_mut();
            stack.types.pop();
            if stack.types.is_empty() {
                stack.guard.take()
            } else {
                None
            }
        });
        drop(guard);
    }
}

pub(crate) fn contains(ty: TypeId) -> bool {
    STACK.with(|stack| stack.borrow().types.contains(&Some(ty)))
}

fn built(ty: FieldType) {
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let same = |known: &FieldType| match (known, &ty) {
        (FieldType::Object(a), FieldType::Object(b)) => std::ptr::eq(*a, *b),
        (FieldType::Union(a), FieldType::Union(b)) => std::ptr::eq(*a, *b),
        _ => false,
    };
    if !built.iter().any(same) {
        built.push(ty);
    }
}

pub(crate) fn built_object(schema: &'static ObjectSchema) {
    built(FieldType::Object(schema));
}

pub(crate) fn built_union(schema: &'static UnionSchema) {
    built(FieldType::Union(schema));
}

pub(crate) fn resolve(name: &str) -> Option<FieldType> {
    let built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    built.iter().copied().find(|ty| match ty {
        FieldType::Object(schema) => schema.name == name,
        FieldType::Union(schema) => schema.name == name,
        _ => false,
    })
}
