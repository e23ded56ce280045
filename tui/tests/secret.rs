//! The binary's handling of the secret, as a script or a person meets it: where it may come
//! from, what `--secret` earns, and that nothing it prints shows the secret.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const SECRET: &str = "Zx9-hunter2-s3cr3t";

/// `edfi-admin load` of a directory that does not exist: it gets as far as the credentials and
/// then fails on the directory, with no network involved. No config file but `config`'s.
fn load(home: &Path, args: &[&str], secret_variable: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_edfi-admin"));
    command
        .args(["load", "/nonexistent/interchange", "--url", "http://127.0.0.1:9", "--key", "k"])
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env_remove("EDFI_SECRET")
        .env_remove("EDFI_KEY")
        .env_remove("EDFI_URL")
        .stdin(Stdio::null());
    if let Some(secret) = secret_variable {
        command.env("EDFI_SECRET", secret);
    }
    command.output().expect("edfi-admin runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn said(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), stderr(output))
}

#[test]
fn the_secret_in_the_environment_is_taken_without_a_warning() {
    let home = tempfile::tempdir().unwrap();
    let output = load(home.path(), &[], Some(SECRET));
    let said = said(&output);
    assert!(said.contains("/nonexistent/interchange"), "got past the credentials: {said}");
    assert!(!said.contains("warning") && !said.contains(SECRET), "{said}");
}

#[test]
fn the_secret_on_the_command_line_still_works_but_warns_that_ps_shows_it() {
    let home = tempfile::tempdir().unwrap();
    let output = load(home.path(), &["--secret", SECRET], None);
    let said = said(&output);
    assert!(said.contains("warning: --secret puts the secret on the command line"), "{said}");
    assert!(said.contains("EDFI_SECRET") && said.contains("ps"), "{said}");
    assert!(said.contains("/nonexistent/interchange"), "and goes on: {said}");
    assert!(!said.contains(SECRET), "{said}");
}

#[test]
fn without_a_secret_and_without_a_terminal_it_says_where_to_give_one() {
    let home = tempfile::tempdir().unwrap();
    let output = load(home.path(), &[], None);
    assert_eq!(output.status.code(), Some(1));
    let said = said(&output);
    assert!(said.contains("give the client secret: in EDFI_SECRET"), "{said}");
    assert!(!said.contains("/nonexistent/interchange"), "stopped before the load: {said}");
}

fn write_config(home: &Path, text: &str, mode: u32) -> std::path::PathBuf {
    let dir = home.join("config/edfi-admin");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[test]
fn the_default_config_file_holding_the_secret_must_be_0600() {
    let home = tempfile::tempdir().unwrap();
    let path = write_config(home.path(), &format!("secret = \"{SECRET}\"\n"), 0o644);
    let output = load(home.path(), &[], None);
    assert_eq!(output.status.code(), Some(1));
    let said = said(&output);
    assert!(said.contains("holds the secret and other users can read it (mode 0644)"), "{said}");
    assert!(said.contains(&format!("chmod 600 {}", path.display())), "{said}");
    assert!(!said.contains(SECRET), "{said}");

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let said = self::said(&load(home.path(), &[], None));
    assert!(said.contains("/nonexistent/interchange"), "a private one is read: {said}");
}

#[test]
fn a_config_file_that_does_not_parse_never_shows_the_secret() {
    let home = tempfile::tempdir().unwrap();
    for text in [format!("secret = {SECRET}\n"), format!("key = \"k\"\nsecret \"{SECRET}\"\n")] {
        let path = write_config(home.path(), &text, 0o600);
        let output = load(home.path(), &["--config", path.to_str().unwrap()], None);
        assert_eq!(output.status.code(), Some(1));
        let said = said(&output);
        assert!(said.contains("config.toml: line "), "{said}");
        assert!(!said.contains(SECRET) && !said.contains("hunter2"), "{said}");
    }
}
