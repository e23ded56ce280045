//! Tests that need a `wrangler dev` of their own: restarts and other `[vars]`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use edfi_blackbox::{fresh_dir, ServerConfig, WranglerServer};
use serde_json::json;

use crate::support::{student, unique_id, Api, STUDENTS};

const START: Duration = Duration::from_secs(60);

pub fn own_config(name: &str) -> ServerConfig {
    let root = PathBuf::from(std::env::var("EDFI_ROOT").expect("EDFI_ROOT: run with `cargo xtask test`"));
    let state = root.join("target/blackbox-state").join(format!("{name}-{}", std::process::id()));
    ServerConfig::from_test_env(fresh_dir(&state).unwrap()).unwrap()
}

/// Starts a server off the async runtime (it blocks while waiting for wrangler).
pub async fn start(config: ServerConfig) -> WranglerServer {
    tokio::task::spawn_blocking(move || WranglerServer::start(config, START).unwrap()).await.unwrap()
}

#[tokio::test]
async fn data_survives_a_restart() {
    let config = own_config("restart");
    let mut server = start(config.clone()).await;
    let api = Api::connect(server.base_url(), "blackbox").await;
    let mut items = Vec::new();
    for i in 0..5 {
        let body = student(&unique_id("durable"));
        let (path, etag) = api.create(&body).await;
        let mut update = body.clone();
        update["middleName"] = json!(format!("v{i}"));
        let reply = api.write("PUT", &path, &update, &[("If-Match", &etag)]).await;
        assert_eq!(reply.status, 204);
        let stored = api.current(&path).await.unwrap();
        items.push((path, stored));
    }
    let (deleted, _) = api.create(&student(&unique_id("durable"))).await;
    assert_eq!(api.delete(&deleted, &[]).await.status, 204);
    server.stop();
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", config.port)).await.is_err(), "the server is down");

    let server = start(config).await;
    let api = Api::connect(server.base_url(), "blackbox").await;
    for (path, before) in &items {
        assert_eq!(api.current(path).await.as_ref(), Some(before), "{path} after restart");
    }
    assert!(api.current(&deleted).await.is_none(), "a delete survives a restart too");
    // The ETag read before the restart still guards writes after it.
    let (path, (body, etag)) = &items[0];
    let reply = api.write("PUT", path, body, &[("If-Match", "\"stale\"")]).await;
    reply.assert_problem(412, "urn:ed-fi:api:optimistic-lock-failed");
    let mut changed = body.clone();
    changed["firstName"] = json!("After");
    assert_eq!(api.write("PUT", path, &changed, &[("If-Match", etag)]).await.status, 204);
}

#[tokio::test]
async fn if_match_can_be_required_with_400_or_428() {
    for status in ["400", "428"] {
        let mut config = own_config(&format!("required{status}"));
        config.vars.extend([
            ("IF_MATCH".into(), "required".into()),
            ("IF_MATCH_REQUIRED_STATUS".into(), status.into()),
        ]);
        let server = start(config).await;
        let api = Api::connect(server.base_url(), "blackbox").await;
        let expected: u16 = status.parse().unwrap();
        let body = student(&unique_id("required"));
        let (path, etag) = api.create(&body).await;
        let before = api.current(&path).await.unwrap();
        let mut update = body.clone();
        update["firstName"] = json!("Changed");
        let kind = "urn:ed-fi:api:bad-request:precondition-required";
        api.write("PUT", &path, &update, &[]).await.assert_problem(expected, kind);
        api.write("POST", STUDENTS, &update, &[]).await.assert_problem(expected, kind);
        api.delete(&path, &[]).await.assert_problem(expected, kind);
        assert_eq!(api.current(&path).await.unwrap(), before, "refused writes change nothing");
        assert_eq!(api.write("PUT", &path, &update, &[("If-Match", &etag)]).await.status, 204);
        let etag = api.current(&path).await.unwrap().1;
        assert_eq!(api.delete(&path, &[("If-Match", &etag)]).await.status, 204);
    }
}

#[tokio::test]
async fn cors_answers_configured_origins_only() {
    let mut config = own_config("cors");
    config.vars.push(("CORS_ALLOWED_ORIGINS".into(), "https://app.example".into()));
    let server = start(config).await;
    let api = Api::connect(server.base_url(), "blackbox").await;
    let preflight = [("Origin", &b"https://app.example"[..]), ("Access-Control-Request-Method", b"PUT")];
    let reply = api.send("OPTIONS", STUDENTS, &preflight, None).await;
    assert_eq!(reply.status, 204);
    assert_eq!(reply.header("Access-Control-Allow-Origin"), Some("https://app.example"));
    assert!(reply.header("Access-Control-Allow-Headers").unwrap().contains("If-Match"));
    let reply = api.send("GET", STUDENTS, &[("Origin", b"https://app.example")], None).await;
    assert_eq!(reply.header("Access-Control-Allow-Origin"), Some("https://app.example"));
    assert!(reply.header("Access-Control-Expose-Headers").unwrap().contains("ETag"));
    let reply = api.send("GET", STUDENTS, &[("Origin", b"https://evil.example")], None).await;
    assert_eq!(reply.header("Access-Control-Allow-Origin"), None);
}

/// What an edge read of `path` shows: its status, ETag and whether the replica answered.
async fn edge_read(api: &Api, path: &str, headers: &[(&str, &str)]) -> (u16, String, bool) {
    let reply = api.get(path, headers).await;
    let etag = reply.header("ETag").unwrap_or_default().to_owned();
    (reply.status, etag, reply.header("X-Read-Path") == Some("edge"))
}

/// The read replica's outbox survives a crash: writes answered just before a SIGKILL (while their
/// publication to KV was still waiting for KV's one-write-per-key-per-second) reach KV after the
/// restart, deletes included: an edge GET ends up showing each item's last committed ETag from
/// the replica, and a deleted item ends up 404, never 304, for the ETag it had.
#[tokio::test]
async fn the_replica_converges_after_a_crash_in_the_middle_of_publication() {
    const INSTANCE: &str = "crash-replica";
    let mut config = own_config("replica-crash");
    config.vars.push(("READ_PATH_BY_INSTANCE".to_owned(), format!("{INSTANCE}=edge")));
    let mut server = start(config.clone()).await;
    let api = Api::connect(server.base_url(), INSTANCE).await;
    let mut kept = Vec::new();
    let mut deleted = Vec::new();
    for i in 0..12 {
        let body = student(&unique_id("crash-replica"));
        let (path, mut etag) = api.create(&body).await;
        for n in 0..3 {
            let mut update = body.clone();
            update["middleName"] = json!(format!("v{n}"));
            let reply = api.write("PUT", &path, &update, &[("If-Match", &etag)]).await;
            assert_eq!(reply.status, 204);
            etag = reply.etag();
        }
        if i % 3 == 0 {
            assert_eq!(api.delete(&path, &[("If-Match", &etag)]).await.status, 204);
            deleted.push((path, etag));
        } else {
            kept.push((path, etag));
        }
    }
    // The last item's newest state cannot be in KV yet: its key was written less than a second ago.
    let (last, last_etag) = kept.last().unwrap().clone();
    let (_, shown, from_edge) = edge_read(&api, &last, &[]).await;
    let before_kill_converged = from_edge && shown == last_etag;
    server.kill();

    let server = start(config).await;
    let api = Api::connect(server.base_url(), INSTANCE).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    for (path, etag) in &kept {
        loop {
            let (status, shown, from_edge) = edge_read(&api, path, &[]).await;
            if status == 200 && from_edge && shown == *etag {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{path}: the replica never showed {etag} (last {status} {shown} edge={from_edge})"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    for (path, etag) in &deleted {
        loop {
            let (status, ..) = edge_read(&api, path, &[("If-None-Match", etag)]).await;
            if status == 404 {
                break;
            }
            assert!(Instant::now() < deadline, "{path}: the deletion never reached the replica ({status})");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for _ in 0..3 {
            assert_eq!(
                edge_read(&api, path, &[("If-None-Match", etag)]).await.0,
                404,
                "{path} stays deleted"
            );
        }
    }
    assert!(!before_kill_converged, "the kill came while publication was still under way");
}
