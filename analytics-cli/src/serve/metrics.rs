//! The collector's metrics, in the Prometheus text format (`GET /metrics`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// A request, by route and answer.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// `/v1/events`, `/v1/batch`, ...
    pub route: String,
    /// The HTTP status answered.
    pub status: u16,
}

/// An event kept in the failed-events file, by reason.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    /// `not_json`, `schema_violation`, ...
    pub reason: String,
}

/// An event accepted, by event type.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TypeLabels {
    /// The event's `event_type`.
    pub event_type: String,
}

/// Every metric the collector exports.
pub struct Metrics {
    registry: Registry,
    /// Requests answered.
    pub requests: Family<RequestLabels, Counter>,
    /// Events written to the output.
    pub accepted: Family<TypeLabels, Counter>,
    /// Events written to the failed-events file.
    pub rejected: Family<ReasonLabels, Counter>,
    /// Request body bytes received (after gzip decoding).
    pub body_bytes: Counter,
    /// Failed attempts to write the output (each answered 503).
    pub output_errors: Counter,
    /// Requests being handled now.
    pub in_flight: Gauge,
    /// 1 while the output accepts writes, 0 after a failure until the next success.
    pub output_up: Gauge,
    /// Bytes held for requests now: bodies, their decoding, the copies
    /// waiting for the writer (at most `in_flight_bytes_limit`).
    pub in_flight_bytes: Gauge,
    /// The most bytes held for requests at once since the start.
    pub in_flight_bytes_peak: Gauge,
    /// The bound on `in_flight_bytes` (`--max-in-flight-bytes`).
    pub in_flight_bytes_limit: Gauge,
}

impl Metrics {
    /// The metrics, registered under `analytics_collector_*`.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("analytics_collector");
        let metrics = Metrics {
            requests: Family::default(),
            accepted: Family::default(),
            rejected: Family::default(),
            body_bytes: Counter::default(),
            output_errors: Counter::default(),
            in_flight: Gauge::default(),
            output_up: Gauge::default(),
            in_flight_bytes: Gauge::default(),
            in_flight_bytes_peak: Gauge::default(),
            in_flight_bytes_limit: Gauge::default(),
            registry: Registry::default(),
        };
        // One `register` per metric: the list is what /metrics documents (name
        // and help), not logic to share.
        registry.register(
            "requests",
            "HTTP requests answered",
            metrics.requests.clone(),
        );
        registry.register(
            "events_accepted",
            "Events written to the output, byte for byte as received",
            metrics.accepted.clone(),
        );
        registry.register(
            "events_rejected",
            "Events written to the failed-events file",
            metrics.rejected.clone(),
        );
        registry.register(
            "body_bytes",
            "Request body bytes received, after gzip decoding",
            metrics.body_bytes.clone(),
        );
        registry.register(
            "output_errors",
            "Failed writes to the output",
            metrics.output_errors.clone(),
        );
        registry.register(
            "in_flight_requests",
            "Requests being handled",
            metrics.in_flight.clone(),
        );
        registry.register(
            "output_up",
            "1 while the output accepts writes, 0 after a failure",
            metrics.output_up.clone(),
        );
        registry.register(
            "in_flight_bytes",
            "Bytes held for requests: bodies, their decoding, copies waiting for the writer",
            metrics.in_flight_bytes.clone(),
        );
        registry.register(
            "in_flight_bytes_peak",
            "The most bytes held for requests at once since the start",
            metrics.in_flight_bytes_peak.clone(),
        );
        registry.register(
            "in_flight_bytes_limit",
            "The bound on in_flight_bytes (--max-in-flight-bytes); 503 above",
            metrics.in_flight_bytes_limit.clone(),
        );
        metrics.output_up.set(1);
        Metrics {
            registry,
            ..metrics
        }
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
