//! Many threads tracking at once while others flush: every byte of every
//! event arrives exactly once, in each thread's order, and a flush covers
//! every event tracked before it, including one whose bytes were still
//! being copied into the queue when the flush was asked for.

mod client_support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use analytics_core::{AnalyticsEvent, Client, MemorySink, Trackable};
use client_support::*;

/// An event whose size varies with its number (empty to a few KiB, and
/// now and then larger than a whole queue block).
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "stress_blob")]
pub struct Blob {
    /// The tracking thread.
    pub producer: u64,
    /// The event's number within its thread.
    pub seq: u64,
    /// Filler, one letter repeated, its length from `seq`.
    pub payload: String,
}

const PRODUCERS: u64 = 4;
const PER_PRODUCER: u64 = 3_000;

fn blob(producer: u64, seq: u64) -> Blob {
    let len = if seq % 997 == 500 {
        // Past a queue block (256 KiB): an event in a block of its own.
        300_000
    } else {
        ((seq * 37 + producer * 11) % 3_000) as usize
    };
    let letter = char::from(b'a' + ((producer * 7 + seq) % 26) as u8);
    Blob {
        producer,
        seq,
        payload: std::iter::repeat_n(letter, len).collect(),
    }
}

fn envelope_bytes(event: &Blob) -> Vec<u8> {
    let mut json = Vec::new();
    event.write_envelope(&mut json);
    json
}

/// `(producer, seq)` of every envelope the sink holds, in the order held.
fn delivered_ids(sink: &MemorySink) -> Vec<(u64, u64)> {
    #[derive(serde::Deserialize)]
    struct Params {
        producer: u64,
        seq: u64,
    }
    #[derive(serde::Deserialize)]
    struct Head {
        event_params: Params,
    }
    sink.envelopes()
        .iter()
        .map(|envelope| {
            let head: Head = serde_json::from_slice(envelope.json()).unwrap();
            (head.event_params.producer, head.event_params.seq)
        })
        .collect()
}

#[test]
fn concurrent_producers_and_flushes_deliver_every_byte_exactly_once() {
    let sink = MemorySink::new();
    // Small, quick batches: the worker takes blocks from the queue all the
    // time, often while a producer is still copying into one.
    let client = Client::builder()
        .sink(sink.clone())
        .queue_capacity(1 << 20)
        .max_batch_events(50)
        .max_batch_delay(Duration::from_millis(1))
        .build()
        .unwrap();
    // Per producer: how many of its events `track` has accepted so far.
    let accepted: Arc<Vec<AtomicU64>> =
        Arc::new((0..PRODUCERS).map(|_| AtomicU64::new(0)).collect());
    let running = Arc::new(AtomicBool::new(true));

    let flusher = {
        let (client, sink, accepted, running) = (
            client.clone(),
            sink.clone(),
            Arc::clone(&accepted),
            Arc::clone(&running),
        );
        std::thread::spawn(move || {
            let mut rounds = 0;
            while running.load(Ordering::Acquire) || rounds == 0 {
                let before: Vec<u64> = accepted.iter().map(|n| n.load(Ordering::Acquire)).collect();
                client.flush(Duration::from_secs(30)).unwrap();
                // Everything accepted before the flush was asked for is at the sink.
                let mut highest = vec![0u64; PRODUCERS as usize];
                let mut count = vec![0u64; PRODUCERS as usize];
                for (producer, seq) in delivered_ids(&sink) {
                    let p = producer as usize;
                    highest[p] = highest[p].max(seq + 1);
                    count[p] += 1;
                }
                for p in 0..PRODUCERS as usize {
                    assert!(
                        count[p] >= before[p],
                        "producer {p}: {} delivered after a flush asked once {} were accepted",
                        count[p],
                        before[p]
                    );
                }
                rounds += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
            rounds
        })
    };

    let producers: Vec<_> = (0..PRODUCERS)
        .map(|producer| {
            let (client, accepted) = (client.clone(), Arc::clone(&accepted));
            std::thread::spawn(move || {
                for seq in 0..PER_PRODUCER {
                    client.track(blob(producer, seq)).unwrap();
                    accepted[producer as usize].store(seq + 1, Ordering::Release);
                }
            })
        })
        .collect();
    for producer in producers {
        producer.join().unwrap();
    }
    running.store(false, Ordering::Release);
    let rounds = flusher.join().unwrap();
    assert!(rounds >= 1);
    client.shutdown(Duration::from_secs(30)).unwrap();

    let envelopes = sink.envelopes();
    assert_eq!(envelopes.len() as u64, PRODUCERS * PER_PRODUCER);
    let mut next: HashMap<u64, u64> = HashMap::new();
    for (envelope, (producer, seq)) in envelopes.iter().zip(delivered_ids(&sink)) {
        // Each thread's events in the order it tracked them, none twice,
        // none missing (the count above), each byte for byte.
        let expected_seq = next.entry(producer).or_insert(0);
        assert_eq!(
            seq, *expected_seq,
            "producer {producer}: out of order or repeated"
        );
        *expected_seq += 1;
        assert!(
            envelope.json() == envelope_bytes(&blob(producer, seq)).as_slice(),
            "producer {producer} event {seq}: the bytes differ"
        );
    }
    assert_eq!(next.len() as u64, PRODUCERS);
    let metrics = client.metrics();
    assert_eq!(metrics.delivered, PRODUCERS * PER_PRODUCER);
    assert_eq!(metrics.dropped.total(), 0);
    assert_invariant(&metrics);
}
