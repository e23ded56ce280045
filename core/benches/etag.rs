//! ETag cost: canonicalizing and hashing a document (what a write pays once) against raw SHA-256
//! of the same bytes. `cargo xtask bench` reads the results.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use edfi_core::canonical::canonical_object;
use edfi_core::content::Content;
use edfi_core::wire::SERVER_FIELDS;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// A student-like document of about `bytes` bytes of JSON.
fn document(bytes: usize) -> Map<String, Value> {
    let mut doc = json!({
        "studentUniqueId": "604800", "firstName": "Layla", "lastSurname": "Hernandez",
        "birthDate": "2012-05-25", "birthCity": "Houston",
        "birthSexDescriptor": "uri://ed-fi.org/SexDescriptor#Female",
        "otherNames": [],
    });
    let mut n = 0;
    while doc.to_string().len() < bytes {
        doc["otherNames"].as_array_mut().unwrap().push(json!({
            "otherNameTypeDescriptor": "uri://ed-fi.org/OtherNameTypeDescriptor#Nickname",
            "firstName": format!("Name{n}"), "lastSurname": "Hernandez",
        }));
        n += 1;
    }
    doc.as_object().unwrap().clone()
}

fn etag_cost(c: &mut Criterion) {
    let mut group = c.benchmark_group("etag");
    for size in [1024, 16 * 1024] {
        let doc = document(size);
        let bytes = Value::Object(doc.clone()).to_string().into_bytes();
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new("canonical+sha256", size), &doc, |b, doc| {
            b.iter(|| Content::from_body(doc))
        });
        // The writer alone, to show how the canonical+sha256 time divides.
        group.bench_with_input(BenchmarkId::new("canonical-only", size), &doc, |b, doc| {
            b.iter(|| canonical_object(doc, &SERVER_FIELDS))
        });
        group.bench_with_input(BenchmarkId::new("raw-sha256", size), &bytes, |b, bytes| {
            b.iter(|| Sha256::digest(bytes))
        });
    }
    group.finish();
}

criterion_group!(benches, etag_cost);
criterion_main!(benches);
