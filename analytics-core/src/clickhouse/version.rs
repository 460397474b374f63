//! The server's version, and the column types it supports.

use std::fmt;

/// A ClickHouse server version, as `SELECT version()` prints it (`18.16.1`,
/// `24.8.4.13`): the types of the tables depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServerVersion {
    /// The year-based major version (`18`, `24`).
    pub major: u32,
    /// The release within the year.
    pub minor: u32,
    /// The patch level.
    pub patch: u32,
}

impl ServerVersion {
    /// Debian's `clickhouse-server` package (bookworm): the oldest server
    /// the tables are made for.
    pub const DEBIAN_18_16: ServerVersion = ServerVersion::new(18, 16, 1);

    /// A version from its parts.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        ServerVersion {
            major,
            minor,
            patch,
        }
    }

    /// Parses `18.16.1` or `24.8.4.13` (parts after the third are ignored).
    pub fn parse(text: &str) -> Option<ServerVersion> {
        let mut parts = text.trim().split('.').map(|part| part.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next()??;
        let patch = match parts.next() {
            Some(patch) => patch?,
            None => 0,
        };
        Some(ServerVersion::new(major, minor, patch))
    }

    fn at_least(self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }

    /// `Bool` (21.12 and later); older servers get `UInt8`, which accepts
    /// JSON `true` and `false` on insert.
    pub fn has_bool(self) -> bool {
        self.at_least(21, 12)
    }

    /// `Map(K, V)` without an experimental setting (21.8 and later).
    pub fn has_map(self) -> bool {
        self.at_least(21, 8)
    }

    /// `LowCardinality(String)` without an experimental setting (19.0 and
    /// later; 18.12 to 18.16 need `allow_experimental_low_cardinality_type`).
    pub fn has_low_cardinality(self) -> bool {
        self.at_least(19, 0)
    }

    /// `Int128` and `UInt128` (21.6 and later).
    pub fn has_int128(self) -> bool {
        self.at_least(21, 6)
    }
}

impl Default for ServerVersion {
    /// [`ServerVersion::DEBIAN_18_16`]: DDL that every supported server accepts.
    fn default() -> Self {
        ServerVersion::DEBIAN_18_16
    }
}

impl fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_gate_types() {
        let old = ServerVersion::parse("18.16.1").unwrap();
        assert_eq!(old, ServerVersion::DEBIAN_18_16);
        assert!(!old.has_bool() && !old.has_map() && !old.has_low_cardinality());
        let new = ServerVersion::parse("24.8.4.13\n").unwrap();
        assert_eq!(new, ServerVersion::new(24, 8, 4));
        assert!(new.has_bool() && new.has_map() && new.has_low_cardinality() && new.has_int128());
        assert_eq!(
            ServerVersion::parse("21.12"),
            Some(ServerVersion::new(21, 12, 0))
        );
        assert!(ServerVersion::new(21, 12, 0).has_bool());
        assert!(!ServerVersion::new(21, 11, 9).has_bool());
        assert_eq!(ServerVersion::parse("x.1"), None);
        assert_eq!(ServerVersion::parse(""), None);
    }
}
