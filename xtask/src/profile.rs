//! Where the time goes: a V8 CPU profile of workerd's isolate, taken over the inspector protocol
//! (`workerd serve --inspector-addr`), and the CPU each side of a bench spends, from `/proc`.

use std::collections::HashMap;
use std::net::TcpStream;

use serde_json::{json, Value};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

use crate::Result;

/// A DevTools protocol session with one workerd service's isolate.
pub struct Inspector {
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
}

impl Inspector {
    /// Connects to the isolate of `service` on workerd's inspector port.
    pub fn connect(port: u16, service: &str) -> Result<Self> {
        let url = format!("ws://127.0.0.1:{port}/{service}");
        let (socket, _) = tungstenite::connect(url.as_str()).map_err(|e| format!("inspector {url}: {e}"))?;
        let mut inspector = Self { socket, next_id: 0 };
        inspector.call("Profiler.enable", json!({}))?;
        Ok(inspector)
    }

    /// Starts sampling every `interval_us` microseconds.
    pub fn start(&mut self, interval_us: u32) -> Result<()> {
        self.call("Profiler.setSamplingInterval", json!({ "interval": interval_us }))?;
        self.call("Profiler.start", json!({})).map(drop)
    }

    /// Stops sampling and returns the profile (`Profiler.Profile`).
    pub fn stop(&mut self) -> Result<Value> {
        let mut answer = self.call("Profiler.stop", json!({}))?;
        Ok(answer["result"]["profile"].take())
    }

    /// Sends a command and waits for its answer, skipping the events sent meanwhile.
    fn call(&mut self, method: &str, params: Value) -> Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let command = json!({ "id": id, "method": method, "params": params }).to_string();
        self.socket.send(Message::text(command)).map_err(|e| format!("inspector: {e}"))?;
        loop {
            let message = self.socket.read().map_err(|e| format!("inspector: {e}"))?;
            let Ok(text) = message.to_text() else { continue };
            let answer: Value = serde_json::from_str(text).map_err(|e| format!("inspector: {e}"))?;
            if answer["id"] == id {
                if let Some(error) = answer.get("error") {
                    return Err(format!("inspector {method}: {error}"));
                }
                return Ok(answer);
            }
        }
    }
}

/// Time shares of a profile, in percent of the sampled time.
pub struct Summary {
    pub sampled_ms: f64,
    /// The functions that were running (self time), largest first.
    pub by_self: Vec<(String, f64)>,
    /// Named layers of the request path (inclusive time: the frame or anything it called).
    pub layers: Vec<(&'static str, f64)>,
}

/// Frames that mark a layer of the path, by name, name prefix up to `::`, or any prefix when the
/// pattern ends in `*`. A Rust future runs
/// from the microtask queue, not under the call that created it, so the layers are frames that
/// belong to one side only.
const LAYERS: [(&str, &[&str]); 12] = [
    ("our Worker's handler (edfi_edge::serve)", &["edfi_edge::serve"]),
    // wasm-bindgen's import shim for `stub.fetch(request)`, named with a hash that changes per build.
    ("the hop: the Worker's stub.fetch to the Durable Object", &["__wbg_fetch_*"]),
    ("the core engine (engine::handle)", &["edfi_core::engine::handle"]),
    // `SqlStore<D>` is generic over its driver, so its frames carry `<D>`; workers-rs' own SQL
    // bindings are part of the layer too.
    ("SQLite (SqlStore)", &["edfi_edge::sql_store::*", "worker::sql::*"]),
    ("the write transaction (storage.transactionSync)", &["transactionSync"]),
    (
        "canonical JSON and the ETag (edfi_core::canonical, content)",
        &["edfi_core::canonical::*", "edfi_core::content::*"],
    ),
    ("token checks, Worker and object (auth::verify_token)", &["edfi_core::auth::verify_token"]),
    ("building runtime responses (convert::to_worker_response)", &["edfi_edge::convert::to_worker_response"]),
    ("calls from Rust into JavaScript and the runtime (wasm-to-js)", &["wasm-to-js"]),
    ("the runtime outside JavaScript ((program))", &["(program)"]),
    ("garbage collector", &["(garbage collector)"]),
    ("idle, waiting for requests", &["(idle)"]),
];

pub fn summarize(profile: &Value) -> Summary {
    let empty = Vec::new();
    let nodes = profile["nodes"].as_array().unwrap_or(&empty);
    let samples = profile["samples"].as_array().unwrap_or(&empty);
    let deltas = profile["timeDeltas"].as_array().unwrap_or(&empty);
    let mut name = HashMap::new();
    let mut parent = HashMap::new();
    for node in nodes {
        let id = node["id"].as_u64().unwrap_or(0);
        name.insert(id, function_name(&node["callFrame"]));
        for child in node["children"].as_array().unwrap_or(&empty) {
            parent.insert(child.as_u64().unwrap_or(0), id);
        }
    }
    let mut self_time: HashMap<&str, f64> = HashMap::new();
    let mut layer_time = [0.0; LAYERS.len()];
    let mut total = 0.0;
    for (sample, delta) in samples.iter().zip(deltas) {
        let (Some(mut id), Some(delta)) = (sample.as_u64(), delta.as_f64()) else { continue };
        total += delta;
        *self_time.entry(name.get(&id).map_or("?", String::as_str)).or_default() += delta;
        // Each layer counts a sample once, however deep its frames are in the stack.
        let mut in_layer = [false; LAYERS.len()];
        loop {
            let frame = name.get(&id).map_or("", String::as_str);
            for (i, (_, prefixes)) in LAYERS.iter().enumerate() {
                in_layer[i] |= prefixes.iter().any(|p| frame_matches(frame, p));
            }
            match parent.get(&id) {
                Some(up) => id = *up,
                None => break,
            }
        }
        for (time, hit) in layer_time.iter_mut().zip(in_layer) {
            if hit {
                *time += delta;
            }
        }
    }
    let share = |t: f64| if total > 0.0 { 100.0 * t / total } else { 0.0 };
    let mut by_self: Vec<(String, f64)> =
        self_time.into_iter().map(|(k, v)| (k.to_owned(), share(v))).collect();
    by_self.sort_by(|a, b| b.1.total_cmp(&a.1));
    by_self.truncate(20);
    let layers = LAYERS.iter().zip(layer_time).map(|((label, _), t)| (*label, share(t))).collect();
    Summary { sampled_ms: total / 1000.0, by_self, layers }
}

fn frame_matches(frame: &str, pattern: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => frame.starts_with(prefix),
        None => frame == pattern || frame.strip_prefix(pattern).is_some_and(|rest| rest.starts_with("::")),
    }
}

/// A frame's function name without the Rust symbol hash; JavaScript frames name their file.
fn function_name(frame: &Value) -> String {
    let function = frame["functionName"].as_str().unwrap_or_default();
    let function = match function.rsplit_once("::h") {
        Some((head, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => head,
        _ => function,
    };
    let function = if function.is_empty() { "(anonymous)" } else { function };
    match frame["url"].as_str().and_then(|u| u.rsplit('/').next()).filter(|f| f.ends_with(".js")) {
        Some(file) => format!("{function} ({file})"),
        None => function.to_owned(),
    }
}

/// CPU seconds (user + system) used so far by every process in a process group.
pub fn group_cpu_seconds(group: u32) -> f64 {
    group_processes(group).iter().map(|(stat, _)| cpu_seconds(stat)).sum()
}

/// CPU seconds used so far by this process (the load generator).
pub fn own_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat").map_or(0.0, |stat| cpu_seconds(&stat))
}

/// Resident memory of every process in a process group (wrangler's node and workerd), in MiB.
pub fn group_rss_mib(group: u32) -> f64 {
    let kib: u64 = group_processes(group)
        .iter()
        .filter_map(|(_, status)| {
            let rss = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
            rss.trim().trim_end_matches("kB").trim().parse::<u64>().ok()
        })
        .sum();
    kib as f64 / 1024.0
}

/// `/proc/<pid>/stat` and `/proc/<pid>/status` of each process whose group is `group`.
fn group_processes(group: u32) -> Vec<(String, String)> {
    let mut processes = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        if stat_fields(&stat).get(2).and_then(|g| g.parse::<u32>().ok()) == Some(group) {
            let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
            processes.push((stat, status));
        }
    }
    processes
}

/// The fields after the command name (which is in parentheses and may hold spaces): `state`
/// is index 0, `pgrp` 2, `utime` 11, `stime` 12.
fn stat_fields(stat: &str) -> Vec<&str> {
    stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default()
}

fn cpu_seconds(stat: &str) -> f64 {
    // Linux reports these in USER_HZ, which is 100 on every architecture it runs on.
    const TICKS_PER_SECOND: f64 = 100.0;
    let fields = stat_fields(stat);
    let ticks = |i: usize| fields.get(i).and_then(|t| t.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / TICKS_PER_SECOND
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_is_summarized_by_self_time_and_by_layer() {
        // root → serve → exec (leaf), root → (program).
        let profile = json!({
            "nodes": [
                {"id": 1, "callFrame": {"functionName": "(root)", "url": ""}, "children": [2, 4]},
                {"id": 2, "callFrame": {"functionName": "edfi_edge::serve::{{closure}}::h0123456789abcdef", "url": "x.wasm"}, "children": [3]},
                {"id": 3, "callFrame": {"functionName": "edfi_edge::sql_store::SqlStore<D>::one::h0123456789abcdef", "url": ""}},
                {"id": 4, "callFrame": {"functionName": "(program)", "url": ""}},
            ],
            "samples": [3, 3, 4, 2],
            "timeDeltas": [100, 100, 100, 100],
        });
        let summary = summarize(&profile);
        assert_eq!(summary.sampled_ms, 0.4);
        assert_eq!(summary.by_self[0], ("edfi_edge::sql_store::SqlStore<D>::one".to_owned(), 50.0));
        let layer = |label: &str| summary.layers.iter().find(|(l, _)| l.starts_with(label)).unwrap().1;
        assert_eq!(layer("our Worker"), 75.0);
        assert_eq!(layer("SQLite"), 50.0);
        assert_eq!(layer("the runtime outside"), 25.0);
        assert_eq!(layer("the core engine"), 0.0);
    }

    #[test]
    fn layer_patterns_match_names_paths_and_prefixes() {
        assert!(frame_matches("edfi_edge::serve", "edfi_edge::serve"));
        assert!(frame_matches("edfi_edge::serve::{{closure}}", "edfi_edge::serve"));
        assert!(!frame_matches("edfi_edge::server", "edfi_edge::serve"));
        assert!(frame_matches("__wbg_fetch_58e6 (index.js)", "__wbg_fetch_*"));
        assert!(!frame_matches("fetch", "__wbg_fetch_*"));
    }

    #[test]
    fn this_process_and_its_group_use_cpu() {
        let spin = std::time::Instant::now();
        while spin.elapsed().as_millis() < 50 {
            std::hint::black_box(0);
        }
        assert!(own_cpu_seconds() > 0.0);
        let group =
            std::fs::read_to_string("/proc/self/stat").map(|s| stat_fields(&s)[2].parse().unwrap()).unwrap();
        assert!(group_cpu_seconds(group) >= own_cpu_seconds());
        assert!(group_rss_mib(group) > 1.0);
    }
}
