//! Files written whole or not at all: a temporary file in the same folder, synced, then
//! renamed over the destination.
//!
//! Every file io writes goes through here, and so does every file the command line writes.
//! A reader of the destination sees the old file or the new one, never part of one; a
//! failed write removes its temporary file and leaves the destination as it was.
//!
//! - **Durability.** The new file's data is synced (`fsync`) before the rename. The folder
//!   is not: a caller that needs the rename itself to survive a crash (the store's
//!   manifest) syncs the folder after [`Staged::commit`].
//! - **Permissions.** A new file gets the mode a plain [`File::create`] would give it
//!   (`0o666` less the process's umask), not the `0o600` of a temporary file. A file that
//!   replaces another keeps that file's mode (Unix).
//! - **Devices.** A destination that exists and is neither a regular file nor a folder
//!   (`/dev/null`, `/dev/stdout`, a FIFO) is written in place: renaming over it would
//!   replace the device with a file. See [`is_special`].
//!
//! [`write_file`] does it all for a closure that writes the file; [`stage`] leaves the
//! rename to later, so that several files can be made before any replaces its old
//! version. [`Draft`] is the same as a value, for a caller with errors of its own.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// A file being written beside its destination: a [`Write`] that buffers into a temporary
/// file, which [`Draft::finish`] syncs and [`Draft::commit`] renames into place. Dropped
/// before that, it is removed.
///
/// ```
/// use std::io::Write;
/// use secmaster_io::atomic::Draft;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("out.txt");
/// let mut draft = Draft::create(&path)?;
/// writeln!(draft, "hello")?;
/// assert!(!path.exists(), "nothing at the destination yet");
/// draft.commit()?;
/// assert_eq!(std::fs::read_to_string(&path)?, "hello\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Draft {
    out: BufWriter<File>,
    /// `None` when the destination is written in place (see [`is_special`]).
    tmp: Option<tempfile::TempPath>,
    path: PathBuf,
}

impl Draft {
    /// Starts the file for `path`: a temporary file beside it (or `path` itself, opened in
    /// place, when [`is_special`]). `path` is not touched until [`Draft::commit`].
    pub fn create(path: impl AsRef<Path>) -> Result<Draft> {
        let path = path.as_ref();
        if is_special(path) {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(write_error(path))?;
            return Ok(Draft {
                out: BufWriter::new(file),
                tmp: None,
                path: path.to_path_buf(),
            });
        }
        let (file, tmp) = temp_file_beside(path)?.into_parts();
        Ok(Draft {
            out: BufWriter::new(file),
            tmp: Some(tmp),
            path: path.to_path_buf(),
        })
    }

    /// The buffered writer on the temporary file.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        &mut self.out
    }

    /// Flushes and syncs the file; it waits beside its destination for
    /// [`Staged::commit`].
    pub fn finish(self) -> Result<Staged> {
        let Draft { out, tmp, path } = self;
        let synced = out
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)
            .and_then(|file| match tmp {
                Some(_) => file.sync_all(),
                None => Ok(()),
            });
        match synced {
            Ok(()) => Ok(Staged { tmp, path }),
            Err(source) => Err(Error::Write { path, source }),
        }
    }

    /// [`Draft::finish`], then [`Staged::commit`]: the file replaces its destination.
    pub fn commit(self) -> Result<()> {
        self.finish()?.commit()
    }
}

impl Write for Draft {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// A complete, synced file waiting beside its destination, to be renamed into place by
/// [`Staged::commit`]; dropped uncommitted, it is removed.
#[derive(Debug)]
pub struct Staged {
    /// `None` when the destination was written in place (see [`is_special`]).
    tmp: Option<tempfile::TempPath>,
    path: PathBuf,
}

impl Staged {
    /// Renames the file over its destination.
    pub fn commit(self) -> Result<()> {
        let Some(tmp) = self.tmp else {
            return Ok(());
        };
        let path = self.path;
        tmp.persist(&path).map_err(|e| Error::Write {
            path: path.clone(),
            source: e.error,
        })
    }
}

/// Whether `path` exists and is neither a regular file nor a folder, e.g. a device or a
/// FIFO: such a destination is written in place, never replaced.
pub fn is_special(path: impl AsRef<Path>) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

fn write_error(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// An empty temporary file in `path`'s folder, removed when dropped, with the mode `path`
/// should get (see the [module docs](self)).
fn temp_file_beside(path: &Path) -> Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".secmaster-").suffix(".tmp");
    // The kernel applies the umask to the mode a file is created with, as for any `open`;
    // tempfile's own default, 0o600, would make every output private.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let file = builder.tempfile_in(dir).map_err(write_error(path))?;
    // A file that replaces another keeps its mode, which the umask does not touch here.
    #[cfg(unix)]
    if let Ok(old) = std::fs::metadata(path)
        && old.is_file()
    {
        file.as_file()
            .set_permissions(old.permissions())
            .map_err(write_error(path))?;
    }
    Ok(file)
}

/// An empty temporary file in `path`'s folder, removed when dropped, with the mode `path`
/// should get (see the [module docs](self)); for a writer that opens files by name
/// (SQLite), to be persisted over `path` when complete.
pub(crate) fn temp_beside(path: &Path) -> Result<tempfile::TempPath> {
    temp_file_beside(path).map(tempfile::NamedTempFile::into_temp_path)
}

/// Writes the file for `path` through `write`, which gets a buffered writer on a temporary
/// file next to `path`, and flushes and syncs it; `path` itself is not touched until the
/// result is committed.
pub fn stage(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<Staged> {
    let mut draft = Draft::create(path)?;
    write(draft.writer())?;
    draft.finish()
}

/// Writes `path` whole or not at all: [`stage`], then commit. On any error the temporary
/// file is removed and `path` is left as it was.
pub fn write_file(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    stage(path, write)?.commit()
}

/// Opens `path` for reading, naming it in the error.
pub(crate) fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        std::fs::write(&path, "old").unwrap();
        let err = write_file(&path, |w| {
            w.write_all(b"half").unwrap();
            Err(Error::InvalidSchema {
                path: path.clone(),
                reason: "stop".into(),
            })
        })
        .unwrap_err();
        assert!(err.to_string().ends_with("invalid schema: stop"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        write_file(&path, |w| w.write_all(b"new").map_err(|_| unreachable!())).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        // A draft dropped unfinished leaves nothing either.
        let mut draft = Draft::create(&path).unwrap();
        draft.write_all(b"dropped").unwrap();
        drop(draft);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_device_is_written_in_place_not_replaced() {
        let null = Path::new("/dev/null");
        if !null.exists() {
            return; // not a Unix-like system
        }
        assert!(is_special(null));
        write_file(null, |w| w.write_all(b"gone").map_err(|_| unreachable!())).unwrap();
        let meta = std::fs::metadata(null).unwrap();
        assert!(!meta.is_file(), "/dev/null must still be a device");
    }

    /// Issue 14, item 12: outputs were 0600 whatever the umask (a temporary file's mode),
    /// and replacing a file reset its mode.
    #[cfg(unix)]
    #[test]
    fn files_get_the_mode_a_plain_create_gives_and_keep_their_own() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.txt");
        File::create(&plain).unwrap();
        let ours = dir.path().join("ours.txt");
        write_file(&ours, |w| w.write_all(b"new").map_err(|_| unreachable!())).unwrap();
        assert_eq!(mode(&ours), mode(&plain), "a new file");

        for kept in [0o640, 0o600, 0o666, 0o604] {
            std::fs::set_permissions(&ours, std::fs::Permissions::from_mode(kept)).unwrap();
            write_file(&ours, |w| w.write_all(b"again").map_err(|_| unreachable!())).unwrap();
            assert_eq!(mode(&ours), kept, "an overwritten file");
            assert_eq!(std::fs::read_to_string(&ours).unwrap(), "again");
        }

        let db = dir.path().join("new.db");
        let tmp = temp_beside(&db).unwrap();
        tmp.persist(&db).unwrap();
        assert_eq!(mode(&db), mode(&plain), "a file written by name");
    }
}
