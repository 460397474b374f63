//! In-memory capture, for tests.

use std::sync::{Arc, Mutex, MutexGuard};

use serde::de::DeserializeOwned;

use super::{Envelope, Sink, SinkError};
use crate::AnalyticsEvent;

/// Keeps every batch it receives in memory; clone it before handing it to
/// the builder and read what was delivered through the clone.
///
/// ```
/// # use analytics_core::client::{Client, MemorySink};
/// let sink = MemorySink::new();
/// let client = Client::builder().sink(sink.clone()).build().unwrap();
/// // client.track(event)?; client.flush(..);
/// # drop(client);
/// assert!(sink.values().is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemorySink {
    batches: Arc<Mutex<Vec<Vec<Envelope>>>>,
}

impl MemorySink {
    /// An empty capture.
    pub fn new() -> Self {
        MemorySink::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Vec<Envelope>>> {
        self.batches
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every envelope delivered, in order.
    pub fn envelopes(&self) -> Vec<Envelope> {
        self.lock().iter().flatten().cloned().collect()
    }

    /// The batches as delivered, in order.
    pub fn batches(&self) -> Vec<Vec<Envelope>> {
        self.lock().clone()
    }

    /// Every envelope delivered, parsed.
    pub fn values(&self) -> Vec<serde_json::Value> {
        self.lock()
            .iter()
            .flatten()
            .filter_map(|envelope| serde_json::from_slice(envelope.json()).ok())
            .collect()
    }

    /// The delivered events of type `E`, deserialized from their
    /// `event_params`, in order (other events are skipped).
    pub fn events<E: AnalyticsEvent + DeserializeOwned>(&self) -> Vec<E> {
        self.lock()
            .iter()
            .flatten()
            .filter_map(|envelope| {
                let (name, params) = envelope.split()?;
                if name != E::NAME {
                    return None;
                }
                serde_json::from_slice(&params).ok()
            })
            .collect()
    }

    /// How many envelopes were delivered.
    pub fn len(&self) -> usize {
        self.lock().iter().map(Vec::len).sum()
    }

    /// Nothing was delivered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets everything captured so far.
    pub fn clear(&self) {
        self.lock().clear();
    }
}

impl Sink for MemorySink {
    fn send(&mut self, batch: &[Envelope]) -> Result<(), SinkError> {
        self.lock().push(batch.to_vec());
        Ok(())
    }

    fn name(&self) -> &str {
        "memory"
    }
}
