//! Editing a document: the built-in editor's text buffer, the user's `$VISUAL`/`$EDITOR`, and
//! recovery files that keep an unsaved edit until it is resolved.

use std::path::{Path, PathBuf};
use std::process::Command;

use crossterm::event::{KeyCode, KeyEvent};

use crate::private;

/// The built-in editor: lines of text and a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextBuffer {
    pub lines: Vec<String>,
    pub row: usize,
    /// Cursor column, in characters.
    pub col: usize,
}

impl TextBuffer {
    pub fn from_text(text: &str) -> Self {
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if lines.is_empty() {
            lines.push(String::new());
        }
        Self { lines, row: 0, col: 0 }
    }

    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    fn byte(&self, col: usize) -> usize {
        self.lines[self.row].char_indices().nth(col).map_or(self.lines[self.row].len(), |(i, _)| i)
    }

    fn width(&self) -> usize {
        self.lines[self.row].chars().count()
    }

    pub fn key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Char(c) => {
                let at = self.byte(self.col);
                self.lines[self.row].insert(at, c);
                self.col += 1;
            }
            KeyCode::Tab => {
                for _ in 0..2 {
                    self.key(KeyEvent::from(KeyCode::Char(' ')));
                }
            }
            KeyCode::Enter => {
                let at = self.byte(self.col);
                let rest = self.lines[self.row].split_off(at);
                self.lines.insert(self.row + 1, rest);
                self.row += 1;
                self.col = 0;
            }
            KeyCode::Backspace if self.col > 0 => {
                let at = self.byte(self.col - 1);
                self.lines[self.row].remove(at);
                self.col -= 1;
            }
            KeyCode::Backspace if self.row > 0 => {
                let line = self.lines.remove(self.row);
                self.row -= 1;
                self.col = self.width();
                self.lines[self.row].push_str(&line);
            }
            KeyCode::Delete if self.col < self.width() => {
                let at = self.byte(self.col);
                self.lines[self.row].remove(at);
            }
            KeyCode::Delete if self.row + 1 < self.lines.len() => {
                let next = self.lines.remove(self.row + 1);
                self.lines[self.row].push_str(&next);
            }
            KeyCode::Left if self.col > 0 => self.col -= 1,
            KeyCode::Right if self.col < self.width() => self.col += 1,
            KeyCode::Up if self.row > 0 => {
                self.row -= 1;
                self.col = self.col.min(self.width());
            }
            KeyCode::Down if self.row + 1 < self.lines.len() => {
                self.row += 1;
                self.col = self.col.min(self.width());
            }
            KeyCode::Home => self.col = 0,
            KeyCode::End => self.col = self.width(),
            _ => {}
        }
    }
}

/// The user's editor command, if one is configured.
pub fn external_editor() -> Option<String> {
    ["VISUAL", "EDITOR"].iter().find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
}

/// Variables the editor is not given: it needs none of the app's credentials.
const WITHHELD: [&str; 1] = ["EDFI_SECRET"];

/// Edits `text` in the user's editor (through the shell, so `EDITOR="code --wait"` works) and
/// returns what was saved. The caller has released the terminal.
///
/// The text is an item with a student's records, so its file is private: in a new directory
/// (0700, an unguessable name) inside [`editing_dir`], created 0600 with `O_EXCL`, read back
/// without following a symbolic link, and removed with its directory afterwards, together with
/// whatever the editor left beside it (a swap or backup file).
pub fn edit_externally(editor: &str, text: &str) -> Result<String, String> {
    let base = editing_dir();
    if base.starts_with(state_dir()) {
        private::dir(&state_dir()).map_err(|e| format!("cannot edit in {}: {e}", base.display()))?;
    }
    edit_externally_in(&base, editor, text)
}

/// [`edit_externally`] with the edit's directory made in `base`.
pub fn edit_externally_in(base: &Path, editor: &str, text: &str) -> Result<String, String> {
    let failed =
        |what: &str, e: std::io::Error| format!("cannot {what} the file to edit in {}: {e}", base.display());
    let session = private::temp_dir_in(base, "edit-").map_err(|e| failed("make", e))?;
    let file = private::temp_file_in(session.path(), "edfi-admin-", ".json", text)
        .map_err(|e| failed("write", e))?;
    let status =
        editor_command(editor, file.path()).status().map_err(|e| format!("cannot start {editor}: {e}"));
    let edited = private::read(file.path()).map_err(|e| format!("cannot read the edited file: {e}"));
    drop(file);
    drop(session);
    match status? {
        s if s.success() => edited,
        s => Err(format!("{editor} exited with {s}")),
    }
}

/// `editor path` through the shell, without the app's credentials in its environment.
fn editor_command(editor: &str, path: &Path) -> Command {
    let mut command = Command::new("sh");
    command.arg("-c").arg(format!("{editor} \"$1\"")).arg("edfi-admin").arg(path);
    for name in WITHHELD {
        command.env_remove(name);
    }
    command
}

/// Where the app keeps its files: `$EDFI_ADMIN_STATE`, else the user's state (or data)
/// directory's `edfi-admin`, else a directory of the user's own in the temporary directory.
/// It is made private before the app's files are put in it.
pub fn state_dir() -> PathBuf {
    std::env::var_os("EDFI_ADMIN_STATE")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::state_dir().or_else(dirs::data_local_dir).map(|d| d.join("edfi-admin")))
        .unwrap_or_else(|| {
            let me = rustix::process::geteuid().as_raw();
            std::env::temp_dir().join(format!("edfi-admin-{me}"))
        })
}

/// Where the external editor's files are made: the user's runtime directory (`$XDG_RUNTIME_DIR`,
/// private to the user and emptied at logout) when there is one, else the state directory.
pub fn editing_dir() -> PathBuf {
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .map_or_else(|| state_dir().join("editing"), |dir| dir.join("edfi-admin"))
}

/// Where unsaved edits are kept.
pub fn recovery_dir() -> PathBuf {
    state_dir().join("recovery")
}

fn recovery_name(key: &str) -> String {
    format!("{}.json", key.replace(['/', '\\'], "_"))
}

/// Keeps an unsaved edit as `key`'s recovery file: 0600 in a private directory (see
/// [`crate::private`]), in the state directory, which is made private too.
pub fn save_recovery(key: &str, text: &str) -> std::io::Result<PathBuf> {
    private::dir(&state_dir())?;
    save_recovery_in(&recovery_dir(), key, text)
}

pub fn save_recovery_in(dir: &Path, key: &str, text: &str) -> std::io::Result<PathBuf> {
    private::replace(dir, &recovery_name(key), text)
}

pub fn clear_recovery(key: &str) {
    clear_recovery_in(&recovery_dir(), key);
}

/// Removes `key`'s recovery file (unlinking a name never follows a symbolic link).
pub fn clear_recovery_in(dir: &Path, key: &str) {
    let _ = std::fs::remove_file(dir.join(recovery_name(key)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(buffer: &mut TextBuffer, keys: &[KeyCode]) {
        for key in keys {
            buffer.key(KeyEvent::from(*key));
        }
    }

    #[test]
    fn edits_lines_with_the_usual_keys() {
        let mut buffer = TextBuffer::from_text("{\n  \"a\": 1\n}");
        typed(&mut buffer, &[KeyCode::Down, KeyCode::End, KeyCode::Backspace, KeyCode::Char('2')]);
        assert_eq!(buffer.text(), "{\n  \"a\": 2\n}");
        typed(&mut buffer, &[KeyCode::Enter, KeyCode::Char('x')]);
        assert_eq!(buffer.text(), "{\n  \"a\": 2\nx\n}");
        typed(&mut buffer, &[KeyCode::Home, KeyCode::Backspace, KeyCode::Backspace]);
        assert_eq!(buffer.text(), "{\n  \"a\": x\n}");
        typed(&mut buffer, &[KeyCode::Up, KeyCode::Home, KeyCode::Delete]);
        assert_eq!(buffer.lines[0], "");
    }

    #[test]
    fn multi_byte_characters_edit_by_character() {
        let mut buffer = TextBuffer::from_text("é");
        typed(&mut buffer, &[KeyCode::End, KeyCode::Char('ü'), KeyCode::Left, KeyCode::Backspace]);
        assert_eq!(buffer.text(), "ü");
    }

    #[test]
    fn the_external_editor_round_trips_text() {
        let base = tempfile::tempdir().unwrap();
        // `sed` stands in for an editor that changes the file (it writes a new one and renames it).
        let edited = edit_externally_in(base.path(), "sed -i s/Ana/Bo/", "{\"firstName\": \"Ana\"}").unwrap();
        assert_eq!(edited, "{\"firstName\": \"Bo\"}");
        assert!(edit_externally_in(base.path(), "false", "x").is_err());
    }

    #[test]
    fn the_editors_file_is_0600_in_a_private_directory_of_its_own_and_is_removed() {
        let root = tempfile::tempdir().unwrap();
        let base = root.path().join("editing");
        let seen = root.path().join("seen");
        // The editor notes the modes of the file, its directory and the base, and the path,
        // leaves a swap file beside it as vi does, and edits.
        let editor = format!(
            "f() {{ stat -c %a \"$1\" \"${{1%/*}}\" \"${{1%/*/*}}\" > {seen}; echo \"$1\" >> {seen}; \\
             echo '{{\"firstName\": \"Ana\"}}' > \"${{1%/*}}/.swp\"; sed -i s/Ana/Bo/ \"$1\"; }}; f",
            seen = seen.display()
        );
        let edited = edit_externally_in(&base, &editor, "{\"firstName\": \"Ana\"}").unwrap();
        assert_eq!(edited, "{\"firstName\": \"Bo\"}");
        let seen = std::fs::read_to_string(&seen).unwrap();
        let lines: Vec<&str> = seen.lines().collect();
        assert_eq!(lines[..3], ["600", "700", "700"], "{seen}");
        let path = Path::new(lines[3]);
        assert_eq!(path.parent().and_then(Path::parent), Some(base.as_path()), "{seen}");
        assert!(path.file_name().unwrap().to_str().unwrap().len() > "edfi-admin-.json".len() + 5);
        assert!(!path.exists() && !path.parent().unwrap().exists(), "removed, swap file and all");
        assert_eq!(std::fs::read_dir(&base).unwrap().count(), 0);
        // Each edit gets a directory of its own.
        let other = edit_externally_in(&base, "f() { echo \"$1\" > /dev/null; }; f", "x").unwrap();
        assert_eq!(other, "x");
    }

    #[test]
    fn a_link_in_place_of_the_edited_file_is_not_followed() {
        let root = tempfile::tempdir().unwrap();
        let elsewhere = root.path().join("elsewhere.json");
        std::fs::write(&elsewhere, "someone else's file").unwrap();
        let editor = format!("ln -sf {}", elsewhere.display());
        let result = edit_externally_in(&root.path().join("editing"), &editor, "{}");
        assert!(result.is_err(), "{result:?}");
        assert!(!format!("{result:?}").contains("someone else"));
    }

    #[test]
    fn edits_are_refused_in_a_linked_directory() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("target");
        std::fs::create_dir(&target).unwrap();
        let link = root.path().join("editing");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let result = edit_externally_in(&link, "true", "{\"studentUniqueId\": \"1\"}");
        let error = result.unwrap_err();
        assert!(error.contains("symbolic link"), "{error}");
        assert_eq!(std::fs::read_dir(&target).unwrap().count(), 0, "nothing written where it points");
    }

    #[test]
    fn the_editor_is_not_given_the_secret() {
        let command = editor_command("vi", Path::new("/x/y.json"));
        let envs: Vec<_> = command.get_envs().collect();
        assert!(envs.contains(&(std::ffi::OsStr::new("EDFI_SECRET"), None)), "{envs:?}");
    }

    #[test]
    fn recovery_files_are_0600_in_a_0700_directory() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("recovery");
        let path = save_recovery_in(&dir, "students-a/b", "{\"firstName\": \"Ana\"}").unwrap();
        assert_eq!(path, dir.join("students-a_b.json"));
        assert_eq!((private::tests::mode(&dir), private::tests::mode(&path)), (0o700, 0o600));
        save_recovery_in(&dir, "students-a/b", "{}").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}");
        clear_recovery_in(&dir, "students-a/b");
        assert!(!path.exists());
    }
}
