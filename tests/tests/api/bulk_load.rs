//! The bulk loader (`edfi-admin load`) against a real `wrangler dev`: Ed-Fi's default
//! descriptors, then the Grand Bend sample district (`../shared/edfi/sample-xml/`). Every record
//! loads except those whose references point into the files the sample lacks (each rejected with
//! its missing reference, never a 5xx); the API holds exactly what the files hold; a second run
//! creates nothing and changes no ETag; a load killed half-way is completed by the next run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{base_url, data, Api};

fn edfi() -> PathBuf {
    let root = std::env::var("EDFI_ROOT").expect("EDFI_ROOT: run with `cargo xtask test`");
    Path::new(&root).join("../shared/edfi")
}

/// A private scratch directory for this run's journals and reports.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("edfi-load-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Loader {
    key: String,
    secret: String,
    journal: PathBuf,
}

impl Loader {
    fn command(&self, dir: &Path, report: &Path, extra: &[&str]) -> tokio::process::Command {
        let binary = std::env::var("EDFI_ADMIN_BIN").expect("EDFI_ADMIN_BIN: run with `cargo xtask test`");
        let mut command = tokio::process::Command::new(binary);
        command
            .arg("load")
            .arg(dir)
            .args(["--url", &base_url(), "--key", &self.key, "--journal"])
            .arg(&self.journal)
            .arg("--report-json")
            .arg(report)
            .args(extra)
            .env("EDFI_SECRET", &self.secret)
            .env_remove("EDFI_URL")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        command
    }

    /// Runs a load to its end: its exit code, its report and its printed table.
    async fn run(&self, dir: &Path, report: &Path, extra: &[&str]) -> (i32, Value, String) {
        let output = self.command(dir, report, extra).output().await.unwrap();
        let table = String::from_utf8_lossy(&output.stdout).into_owned();
        let code = output.status.code().unwrap_or(-1);
        assert!(
            code == 0 || code == 3,
            "edfi-admin load exited {code}:\n{table}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = std::fs::read_to_string(report).unwrap();
        (code, serde_json::from_str(&text).unwrap(), table)
    }
}

async fn loader(instance: &str) -> (Loader, Api) {
    let admin = Api::admin(base_url()).await;
    let (key, secret) = admin.create_client(instance).await;
    let journal = scratch(instance).join("load.journal");
    (Loader { key, secret, journal }, Api::connect(base_url(), instance).await)
}

/// Records per resource in `dir`, converted here with the model (independently of the loader).
fn records_in(dir: &Path) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "xml") {
            continue;
        }
        let file = edfi_core::interchange::read(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for record in file.records {
            if seen.insert((record.resource.name, record.body.to_string())) {
                *counts.entry(record.resource.name.to_owned()).or_default() += 1;
            }
        }
    }
    counts
}

fn tally(report: &Value, resource: &str, column: &str) -> usize {
    report["resources"][resource][column].as_u64().unwrap_or(0) as usize
}

/// Every item's id and ETag, per resource.
async fn etags(api: &Api, resources: &[String]) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut all = BTreeMap::new();
    for resource in resources {
        let mut items = BTreeMap::new();
        let mut offset = 0;
        loop {
            let page = api.get(&format!("{}?offset={offset}&limit=500", data(resource)), &[]).await;
            assert_eq!(page.status, 200, "{resource}");
            let page = page.json();
            let page = page.as_array().unwrap();
            for item in page {
                items.insert(
                    item["id"].as_str().unwrap().to_owned(),
                    item["_etag"].as_str().unwrap().to_owned(),
                );
            }
            if page.len() < 500 {
                break;
            }
            offset += 500;
        }
        all.insert(resource.clone(), items);
    }
    all
}

async fn total(api: &Api, resource: &str) -> usize {
    let reply = api.get(&format!("{}?limit=0&totalCount=true", data(resource)), &[]).await;
    reply
        .header("Total-Count")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{resource}: no Total-Count"))
}

#[tokio::test]
async fn the_grand_bend_district_loads_whole_and_a_second_run_changes_nothing() {
    let instance = format!("grand-bend-{}", std::process::id());
    let (loader, api) = loader(&instance).await;
    let scratch = scratch(&format!("{instance}-reports"));

    // Ed-Fi's default descriptors first, as an ODS/API ships with them.
    let descriptors = edfi().join("descriptors");
    let (code, defaults, table) = loader.run(&descriptors, &scratch.join("descriptors.json"), &[]).await;
    assert_eq!(code, 0, "{table}");
    assert_eq!(defaults["problems"], json!([]), "{table}");

    // The district, while another client reads one item by id throughout.
    let (probe, _) = api.create(&crate::support::student(&crate::support::unique_id("probe"))).await;
    let sample = edfi().join("sample-xml");
    let started = Instant::now();
    let mut load = loader.command(&sample, &scratch.join("first.json"), &[]).spawn().unwrap();
    let mut reads = Vec::new();
    let exit = loop {
        if let Some(status) = load.try_wait().unwrap() {
            break status;
        }
        let asked = Instant::now();
        let read = api.get(&probe, &[]).await;
        assert_eq!(read.status, 200);
        reads.push((asked.elapsed(), load.try_wait().unwrap().is_none()));
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let elapsed = started.elapsed();
    let output = load.wait_with_output().await.unwrap();
    let table = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(matches!(exit.code(), Some(0 | 3)), "{table}\n{}", String::from_utf8_lossy(&output.stderr));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(scratch.join("first.json")).unwrap()).unwrap();
    println!("{table}");
    let mut latencies: Vec<Duration> = reads.iter().filter(|(_, during)| *during).map(|(d, _)| *d).collect();
    latencies.sort();
    assert!(latencies.len() >= 3, "GETs by id answered while the load ran: {latencies:?}");
    println!(
        "GET by id during the load: {} reads, median {:?}, max {:?}; load {:.1} s",
        latencies.len(),
        latencies[latencies.len() / 2],
        latencies.last().unwrap(),
        elapsed.as_secs_f64()
    );

    // Every file converts; the API holds what the files hold, except what refers to absent data.
    assert_eq!(report["problems"], json!([]), "{table}");
    let expected = records_in(&sample);
    let sent: BTreeMap<String, Value> =
        report["resources"].as_object().unwrap().clone().into_iter().collect();
    let mut sent_resources: Vec<&String> = sent.keys().filter(|r| *r != "schoolYearTypes").collect();
    sent_resources.sort();
    assert_eq!(sent_resources, expected.keys().collect::<Vec<_>>(), "the loader sent the files' resources");
    // The school years the records refer to, made first (interchange files hold none).
    assert!(tally(&report, "schoolYearTypes", "created") > 0, "{table}");
    assert_eq!(tally(&report, "schoolYearTypes", "created"), total(&api, "schoolYearTypes").await);
    for (resource, records) in &expected {
        let (created, updated, unchanged, rejected) = (
            tally(&report, resource, "created"),
            tally(&report, resource, "updated"),
            tally(&report, resource, "unchanged"),
            tally(&report, resource, "rejected"),
        );
        assert_eq!(tally(&report, resource, "records"), *records, "{resource}");
        let superseded = tally(&report, resource, "superseded");
        assert_eq!(
            created + updated + unchanged + rejected + superseded,
            *records,
            "{resource}: every record answered"
        );
        assert_eq!(tally(&report, resource, "failed"), 0, "{resource}: no 5xx, no lost answer");
        for reason in report["resources"][resource]["reasons"].as_array().unwrap() {
            let reason = reason.as_str().unwrap();
            assert!(reason.contains(": 409: ") && reason.contains("do not exist"), "{resource}: {reason}");
        }
        // Besides the district: the probe student, and the default descriptor values.
        let extra = usize::from(resource == "students") + tally(&defaults, resource, "created");
        assert_eq!(total(&api, resource).await, created + extra, "{resource}: items in the API");
    }
    let created: usize = expected.keys().map(|r| tally(&report, r, "created")).sum();
    assert!(created > 15_000, "{created} items created:\n{table}");

    // A second run: a new load, which finds everything in place.
    let resources: Vec<String> = expected.keys().cloned().collect();
    let before = etags(&api, &resources).await;
    let (_, again, table) = loader.run(&sample, &scratch.join("second.json"), &[]).await;
    for resource in &resources {
        assert_eq!(tally(&again, resource, "created"), 0, "{resource} on the second run:\n{table}");
        assert_eq!(tally(&again, resource, "updated"), 0, "{resource} on the second run:\n{table}");
        assert_eq!(tally(&again, resource, "rejected"), tally(&report, resource, "rejected"), "{resource}");
    }
    assert_eq!(etags(&api, &resources).await, before, "no ETag changed");
}

/// A load killed with SIGKILL half-way, then run again: the second run continues it (the journal
/// says what was answered; what was in flight is resent under its Idempotency-Key), and the end
/// state is exactly the files' content, no item twice, none missing.
#[tokio::test]
async fn a_killed_load_is_completed_by_the_next_run() {
    let instance = format!("killed-load-{}", std::process::id());
    let (loader, api) = loader(&instance).await;
    let scratch = scratch(&format!("{instance}-reports"));
    let descriptors = edfi().join("descriptors");
    loader.run(&descriptors, &scratch.join("descriptors.json"), &[]).await;
    // A new journal for the district's part: the descriptors' load is complete.
    let loader = Loader { journal: scratch.join("district.journal"), ..loader };
    let district = scratch.join("district");
    std::fs::create_dir_all(&district).unwrap();
    let files = [
        "EducationOrganization.xml",
        "Student.xml",
        "Contact.xml",
        "IndicatorDescriptor.xml",
        "IndicatorGroupDescriptor.xml",
        "IndicatorLevelDescriptor.xml",
    ];
    for file in files {
        std::fs::copy(edfi().join("sample-xml").join(file), district.join(file)).unwrap();
    }
    let expected = records_in(&district);
    let records: usize = expected.values().sum();

    let mut load =
        loader.command(&district, &scratch.join("killed.json"), &["--parallel", "16"]).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let answered = std::fs::read_to_string(&loader.journal).map(|j| j.lines().count()).unwrap_or(0);
        if answered > records / 2 {
            break;
        }
        assert!(load.try_wait().unwrap().is_none(), "the load ended before half of it was answered");
        assert!(Instant::now() < deadline, "the load did not get half-way");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    load.start_kill().unwrap();
    load.wait().await.unwrap();
    let journaled = std::fs::read_to_string(&loader.journal).unwrap().lines().count();
    assert!(journaled < records, "killed before the end: {journaled} of {records}");

    let (code, report, table) = loader.run(&district, &scratch.join("resumed.json"), &[]).await;
    assert_eq!(report["resumed"], json!(true), "{table}");
    for (resource, count) in &expected {
        assert_eq!(tally(&report, resource, "records"), *count, "{resource}");
        assert_eq!(tally(&report, resource, "failed"), 0, "{resource}");
        let answered: usize = ["created", "updated", "unchanged", "rejected", "superseded"]
            .iter()
            .map(|c| tally(&report, resource, c))
            .sum();
        assert_eq!(answered, *count, "{resource}: every record answered once across both runs");
        let in_api = total(&api, resource).await;
        assert_eq!(
            in_api,
            count - tally(&report, resource, "rejected"),
            "{resource}: nothing twice, nothing lost\n{table}"
        );
    }
    let earlier: usize = expected.keys().map(|r| tally(&report, r, "earlier")).sum();
    assert!(
        earlier > records / 3 && earlier < records,
        "{earlier} of {records} were answered before the kill\n{table}"
    );
    // What was refused refers into files that were not copied.
    for (resource, tally) in report["resources"].as_object().unwrap() {
        for reason in tally["reasons"].as_array().unwrap() {
            assert!(reason.as_str().unwrap().contains(": 409: "), "{resource}: {reason}");
        }
    }
    let _ = code;
}
