//! Where the app keeps files that hold student records (the external editor's copy of an item,
//! the recovery files): directories only the user can enter, files only the user can read, and
//! never a path another user chose or a symbolic link.
//!
//! A private directory is 0700, owned by the user and not a symbolic link: one that is missing
//! is made so, one of the user's that others can enter is narrowed to 0700, and a symbolic link
//! or one owned by someone else is refused. Files in it are created 0600 with
//! `O_CREAT | O_EXCL`, which never follows a symbolic link, under a name no one can guess
//! (`tempfile`), and a file that is rewritten is replaced by renaming such a file over it, which
//! replaces a symbolic link at the name rather than writing where it points.

use std::fs::{DirBuilder, File, OpenOptions, Permissions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};

/// The mode of a private directory.
pub const DIR_MODE: u32 = 0o700;
/// The mode of a private file.
pub const FILE_MODE: u32 = 0o600;

/// Makes `dir` a private directory, or refuses it: see the module's documentation. Missing
/// parents are made too (0700).
pub fn dir(dir: &Path) -> io::Result<()> {
    let refused = |why: String| {
        io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} {why}; edfi-admin keeps student records only in a directory of the user's own",
                dir.display()
            ),
        )
    };
    match DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir) {
        Ok(()) => {}
        // `recursive` also fails when the name is taken by something other than a directory.
        Err(_) if std::fs::symlink_metadata(dir).is_ok() => {}
        Err(e) => return Err(e),
    }
    // Opened without following a symbolic link, and checked as opened.
    let opened = rustix::fs::open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    );
    let fd = match opened {
        Ok(fd) => fd,
        // Linux says ENOTDIR for a link opened with O_DIRECTORY | O_NOFOLLOW, others ELOOP.
        Err(rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR) => {
            let link = std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink());
            return Err(refused(if link { "is a symbolic link" } else { "is not a directory" }.into()));
        }
        Err(e) => return Err(io::Error::from(e)),
    };
    let stat = rustix::fs::fstat(&fd)?;
    let me = rustix::process::geteuid().as_raw();
    if stat.st_uid != me {
        return Err(refused(format!("belongs to user {}, not to this user ({me})", stat.st_uid)));
    }
    if stat.st_mode & 0o077 != 0 {
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(DIR_MODE))?;
    }
    Ok(())
}

/// A new private directory with an unguessable name inside the private directory `parent`,
/// removed with everything in it when dropped.
pub fn temp_dir_in(parent: &Path, prefix: &str) -> io::Result<tempfile::TempDir> {
    dir(parent)?;
    tempfile::Builder::new().prefix(prefix).permissions(Permissions::from_mode(DIR_MODE)).tempdir_in(parent)
}

/// A new file (0600, `O_EXCL`, an unguessable name) in the private directory `dir`, holding
/// `text`; removed when dropped unless persisted.
pub fn temp_file_in(
    dir: &Path,
    prefix: &str,
    suffix: &str,
    text: &str,
) -> io::Result<tempfile::NamedTempFile> {
    let mut file = tempfile::Builder::new()
        .prefix(prefix)
        .suffix(suffix)
        .permissions(Permissions::from_mode(FILE_MODE))
        .tempfile_in(dir)?;
    file.write_all(text.as_bytes())?;
    file.as_file().sync_all()?;
    Ok(file)
}

/// Writes `text` as `dir/name`, `dir` being made private first: the text goes to a new 0600
/// file that then replaces the name, so a reader sees the old text or the new, and a symbolic
/// link put at the name is replaced, never written through.
pub fn replace(dir_path: &Path, name: &str, text: &str) -> io::Result<PathBuf> {
    dir(dir_path)?;
    let path = dir_path.join(name);
    let file = temp_file_in(dir_path, ".", ".new", text)?;
    file.persist(&path).map_err(|e| e.error)?;
    Ok(path)
}

/// Reads a file without following a symbolic link at its name.
pub fn read(path: &Path) -> io::Result<String> {
    String::from_utf8(read_bytes(path)?).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// [`read`], for a file that need not be UTF-8 throughout (a journal whose last line was torn).
pub fn read_bytes(path: &Path) -> io::Result<Vec<u8>> {
    let mut file: File = OpenOptions::new()
        .read(true)
        .custom_flags((OFlags::NOFOLLOW | OFlags::CLOEXEC).bits() as i32)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("{} is not a file", path.display())));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::os::unix::fs::{symlink, MetadataExt};

    use super::*;

    pub(crate) fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path).unwrap().mode() & 0o7777
    }

    fn is_root() -> bool {
        rustix::process::geteuid().is_root()
    }

    #[test]
    fn a_missing_directory_is_made_0700_with_its_missing_parents() {
        let root = tempfile::tempdir().unwrap();
        let deep = root.path().join("a/b/c");
        dir(&deep).unwrap();
        assert_eq!(mode(&deep), 0o700);
        assert_eq!(mode(&root.path().join("a")), 0o700, "parents it made are private too");
        dir(&deep).unwrap();
        assert_eq!(mode(&deep), 0o700, "an existing private directory is accepted as it is");
    }

    #[test]
    fn the_users_own_open_directory_is_narrowed_to_0700() {
        let root = tempfile::tempdir().unwrap();
        let open = root.path().join("recovery");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, Permissions::from_mode(0o755)).unwrap();
        dir(&open).unwrap();
        assert_eq!(mode(&open), 0o700);
    }

    #[test]
    fn a_symbolic_link_is_refused_and_its_target_left_alone() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("elsewhere");
        std::fs::create_dir(&target).unwrap();
        std::fs::set_permissions(&target, Permissions::from_mode(0o755)).unwrap();
        let link = root.path().join("private");
        symlink(&target, &link).unwrap();
        let error = dir(&link).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::PermissionDenied);
        assert!(error.to_string().contains("symbolic link"), "{error}");
        assert_eq!(mode(&target), 0o755, "not chmodded through the link");
        assert!(replace(&link, "x.json", "{}").is_err());
        assert_eq!(std::fs::read_dir(&target).unwrap().count(), 0, "nothing written through the link");
        // A dangling link too: nothing is made where it points.
        let dangling = root.path().join("dangling");
        symlink(root.path().join("nowhere"), &dangling).unwrap();
        assert!(dir(&dangling).is_err());
        assert!(!root.path().join("nowhere").exists());
    }

    #[test]
    fn a_file_in_the_way_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("recovery");
        std::fs::write(&file, "x").unwrap();
        let error = dir(&file).unwrap_err();
        assert!(error.to_string().contains("not a directory"), "{error}");
    }

    #[test]
    fn a_directory_owned_by_someone_else_is_refused() {
        if !is_root() {
            eprintln!("skipped: only root can give a directory to another user");
            return;
        }
        let root = tempfile::tempdir().unwrap();
        let theirs = root.path().join("theirs");
        std::fs::create_dir(&theirs).unwrap();
        std::fs::set_permissions(&theirs, Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
        let error = dir(&theirs).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::PermissionDenied);
        assert!(error.to_string().contains("belongs to user 65534"), "{error}");
    }

    #[test]
    fn files_are_0600_and_replacing_one_never_follows_a_link() {
        let root = tempfile::tempdir().unwrap();
        let private = root.path().join("recovery");
        let path = replace(&private, "students-1.json", "first").unwrap();
        assert_eq!((mode(&private), mode(&path)), (0o700, 0o600));
        assert_eq!(read(&path).unwrap(), "first");
        replace(&private, "students-1.json", "second").unwrap();
        assert_eq!(read(&path).unwrap(), "second");

        // Someone (the user's own mistake, or a program running as the user) put a link there.
        let victim = root.path().join("victim");
        std::fs::write(&victim, "untouched").unwrap();
        std::fs::remove_file(&path).unwrap();
        symlink(&victim, &path).unwrap();
        assert!(read(&path).is_err(), "reading does not follow it either");
        replace(&private, "students-1.json", "third").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
        assert!(std::fs::symlink_metadata(&path).unwrap().file_type().is_file());
        assert_eq!((mode(&path), read(&path).unwrap().as_str()), (0o600, "third"));
        let names: Vec<_> = std::fs::read_dir(&private).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["students-1.json"], "no temporary file is left behind");
    }

    #[test]
    fn temporary_directories_and_files_are_private_and_go_away() {
        let root = tempfile::tempdir().unwrap();
        let base = root.path().join("editing");
        let session = temp_dir_in(&base, "edit-").unwrap();
        let file = temp_file_in(session.path(), "item-", ".json", "{}").unwrap();
        assert_eq!((mode(&base), mode(session.path()), mode(file.path())), (0o700, 0o700, 0o600));
        let (session_path, file_path) = (session.path().to_owned(), file.path().to_owned());
        drop(file);
        drop(session);
        assert!(!file_path.exists() && !session_path.exists());
    }
}
