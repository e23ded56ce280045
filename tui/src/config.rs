//! Which API and which client: the URL and key from the command line, the environment or the
//! config file, and the secret from wherever it is safest to keep.
//!
//! The secret comes, first found first, from `--secret` (kept for scripts, with a warning: a
//! command line is visible to every user of the machine in `ps`), `$EDFI_SECRET`, the config
//! file, or a prompt that does not echo when standard input is a terminal. A config file that
//! holds the secret must be readable by its owner alone, and one that another user owns or can
//! change is refused whatever it holds (it names the API the secret is sent to). Nothing this
//! module says ever includes the secret, a config file's parse errors included.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The variable the secret can be given in.
pub const SECRET_VARIABLE: &str = "EDFI_SECRET";
pub const DEFAULT_URL: &str = "http://127.0.0.1:8787";

/// What the config file says (a TOML file with `url`, `key`, `secret`).
#[derive(Deserialize, Default, PartialEq, Eq)]
pub struct FileConfig {
    pub url: Option<String>,
    pub key: Option<String>,
    pub secret: Option<String>,
}

impl std::fmt::Debug for FileConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileConfig")
            .field("url", &self.url)
            .field("key", &self.key)
            .field("secret", &self.secret.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

/// The default config file: `edfi-admin/config.toml` in the user's config directory.
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("edfi-admin/config.toml"))
}

/// Reads the config file at `path` (`explicit`: named on the command line, so it must exist).
pub fn read_file(path: &Path, explicit: bool) -> Result<FileConfig, String> {
    let shown = path.display();
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => return Ok(FileConfig::default()),
        Err(e) => return Err(format!("{shown}: {e}")),
    };
    // The file as opened, not as named: checked and read through the same descriptor.
    let meta = file.metadata().map_err(|e| format!("{shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{shown} is not a file"));
    }
    let me = rustix::process::geteuid().as_raw();
    let mode = meta.mode() & 0o777;
    if meta.uid() != me {
        return Err(format!(
            "{shown} belongs to user {}, not to you ({me}): it names the API your secret is sent to, \
             so edfi-admin reads only a config file of your own",
            meta.uid()
        ));
    }
    if mode & 0o022 != 0 {
        return Err(format!(
            "{shown} can be changed by other users (mode {mode:04o}): it names the API your secret is \
             sent to. Run: chmod 600 {shown}"
        ));
    }
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(|e| format!("{shown}: {e}"))?;
    let config = parse(&text).map_err(|e| format!("{shown}: {e}"))?;
    if config.secret.is_some() && mode & 0o077 != 0 {
        return Err(format!(
            "{shown} holds the secret and other users can read it (mode {mode:04o}). Run: chmod 600 {shown}"
        ));
    }
    Ok(config)
}

/// Parses a config file's text. An error names the line and column and what is wrong, and never
/// shows the secret: not the text of a line that mentions it, and not its value anywhere.
pub fn parse(text: &str) -> Result<FileConfig, String> {
    toml::from_str(text).map_err(|error| {
        let (line, column) = error.span().map_or((0, 0), |span| line_and_column(text, span.start));
        let line_text = line.checked_sub(1).and_then(|at| text.lines().nth(at)).unwrap_or_default();
        let message = if line_text.to_ascii_lowercase().contains("secret") {
            "the secret is not written as it must be (secret = \"…\"; the line is not shown, it holds the secret)"
                .to_owned()
        } else {
            let mut message = error.message().trim().replace('\n', "; ");
            for value in secret_values(text) {
                message = message.replace(value, "<hidden>");
            }
            message
        };
        if line == 0 {
            message
        } else {
            format!("line {line}, column {column}: {message}")
        }
    })
}

/// The text of what each line setting `secret` sets it to, quotes or not.
fn secret_values(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter_map(|line| {
        let (name, value) = line.split_once('=')?;
        let name = name.trim().trim_matches(['"', '\'']).trim();
        if !name.eq_ignore_ascii_case("secret") {
            return None;
        }
        let value = value.trim().trim_matches(['"', '\'']).trim();
        (!value.is_empty()).then_some(value)
    })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Where the secret came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretFrom {
    Argument,
    Environment,
    File,
    Prompt,
}

/// What the command line gave, besides the subcommand.
#[derive(Default)]
pub struct Given {
    pub url: Option<String>,
    pub key: Option<String>,
    /// `--secret`.
    pub secret: Option<String>,
    /// `--config`.
    pub config: Option<PathBuf>,
}

/// The API and the client to use.
pub struct Credentials {
    pub url: String,
    pub key: String,
    pub secret: String,
    pub secret_from: SecretFrom,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("url", &self.url)
            .field("key", &self.key)
            .field("secret_from", &self.secret_from)
            .finish_non_exhaustive()
    }
}

/// What [`resolve`] can ask of the world: the secret's variable, and a prompt when standard
/// input is a terminal.
pub trait Asking {
    fn variable(&self) -> Option<String>;
    /// `None` when there is no terminal to ask at.
    fn prompt(&mut self, question: &str) -> Option<std::io::Result<String>>;
}

/// The process's own environment and terminal.
pub struct Process;

impl Asking for Process {
    fn variable(&self) -> Option<String> {
        std::env::var(SECRET_VARIABLE).ok()
    }

    fn prompt(&mut self, question: &str) -> Option<std::io::Result<String>> {
        use std::io::IsTerminal;
        // rpassword reads the terminal itself (/dev/tty) with echo off.
        std::io::stdin().is_terminal().then(|| rpassword::prompt_password(question))
    }
}

/// The warning `--secret` earns.
pub const ARGUMENT_WARNING: &str = "warning: --secret puts the secret on the command line, where every \
user of this machine can read it (ps, /proc); give it in EDFI_SECRET, in the config file (mode 0600), \
or leave it out to be asked for it";

/// Puts together the URL, key and secret from what was given, the environment and the config
/// file, asking for the secret as the last resort.
pub fn resolve(given: Given, asking: &mut impl Asking) -> Result<Credentials, String> {
    let file = match &given.config {
        Some(path) => read_file(path, true)?,
        None => match default_path() {
            Some(path) => read_file(&path, false)?,
            None => FileConfig::default(),
        },
    };
    let url = given.url.or(file.url).unwrap_or_else(|| DEFAULT_URL.to_owned());
    let Some(key) = given.key.or(file.key).filter(|key| !key.is_empty()) else {
        return Err("give a client key: --key, EDFI_KEY, or key in the config file".to_owned());
    };
    let nonempty = |secret: Option<String>| secret.filter(|s| !s.is_empty());
    let (secret, secret_from) = if let Some(secret) = nonempty(given.secret) {
        (secret, SecretFrom::Argument)
    } else if let Some(secret) = nonempty(asking.variable()) {
        (secret, SecretFrom::Environment)
    } else if let Some(secret) = nonempty(file.secret) {
        (secret, SecretFrom::File)
    } else {
        let question = format!("Secret of client {key} at {url}: ");
        match asking.prompt(&question) {
            Some(Ok(secret)) if !secret.is_empty() => (secret, SecretFrom::Prompt),
            Some(Ok(_)) => return Err("no secret was given".to_owned()),
            Some(Err(e)) => return Err(format!("cannot read the secret: {e}")),
            None => {
                return Err(format!(
                    "give the client secret: in {SECRET_VARIABLE}, in the config file (mode 0600), \
                     or run in a terminal to be asked for it"
                ))
            }
        }
    };
    Ok(Credentials { url, key, secret, secret_from })
}

#[cfg(test)]
mod tests {
    use std::fs::Permissions;
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    const SECRET: &str = "Zx9-hunter2-s3cr3t";

    /// An environment and terminal for [`resolve`]: the variable, and what the person types.
    #[derive(Default)]
    struct Asked {
        variable: Option<String>,
        typed: Option<String>,
        asked: Vec<String>,
    }

    impl Asking for Asked {
        fn variable(&self) -> Option<String> {
            self.variable.clone()
        }

        fn prompt(&mut self, question: &str) -> Option<std::io::Result<String>> {
            self.asked.push(question.to_owned());
            self.typed.clone().map(Ok)
        }
    }

    fn config_file(text: &str, mode: u32) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, Permissions::from_mode(mode)).unwrap();
        (dir, path)
    }

    fn given(config: &Path) -> Given {
        Given { config: Some(config.to_owned()), ..Given::default() }
    }

    #[test]
    fn a_private_config_file_gives_url_key_and_secret() {
        let (_dir, path) =
            config_file(&format!("url = \"http://h:1\"\nkey = \"k\"\nsecret = \"{SECRET}\"\n"), 0o600);
        let credentials = resolve(given(&path), &mut Asked::default()).unwrap();
        assert_eq!(
            (credentials.url.as_str(), credentials.key.as_str(), credentials.secret.as_str()),
            ("http://h:1", "k", SECRET)
        );
        assert_eq!(credentials.secret_from, SecretFrom::File);
        assert!(!format!("{credentials:?}").contains(SECRET));
        // 0400 is as private.
        std::fs::set_permissions(&path, Permissions::from_mode(0o400)).unwrap();
        assert!(read_file(&path, true).is_ok());
    }

    #[test]
    fn a_config_file_others_can_read_is_refused_when_it_holds_the_secret() {
        for mode in [0o640, 0o604, 0o644] {
            let (_dir, path) = config_file(&format!("key = \"k\"\nsecret = \"{SECRET}\"\n"), mode);
            let error = resolve(given(&path), &mut Asked::default()).unwrap_err();
            assert!(error.contains("holds the secret and other users can read it"), "{error}");
            assert!(error.contains(&format!("chmod 600 {}", path.display())), "{error}");
            assert!(!error.contains(SECRET), "{error}");
        }
        // Without a secret it can be read by others.
        let (_dir, path) = config_file("url = \"http://h:1\"\nkey = \"k\"\n", 0o644);
        let asked = &mut Asked { variable: Some(SECRET.into()), ..Asked::default() };
        assert_eq!(resolve(given(&path), asked).unwrap().secret_from, SecretFrom::Environment);
    }

    #[test]
    fn a_config_file_others_can_change_is_refused_whatever_it_holds() {
        for mode in [0o620, 0o602, 0o666] {
            let (_dir, path) = config_file("url = \"http://elsewhere\"\n", mode);
            let error = read_file(&path, true).unwrap_err();
            assert!(error.contains("can be changed by other users"), "{error}");
        }
    }

    #[test]
    fn a_config_file_of_another_user_is_refused() {
        if !rustix::process::geteuid().is_root() {
            eprintln!("skipped: only root can give a file to another user");
            return;
        }
        let (_dir, path) = config_file("key = \"k\"\n", 0o600);
        std::os::unix::fs::chown(&path, Some(65534), None).unwrap();
        let error = read_file(&path, true).unwrap_err();
        assert!(error.contains("belongs to user 65534"), "{error}");
    }

    #[test]
    fn a_missing_default_file_is_nothing_but_a_missing_named_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("none.toml");
        assert_eq!(read_file(&path, false).unwrap(), FileConfig::default());
        assert!(read_file(&path, true).unwrap_err().contains("none.toml"));
        assert!(read_file(dir.path(), true).is_err(), "a directory is not a config file");
    }

    #[test]
    fn a_parse_error_never_shows_the_secret() {
        let bad = [
            // A bare word, an integer (serde quotes a wrong value), no `=`, an unclosed string.
            format!("key = \"k\"\nsecret = {SECRET}\n"),
            "key = \"k\"\nsecret = 84512963\n".to_owned(),
            format!("key = \"k\"\nsecret \"{SECRET}\"\n"),
            format!("key = \"k\"\nsecret = \"\"\"{SECRET}\n"),
            format!("key = \"k\"\nSecret = '{SECRET}\n"),
            // The secret's line is fine, another's is not: the secret is still not shown.
            format!("secret = \"{SECRET}\"\nurl = [\"{SECRET}\"]\n"),
            format!("secret = \"{SECRET}\"\nurl = {SECRET}\n"),
        ];
        for text in bad {
            let (_dir, path) = config_file(&text, 0o600);
            let error = read_file(&path, true).unwrap_err();
            assert!(!error.contains(SECRET) && !error.contains("84512963"), "{text:?} gave {error}");
            assert!(!error.contains("hunter2"), "{error}");
            assert!(error.starts_with(&format!("{}: ", path.display())), "{error}");
            assert!(error.contains(": line "), "the line is named: {error}");
        }
    }

    #[test]
    fn a_parse_error_elsewhere_says_what_is_wrong() {
        let error = parse("key = \"k\"\nurl = 8787\n").unwrap_err();
        assert!(error.starts_with("line 2, column 7: "), "{error}");
        assert!(error.contains("invalid type: integer `8787`, expected a string"), "{error}");
        let error = parse("key = \"k\"\nurl = \n").unwrap_err();
        assert!(error.starts_with("line 2"), "{error}");
    }

    #[test]
    fn the_secret_is_taken_first_from_the_argument_then_the_variable_then_the_file_then_asked() {
        let (_dir, path) = config_file("key = \"k\"\nsecret = \"from-file\"\n", 0o600);
        let both =
            || Asked { variable: Some("from-env".into()), typed: Some("typed".into()), ..Asked::default() };
        let argument = Given { secret: Some("from-arg".into()), ..given(&path) };
        let credentials = resolve(argument, &mut both()).unwrap();
        assert_eq!(
            (credentials.secret.as_str(), credentials.secret_from),
            ("from-arg", SecretFrom::Argument)
        );
        let credentials = resolve(given(&path), &mut both()).unwrap();
        assert_eq!(
            (credentials.secret.as_str(), credentials.secret_from),
            ("from-env", SecretFrom::Environment)
        );
        let mut asked = Asked { typed: Some("typed".into()), ..Asked::default() };
        let credentials = resolve(given(&path), &mut asked).unwrap();
        assert_eq!((credentials.secret.as_str(), credentials.secret_from), ("from-file", SecretFrom::File));
        assert!(asked.asked.is_empty());

        let (_dir, path) = config_file("url = \"http://h:1\"\nkey = \"k\"\n", 0o600);
        let mut asked = Asked { typed: Some("typed".into()), ..Asked::default() };
        let credentials = resolve(given(&path), &mut asked).unwrap();
        assert_eq!((credentials.secret.as_str(), credentials.secret_from), ("typed", SecretFrom::Prompt));
        assert_eq!(asked.asked, ["Secret of client k at http://h:1: "]);
    }

    #[test]
    fn without_a_secret_or_a_terminal_the_error_says_where_to_put_it() {
        let (_dir, path) = config_file("key = \"k\"\n", 0o600);
        let error = resolve(given(&path), &mut Asked::default()).unwrap_err();
        assert!(error.contains("EDFI_SECRET") && error.contains("0600"), "{error}");
        let mut asked = Asked { typed: Some(String::new()), ..Asked::default() };
        assert_eq!(resolve(given(&path), &mut asked).unwrap_err(), "no secret was given");
        let (_dir, path) = config_file("url = \"http://h:1\"\n", 0o600);
        let error = resolve(given(&path), &mut Asked::default()).unwrap_err();
        assert!(error.contains("client key"), "{error}");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let config = parse(&format!("secret = \"{SECRET}\"")).unwrap();
        assert!(!format!("{config:?}").contains(SECRET));
    }
}
