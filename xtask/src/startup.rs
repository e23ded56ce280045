//! `cargo xtask bench-startup`: what the compiled-in model costs a new isolate, on workerd. Each
//! run starts workerd afresh; its readiness check (`GET /`) creates the isolate without touching
//! the model, so the first request that routes a data path (an unknown resource: 404, answered in
//! the Worker) pays the model's load and the ones after it do not. Also the bundle's sizes.

use std::path::Path;
use std::time::Instant;

use crate::lean_http::Connection;
use crate::{tools, Result};

const RUNS: usize = 7;
const LATER_REQUESTS: usize = 50;
const PROBE: &str = "/data/v3/ed-fi/noSuchResources";

fn milliseconds(connection: &mut Connection) -> Result<f64> {
    let started = Instant::now();
    let status = connection.get(PROBE, "").map_err(|e| e.to_string())?;
    if status != 404 {
        return Err(format!("GET {PROBE} answered {status}, not 404"));
    }
    Ok(started.elapsed().as_secs_f64() * 1e3)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn gzip_size(path: &Path) -> Result<usize> {
    let output = std::process::Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .map_err(|e| format!("gzip: {e}"))?;
    Ok(output.stdout.len())
}

pub fn run(root: &Path) -> Result<()> {
    let tools = tools::ensure(root)?;
    tools.build_worker()?;
    let (mut first, mut later) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        let dir = edfi_blackbox::fresh_dir(&root.join(format!("target/bench/startup-{run}")))
            .map_err(|e| e.to_string())?;
        let port = edfi_blackbox::free_port().map_err(|e| e.to_string())?;
        let server = crate::workerd::start_api(root, &dir, port, &[], None)?;
        let mut connection = Connection::new(server.port);
        first.push(milliseconds(&mut connection)?);
        let times: Result<Vec<f64>> = (0..LATER_REQUESTS).map(|_| milliseconds(&mut connection)).collect();
        later.push(median(times?));
    }
    let (first, later) = (median(first), median(later));
    println!("model load in a new isolate (workerd, median of {RUNS} starts): first data-path request {first:.1} ms, later ones {later:.2} ms: {:.1} ms", first - later);
    for file in ["index_bg.wasm", "index.js"] {
        let path = root.join("edge/build").join(file);
        let raw = std::fs::metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?.len();
        println!("edge/build/{file}: {raw} bytes raw, {} gzip -9", gzip_size(&path)?);
    }
    Ok(())
}
