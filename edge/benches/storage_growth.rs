//! How one instance's writes and reads cost as its data grows: the engine and the production SQL
//! (`SqlStore`) on a native SQLite file, one transaction per request as in the Durable Object.
//! The instance first holds an item of every one of the Data Standard's resources (one
//! `documents` table keyed by resource and natural key, one `links` table indexed by target), then
//! grows by blocks of students and enrollments; each block's figures should stay flat.
//!
//! `cargo xtask bench-storage` (or `cargo bench -p edfi-edge --features native-sqlite --bench
//! storage_growth -- BLOCKS`).

use std::time::Instant;

use edfi_core::sample::Samples;
use edfi_core::{handle, resources, Config, Context, Request, Response};
use edfi_edge::sql_store::sqlite::Sqlite;
use edfi_edge::sql_store::{SqlDriver, SqlStore};
use serde_json::{json, Value};

/// Students (and as many enrollments) added per block.
const BLOCK: usize = 5_000;
/// Conditional PUTs and GETs by id measured per block, on random items of everything so far.
const PROBES: usize = 1_000;

struct Instance {
    db: Sqlite,
    store: SqlStore<Sqlite>,
    config: Config,
    requests: u64,
}

impl Instance {
    fn send(&mut self, request: Request) -> Response {
        self.requests += 1;
        let mut random = [0u8; 16];
        // Bytes 10–15 of a v4 UUID are all random bits: the id is unique per request.
        random[10..].copy_from_slice(&self.requests.to_be_bytes()[2..]);
        let ctx = Context {
            now: 1_800_000_000,
            random,
            correlation_id: "bench",
            base_url: "http://bench",
            client: "bench",
            client_name: "bench",
            admin: false,
            scope: None,
        };
        self.db.execute("BEGIN", vec![]).expect("BEGIN");
        let response = handle(&request, &mut self.store, &self.config, &ctx).expect("the engine answers");
        self.db.execute("COMMIT", vec![]).expect("COMMIT");
        response
    }

    fn post(&mut self, resource: &str, body: &Value) -> String {
        let response = self.send(
            Request::new("POST", &format!("/data/v3/ed-fi/{resource}"))
                .header("Content-Type", "application/json")
                .body(body.to_string()),
        );
        assert_eq!(response.status, 201, "{resource} {body}: {}", String::from_utf8_lossy(&response.body));
        response.header("Location").and_then(|l| l.rsplit('/').next()).expect("a Location").to_owned()
    }

    fn bytes(&self) -> i64 {
        let rows: Vec<Value> = self
            .db
            .rows(
                "SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()",
                vec![],
            )
            .expect("the database size");
        rows[0]["bytes"].as_i64().unwrap_or(0)
    }

    fn documents(&self) -> i64 {
        let rows: Vec<Value> = self.db.rows("SELECT count(*) AS n FROM documents", vec![]).expect("a count");
        rows[0]["n"].as_i64().unwrap_or(0)
    }
}

/// A small deterministic generator, for picking probed items.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

fn micros(started: Instant, count: usize) -> f64 {
    started.elapsed().as_secs_f64() * 1e6 / count as f64
}

fn main() {
    let blocks: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(10);
    let dir = std::env::temp_dir().join(format!("edfi-storage-growth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let db = Sqlite::open(&dir.join("instance.sqlite")).expect("a database file");
    // No fsync per commit: a Durable Object makes writes durable by replication, not by a local
    // fsync, so the figures are the engine's and SQLite's work, not this disk's.
    db.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;", vec![]).expect("pragmas");
    let mut instance =
        Instance { store: SqlStore::open(db.clone()), db, config: Config::default(), requests: 0 };

    // An item of every resource (and the descriptor values they use), dependencies first.
    let mut samples = Samples::new();
    let mut types = std::collections::BTreeSet::new();
    let mut descriptors = std::collections::BTreeSet::new();
    for def in resources::all().iter().filter(|d| !d.is_descriptor) {
        samples.item(def);
        for (resource, body) in samples.take() {
            instance.post(resource.name, &body);
            if resource.is_descriptor {
                descriptors.insert(resource.name)
            } else {
                types.insert(resource.name)
            };
        }
    }
    let school_id = samples.item(resources::get("schools"))["schoolId"].clone();
    let grade =
        samples.item(resources::get("studentSchoolAssociations"))["entryGradeLevelDescriptor"].clone();
    println!(
        "An instance holding {} documents of {} resources and {} descriptors, growing by {BLOCK} students and {BLOCK} enrollments a block.\n",
        instance.documents(),
        types.len(),
        descriptors.len()
    );
    println!("| documents | POST student µs | POST enrollment µs (2 references) | conditional PUT µs | GET by id µs | bytes/document |");
    println!("|---:|---:|---:|---:|---:|---:|");

    let mut students: Vec<(String, String)> = Vec::new(); // (id, studentUniqueId)
    let mut random = Lcg(0x5eed);
    for block in 0..blocks {
        let started = Instant::now();
        let first = students.len();
        for n in first..first + BLOCK {
            let unique_id = format!("S{n:07}");
            let body = json!({"studentUniqueId": unique_id, "firstName": "Ada", "lastSurname": format!("Grower {n}"), "birthDate": "2012-03-04"});
            students.push((instance.post("students", &body), unique_id));
        }
        let post_student = micros(started, BLOCK);

        let started = Instant::now();
        for (_, unique_id) in &students[first..] {
            let body = json!({
                "studentReference": {"studentUniqueId": unique_id}, "schoolReference": {"schoolId": school_id},
                "entryDate": "2026-08-17", "entryGradeLevelDescriptor": grade,
            });
            instance.post("studentSchoolAssociations", &body);
        }
        let post_enrollment = micros(started, BLOCK);

        let started = Instant::now();
        for probe in 0..PROBES {
            let (id, unique_id) = students[random.below(students.len())].clone();
            let path = format!("/data/v3/ed-fi/students/{id}");
            let current = instance.send(Request::new("GET", &path));
            let etag = current.header("ETag").expect("an ETag").to_owned();
            let body = json!({"studentUniqueId": unique_id, "firstName": "Ada", "middleName": format!("Probe {block}.{probe}"), "lastSurname": "Grower", "birthDate": "2012-03-04"});
            let put = instance.send(
                Request::new("PUT", &path)
                    .header("Content-Type", "application/json")
                    .header("If-Match", &etag)
                    .body(body.to_string()),
            );
            assert_eq!(put.status, 204, "{}", String::from_utf8_lossy(&put.body));
        }
        let get_and_put = micros(started, PROBES);

        let started = Instant::now();
        for _ in 0..PROBES {
            let id = &students[random.below(students.len())].0;
            let read = instance.send(Request::new("GET", &format!("/data/v3/ed-fi/students/{id}")));
            assert_eq!(read.status, 200);
        }
        let get = micros(started, PROBES);
        let documents = instance.documents();
        println!(
            "| {documents} | {post_student:.0} | {post_enrollment:.0} | {:.0} | {get:.0} | {} |",
            get_and_put - get,
            instance.bytes() / documents.max(1)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
