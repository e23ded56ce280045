//! The load's journal: one line per record the API answered for good, appended and flushed as
//! answers arrive, so a load that was stopped (Ctrl-C, a killed process, a lost server) is
//! continued by the next run: what is in the journal is not sent again, and what was in flight
//! is resent under the same `Idempotency-Key` (the load's id is kept), so the API answers its
//! first answer rather than applying it twice. A load that ran to its end is marked complete, and
//! the next run is a new load.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::Outcome;
use crate::private;

const HEADER: &str = "edfi-admin load journal 1";

/// What an earlier, unfinished run of this load recorded.
#[derive(Debug, Default)]
pub struct Earlier {
    pub load_id: String,
    /// Digest → outcome (and the reason, for a rejection).
    pub answered: HashMap<String, (Outcome, String)>,
}

pub struct Journal {
    file: File,
    path: PathBuf,
}

/// Where journals are kept unless one is named: the app's private state directory.
pub fn default_dir() -> PathBuf {
    crate::editor::state_dir().join("loads")
}

/// The journal of loading `directory` into `url` as `key`: a file of its own under `dir`.
pub fn path_for(dir: &Path, directory: &Path, url: &str, key: &str) -> PathBuf {
    let canonical = std::fs::canonicalize(directory).unwrap_or_else(|_| directory.to_owned());
    let name = super::plan::digest(url, format!("{}\n{key}", canonical.display()).as_bytes());
    dir.join(format!("{}.journal", &name[..24]))
}

/// Reads the journal at `path`: an unfinished load's id and answers, or `None` when there is no
/// journal or its load ran to the end. A torn last line (the process was killed while writing it)
/// is ignored: that record is simply sent again.
pub fn read(path: &Path) -> Result<Option<Earlier>, String> {
    // Not through a symbolic link at its name, as the journal is written.
    let text = match private::read_bytes(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err(format!("{} is not a load journal; remove it or pass --journal", path.display()));
    }
    let mut earlier = Earlier::default();
    for line in lines {
        let mut fields = line.splitn(3, '\t');
        match (fields.next(), fields.next(), fields.next()) {
            (Some("load"), Some(id), None) => earlier.load_id = id.to_owned(),
            (Some("complete"), None, None) => return Ok(None),
            (Some(digest), Some(outcome), reason) => {
                if let Some(outcome) = Outcome::from_name(outcome) {
                    earlier
                        .answered
                        .insert(digest.to_owned(), (outcome, reason.unwrap_or_default().to_owned()));
                }
            }
            _ => {}
        }
    }
    Ok((!earlier.load_id.is_empty()).then_some(earlier))
}

impl Journal {
    /// Continues the journal of `load_id` at `path`, or starts it (a new load replaces a finished
    /// one). The file is private to the user, as its directory is (see [`crate::private`]): it
    /// names what was loaded and why records were refused. A symbolic link at its name is refused.
    pub fn open(path: &Path, load_id: &str, continuing: bool) -> Result<Journal, String> {
        let failed = |e: std::io::Error| format!("{}: {e}", path.display());
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            private::dir(parent).map_err(failed)?;
        }
        let mut options = OpenOptions::new();
        if continuing {
            options.append(true).create(true);
        } else {
            options.write(true).create(true).truncate(true);
        }
        options.mode(private::FILE_MODE).custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
        let mut file = options.open(path).map_err(failed)?;
        // A journal made before these rules, or by a wider umask, is narrowed.
        file.set_permissions(std::fs::Permissions::from_mode(private::FILE_MODE)).map_err(failed)?;
        if !continuing {
            writeln!(file, "{HEADER}\nload\t{load_id}").map_err(failed)?;
        }
        Ok(Journal { file, path: path.to_owned() })
    }

    /// Records a final answer; written through at once, so a kill loses at most the lines being
    /// written.
    pub fn answered(&mut self, digest: &str, outcome: Outcome, reason: &str) -> Result<(), String> {
        let reason = reason.replace(['\t', '\n', '\r'], " ");
        writeln!(self.file, "{digest}\t{}\t{reason}", outcome.name()).map_err(|e| self.failed(e))
    }

    /// Marks the load as run to its end.
    pub fn complete(&mut self) -> Result<(), String> {
        writeln!(self.file, "complete").and_then(|()| self.file.sync_all()).map_err(|e| self.failed(e))
    }

    fn failed(&self, error: std::io::Error) -> String {
        format!("{}: {error}", self.path.display())
    }
}
