//! Shared by the vendor-format tests: a loopback HTTP server (tiny_http on
//! 127.0.0.1) that records every request and answers from a script with a
//! status, headers and a body, and envelopes with fixed ids and times.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use analytics_core::{AnalyticsEvent, Envelope};

/// One request the server saw.
#[derive(Debug, Clone)]
pub struct Request {
    pub at: Instant,
    /// Path and query, as sent.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// A header's value (names compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// How many headers have this name.
    pub fn header_count(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .count()
    }

    /// The body as text.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("a UTF-8 body")
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

/// What the server answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// `status` with an empty JSON object as body.
    pub fn status(status: u16) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: "{}".to_owned(),
        }
    }

    /// `status` with this body.
    pub fn body(status: u16, body: impl Into<String>) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// Decides the reply to request number `n` (0-based).
type Script = dyn Fn(usize, &Request) -> Reply + Send + Sync;

/// A recording server on 127.0.0.1 with one worker thread (requests are
/// answered in arrival order).
pub struct Server {
    addr: std::net::SocketAddr,
    seen: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(script: impl Fn(usize, &Request) -> Reply + Send + Sync + 'static) -> Self {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = server.server_addr().to_ip().expect("an IP address");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let script: Arc<Script> = Arc::new(script);
        let (seen2, stop2) = (Arc::clone(&seen), Arc::clone(&stop));
        let count = AtomicUsize::new(0);
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::Acquire) {
                let Ok(Some(mut request)) = server.recv_timeout(Duration::from_millis(20)) else {
                    continue;
                };
                let mut body = Vec::new();
                let _ = request.as_reader().read_to_end(&mut body);
                let recorded = Request {
                    at: Instant::now(),
                    url: request.url().to_owned(),
                    headers: request
                        .headers()
                        .iter()
                        .map(|h| (h.field.to_string(), h.value.to_string()))
                        .collect(),
                    body,
                };
                let reply = script(count.fetch_add(1, Ordering::AcqRel), &recorded);
                seen2.lock().unwrap().push(recorded);
                let mut response =
                    tiny_http::Response::from_string(reply.body).with_status_code(reply.status);
                for (name, value) in &reply.headers {
                    response = response.with_header(
                        tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap(),
                    );
                }
                let _ = request.respond(response);
            }
        });
        Server {
            addr,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:port` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The fixed time of the test envelopes: 2024-02-29T12:34:56.789Z.
pub const TIME_MS: u64 = 1_709_210_096_789;

/// The message id bytes of test envelope `n`.
pub fn id_bytes(n: u8) -> [u8; 16] {
    let mut id = [0u8; 16];
    for (i, byte) in id.iter_mut().enumerate() {
        *byte = (i as u8).wrapping_mul(17) ^ n;
    }
    id
}

/// An envelope of `event` with message id `id_bytes(n)`, tracked `n`
/// seconds after [`TIME_MS`].
pub fn envelope<E: AnalyticsEvent>(event: &E, n: u8) -> Envelope {
    let mut json = Vec::new();
    event.write_json(&mut json);
    Envelope::new(json, id_bytes(n), TIME_MS + u64::from(n) * 1000)
}

/// The compact `event_params` JSON of `event`.
pub fn params<E: AnalyticsEvent>(event: &E) -> String {
    let mut json = Vec::new();
    event.write_json(&mut json);
    let json = String::from_utf8(json).unwrap();
    let head = format!("{{\"event_type\":\"{}\",\"event_params\":", E::NAME);
    json.strip_prefix(&head)
        .and_then(|rest| rest.strip_suffix('}'))
        .expect("a compact envelope")
        .to_owned()
}

/// Polls `done` every 5 ms until it holds or `limit` passes.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    done()
}
