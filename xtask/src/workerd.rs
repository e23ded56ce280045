//! Running the built Worker on `workerd` itself (the runtime Cloudflare runs in production, from
//! the npm package wrangler depends on), without wrangler's dev proxy: `cargo xtask bench --workerd`.
//! No KV namespace is bound, so the edge read path falls back to the Durable Object.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Result;

/// A running `workerd serve`, killed (with its process group) when dropped.
pub struct Workerd {
    child: Child,
    pub port: u16,
}

/// What the generated config binds besides the Durable Objects.
pub struct Binding<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

/// Starts the API (`edge/build/`) on workerd, storing Durable Objects under `dir/do`, with the
/// inspector protocol (for CPU profiles) on `inspector_port` if one is given.
pub fn start_api(
    root: &Path,
    dir: &Path,
    port: u16,
    vars: &[Binding],
    inspector_port: Option<u16>,
) -> Result<Workerd> {
    for file in ["index.js", "index_bg.wasm"] {
        std::fs::copy(root.join("edge/build").join(file), dir.join(file))
            .map_err(|e| format!("{file}: {e}"))?;
    }
    std::fs::create_dir_all(dir.join("do")).map_err(|e| e.to_string())?;
    let bindings: Vec<String> = vars
        .iter()
        .map(|b| format!("(name = {:?}, text = {:?})", b.name, b.text))
        .chain([
            "(name = \"INSTANCE_STORE\", durableObjectNamespace = \"InstanceStore\")".to_owned(),
            "(name = \"CLIENT_DIRECTORY\", durableObjectNamespace = \"ClientDirectory\")".to_owned(),
        ])
        .collect();
    let config = format!(
        r#"using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .api), (name = "do-disk", disk = (path = {do_dir:?}, writable = true)) ],
  sockets = [ (name = "http", address = "127.0.0.1:{port}", http = (), service = "main") ],
);
const api :Workerd.Worker = (
  modules = [ (name = "index.js", esModule = embed "index.js"), (name = "index_bg.wasm", wasm = embed "index_bg.wasm") ],
  compatibilityDate = "2025-09-01",
  bindings = [ {bindings} ],
  durableObjectNamespaces = [
    (className = "InstanceStore", uniqueKey = "edfi-instance-store", enableSql = true),
    (className = "ClientDirectory", uniqueKey = "edfi-client-directory", enableSql = true),
  ],
  durableObjectStorage = (localDisk = "do-disk"),
);
"#,
        do_dir = dir.join("do").display().to_string(),
        bindings = bindings.join(", ")
    );
    start(root, dir, port, &config, inspector_port)
}

/// Starts the bare JavaScript Worker of `xtask/bare-worker/` on workerd, with its SQLite object
/// (the runtime's ceiling for the API's request path) stored under `dir/do`.
pub fn start_bare(root: &Path, dir: &Path, port: u16) -> Result<Workerd> {
    std::fs::copy(root.join("xtask/bare-worker/index.js"), dir.join("bare.js")).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir.join("do")).map_err(|e| e.to_string())?;
    let config = format!(
        r#"using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .bare), (name = "do-disk", disk = (path = {do_dir:?}, writable = true)) ],
  sockets = [ (name = "http", address = "127.0.0.1:{port}", http = (), service = "main") ],
);
const bare :Workerd.Worker = (
  modules = [ (name = "bare.js", esModule = embed "bare.js") ],
  compatibilityDate = "2025-09-01",
  bindings = [ (name = "ITEMS", durableObjectNamespace = "Items") ],
  durableObjectNamespaces = [ (className = "Items", uniqueKey = "edfi-bench-items", enableSql = true) ],
  durableObjectStorage = (localDisk = "do-disk"),
);
"#,
        do_dir = dir.join("do").display().to_string(),
    );
    start(root, dir, port, &config, None)
}

fn start(root: &Path, dir: &Path, port: u16, config: &str, inspector_port: Option<u16>) -> Result<Workerd> {
    let config_path: PathBuf = dir.join(format!("config-{port}.capnp"));
    std::fs::write(&config_path, config).map_err(|e| e.to_string())?;
    let binary = root.join("node_modules/@cloudflare/workerd-linux-64/bin/workerd");
    let log = std::fs::File::create(dir.join(format!("workerd-{port}.log"))).map_err(|e| e.to_string())?;
    let mut command = Command::new(&binary);
    command
        .current_dir(dir)
        .args(["serve", "--experimental"])
        .args(inspector_port.map(|p| format!("--inspector-addr=127.0.0.1:{p}")))
        .arg(&config_path)
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log);
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let child = command.spawn().map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let mut server = Workerd { child, port };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !answers(port) {
        if Instant::now() > deadline || matches!(server.child.try_wait(), Ok(Some(_))) {
            server.stop();
            return Err(format!(
                "workerd did not start; see {}",
                dir.join(format!("workerd-{port}.log")).display()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(server)
}

fn answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = [0u8; 12];
    stream.write_all(b"GET / HTTP/1.0\r\n\r\n").is_ok() && matches!(stream.read(&mut head), Ok(n) if n >= 9)
}

impl Workerd {
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn process_group(&self) -> u32 {
        self.child.id()
    }

    fn stop(&mut self) {
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", self.child.id())]).status();
        let _ = self.child.wait();
    }
}

impl Drop for Workerd {
    fn drop(&mut self) {
        self.stop();
    }
}
