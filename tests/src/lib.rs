//! Running a real `wrangler dev` for the black-box tests (and for `cargo xtask`), and checking
//! recorded histories for linearizability.
//!
//! Std only, so `xtask` can use it without pulling in the test client's dependencies.

pub mod linearizability;

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Environment that keeps `wrangler dev` quiet and offline (see shared/notes/toolchain.md).
pub const WRANGLER_ENV: [(&str, &str); 4] = [
    ("WRANGLER_SEND_METRICS", "false"),
    ("CLOUDFLARE_CF_FETCH_ENABLED", "false"),
    ("X_LOCAL_OBSERVABILITY", "false"),
    ("X_LOCAL_EXPLORER", "false"),
];

/// Set for `wrangler dev` when the Worker is already built, so its `[build] command` is skipped.
pub const PREBUILT_ENV: &str = "EDFI_WORKER_PREBUILT";

/// How to start one `wrangler dev`.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The repository root (where `wrangler.toml` is).
    pub root: PathBuf,
    /// The Node binary that runs wrangler (≥ 22.12).
    pub node: PathBuf,
    pub port: u16,
    /// Durable Object state lives here and survives restarts.
    pub persist_dir: PathBuf,
    /// `[vars]` overrides, passed as `--var NAME:VALUE`.
    pub vars: Vec<(String, String)>,
    /// Where wrangler's output goes; `None` inherits the terminal.
    pub log_file: Option<PathBuf>,
    /// Skip the `[build] command` because the Worker was built already.
    pub prebuilt: bool,
    /// Run in a process group of its own, so [`WranglerServer::stop`] reaches workerd too. Off for
    /// an interactive server, which must share the terminal's group to receive Ctrl-C.
    pub own_process_group: bool,
    /// Another `wrangler.toml` than the root's (the bench's bare Worker).
    pub config_file: Option<PathBuf>,
}

impl ServerConfig {
    /// A prebuilt Worker, logging to the terminal, in a process group of its own, no `[vars]`
    /// overrides.
    pub fn new(root: PathBuf, node: PathBuf, port: u16, persist_dir: PathBuf) -> Self {
        Self {
            root,
            node,
            port,
            persist_dir,
            vars: Vec::new(),
            log_file: None,
            prebuilt: true,
            own_process_group: true,
            config_file: None,
        }
    }

    /// A config from the environment `cargo xtask test` sets for the black-box suite, with a new
    /// free port and the given state directory.
    pub fn from_test_env(persist_dir: PathBuf) -> Result<Self, String> {
        let var = |name: &str| {
            std::env::var_os(name)
                .map(PathBuf::from)
                .ok_or_else(|| format!("{name} is not set: run the black-box tests with `cargo xtask test`"))
        };
        let root = var("EDFI_ROOT")?;
        let port = free_port().map_err(|e| e.to_string())?;
        let log_file = root.join("target").join(format!("wrangler-{port}.log"));
        let vars = Secrets::from_env()?.vars();
        Ok(Self { log_file: Some(log_file), vars, ..Self::new(root, var("EDFI_NODE")?, port, persist_dir) })
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// A running `wrangler dev`, stopped (with its workerd) when dropped.
pub struct WranglerServer {
    child: Child,
    config: ServerConfig,
}

impl WranglerServer {
    /// Starts wrangler and waits until it answers HTTP, for at most `timeout`.
    pub fn start(config: ServerConfig, timeout: Duration) -> Result<Self, String> {
        let wrangler = config.root.join("node_modules/wrangler/bin/wrangler.js");
        let port = config.port.to_string();
        let inspector_port = free_port().map_err(|e| e.to_string())?.to_string();
        let mut command = Command::new(&config.node);
        command
            .current_dir(&config.root)
            .arg(&wrangler)
            .args(["dev", "--ip", "127.0.0.1", "--port", &port, "--inspector-port", &inspector_port])
            .arg("--persist-to")
            .arg(&config.persist_dir)
            .args(["--log-level", "warn"])
            .envs(WRANGLER_ENV)
            .stdin(Stdio::null());
        if let Some(file) = &config.config_file {
            command.arg("--config").arg(file);
        }
        for (name, value) in &config.vars {
            command.arg("--var").arg(format!("{name}:{value}"));
        }
        if config.prebuilt {
            command.env(PREBUILT_ENV, "1");
        }
        if let Some(log) = &config.log_file {
            let file = File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
            let err = file.try_clone().map_err(|e| e.to_string())?;
            command.stdout(file).stderr(err);
        }
        #[cfg(unix)]
        if config.own_process_group {
            std::os::unix::process::CommandExt::process_group(&mut command, 0);
        }
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {} {}: {e}", config.node.display(), wrangler.display()))?;
        let mut server = Self { child, config };
        server.wait_ready(timeout)?;
        Ok(server)
    }

    pub fn base_url(&self) -> String {
        self.config.base_url()
    }

    /// The process group wrangler and workerd run in (when started with `own_process_group`).
    pub fn process_group(&self) -> u32 {
        self.child.id()
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("wrangler dev exited early ({status}).{}", self.log_tail()));
            }
            if http_answers(self.config.port) {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.stop();
                return Err(format!("wrangler dev did not answer within {timeout:?}.{}", self.log_tail()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_tail(&self) -> String {
        let Some(log) = &self.config.log_file else {
            return String::new();
        };
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!("\n--- {} ---\n{}", log.display(), tail.join("\n"))
    }

    /// Stops wrangler and workerd gracefully (SIGTERM to the process group).
    pub fn stop(&mut self) {
        self.signal("TERM");
    }

    /// Kills wrangler and workerd at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        self.signal("KILL");
    }

    fn signal(&mut self, signal: &str) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let target = match self.config.own_process_group {
            true => format!("-{}", self.child.id()),
            false => self.child.id().to_string(),
        };
        let sent = Command::new("kill").args([&format!("-{signal}"), "--", &target]).status();
        if !matches!(sent, Ok(s) if s.success()) {
            let _ = self.child.kill();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                // Give workerd a moment to leave the port.
                wait_port_free(self.config.port, Duration::from_secs(5));
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for wrangler to exit by itself (used by `cargo xtask dev`).
    pub fn wait(&mut self) -> std::io::Result<std::process::ExitStatus> {
        self.child.wait()
    }
}

impl Drop for WranglerServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// True when the Worker on the port answers `GET /` with a 2xx: the API's discovery document and
/// the bench's bare Worker both answer it themselves, so a 2xx shows the runtime itself serving,
/// not only wrangler's proxy in front of it.
fn http_answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    if stream.write_all(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    matches!(stream.read(&mut head), Ok(n) if n >= 10 && head.starts_with(b"HTTP/1.") && head[9] == b'2')
}

fn wait_port_free(port: u16, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while TcpStream::connect(("127.0.0.1", port)).is_ok() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A new empty directory for one server's state.
pub fn fresh_dir(path: &Path) -> std::io::Result<PathBuf> {
    if path.exists() {
        std::fs::remove_dir_all(path)?;
    }
    std::fs::create_dir_all(path)?;
    Ok(path.to_path_buf())
}

/// The secrets one run's servers share: the token signing key and the administrator's credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Secrets {
    pub signing_key: String,
    pub admin_key: String,
    pub admin_secret: String,
}

impl Secrets {
    /// Fresh random secrets.
    pub fn generate() -> std::io::Result<Self> {
        Ok(Self {
            signing_key: random_hex(32)?,
            admin_key: format!("admin-{}", random_hex(4)?),
            admin_secret: random_hex(24)?,
        })
    }

    /// The secrets `cargo xtask test` passed to the test process.
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| {
            std::env::var(name)
                .map_err(|_| format!("{name} is not set: run the black-box tests with `cargo xtask test`"))
        };
        Ok(Self {
            signing_key: var("EDFI_SIGNING_KEY")?,
            admin_key: var("EDFI_ADMIN_KEY")?,
            admin_secret: var("EDFI_ADMIN_SECRET")?,
        })
    }

    /// As `wrangler dev --var` overrides.
    pub fn vars(&self) -> Vec<(String, String)> {
        vec![
            ("TOKEN_SIGNING_KEY".into(), self.signing_key.clone()),
            ("ADMIN_KEY".into(), self.admin_key.clone()),
            ("ADMIN_SECRET".into(), self.admin_secret.clone()),
        ]
    }

    /// As the environment of a test process ([`Secrets::from_env`] reads it back).
    pub fn env(&self) -> [(&'static str, &str); 3] {
        [
            ("EDFI_SIGNING_KEY", &self.signing_key),
            ("EDFI_ADMIN_KEY", &self.admin_key),
            ("EDFI_ADMIN_SECRET", &self.admin_secret),
        ]
    }
}

/// `bytes` random bytes from the operating system, as hex.
pub fn random_hex(bytes: usize) -> std::io::Result<String> {
    let mut buffer = vec![0u8; bytes];
    File::open("/dev/urandom")?.read_exact(&mut buffer)?;
    Ok(buffer.iter().map(|b| format!("{b:02x}")).collect())
}
