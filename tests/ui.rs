//! Compile-fail and compile-pass cases of the derives, one trybuild
//! `TestCases` per category of `tests/ui/`.
//!
//! The `.stderr` files are pinned to the toolchain of this repository
//! (rustc 1.95). Regenerate them with `TRYBUILD=overwrite cargo test --test ui`
//! and read every one as user-facing text before committing.
//!
//! Compile-fail categories only hold compile-fail cases, so trybuild runs
//! `cargo check` on them: every error below is one rust-analyzer shows.

fn compile_fail(category: &str) {
    let cases = trybuild::TestCases::new();
    cases.compile_fail(format!("tests/ui/{category}/*.rs"));
}

/// Derive on the wrong kind of item: enum, union, tuple or unit struct, generics.
#[test]
fn ui_shape() {
    compile_fail("shape");
}

/// Event names: empty, too long, outside `[a-z][a-z0-9_]*`.
#[test]
fn ui_name() {
    compile_fail("name");
}

/// Attribute syntax: unknown and duplicated keys, wrong literal types.
#[test]
fn ui_attr() {
    compile_fail("attr");
}

/// Rule arguments: bounds, regexes, `one_of` lists, `custom` and `check` paths.
#[test]
fn ui_rules() {
    compile_fail("rules");
}

/// Rules on field types they cannot check; field types that are not analytics values.
#[test]
fn ui_types() {
    compile_fail("types");
}

/// Wire-name collisions: renames, reserved names, flattened bases.
#[test]
fn ui_collision() {
    compile_fail("collision");
}

/// `EventCatalog` and `AnalyticsEnum` mistakes.
/// Enums with data: variant field types, representations serde rejects.
#[test]
fn ui_union() {
    compile_fail("union");
}

#[test]
fn ui_catalog() {
    compile_fail("catalog");
}

/// `#[analytics(envelope)]` misuses: outside an event, flattened, reserved
/// or repeated keys.
#[test]
fn ui_envelope() {
    compile_fail("envelope");
}

/// Every rule on every type it supports, and generated code that compiles in
/// hostile surroundings (no prelude, shadowed names, denied warnings...).
#[test]
fn ui_pass() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
}

/// `user_id` / `anonymous_id`: not a string, twice, on a field that cannot carry one.
#[test]
fn ui_identity() {
    compile_fail("identity");
}
