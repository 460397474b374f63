//! A small loopback HTTP collector for the delivery client: accepts the
//! reference format (`{"events":[..]}`) and Segment batches
//! (`{"batch":[..]}`), gzip or not, and prints what it receives.
//!
//! ```text
//! cargo run --example collector -- --port 8080                  # serve until Ctrl-C
//! cargo run --example collector -- --max-requests 10            # port 0: prints the port
//! cargo run --example collector -- --exit-after-secs 30
//! cargo run --example collector                                 # self-demo, then exits
//! ```
//!
//! Binds 127.0.0.1 only. With no argument it runs a bounded demo: it serves
//! on an ephemeral port, sends itself a few Codex events through a `Client`
//! in both formats, prints them and exits.

use std::io::Read;
use std::time::{Duration, Instant};

use analytics_core::{Client, HttpSink, RetryPolicy};
use codex_analytics::*;

#[derive(Debug, Default)]
struct Options {
    port: u16,
    max_requests: Option<u64>,
    exit_after: Option<Duration>,
    quiet: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: collector [--port N] [--max-requests N] [--exit-after-secs S] [--quiet]\n\
         with no argument: a bounded self-demo"
    );
    std::process::exit(2)
}

fn parse(args: &[String]) -> Options {
    let mut options = Options::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().cloned().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--port" => options.port = value().parse().unwrap_or_else(|_| usage()),
            "--max-requests" => {
                options.max_requests = Some(value().parse().unwrap_or_else(|_| usage()))
            }
            "--exit-after-secs" => {
                let secs: f64 = value().parse().unwrap_or_else(|_| usage());
                options.exit_after = Some(Duration::from_secs_f64(secs.max(0.0)));
            }
            "--quiet" => options.quiet = true,
            _ => usage(),
        }
    }
    options
}

/// Serves until a bound is reached (forever without one); returns the
/// number of requests handled.
fn serve(server: &tiny_http::Server, options: &Options) -> u64 {
    let started = Instant::now();
    let mut handled = 0u64;
    loop {
        if options.max_requests.is_some_and(|max| handled >= max)
            || options
                .exit_after
                .is_some_and(|limit| started.elapsed() >= limit)
        {
            return handled;
        }
        let request = match server.recv_timeout(Duration::from_millis(100)) {
            Ok(Some(request)) => request,
            Ok(None) => continue,
            Err(error) => {
                eprintln!("collector: {error}");
                return handled;
            }
        };
        handled += 1;
        handle(request, options.quiet);
    }
}

fn handle(mut request: tiny_http::Request, quiet: bool) {
    let respond = |request: tiny_http::Request, status: u16, body: String| {
        let _ = request.respond(tiny_http::Response::from_string(body).with_status_code(status));
    };
    if request.method() != &tiny_http::Method::Post {
        return respond(request, 405, "POST only\n".into());
    }
    let gzip = request.headers().iter().any(|h| {
        h.field.equiv("Content-Encoding") && h.value.as_str().eq_ignore_ascii_case("gzip")
    });
    let auth = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))
        .map(|h| h.value.as_str().split(' ').next().unwrap_or("").to_owned());
    let mut raw = Vec::new();
    if let Err(error) = request.as_reader().read_to_end(&mut raw) {
        return respond(request, 400, format!("cannot read the body: {error}\n"));
    }
    let body = if gzip {
        let mut out = Vec::new();
        match flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out) {
            Ok(_) => out,
            Err(error) => return respond(request, 400, format!("bad gzip: {error}\n")),
        }
    } else {
        raw
    };
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(error) => return respond(request, 400, format!("not JSON: {error}\n")),
    };
    let url = request.url().to_owned();
    let auth = auth.unwrap_or_else(|| "none".into());
    if let Some(events) = value.get("events").and_then(|v| v.as_array()) {
        println!(
            "POST {url}: {} event(s), reference format, auth {auth}, {} bytes{}",
            events.len(),
            body.len(),
            if gzip { " (gzip)" } else { "" }
        );
        if !quiet {
            for event in events {
                println!(
                    "  {} {}",
                    event["event_type"].as_str().unwrap_or("?"),
                    event["event_params"]
                );
            }
        }
    } else if let Some(batch) = value.get("batch").and_then(|v| v.as_array()) {
        println!(
            "POST {url}: {} event(s), Segment batch, auth {auth}, {} bytes{}",
            batch.len(),
            body.len(),
            if gzip { " (gzip)" } else { "" }
        );
        if !quiet {
            for item in batch {
                println!(
                    "  {} {} messageId={} timestamp={}",
                    item["type"].as_str().unwrap_or("?"),
                    item["event"].as_str().unwrap_or("?"),
                    item["messageId"].as_str().unwrap_or("?"),
                    item["timestamp"].as_str().unwrap_or("?"),
                );
            }
        }
    } else {
        return respond(
            request,
            400,
            "expected {\"events\":[..]} or {\"batch\":[..]}\n".into(),
        );
    }
    respond(request, 200, "{\"ok\":true}\n".into());
}

fn web_search(item: u64) -> WebSearch {
    WebSearch {
        base: ToolItemBase {
            thread_id: "thread-demo".into(),
            turn_id: "turn-1".into(),
            item_id: format!("item-{item}"),
            app_server_client: AppServerClient {
                product_client_id: "codex_tui".into(),
                client_name: None,
                client_version: None,
                rpc_transport: RpcTransport::InProcess,
                experimental_api_enabled: None,
            },
            runtime: Runtime {
                codex_rs_version: "0.99.0".into(),
                runtime_os: std::env::consts::OS.into(),
                runtime_os_version: String::new(),
                runtime_arch: std::env::consts::ARCH.into(),
            },
            thread_source: None,
            subagent_source: None,
            parent_thread_id: None,
            tool_name: "web_search".into(),
            started_at_ms: 10,
            completed_at_ms: 20,
            duration_ms: Some(10),
            execution_duration_ms: None,
            review_count: 0,
            guardian_review_count: 0,
            user_review_count: 0,
            final_approval_outcome: FinalApprovalOutcome::NotNeeded,
            terminal_status: TerminalStatus::Completed,
            failure_kind: None,
            requested_additional_permissions: false,
            requested_network_access: true,
        },
        web_search_action: Some(WebSearchAction::Search),
        query_present: true,
        query_count: Some(item),
    }
}

/// The self-demo: serve two requests, one per format, sent by a `Client`.
fn demo() -> Result<(), Box<dyn std::error::Error>> {
    let server = tiny_http::Server::http("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = server.server_addr().to_ip().map(|a| a.port()).unwrap_or(0);
    println!("collector demo listening on 127.0.0.1:{port}");
    let options = Options {
        max_requests: Some(2),
        exit_after: Some(Duration::from_secs(20)),
        ..Options::default()
    };
    std::thread::scope(|scope| -> Result<(), Box<dyn std::error::Error>> {
        let serving = scope.spawn(|| serve(&server, &options));
        let retry =
            RetryPolicy::exponential(3, Duration::from_millis(50), Duration::from_millis(200));
        let events = Client::builder()
            .sink(
                HttpSink::new(format!("http://127.0.0.1:{port}/v1/events"))
                    .bearer_token("demo-token")
                    .gzip(true),
            )
            .retry_policy(retry.clone())
            .build()?;
        let segment = Client::builder()
            .sink(
                HttpSink::segment(
                    format!("http://127.0.0.1:{port}/v1/batch"),
                    "demo-write-key",
                )
                .anonymous_id("demo"),
            )
            .retry_policy(retry)
            .build()?;
        for item in 0..3 {
            events.track(web_search(item))?;
            segment.track(web_search(item))?;
        }
        events.shutdown(Duration::from_secs(5))?;
        segment.shutdown(Duration::from_secs(5))?;
        let handled = serving.join().map_err(|_| "the server thread panicked")?;
        println!(
            "handled {handled} request(s); delivered {} + {} events",
            events.metrics().delivered,
            segment.metrics().delivered
        );
        Ok(())
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        return demo();
    }
    let options = parse(&args);
    let server = tiny_http::Server::http(("127.0.0.1", options.port)).map_err(|e| e.to_string())?;
    let port = server.server_addr().to_ip().map(|a| a.port()).unwrap_or(0);
    println!("collector listening on 127.0.0.1:{port}");
    let handled = serve(&server, &options);
    println!("collector stopping after {handled} request(s)");
    Ok(())
}
