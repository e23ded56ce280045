//! The admin app's hold on the terminal and on its secrets, as a person meets them in tmux: a
//! real vi owns the terminal while it edits, the editor's file is private, and the secret is
//! asked for without echo and never on a command line.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::admin_app::{instance_with_student, secret_file, Tmux};
use crate::support::base_url;

fn binary() -> String {
    std::env::var("EDFI_ADMIN_BIN").expect("EDFI_ADMIN_BIN: run with `cargo xtask test`")
}

/// A real vi: vim (without the user's vimrc or viminfo), else vi, else busybox's.
fn vi() -> String {
    let has = |name: &str| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            .is_ok_and(|out| out.status.success())
    };
    if has("vim") {
        "vim -u NONE -i NONE -N".to_owned()
    } else if has("vi") {
        "vi".to_owned()
    } else if has("busybox") {
        "busybox vi".to_owned()
    } else {
        panic!("no vi on this machine (vim, vi or busybox): apt-get install vim-tiny")
    }
}

/// A fresh directory of the test's own.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    dir
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().permissions().mode() & 0o777
}

/// Every process's command line and environment, by pid, as far as they can be read.
fn processes() -> Vec<(String, Vec<u8>, Vec<u8>)> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        all.push((pid, cmdline, environ));
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle.as_bytes())
}

fn no_command_line_shows(secret: &str) {
    for (pid, cmdline, _) in processes() {
        assert!(!contains(&cmdline, secret), "process {pid} has the secret on its command line");
    }
}

/// The external editor owns the terminal while it runs. A real vi in tmux is sent keys that mean
/// something to the app (Ctrl-S saves, q quits, a applies a merge, y, n, d) and the edit; the
/// app takes none of them: the item is saved once, with exactly the edit made in vi, and the
/// app is still running afterwards. Meanwhile the file vi edits is 0600 in 0700 directories, no
/// command line shows the secret, and vi's environment does not hold it.
#[tokio::test]
async fn a_person_edits_in_vi_and_the_app_takes_none_of_the_keys_typed_into_it() {
    let (key, secret, api, path) = instance_with_student("tui-vi").await;
    let session = format!("edfi-admin-vi-{}", std::process::id());
    let dir = fresh_dir(&session);
    let runtime = dir.join("runtime");
    std::fs::create_dir(&runtime).unwrap();
    let secret_file = secret_file(&session, &secret);
    let command = format!(
        "cd {dir} && EDFI_ADMIN_STATE={dir}/state XDG_RUNTIME_DIR={runtime} XDG_CONFIG_HOME={dir}/config \
         EDFI_SECRET=$(cat {secret_file}) VISUAL= EDITOR='{vi}' {binary} --url={url} --key={key}; \
         echo edfi-admin exited $?; sleep 60",
        secret_file = secret_file.display(),
        dir = dir.display(),
        runtime = runtime.display(),
        vi = vi(),
        binary = binary(),
        url = base_url(),
    );
    let tmux = Tmux { session };
    tmux.run(&["new-session", "-d", "-s", &tmux.session, "-x", "140", "-y", "40", &command]);
    tmux.wait_for("Student Enrollment (7)");
    tmux.keys(&[":", "students", "Enter"]);
    tmux.wait_for("(1 of 1)");
    tmux.keys(&["Enter"]);
    tmux.wait_for("ETag");
    let (opened, opened_etag) = api.current(&path).await.unwrap();

    // `e` opens vi on the item.
    tmux.keys(&["e"]);
    tmux.wait_for("edfi-admin-");
    tmux.wait_for("\"studentUniqueId\"");

    // The file vi edits: 0600, in a directory of its own (0700) in the app's (0700).
    let base = runtime.join("edfi-admin");
    let edits: Vec<PathBuf> = std::fs::read_dir(&base).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(edits.len(), 1, "{edits:?}");
    let files: Vec<PathBuf> = std::fs::read_dir(&edits[0])
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!((mode(&base), mode(&edits[0]), mode(&files[0])), (0o700, 0o700, 0o600));
    let in_file: Value = serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    assert_eq!(in_file["firstName"], "Ana");

    // No command line holds the secret, and the editor was not given it.
    no_command_line_shows(&secret);
    let file_name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    let editors: Vec<_> =
        processes().into_iter().filter(|(_, cmdline, _)| contains(cmdline, &file_name)).collect();
    assert!(!editors.is_empty(), "the editor's process is found by its file");
    for (pid, _, environ) in &editors {
        assert!(!contains(environ, "EDFI_SECRET"), "process {pid} (the editor) has EDFI_SECRET");
    }

    // Keys that would save, quit or answer in the app, typed into vi's normal mode (harmless
    // there: an empty macro recorded, insert mode entered and left, a yank and a search given up).
    tmux.keys(&["C-s", "q", "q", "q", "a", "Escape", "y", "Escape", "n", "C-s", "d", "Escape", "C-s"]);
    std::thread::sleep(Duration::from_millis(500));
    let screen = tmux.screen();
    assert!(!screen.contains("ETag") && !screen.contains("Saved"), "the app did not draw over vi:\n{screen}");
    // The edit, made in vi: a new first name, then the same keys typed into it, where any that
    // the app took would be missing.
    tmux.keys(&[":%s/\"Ana\"/\"Vimmed\"/", "Enter", "/Vimmed", "Enter", "a"]);
    let typed = "qynda".repeat(4);
    for key in typed.chars() {
        tmux.keys(&[&key.to_string()]);
    }
    tmux.keys(&["Escape", ":wq", "Enter"]);
    tmux.wait_for("Saved.");

    // Saved once, exactly as edited in vi.
    let (stored, etag) = api.current(&path).await.unwrap();
    assert_ne!(etag, opened_etag);
    let mut expected = edfi_admin::merge::content(&opened);
    expected["firstName"] = format!("V{typed}immed").into();
    assert_eq!(edfi_admin::merge::content(&stored), expected);
    let id = path.rsplit('/').next().unwrap();
    let history = api.get(&format!("/admin/v1/history/students/{id}"), &[]).await.json();
    let versions = history.as_array().expect("the item's versions");
    assert_eq!(versions.len(), 2, "created, then saved once: {history}");

    // The app goes on, reading keys again, and quits when asked.
    tmux.keys(&["Escape"]);
    tmux.wait_for("(1 of 1)");
    tmux.keys(&["Escape", "q"]);
    tmux.wait_for("edfi-admin exited 0");
    let left: Vec<_> = std::fs::read_dir(&base).unwrap().collect();
    assert!(left.is_empty(), "the edit's directory is gone, vi's swap file with it: {left:?}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&secret_file);
}

/// With no secret given, the app asks for it at the terminal without echoing it, and goes on
/// with it; no command line ever holds it.
#[tokio::test]
async fn a_person_is_asked_for_the_secret_and_it_is_not_echoed() {
    let (key, secret, _api, _path) = instance_with_student("tui-prompt").await;
    let session = format!("edfi-admin-prompt-{}", std::process::id());
    let dir = fresh_dir(&session);
    let command = format!(
        "cd {dir} && env -u EDFI_SECRET HOME={dir} XDG_CONFIG_HOME={dir}/config EDFI_ADMIN_STATE={dir}/state \
         VISUAL= EDITOR= {binary} --url={url} --key={key}; echo edfi-admin exited $?; sleep 60",
        dir = dir.display(),
        binary = binary(),
        url = base_url(),
    );
    let tmux = Tmux { session };
    tmux.run(&["new-session", "-d", "-s", &tmux.session, "-x", "140", "-y", "40", &command]);
    // (tmux drops the prompt's trailing space.)
    tmux.wait_for(&format!("Secret of client {key} at {}:", base_url()));
    tmux.run(&["send-keys", "-t", &tmux.session, "-l", &secret]);
    std::thread::sleep(Duration::from_millis(300));
    let screen = tmux.screen();
    assert!(!screen.contains(&secret), "the secret is not echoed:\n{screen}");
    no_command_line_shows(&secret);
    tmux.keys(&["Enter"]);
    tmux.wait_for("Student Enrollment (7)");
    no_command_line_shows(&secret);
    tmux.keys(&["q"]);
    tmux.wait_for("edfi-admin exited 0");
    let _ = std::fs::remove_dir_all(&dir);
}

/// An administrator loads Ed-Fi's default descriptors from the app: the Load screen shows each
/// resource's progress as it goes, `x` stops the load, the journal (0600 in the app's private
/// state directory) holds what was answered, and `:load` of the same directory continues it to
/// an account where every record is in the API exactly once.
#[tokio::test]
async fn a_person_loads_interchange_files_in_the_app_stops_and_continues() {
    let (key, secret, _api, _path) = instance_with_student("tui-load").await;
    let session = format!("edfi-admin-load-{}", std::process::id());
    let dir = fresh_dir(&session);
    let secret_file = secret_file(&session, &secret);
    let root = PathBuf::from(std::env::var("EDFI_ROOT").expect("EDFI_ROOT: run with `cargo xtask test`"));
    let descriptors = root.join("../shared/edfi/descriptors").canonicalize().unwrap();
    let in_files = |element: &str| {
        std::fs::read_dir(&descriptors)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .map(|text| text.matches(&format!("<{element}>")).count())
            .sum::<usize>()
    };
    let (grade_levels, records) = (in_files("GradeLevelDescriptor"), in_files("CodeValue"));
    assert!(grade_levels > 0 && records > 1000, "{grade_levels} grade levels of {records}");
    let command = format!(
        "cd {dir} && EDFI_ADMIN_STATE={dir}/state XDG_CONFIG_HOME={dir}/config EDFI_SECRET=$(cat {secret_file}) \
         VISUAL= EDITOR= {binary} --url={url} --key={key}; echo edfi-admin exited $?; sleep 60",
        secret_file = secret_file.display(),
        dir = dir.display(),
        binary = binary(),
        url = base_url(),
    );
    let tmux = Tmux { session };
    tmux.run(&["new-session", "-d", "-s", &tmux.session, "-x", "140", "-y", "40", &command]);
    tmux.wait_for("Student Enrollment (7)");
    let load = format!("load {}", descriptors.display());
    tmux.keys(&[":"]);
    tmux.run(&["send-keys", "-t", &tmux.session, "-l", &load]);
    tmux.keys(&["Enter"]);
    tmux.wait_for_within("sending", Duration::from_secs(60));
    tmux.keys(&["x"]);
    tmux.wait_for("The load was stopped");
    let stopped = tmux.screen();
    assert!(stopped.contains("load ended early"), "{stopped}");

    // The journal: in the state directory's loads, private, holding part of the load.
    let loads = dir.join("state/loads");
    let journals: Vec<PathBuf> = std::fs::read_dir(&loads).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(journals.len(), 1, "{journals:?}");
    assert_eq!((mode(&dir.join("state")), mode(&loads), mode(&journals[0])), (0o700, 0o700, 0o600));
    let answered = std::fs::read_to_string(&journals[0]).unwrap().lines().count() - 2;
    assert!(answered < records, "stopped before the end: {answered} of {records}");

    // Continued: what was answered is not sent again, and the account is clean.
    tmux.keys(&[":"]);
    tmux.run(&["send-keys", "-t", &tmux.session, "-l", &load]);
    tmux.keys(&["Enter"]);
    tmux.wait_for_within("load finished", Duration::from_secs(300));
    let finished = tmux.screen();
    assert!(finished.contains("continuing an interrupted load"), "{finished}");
    assert!(finished.contains("everything is in the API."), "{finished}");
    // A new connection: the first one sat idle while tmux was waited on, and may be closed.
    let api = crate::support::Api::connect(base_url(), &format!("tui-load-{}", std::process::id())).await;
    let reply = api.get("/data/v3/ed-fi/gradeLevelDescriptors?limit=0&totalCount=true", &[]).await;
    assert_eq!(reply.header("Total-Count"), Some(grade_levels.to_string().as_str()), "each exactly once");
    tmux.keys(&["Escape", "q"]);
    tmux.wait_for("edfi-admin exited 0");
    let _ = std::fs::remove_dir_all(&dir);
}
