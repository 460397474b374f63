//! `analytics serve --forward URL --forward-format segment`: valid events
//! reach a vendor in its format, each with the user id its plan marks
//! (`#[analytics(user_id)]`), though the collector has no Rust types.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::mpsc;
use std::time::Duration;

use analytics_core::{AnalyticsEvent, Client, HttpSink, RetryPolicy, TrackingPlan};
use serde_json::Value;

/// An event about a signed-in user.
#[derive(AnalyticsEvent)]
#[analytics(name = "page_opened")]
pub struct PageOpened {
    #[analytics(user_id)]
    pub account_id: Option<String>,
    pub page: String,
}

fn temp_dir() -> PathBuf {
    support::temp_dir("forward-cli")
}

/// A vendor on 127.0.0.1: answers 200 to each POST and hands its body over.
fn vendor() -> (String, mpsc::Receiver<(String, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1/batch", listener.local_addr().unwrap());
    let (bodies, received) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(mut stream) = stream else { continue };
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap();
                }
                head.push_str(&line);
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
            if bodies.send((head, body)).is_err() {
                break;
            }
        }
    });
    (url, received)
}

/// Starts `analytics serve` with `args` on a free port; its address.
fn serve(dir: &Path, args: &[&str]) -> (Child, String) {
    support::serve(dir, "127.0.0.1:0", args)
}

#[test]
fn forwarded_segment_events_carry_the_user_id_the_plan_marks() {
    let dir = temp_dir();
    let plan = TrackingPlan::from_events(&[PageOpened::schema()]);
    std::fs::write(dir.join("plan.json"), plan.to_json()).unwrap();
    let (vendor_url, received) = vendor();
    let (mut collector, address) = serve(
        &dir,
        &[
            "--forward",
            &vendor_url,
            "--forward-format",
            "segment",
            "--forward-key",
            "wk",
        ],
    );

    let client = Client::builder()
        .sink(HttpSink::new(format!("http://{address}/v1/events")))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    for (account, page) in [(Some("acct-1"), "home"), (None, "docs")] {
        client
            .track(PageOpened {
                account_id: account.map(str::to_owned),
                page: page.to_owned(),
            })
            .unwrap();
    }
    client.flush(Duration::from_secs(30)).unwrap();
    assert_eq!(client.metrics().delivered, 2, "{:?}", client.metrics());
    client.shutdown(Duration::from_secs(5)).unwrap();

    let mut messages = Vec::new();
    while messages.len() < 2 {
        let (head, body) = received
            .recv_timeout(Duration::from_secs(30))
            .expect("the collector forwards the events");
        assert!(head.starts_with("POST /v1/batch "), "{head}");
        let body: Value = serde_json::from_slice(&body).unwrap();
        messages.extend(body["batch"].as_array().unwrap().iter().cloned());
    }
    collector.kill().unwrap();
    let _ = collector.wait();

    let home = messages
        .iter()
        .find(|message| message["properties"]["page"] == "home")
        .unwrap();
    assert_eq!(home["type"], "track");
    assert_eq!(home["event"], "page_opened");
    assert_eq!(home["userId"], "acct-1", "{home}");
    let docs = messages
        .iter()
        .find(|message| message["properties"]["page"] == "docs")
        .unwrap();
    assert!(docs.get("userId").is_none(), "no user id: {docs}");
    assert!(docs["anonymousId"].is_string(), "Segment needs one: {docs}");
}

#[test]
fn a_vendor_format_without_its_key_is_refused_at_start() {
    let dir = temp_dir();
    let plan = TrackingPlan::from_events(&[PageOpened::schema()]);
    std::fs::write(dir.join("plan.json"), plan.to_json()).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_analytics"))
        .args(["serve", "--plan"])
        .arg(dir.join("plan.json"))
        .args(["--listen", "127.0.0.1:0", "--out"])
        .arg(dir.join("out"))
        .args([
            "--forward",
            "http://127.0.0.1:9/",
            "--forward-format",
            "posthog",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--forward-key"), "{stderr}");
}
