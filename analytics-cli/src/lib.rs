//! The library behind the `analytics` command: validating JSON Lines files
//! against a tracking plan and the collector, so that tests and other
//! programs can run them in-process.
//!
//! The binary (`src/main.rs`) only parses the command line and calls these.

pub mod diff;
pub mod plan_file;
pub mod serve;
pub mod validate;

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}
