//! Editing a document: the built-in editor's text buffer, the user's `$VISUAL`/`$EDITOR`, and
//! recovery files that keep an unsaved edit until it is resolved.

use std::path::PathBuf;
use std::process::Command;

use crossterm::event::{KeyCode, KeyEvent};

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

/// Edits `text` in the user's editor (through the shell, so `EDITOR="code --wait"` works) and
/// returns what was saved. The caller has released the terminal.
pub fn edit_externally(editor: &str, text: &str) -> Result<String, String> {
    let path = std::env::temp_dir().join(format!("edfi-admin-{}-{}.json", std::process::id(), nanos()));
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("edfi-admin")
        .arg(&path)
        .status()
        .map_err(|e| format!("cannot start {editor}: {e}"));
    let edited = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()));
    let _ = std::fs::remove_file(&path);
    match status? {
        s if s.success() => edited,
        s => Err(format!("{editor} exited with {s}")),
    }
}

fn nanos() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

/// Where unsaved edits are kept: `$EDFI_ADMIN_STATE` or the user's state (or data) directory.
pub fn recovery_dir() -> PathBuf {
    std::env::var_os("EDFI_ADMIN_STATE")
        .map(PathBuf::from)
        .or_else(|| dirs::state_dir().or_else(dirs::data_local_dir).map(|d| d.join("edfi-admin")))
        .unwrap_or_else(|| std::env::temp_dir().join("edfi-admin"))
        .join("recovery")
}

pub fn save_recovery(key: &str, text: &str) -> std::io::Result<PathBuf> {
    let dir = recovery_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{}.json", key.replace(['/', '\\'], "_")));
    std::fs::write(&path, text)?;
    Ok(path)
}

pub fn clear_recovery(key: &str) {
    let _ = std::fs::remove_file(recovery_dir().join(format!("{}.json", key.replace(['/', '\\'], "_"))));
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
        // `sed` stands in for an editor that changes the file in place.
        let edited = edit_externally("sed -i s/Ana/Bo/", "{\"firstName\": \"Ana\"}").unwrap();
        assert_eq!(edited, "{\"firstName\": \"Bo\"}");
        assert!(edit_externally("false", "x").is_err());
    }
}
