//! Nested groups of fields are validated recursively: as a field, in an
//! `Option`, a `Box` and the items of a `Vec`.
use analytics_core::{AnalyticsEvent, AnalyticsFields};

#[derive(AnalyticsFields)]
struct Receiver {
    #[analytics(non_empty)]
    thread_id: String,
}

#[derive(AnalyticsFields)]
struct Client {
    #[analytics(non_empty)]
    product_client_id: String,
    backup: Option<Box<Receiver>>,
}

#[derive(AnalyticsEvent)]
#[analytics(name = "sent")]
struct Sent {
    client: Client,
    receivers: Vec<Receiver>,
    maybe: Option<Vec<Receiver>>,
}

fn main() {
    let receiver = |id: &str| Receiver { thread_id: id.into() };
    let event = Sent {
        client: Client { product_client_id: String::new(), backup: Some(Box::new(receiver(""))) },
        receivers: vec![receiver("a"), receiver(""), receiver("")],
        maybe: Some(vec![receiver("")]),
    };
    let errors = event.validate().unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "client.product_client_id",
            "client.backup.thread_id",
            "receivers[1].thread_id",
            "receivers[2].thread_id",
            "maybe[0].thread_id",
        ]
    );
}
