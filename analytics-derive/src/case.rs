//! serde's renaming rules (`rename_all`), reused from `serde_derive_internals`
//! so that our wire names are exactly serde's.

use serde_derive_internals::attr::RenameRule;

/// A parsed `rename_all` value.
#[derive(Clone, Copy)]
pub struct Rename(RenameRule);

impl Rename {
    /// No renaming.
    pub const NONE: Rename = Rename(RenameRule::None);

    /// Parses `"snake_case"`, `"camelCase"`...; the error lists the accepted values.
    pub fn parse(value: &str) -> Result<Rename, String> {
        RenameRule::from_str(value)
            .map(Rename)
            .map_err(|error| error.to_string())
    }

    /// The wire name of a struct field.
    pub fn field(self, name: &str) -> String {
        self.0.apply_to_field(name)
    }

    /// The wire name of an enum variant.
    pub fn variant(self, name: &str) -> String {
        self.0.apply_to_variant(name)
    }

    /// The default event name of a struct: its name in snake_case.
    pub fn snake_case_type(name: &str) -> String {
        RenameRule::SnakeCase.apply_to_variant(name)
    }
}
