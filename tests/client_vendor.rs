//! The vendor formats of `HttpSink` against a loopback server: each body is
//! byte-checked against the request shape the vendor documents as valid
//! (PostHog batch capture, Amplitude HTTP API v2, Mixpanel import, Segment
//! batch as RudderStack's HTTP API takes it), the vendors' per-event 400
//! answers drop exactly the named events, and credentials that change are
//! asked for per request, again after a 401.

mod client_vendor_support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use analytics_core::client::{HeaderProvider, HeaderRequest};
use analytics_core::{AnalyticsEvent, Client, HttpSink, Metrics, RetryPolicy, Sink, SinkErrorKind};
use client_vendor_support::*;

/// An order was paid.
#[derive(AnalyticsEvent)]
#[analytics(name = "order_completed")]
pub struct OrderCompleted {
    pub order_id: String,
    pub amount_cents: u64,
    pub coupon: Option<String>,
}

/// An event whose param is named like Mixpanel's own `time` property.
#[derive(AnalyticsEvent)]
#[analytics(name = "timed")]
pub struct Timed {
    pub time: u64,
}

fn order(n: u64) -> OrderCompleted {
    OrderCompleted {
        order_id: format!("o-{n}"),
        amount_cents: 1250 * n,
        coupon: (n % 2 == 0).then(|| "WINTER".to_owned()),
    }
}

const ID_0: &str = "00112233-4455-6677-8899-aabbccddeeff";
const ID_1: &str = "01102332-4554-6776-8998-abbacddceffe";

fn client(sink: HttpSink, max_batch_events: usize, retry: RetryPolicy) -> Client {
    Client::builder()
        .sink(sink)
        .max_batch_events(max_batch_events)
        .max_batch_delay(Duration::from_secs(5))
        .retry_policy(retry)
        .build()
        .expect("client")
}

fn track_orders(client: &Client, count: u64) {
    for n in 0..count {
        client.track(order(n)).expect("valid and queued");
    }
    client.flush(Duration::from_secs(20)).expect("flushed");
}

fn assert_accounted(metrics: &Metrics, tracked: u64) {
    assert_eq!(metrics.tracked, tracked, "{metrics:?}");
    assert_eq!(
        metrics.delivered + metrics.dropped.total(),
        tracked,
        "every event is delivered or counted: {metrics:?}"
    );
    assert_eq!(metrics.in_flight(), 0);
}

fn fast_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy::exponential(
        max_retries,
        Duration::from_millis(1),
        Duration::from_millis(5),
    )
}

#[test]
fn posthog_batch_is_the_documented_capture_request() {
    let server = Server::start(|_, _| Reply::body(200, r#"{"status":1}"#));
    let mut sink =
        HttpSink::posthog(server.url("/batch/"), "phc_test_key").anonymous_id("device-42");
    sink.send(&[envelope(&order(1), 0), envelope(&order(2), 1)])
        .expect("accepted");
    let mut identified = HttpSink::posthog(server.url("/batch/"), "phc_test_key").user_id("user-7");
    identified
        .send(&[envelope(&order(1), 0)])
        .expect("accepted");

    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].url, "/batch/");
    assert_eq!(seen[0].header("Content-Type"), Some("application/json"));
    assert_eq!(
        seen[0].header("Authorization"),
        None,
        "the key is in the body"
    );
    assert_eq!(
        seen[0].text(),
        concat!(
            r#"{"api_key":"phc_test_key","batch":["#,
            r#"{"event":"order_completed","properties":{"order_id":"o-1","amount_cents":1250,"coupon":null},"#,
            r#""distinct_id":"device-42","timestamp":"2024-02-29T12:34:56.789Z","uuid":"00112233-4455-6677-8899-aabbccddeeff"},"#,
            r#"{"event":"order_completed","properties":{"order_id":"o-2","amount_cents":2500,"coupon":"WINTER"},"#,
            r#""distinct_id":"device-42","timestamp":"2024-02-29T12:34:57.789Z","uuid":"01102332-4554-6776-8998-abbacddceffe"}"#,
            "]}"
        )
    );
    assert_eq!(seen[1].json()["batch"][0]["distinct_id"], "user-7");
}

#[test]
fn amplitude_events_are_the_documented_http_v2_request() {
    let server = Server::start(|_, _| Reply::body(200, r#"{"code":200,"events_ingested":1}"#));
    let mut anonymous =
        HttpSink::amplitude(server.url("/2/httpapi"), "amp-key").anonymous_id("device-42");
    anonymous.send(&[envelope(&order(1), 0)]).expect("accepted");
    let mut identified = HttpSink::amplitude(server.url("/2/httpapi"), "amp-key")
        .anonymous_id("device-42")
        .user_id("user-20391");
    identified
        .send(&[envelope(&order(2), 1)])
        .expect("accepted");

    let seen = server.seen();
    assert_eq!(seen[0].url, "/2/httpapi");
    assert_eq!(seen[0].header("Content-Type"), Some("application/json"));
    assert_eq!(
        seen[0].text(),
        concat!(
            r#"{"api_key":"amp-key","events":[{"event_type":"order_completed","device_id":"device-42","#,
            r#""event_properties":{"order_id":"o-1","amount_cents":1250,"coupon":null},"#,
            r#""time":1709210096789,"insert_id":"00112233-4455-6677-8899-aabbccddeeff"}]}"#
        )
    );
    assert_eq!(
        seen[1].text(),
        concat!(
            r#"{"api_key":"amp-key","events":[{"event_type":"order_completed","user_id":"user-20391","#,
            r#""event_properties":{"order_id":"o-2","amount_cents":2500,"coupon":"WINTER"},"#,
            r#""time":1709210097789,"insert_id":"01102332-4554-6776-8998-abbacddceffe"}]}"#
        )
    );
}

#[test]
fn amplitude_400_drops_the_named_events_and_resends_the_rest() {
    let server = Server::start(|n, _| {
        if n == 0 {
            Reply::body(
                400,
                r#"{"code":400,"error":"Invalid field values on some events",
                    "events_with_invalid_fields":{"time":[1]},
                    "events_with_missing_fields":{"event_type":[3]}}"#,
            )
        } else {
            Reply::body(200, r#"{"code":200,"events_ingested":3}"#)
        }
    });
    // No retries: the resend of the rest is not a retry.
    let client = client(
        HttpSink::amplitude(server.url("/2/httpapi"), "amp-key"),
        5,
        RetryPolicy::none(),
    );
    track_orders(&client, 5);
    let metrics = client.metrics();
    assert_accounted(&metrics, 5);
    assert_eq!(metrics.dropped.rejected, 2, "{metrics:?}");
    assert_eq!(metrics.delivered, 3);
    assert_eq!(metrics.retried, 0);

    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let first = seen[0].json()["events"].as_array().unwrap().clone();
    let second = seen[1].json()["events"].as_array().unwrap().clone();
    assert_eq!(first.len(), 5);
    assert_eq!(
        second,
        [first[0].clone(), first[2].clone(), first[4].clone()]
    );
}

/// A page seen by a signed-in user: each event names its own user.
#[derive(AnalyticsEvent)]
#[analytics(name = "page_viewed")]
pub struct PageViewed {
    #[analytics(user_id)]
    pub user: String,
    pub path: String,
}

/// The events of an Amplitude body, each as the exact bytes sent.
fn raw_events(body: &str) -> Vec<String> {
    use serde_json::value::RawValue;
    let members: std::collections::HashMap<String, Box<RawValue>> =
        serde_json::from_str(body).expect("a JSON object");
    let events: Vec<Box<RawValue>> =
        serde_json::from_str(members["events"].get()).expect("an events array");
    events.iter().map(|event| event.get().to_owned()).collect()
}

#[test]
fn amplitude_429_retries_only_the_throttled_events_and_drops_users_over_quota() {
    // Amplitude's 429 body: events 1 and 3 throttled, and the user of event
    // 4 over the daily quota. Every later request succeeds.
    let server = Server::start(|n, _| {
        if n == 0 {
            Reply::body(
                429,
                r#"{"code":429,"error":"Too many requests for some devices and users",
                    "eps_threshold":10,"throttled_devices":{},
                    "throttled_users":{"user-0001":12,"user-0003":14},
                    "exceeded_daily_quota_users":{"user-over-quota":500001},
                    "exceeded_daily_quota_devices":{},
                    "throttled_events":[1,3]}"#,
            )
        } else {
            Reply::body(200, r#"{"code":200,"events_ingested":2}"#)
        }
    });
    let client = client(
        HttpSink::amplitude(server.url("/2/httpapi"), "amp-key"),
        5,
        fast_retries(3),
    );
    let users = [
        "user-0000",
        "user-0001",
        "user-0002",
        "user-0003",
        "user-over-quota",
    ];
    for (n, user) in users.iter().enumerate() {
        let page = PageViewed {
            user: (*user).to_owned(),
            path: format!("/p/{n}"),
        };
        client.track(page).expect("valid and queued");
    }
    client.flush(Duration::from_secs(20)).expect("flushed");
    let metrics = client.metrics();
    assert_accounted(&metrics, 5);
    assert_eq!(metrics.delivered, 4, "{metrics:?}");
    assert_eq!(
        metrics.dropped.rejected, 1,
        "the user over quota: {metrics:?}"
    );
    assert_eq!(
        metrics.retried, 1,
        "only the throttled events wait for a retry"
    );

    let seen = server.seen();
    assert_eq!(seen.len(), 3, "the batch, the resend, the retry");
    let first = raw_events(seen[0].text());
    assert_eq!(first.len(), 5);
    assert!(first[0].starts_with(r#"{"event_type":"page_viewed","user_id":"user-0000","#));
    assert!(first[4].contains(r#""user_id":"user-over-quota""#));
    // At once, byte for byte: the events neither throttled nor over quota.
    assert_eq!(
        seen[1].text(),
        format!(
            r#"{{"api_key":"amp-key","events":[{},{}]}}"#,
            first[0], first[2]
        )
    );
    // After the wait: the throttled ones, alone.
    assert_eq!(
        seen[2].text(),
        format!(
            r#"{{"api_key":"amp-key","events":[{},{}]}}"#,
            first[1], first[3]
        )
    );
}

#[test]
fn amplitude_429_without_a_body_retries_the_whole_batch() {
    let server = Server::start(|n, _| {
        if n == 0 {
            Reply::body(429, "Too Many Requests")
        } else {
            Reply::body(200, r#"{"code":200,"events_ingested":3}"#)
        }
    });
    let client = client(
        HttpSink::amplitude(server.url("/2/httpapi"), "amp-key"),
        3,
        fast_retries(3),
    );
    track_orders(&client, 3);
    let metrics = client.metrics();
    assert_accounted(&metrics, 3);
    assert_eq!(metrics.delivered, 3);
    assert_eq!(metrics.retried, 1);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].text(), seen[1].text(), "the same batch again");
}

#[test]
fn amplitude_400_for_the_whole_request_rejects_the_batch() {
    let server = Server::start(|_, _| {
        Reply::body(
            400,
            r#"{"code":400,"error":"Request missing required field","missing_field":"api_key"}"#,
        )
    });
    let client = client(
        HttpSink::amplitude(server.url("/2/httpapi"), ""),
        4,
        fast_retries(3),
    );
    track_orders(&client, 4);
    let metrics = client.metrics();
    assert_accounted(&metrics, 4);
    assert_eq!(metrics.dropped.rejected, 4);
    assert_eq!(server.seen().len(), 1, "a 400 is never retried");
}

#[test]
fn mixpanel_import_is_the_documented_request() {
    let server = Server::start(|_, _| {
        Reply::body(
            200,
            r#"{"code":200,"num_records_imported":1,"status":"OK"}"#,
        )
    });
    let mut sink = HttpSink::mixpanel(server.url("/import"), "mp-token").anonymous_id("device-42");
    sink.send(&[envelope(&order(1), 0)]).expect("accepted");
    let mut service_account = HttpSink::mixpanel(server.url("/import?project_id=123"), "unused")
        .basic_auth("sa.user", "sa-secret")
        .user_id("user-7");
    service_account
        .send(&[envelope(&order(2), 1)])
        .expect("accepted");

    let seen = server.seen();
    assert_eq!(seen[0].url, "/import?strict=1");
    assert_eq!(seen[0].header("Authorization"), Some("Basic bXAtdG9rZW46"));
    assert_eq!(
        seen[0].text(),
        concat!(
            r#"[{"event":"order_completed","properties":{"time":1709210096789,"distinct_id":"device-42","#,
            r#""$insert_id":"00112233-4455-6677-8899-aabbccddeeff","#,
            r#""order_id":"o-1","amount_cents":1250,"coupon":null}}]"#
        )
    );
    assert_eq!(seen[1].url, "/import?project_id=123&strict=1");
    assert_eq!(
        seen[1].header("Authorization"),
        Some("Basic c2EudXNlcjpzYS1zZWNyZXQ=")
    );
    assert_eq!(seen[1].json()[0]["properties"]["distinct_id"], "user-7");
    assert_eq!(seen[1].json()[0]["properties"]["$insert_id"], ID_1);
}

#[test]
fn mixpanel_failed_records_are_dropped_and_the_rest_resent() {
    let server = Server::start(|n, _| {
        if n == 0 {
            Reply::body(
                400,
                r#"{"code":400,"error":"some data points in the request failed validation",
                    "status":"Bad Request","num_records_imported":2,
                    "failed_records":[{"index":1,"insert_id":"x","field":"properties.time",
                    "message":"'properties.time' is invalid"}]}"#,
            )
        } else {
            Reply::body(
                200,
                r#"{"code":200,"num_records_imported":2,"status":"OK"}"#,
            )
        }
    });
    let client = client(
        HttpSink::mixpanel(server.url("/import"), "t"),
        3,
        RetryPolicy::none(),
    );
    track_orders(&client, 3);
    let metrics = client.metrics();
    assert_accounted(&metrics, 3);
    assert_eq!(metrics.dropped.rejected, 1);
    assert_eq!(metrics.delivered, 2);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let first = seen[0].json();
    assert_eq!(seen[1].json(), serde_json::json!([first[0], first[2]]));
}

#[test]
fn mixpanel_refuses_an_event_whose_param_is_named_like_its_keys() {
    let server = Server::start(|_, _| Reply::body(200, r#"{"code":200}"#));
    let mut sink = HttpSink::mixpanel(server.url("/import"), "t");
    let error = sink
        .send(&[
            envelope(&order(1), 0),
            envelope(&Timed { time: 5 }, 1),
            envelope(&order(2), 2),
        ])
        .unwrap_err();
    assert_eq!(error.kind(), SinkErrorKind::Permanent);
    assert_eq!(error.rejected(), [1]);
    assert!(error.message().contains("`time`"), "{}", error.message());
    assert!(
        server.seen().is_empty(),
        "nothing is sent before the refusal"
    );

    // Through a client: the refused event is counted, the others delivered.
    let client = client(
        HttpSink::mixpanel(server.url("/import"), "t"),
        3,
        RetryPolicy::none(),
    );
    client.track(order(1)).unwrap();
    client.track(Timed { time: 5 }).unwrap();
    client.track(order(2)).unwrap();
    client.flush(Duration::from_secs(20)).unwrap();
    let metrics = client.metrics();
    assert_accounted(&metrics, 3);
    assert_eq!(metrics.dropped.rejected, 1);
    assert_eq!(metrics.delivered, 2);
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let events = seen[0].json();
    assert_eq!(events.as_array().unwrap().len(), 2);
    assert_eq!(events[1]["properties"]["order_id"], "o-2");
}

#[test]
fn rudderstack_takes_the_segment_batch_as_documented() {
    // RudderStack's HTTP API docs: write key `1Xk5DChfJAol3xtW7qNnK1apo5p`
    // gives `Authorization: Basic MVhrNURDaGZKQW9sM3h0VzdxTm5LMWFwbzVwOg==`,
    // and `POST /v1/batch` takes Segment's `{"batch":[..]}`.
    let server = Server::start(|_, _| Reply::body(200, "OK"));
    let mut sink = HttpSink::segment(server.url("/v1/batch"), "1Xk5DChfJAol3xtW7qNnK1apo5p")
        .anonymous_id("anon-1");
    sink.send(&[envelope(&order(1), 0)]).expect("accepted");
    let mut identified = HttpSink::segment(server.url("/v1/batch"), "k").user_id("user-7");
    identified
        .send(&[envelope(&order(2), 1)])
        .expect("accepted");

    let seen = server.seen();
    assert_eq!(seen[0].url, "/v1/batch");
    assert_eq!(
        seen[0].header("Authorization"),
        Some("Basic MVhrNURDaGZKQW9sM3h0VzdxTm5LMWFwbzVwOg==")
    );
    let text = seen[0].text();
    let (head, sent_at) = text
        .split_once(r#"],"sentAt":"#)
        .expect("sentAt after the batch");
    assert_eq!(
        head,
        concat!(
            r#"{"batch":[{"type":"track","event":"order_completed","#,
            r#""properties":{"order_id":"o-1","amount_cents":1250,"coupon":null},"#,
            r#""messageId":"00112233-4455-6677-8899-aabbccddeeff","#,
            r#""timestamp":"2024-02-29T12:34:56.789Z","anonymousId":"anon-1"}"#
        )
    );
    let sent_at = sent_at.strip_suffix('}').unwrap();
    assert_eq!(sent_at.len(), 26, "{sent_at}");
    assert!(
        sent_at.starts_with("\"20") && sent_at.ends_with("Z\""),
        "{sent_at}"
    );
    let item = &seen[1].json()["batch"][0];
    assert_eq!(item["userId"], "user-7");
    assert!(
        item.get("anonymousId").is_none(),
        "the user id replaces the fallback"
    );
    assert_eq!(item["messageId"], ID_1);
    assert_eq!(seen[0].json()["batch"][0]["messageId"], ID_0);
}

#[test]
fn a_rotated_token_is_asked_for_again_after_a_401() {
    // The server takes only `fresh`; the token function hands out `stale`
    // first, as a cache would before it notices the rotation.
    let server = Server::start(|_, request| {
        if request.header("Authorization") == Some("Bearer fresh") {
            Reply::status(200)
        } else {
            Reply::status(401)
        }
    });
    let calls = Arc::new(AtomicUsize::new(0));
    let calls2 = Arc::clone(&calls);
    let sink = HttpSink::new(server.url("/v1/events")).bearer_token_fn(move || {
        if calls2.fetch_add(1, Ordering::AcqRel) == 0 {
            "stale".to_owned()
        } else {
            "fresh".to_owned()
        }
    });
    let client = client(sink, 10, RetryPolicy::none());
    track_orders(&client, 10);
    track_orders(&client, 10);
    let metrics = client.metrics();
    assert_accounted(&metrics, 20);
    assert_eq!(metrics.delivered, 20, "{metrics:?}");
    assert_eq!(metrics.retried, 0, "the 401 re-ask is not a retry");
    let auth: Vec<_> = server
        .seen()
        .iter()
        .map(|request| request.header("Authorization").unwrap().to_owned())
        .collect();
    assert_eq!(auth, ["Bearer stale", "Bearer fresh", "Bearer fresh"]);
    assert_eq!(calls.load(Ordering::Acquire), 3, "asked once per request");
}

/// A provider that caches its token and refreshes it only after a 401.
struct CachingProvider {
    issuer: Arc<AtomicUsize>,
    cached: Mutex<String>,
    refreshes: AtomicUsize,
}

impl HeaderProvider for CachingProvider {
    fn headers(&self, request: &HeaderRequest) -> Result<Vec<(String, String)>, String> {
        let mut cached = self.cached.lock().unwrap();
        if request.unauthorized() {
            self.refreshes.fetch_add(1, Ordering::AcqRel);
            *cached = format!("token-{}", self.issuer.load(Ordering::Acquire));
        }
        Ok(vec![("X-Api-Token".to_owned(), cached.clone())])
    }
}

#[test]
fn a_caching_header_provider_refreshes_on_401_only() {
    let issuer = Arc::new(AtomicUsize::new(1));
    let issuer2 = Arc::clone(&issuer);
    let server = Server::start(move |_, request| {
        let valid = format!("token-{}", issuer2.load(Ordering::Acquire));
        if request.header("X-Api-Token") == Some(valid.as_str()) {
            Reply::status(200)
        } else {
            Reply::status(401)
        }
    });
    let provider = Arc::new(CachingProvider {
        issuer: Arc::clone(&issuer),
        cached: Mutex::new("token-1".to_owned()),
        refreshes: AtomicUsize::new(0),
    });
    struct Shared(Arc<CachingProvider>);
    impl HeaderProvider for Shared {
        fn headers(&self, request: &HeaderRequest) -> Result<Vec<(String, String)>, String> {
            self.0.headers(request)
        }
    }
    let sink = HttpSink::new(server.url("/")).header_provider(Shared(Arc::clone(&provider)));
    let client = client(sink, 5, RetryPolicy::none());
    track_orders(&client, 5);
    issuer.store(2, Ordering::Release); // the key rotates server-side
    track_orders(&client, 5);
    track_orders(&client, 5);
    let metrics = client.metrics();
    assert_accounted(&metrics, 15);
    assert_eq!(metrics.delivered, 15, "{metrics:?}");
    assert_eq!(provider.refreshes.load(Ordering::Acquire), 1);
    let tokens: Vec<_> = server
        .seen()
        .iter()
        .map(|request| request.header("X-Api-Token").unwrap().to_owned())
        .collect();
    assert_eq!(tokens, ["token-1", "token-1", "token-2", "token-2"]);
}

#[test]
fn a_second_401_rejects_the_batch() {
    let server = Server::start(|_, _| Reply::status(401));
    let sink = HttpSink::new(server.url("/")).bearer_token_fn(|| "revoked".to_owned());
    let revoked = client(sink, 5, fast_retries(3));
    track_orders(&revoked, 5);
    let metrics = revoked.metrics();
    assert_accounted(&metrics, 5);
    assert_eq!(metrics.dropped.rejected, 5);
    assert_eq!(server.seen().len(), 2, "one request, one re-ask, no retry");

    // Without a provider there is nothing to re-ask: one request.
    let server = Server::start(|_, _| Reply::status(401));
    let fixed = client(
        HttpSink::new(server.url("/")).bearer_token("fixed"),
        5,
        fast_retries(3),
    );
    track_orders(&fixed, 5);
    assert_eq!(fixed.metrics().dropped.rejected, 5);
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn a_failing_header_provider_is_retried_by_the_policy() {
    let server = Server::start(|_, _| Reply::status(200));
    let failed_once = AtomicBool::new(false);
    let sink = HttpSink::new(server.url("/")).header_provider(move |_: &HeaderRequest| {
        if failed_once.swap(true, Ordering::AcqRel) {
            Ok(vec![("Authorization".to_owned(), "Bearer ok".to_owned())])
        } else {
            Err("the token service is down".to_owned())
        }
    });
    let client = client(sink, 5, fast_retries(3));
    track_orders(&client, 5);
    let metrics = client.metrics();
    assert_accounted(&metrics, 5);
    assert_eq!(metrics.delivered, 5);
    assert_eq!(metrics.retried, 1);
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "no request without credentials");
    assert_eq!(seen[0].header_count("Authorization"), 1);
}

#[test]
fn provider_headers_replace_fixed_ones_of_the_same_name() {
    let server = Server::start(|_, _| Reply::status(200));
    let mut sink = HttpSink::segment(server.url("/v1/batch"), "write-key")
        .header("x-team", "a")
        .header("X-Team", "b")
        .header_provider(|_: &HeaderRequest| {
            Ok(vec![(
                "authorization".to_owned(),
                "Bearer from-provider".to_owned(),
            )])
        });
    sink.send(&[envelope(&order(1), 0)]).unwrap();
    let request = &server.seen()[0];
    assert_eq!(request.header_count("Authorization"), 1);
    assert_eq!(
        request.header("Authorization"),
        Some("Bearer from-provider")
    );
    assert_eq!(request.header_count("X-Team"), 1);
    assert_eq!(request.header("X-Team"), Some("b"));
}

#[test]
fn finding_12_12_retry_after_as_an_http_date_is_honoured() {
    let server = Server::start(|n, _| {
        if n == 0 {
            let at = SystemTime::now() + Duration::from_secs(2);
            Reply::status(503).with_header("Retry-After", httpdate::fmt_http_date(at))
        } else {
            Reply::status(200)
        }
    });
    let retry = fast_retries(3).with_max_retry_after(Duration::from_secs(10));
    let client = client(HttpSink::new(server.url("/")), 5, retry);
    track_orders(&client, 5);
    assert_eq!(client.metrics().delivered, 5);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let gap = seen[1].at - seen[0].at;
    // The date has a one-second resolution: the wait is between 1 and 2 s
    // (the backoff alone would be under 5 ms).
    assert!(gap >= Duration::from_millis(990), "waited {gap:?}");
    assert!(gap < Duration::from_secs(4), "waited {gap:?}");
}

#[test]
fn retry_policy_none_sends_each_batch_once() {
    let server = Server::start(|_, _| Reply::status(503));
    let client = client(HttpSink::new(server.url("/")), 10, RetryPolicy::none());
    track_orders(&client, 30);
    let metrics = client.metrics();
    assert_accounted(&metrics, 30);
    assert_eq!(metrics.dropped.retries_exhausted, 30);
    assert_eq!(metrics.retried, 0);
    assert_eq!(server.seen().len(), 3, "one request per batch");
}

#[test]
fn the_format_is_reported_and_parsed() {
    use analytics_core::HttpFormat;
    let sinks = [
        (HttpSink::new("http://127.0.0.1/"), HttpFormat::Events),
        (
            HttpSink::segment("http://127.0.0.1/", "k"),
            HttpFormat::Segment,
        ),
        (
            HttpSink::posthog("http://127.0.0.1/", "k"),
            HttpFormat::PostHog,
        ),
        (
            HttpSink::amplitude("http://127.0.0.1/", "k"),
            HttpFormat::Amplitude,
        ),
        (
            HttpSink::mixpanel("http://127.0.0.1/", "k"),
            HttpFormat::Mixpanel,
        ),
    ];
    for (sink, format) in sinks {
        assert_eq!(sink.format(), format);
        assert_eq!(format.to_string().parse::<HttpFormat>(), Ok(format));
    }
}

#[test]
fn envelope_keys_join_the_properties_and_broken_envelopes_are_refused() {
    use analytics_core::Envelope;
    let server = Server::start(|_, _| Reply::status(200));
    let with_key = Envelope::new(
        br#"{"event_type":"skill_used","skill_id":"s-1","event_params":{"n":1}}"#.to_vec(),
        id_bytes(0),
        TIME_MS,
    );
    let mut sink = HttpSink::posthog(server.url("/batch/"), "k");
    sink.send(std::slice::from_ref(&with_key)).unwrap();
    assert_eq!(
        server.seen()[0].json()["batch"][0]["properties"],
        serde_json::json!({"n": 1, "skill_id": "s-1"}),
        "an envelope key is event data too"
    );

    // Before, the Segment format skipped such an envelope and counted it delivered.
    let broken = Envelope::new(br#"{"not":"an event"}"#.to_vec(), id_bytes(1), TIME_MS);
    let url = server.url("/");
    let mut sinks = [
        HttpSink::segment(url.as_str(), "k"),
        HttpSink::posthog(url.as_str(), "k"),
        HttpSink::amplitude(url.as_str(), "k"),
        HttpSink::mixpanel(url.as_str(), "k"),
    ];
    for sink in &mut sinks {
        let error = sink.send(&[with_key.clone(), broken.clone()]).unwrap_err();
        assert_eq!(error.rejected(), [1], "{sink:?}");
        assert!(
            error.message().contains("not an event envelope"),
            "{}",
            error.message()
        );
    }
    assert_eq!(server.seen().len(), 1, "nothing sent with a refused event");
}

#[test]
fn vendor_dedupe_ids_survive_a_spool_replay() {
    let dir = std::env::temp_dir().join(format!(
        "analytics-vendor-replay-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let down = Server::start(|_, _| Reply::status(503));
    let first_run = Client::builder()
        .sink(HttpSink::amplitude(down.url("/2/httpapi"), "k"))
        .max_batch_events(4)
        .retry_policy(RetryPolicy::none())
        .spool_dir(&dir)
        .build()
        .unwrap();
    track_orders(&first_run, 4);
    first_run.shutdown(Duration::from_secs(5)).unwrap();
    // Sent, then tried again by the flush: the segment stays in the spool.
    let attempted = down.seen();
    assert!(!attempted.is_empty());

    let up = Server::start(|_, _| Reply::body(200, r#"{"code":200}"#));
    let second_run = Client::builder()
        .sink(HttpSink::amplitude(up.url("/2/httpapi"), "k"))
        .spool_dir(&dir)
        .build()
        .unwrap();
    second_run.flush(Duration::from_secs(20)).unwrap();
    assert_eq!(second_run.metrics().delivered, 4);
    let ids = |request: &Request| -> Vec<String> {
        request.json()["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|event| event["insert_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&attempted[0]).len(), 4);
    for request in attempted.iter().chain(&up.seen()) {
        assert_eq!(
            ids(request),
            ids(&attempted[0]),
            "same insert_id in every attempt and replay"
        );
    }
    second_run.shutdown(Duration::from_secs(5)).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
