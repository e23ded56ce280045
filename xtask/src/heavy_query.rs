//! GET by id latency while another client runs the most expensive queries the API allows: one
//! instance object serves its requests one at a time, so what bounds a read's wait is how long
//! one request may hold the object.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::bench::port_of;
use crate::lean_http::Connection;

const STUDENTS: &str = "/data/v3/ed-fi/students";

/// Latencies of one kind of request, in milliseconds.
pub struct Latencies(Vec<f64>);

impl Latencies {
    pub fn quantile(&self, q: f64) -> f64 {
        let mut sorted = self.0.clone();
        sorted.sort_by(f64::total_cmp);
        match sorted.len() {
            0 => f64::NAN,
            n => sorted[((n - 1) as f64 * q).round() as usize],
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

pub struct HeavyQuery {
    /// GET by id from one client on an otherwise idle object.
    pub alone: Latencies,
    /// The same while another client runs the heavy queries back to back.
    pub beside: Latencies,
    /// Each heavy query's own time.
    pub heavy: Latencies,
    /// What the heavy client asked, in turn.
    pub queries: Vec<String>,
    /// Answers other than 200 (of either client).
    pub failures: usize,
}

/// The queries that make an instance do the most work per request: a full page of 500 found
/// through a filter every item matches, counted whole (`totalCount`), at the end of the
/// collection (the deepest offset); and the same with no filter.
fn heavy_queries(documents: usize) -> Vec<String> {
    let last_page = documents.saturating_sub(500);
    vec![
        format!("{STUDENTS}?birthCity=Austin&totalCount=true&offset={last_page}&limit=500"),
        format!("{STUDENTS}?totalCount=true&offset={last_page}&limit=500"),
    ]
}

pub fn measure(
    base: &str,
    authorization: &str,
    ids: &[String],
    documents: usize,
    reads: usize,
) -> HeavyQuery {
    let port = port_of(base);
    let queries = heavy_queries(documents);
    let read = |connection: &mut Connection, i: usize, failures: &mut usize| -> f64 {
        let started = Instant::now();
        if !matches!(
            connection.get(&format!("{STUDENTS}/{}", ids[i % ids.len().max(1)]), authorization),
            Ok(200)
        ) {
            *failures += 1;
        }
        started.elapsed().as_secs_f64() * 1e3
    };
    let mut failures = 0;
    let mut connection = Connection::new(port);
    let alone = Latencies((0..reads).map(|i| read(&mut connection, i, &mut failures)).collect());
    let stop = AtomicBool::new(false);
    let (beside, (heavy, heavy_failures)) = std::thread::scope(|scope| {
        let heavy = scope.spawn(|| {
            let mut connection = Connection::new(port);
            let (mut times, mut failures) = (Vec::new(), 0);
            for query in queries.iter().cycle() {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let started = Instant::now();
                if !matches!(connection.get(query, authorization), Ok(200)) {
                    failures += 1;
                }
                times.push(started.elapsed().as_secs_f64() * 1e3);
            }
            (times, failures)
        });
        // Let the heavy client start before the reads are timed.
        std::thread::sleep(Duration::from_millis(200));
        let beside: Vec<f64> = (0..reads).map(|i| read(&mut connection, i, &mut failures)).collect();
        stop.store(true, Ordering::Relaxed);
        (beside, heavy.join().expect("the heavy client does not panic"))
    });
    HeavyQuery {
        alone,
        beside: Latencies(beside),
        heavy: Latencies(heavy),
        queries,
        failures: failures + heavy_failures,
    }
}
