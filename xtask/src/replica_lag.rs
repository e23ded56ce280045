//! Replica lag under a write load: how long after a write's answer the edge read path (KV)
//! serves the new ETag. Background clients create students on the instance the whole time; a
//! probe PUTs one of its items at a time (rotating, so KV's one write per key per second is not
//! what is measured) and polls the edge until it shows the write.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::client::agent;
use crate::lean_http::Connection;

/// How long a probe waits for the replica before it counts the write as not published.
const PATIENCE: Duration = Duration::from_secs(30);
pub const WRITERS: usize = 4;

pub struct Lag {
    pub samples: Vec<f64>,
    /// Probes the replica had not shown after [`PATIENCE`].
    pub timeouts: usize,
    pub background_writes: usize,
}

impl Lag {
    /// The `q` quantile (0–1) of the lags, in ms.
    pub fn quantile(&self, q: f64) -> f64 {
        let mut sorted = self.samples.clone();
        sorted.sort_by(f64::total_cmp);
        if sorted.is_empty() {
            return f64::NAN;
        }
        sorted[((sorted.len() - 1) as f64 * q).round() as usize]
    }
}

pub fn measure(base: &str, authorization: &str, probe_ids: &[String], seconds: f64) -> Lag {
    let port = crate::bench::port_of(base);
    let stop = AtomicBool::new(false);
    let written = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for writer in 0..WRITERS {
            let (stop, written) = (&stop, &written);
            scope.spawn(move || {
                let mut connection = Connection::new(port);
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let body = serde_json::json!({
                        "studentUniqueId": format!("LAG-{writer}-{n}"), "firstName": "Lag",
                        "lastSurname": "Background", "birthDate": "2012-01-01",
                    });
                    if matches!(
                        connection.send(
                            "POST",
                            "/data/v3/ed-fi/students",
                            authorization,
                            &[],
                            Some(body.to_string().as_bytes())
                        ),
                        Ok(201)
                    ) {
                        written.fetch_add(1, Ordering::Relaxed);
                    }
                    n += 1;
                }
            });
        }
        let lag = probe(base, authorization, probe_ids, Duration::from_secs_f64(seconds));
        stop.store(true, Ordering::Relaxed);
        Lag { background_writes: written.load(Ordering::Relaxed), ..lag }
    })
}

fn probe(base: &str, authorization: &str, ids: &[String], duration: Duration) -> Lag {
    let agent = agent();
    let mut lag = Lag { samples: Vec::new(), timeouts: 0, background_writes: 0 };
    let started = Instant::now();
    let mut round = 0usize;
    while started.elapsed() < duration && !ids.is_empty() {
        let url = format!("{base}/data/v3/ed-fi/students/{}", ids[round % ids.len()]);
        round += 1;
        let Ok(mut current) =
            agent.get(&url).header("Authorization", authorization).header("Cache-Control", "no-cache").call()
        else {
            continue;
        };
        let Ok(mut body) =
            serde_json::from_str::<Value>(&current.body_mut().read_to_string().unwrap_or_default())
        else {
            continue;
        };
        body["middleName"] = Value::String(format!("Lag probe {round}"));
        let Ok(written) = agent
            .put(&url)
            .header("Authorization", authorization)
            .header("Content-Type", "application/json")
            .send(body.to_string())
        else {
            continue;
        };
        let Some(etag) = written.headers().get("ETag").and_then(|v| v.to_str().ok()).map(str::to_owned)
        else {
            continue;
        };
        let answered = Instant::now();
        loop {
            let seen = agent.get(&url).header("Authorization", authorization).call().ok().and_then(|r| {
                let from_edge = r.headers().get("X-Read-Path").is_some_and(|v| v == "edge");
                let tag = r.headers().get("ETag").and_then(|v| v.to_str().ok()).map(str::to_owned);
                (from_edge && tag.as_deref() == Some(etag.as_str())).then_some(())
            });
            if seen.is_some() {
                lag.samples.push(answered.elapsed().as_secs_f64() * 1e3);
                break;
            }
            if answered.elapsed() > PATIENCE {
                lag.timeouts += 1;
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    lag
}
