//! Shared by the client tests: event factories and a scripted HTTP server
//! (tiny_http on 127.0.0.1) that answers on a schedule.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use analytics_core::{Client, Envelope, MemorySink, Metrics, Sink, SinkError, TrackEventRequest};
use codex_analytics::*;

/// The accounting invariant of an idle client (after `flush` or `shutdown`
/// returned, or once `in_flight()` is 0): every event handed to `track`, and
/// every event replayed from the spool, is delivered, dropped with a reason,
/// or still on disk; nothing is queued. Called at the end of every client test.
pub fn assert_invariant(metrics: &Metrics) {
    assert_eq!(
        metrics.tracked + metrics.replayed,
        metrics.delivered + metrics.dropped.total() + metrics.spooled,
        "tracked + replayed == delivered + dropped + spooled: {metrics:?}"
    );
    assert_eq!(metrics.in_flight(), 0, "{metrics:?}");
    assert_eq!(metrics.queue_depth, 0, "{metrics:?}");
}

/// [`assert_invariant`] once the client has settled (polled, at most 10 s:
/// after a `shutdown` that timed out, the worker finishes on its own).
pub fn assert_settled(client: &Client) {
    let started = Instant::now();
    while client.metrics().in_flight() != 0 && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_invariant(&client.metrics());
}

/// A sink that blocks every `send` until the gate opens.
#[derive(Clone, Default)]
pub struct GatedSink {
    gate: Arc<(Mutex<bool>, std::sync::Condvar)>,
    pub inner: MemorySink,
}

impl GatedSink {
    /// Lets every waiting and later `send` through.
    pub fn open(&self) {
        *self.gate.0.lock().unwrap() = true;
        self.gate.1.notify_all();
    }
}

impl Sink for GatedSink {
    fn send(&mut self, batch: &[Envelope]) -> Result<(), SinkError> {
        let mut open = self.gate.0.lock().unwrap();
        while !*open {
            open = self.gate.1.wait(open).unwrap();
        }
        drop(open);
        self.inner.send(batch)
    }
}

/// A fresh directory under the system temp dir.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "analytics-client-{name}-{}-{nanos}-{}",
        std::process::id(),
        fastrand_u32()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fastrand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u8(0);
    hasher.finish() as u32
}

/// A valid tool-item base whose `thread_id` is `t-{i}`.
pub fn base(i: u64) -> ToolItemBase {
    ToolItemBase {
        thread_id: format!("t-{i}"),
        turn_id: format!("turn-{}", i / 10),
        item_id: format!("item-{i}"),
        app_server_client: AppServerClient {
            product_client_id: "codex_tui".to_string(),
            client_name: Some("codex-tui".to_string()),
            client_version: Some("1.2.3".to_string()),
            rpc_transport: RpcTransport::Websocket,
            experimental_api_enabled: Some(i % 2 == 0),
        },
        runtime: Runtime {
            codex_rs_version: "0.99.0".to_string(),
            runtime_os: "linux".to_string(),
            runtime_os_version: "6.1".to_string(),
            runtime_arch: "x86_64".to_string(),
        },
        thread_source: Some(ThreadSource::User),
        subagent_source: None,
        parent_thread_id: None,
        tool_name: "shell".to_string(),
        started_at_ms: 1_000 + i,
        completed_at_ms: 2_000 + i,
        duration_ms: Some(1_000),
        execution_duration_ms: Some(900),
        review_count: 0,
        guardian_review_count: 0,
        user_review_count: 0,
        final_approval_outcome: FinalApprovalOutcome::NotNeeded,
        terminal_status: TerminalStatus::Completed,
        failure_kind: None,
        requested_additional_permissions: false,
        requested_network_access: false,
    }
}

/// A valid command execution numbered `i`.
pub fn command(i: u64) -> CommandExecution {
    CommandExecution {
        base: base(i),
        command_execution_source: CommandExecutionSource::Agent,
        exit_code: Some((i % 256) as i32),
        command_total_action_count: 4,
        command_read_action_count: 1,
        command_list_files_action_count: 1,
        command_search_action_count: 1,
        command_unknown_action_count: 1,
    }
}

/// Event `i` of a mixed stream (three event types).
pub fn mixed(i: u64) -> TrackEventRequest {
    match i % 3 {
        0 => command(i).into(),
        1 => McpToolCall {
            base: base(i),
            mcp_server_name: "github".to_string(),
            mcp_tool_name: "search".to_string(),
            mcp_error_present: false,
        }
        .into(),
        _ => WebSearch {
            base: base(i),
            web_search_action: Some(WebSearchAction::Search),
            query_present: true,
            query_count: Some(i),
        }
        .into(),
    }
}

/// The serialized envelope of `mixed(i)`, parsed.
pub fn mixed_value(i: u64) -> serde_json::Value {
    let mut json = Vec::new();
    mixed(i).write_json(&mut json);
    serde_json::from_slice(&json).unwrap()
}

/// The number in `thread_id` (`t-{i}`) of a parsed envelope.
pub fn index_of(envelope: &serde_json::Value) -> u64 {
    envelope["event_params"]["thread_id"]
        .as_str()
        .and_then(|id| id.strip_prefix("t-"))
        .and_then(|n| n.parse().ok())
        .expect("a thread id t-N")
}

/// What the scripted server does with one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// 200 and the body is accepted.
    Accept,
    /// This status with an empty body (not accepted).
    Status(u16),
    /// 429 with `Retry-After: secs`.
    TooMany(u64),
    /// 503 with `Retry-After: secs`.
    Unavailable(u64),
    /// Answer nothing for this long, then close (the client times out first).
    Hang(Duration),
    /// Write bytes that are not HTTP and drop the connection.
    Garbage,
}

/// One request the server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub action: Action,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
    pub url: String,
}

impl Seen {
    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }

    /// The envelopes of an `{"events":[..]}` body.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.json()["events"]
            .as_array()
            .expect("events array")
            .clone()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Decides the action for request number `n` (0-based) with this body.
pub type Schedule = dyn Fn(usize, &[u8]) -> Action + Send + Sync;

/// A tiny_http server on 127.0.0.1 that answers on a schedule.
pub struct ScriptedServer {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl ScriptedServer {
    pub fn start(schedule: impl Fn(usize, &[u8]) -> Action + Send + Sync + 'static) -> Self {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1"));
        let addr = server.server_addr().to_ip().expect("an IP address");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let schedule: Arc<Schedule> = Arc::new(schedule);
        let counter = Arc::new(AtomicUsize::new(0));
        let threads = (0..4)
            .map(|_| {
                let (server, seen, stop, schedule, counter) = (
                    Arc::clone(&server),
                    Arc::clone(&seen),
                    Arc::clone(&stop),
                    Arc::clone(&schedule),
                    Arc::clone(&counter),
                );
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Acquire) {
                        let Ok(Some(mut request)) = server.recv_timeout(Duration::from_millis(20))
                        else {
                            continue;
                        };
                        let mut raw = Vec::new();
                        let _ = request.as_reader().read_to_end(&mut raw);
                        let headers: Vec<(String, String)> = request
                            .headers()
                            .iter()
                            .map(|h| (h.field.to_string(), h.value.to_string()))
                            .collect();
                        let gzip = headers.iter().any(|(k, v)| {
                            k.eq_ignore_ascii_case("content-encoding") && v == "gzip"
                        });
                        let body = if gzip {
                            let mut out = Vec::new();
                            flate2::read::GzDecoder::new(&raw[..])
                                .read_to_end(&mut out)
                                .expect("valid gzip");
                            out
                        } else {
                            raw
                        };
                        // Number and record under one lock so the log is in schedule order.
                        let action = {
                            let mut log = seen.lock().unwrap();
                            let n = counter.fetch_add(1, Ordering::AcqRel);
                            let action = schedule(n, &body);
                            log.push(Seen {
                                at: Instant::now(),
                                action: action.clone(),
                                body,
                                headers,
                                url: request.url().to_string(),
                            });
                            action
                        };
                        match action {
                            Action::Accept => {
                                let _ = request.respond(tiny_http::Response::from_string("{}"));
                            }
                            Action::Status(code) => {
                                let _ = request.respond(
                                    tiny_http::Response::from_string(format!("status {code}"))
                                        .with_status_code(code),
                                );
                            }
                            Action::TooMany(secs) | Action::Unavailable(secs) => {
                                let code = if matches!(action, Action::TooMany(_)) {
                                    429
                                } else {
                                    503
                                };
                                let header = tiny_http::Header::from_bytes(
                                    &b"Retry-After"[..],
                                    secs.to_string().as_bytes(),
                                )
                                .unwrap();
                                let _ = request
                                    .respond(tiny_http::Response::empty(code).with_header(header));
                            }
                            Action::Hang(wait) => {
                                let deadline = Instant::now() + wait;
                                while Instant::now() < deadline && !stop.load(Ordering::Acquire) {
                                    std::thread::sleep(Duration::from_millis(5));
                                }
                                let _ = request.respond(tiny_http::Response::empty(500));
                            }
                            Action::Garbage => {
                                let mut writer = request.into_writer();
                                let _ = writer.write_all(b"NOT HTTP AT ALL\r\n\r\n");
                                let _ = writer.flush();
                            }
                        }
                    }
                })
            })
            .collect();
        ScriptedServer {
            addr,
            seen,
            stop,
            threads,
        }
    }

    /// `http://127.0.0.1:port/path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The envelopes of every accepted request, in order.
    pub fn accepted_events(&self) -> Vec<serde_json::Value> {
        self.seen()
            .iter()
            .filter(|seen| seen.action == Action::Accept)
            .flat_map(|seen| seen.events())
            .collect()
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}
