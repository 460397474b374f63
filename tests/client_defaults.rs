//! A client built without a sink writes into the platform data directory,
//! never into the current directory. One test in this binary: it changes the
//! process's current directory and environment.

mod client_support;

use std::time::Duration;

use analytics_core::client::default_events_file;
use analytics_core::Client;
use client_support::*;

#[test]
fn a_client_without_a_sink_writes_nothing_into_the_current_directory() {
    let cwd = temp_dir("defaults-cwd");
    let data = temp_dir("defaults-data");
    std::env::set_current_dir(&cwd).unwrap();
    // The only test in this binary: nothing else reads the environment.
    std::env::set_var("XDG_DATA_HOME", &data);
    std::env::set_var("HOME", &data);

    let file = default_events_file().expect("a data directory");
    assert!(file.starts_with(&data), "{file:?} is not under {data:?}");
    assert!(file.ends_with("analytics/events.jsonl"), "{file:?}");

    let client = Client::builder().build().unwrap();
    client.track(command(1)).unwrap();
    client.track(command(2)).unwrap();
    client.shutdown(Duration::from_secs(10)).unwrap();
    assert_settled(&client);
    assert_eq!(client.metrics().delivered, 2);

    let left: Vec<_> = std::fs::read_dir(&cwd).unwrap().collect();
    assert!(left.is_empty(), "files in the current directory: {left:?}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 2);
    for line in text.lines() {
        let envelope: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(envelope["event_type"], "codex_command_execution_event");
    }
    let _ = std::fs::remove_dir_all(&cwd);
    let _ = std::fs::remove_dir_all(&data);
}
