//! The resources opened last, kept per API in the user's state directory between runs:
//! `<state>/recent/<api>.json`, the directory `0700` and the file `0600` (resource names say
//! what an administrator works on), replaced whole by a rename so a reader never sees half a
//! file, even with two apps open on one API.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// `$EDFI_ADMIN_STATE`, else `edfi-admin` in the user's state (or local data) directory.
pub fn state_dir() -> PathBuf {
    std::env::var_os("EDFI_ADMIN_STATE")
        .map(PathBuf::from)
        .or_else(|| dirs::state_dir().or_else(dirs::data_local_dir).map(|d| d.join("edfi-admin")))
        .unwrap_or_else(|| std::env::temp_dir().join("edfi-admin"))
}

#[derive(Serialize, Deserialize)]
struct RecentFile {
    url: String,
    recent: Vec<String>,
}

/// The file of one API's recent resources under `dir`: the URL with every character but
/// letters, digits, `.` and `-` as `_` (`http___127.0.0.1_8787.json`).
fn file_for(dir: &Path, url: &str) -> PathBuf {
    let name: String = url
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' })
        .collect();
    dir.join("recent").join(format!("{name}.json"))
}

/// The recent resources of the API at `url`, latest first; none if there is no readable file.
pub fn load(url: &str) -> Vec<String> {
    load_from(&state_dir(), url)
}

pub fn save(url: &str, names: &[String]) -> std::io::Result<()> {
    save_to(&state_dir(), url, names)
}

fn load_from(dir: &Path, url: &str) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(file_for(dir, url)) else { return Vec::new() };
    match serde_json::from_str::<RecentFile>(&text) {
        // Two URLs can share a file name; the file says whose it is.
        Ok(file) if file.url == url => file.recent,
        _ => Vec::new(),
    }
}

fn save_to(dir: &Path, url: &str, names: &[String]) -> std::io::Result<()> {
    let path = file_for(dir, url);
    let parent = path.parent().expect("a directory");
    private_dir(parent)?;
    let text = serde_json::to_string_pretty(&RecentFile { url: url.to_owned(), recent: names.to_vec() })
        .map_err(std::io::Error::other)?;
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let temporary = parent.join(format!(".recent-{}-{nanos}.tmp", std::process::id()));
    let written = private_file(&temporary).and_then(|mut file| {
        file.write_all(text.as_bytes())?;
        file.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&temporary, &path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&temporary);
            Err(e)
        }
    }
}

/// Creates `dir` (and any missing parent) readable by the user alone, and makes it so if it
/// already was there.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("edfi-admin-recent-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn recent_resources_round_trip_per_api() {
        let dir = scratch("round-trip");
        let api = "http://127.0.0.1:8787";
        assert!(load_from(&dir, api).is_empty(), "nothing yet");
        let names = vec!["students".to_owned(), "schools".to_owned()];
        save_to(&dir, api, &names).unwrap();
        assert_eq!(load_from(&dir, api), names);
        save_to(&dir, api, &names[1..]).unwrap();
        assert_eq!(load_from(&dir, api), ["schools"], "replaced whole");
        assert!(load_from(&dir, "https://other.example.org").is_empty(), "another API's list is its own");
        // A file named like this API's but written for another URL is not taken.
        save_to(&dir, "http://127.0.0.1_8787", &names).unwrap();
        assert!(load_from(&dir, api).is_empty());
        let leftovers: Vec<_> = std::fs::read_dir(dir.join("recent"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_the_users_alone() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = scratch("private");
        std::fs::create_dir_all(dir.join("recent")).unwrap();
        std::fs::set_permissions(dir.join("recent"), std::fs::Permissions::from_mode(0o755)).unwrap();
        save_to(&dir, "http://x", &["students".to_owned()]).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.join("recent")), 0o700, "an existing directory is made private");
        assert_eq!(mode(&file_for(&dir, "http://x")), 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unreadable_file_is_no_list() {
        let dir = scratch("garbage");
        std::fs::create_dir_all(dir.join("recent")).unwrap();
        std::fs::write(file_for(&dir, "http://x"), "{ not json").unwrap();
        assert!(load_from(&dir, "http://x").is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
