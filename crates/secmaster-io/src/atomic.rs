//! Writing a file whole or not at all: a temporary file in the same folder, then a rename.
//! A destination that exists and is not a regular file (`/dev/null`, a FIFO, a terminal) is
//! written in place: renaming over it would replace the device with a file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// A complete file waiting beside its destination, to be renamed into place by
/// [`Staged::commit`]; dropped uncommitted, it is removed.
pub(crate) struct Staged {
    /// `None` when the destination was written in place (not a regular file).
    tmp: Option<tempfile::TempPath>,
    path: PathBuf,
}

impl Staged {
    /// Renames the file over its destination.
    pub(crate) fn commit(self) -> Result<()> {
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

/// Whether `path` exists and is something other than a regular file, e.g. a device.
fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// An empty temporary file in `path`'s folder, removed when dropped.
pub(crate) fn temp_beside(path: &Path) -> Result<tempfile::TempPath> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(".secmaster-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map(tempfile::NamedTempFile::into_temp_path)
        .map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })
}

/// Writes the file for `path` through `write`, which gets a buffered writer on a temporary
/// file next to `path`, and flushes and syncs it; `path` itself is not touched until the
/// result is committed.
pub(crate) fn stage(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<Staged> {
    let io = |source: std::io::Error| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    if is_special(path) {
        let mut out = BufWriter::new(
            std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(io)?,
        );
        write(&mut out)?;
        out.flush().map_err(io)?;
        return Ok(Staged {
            tmp: None,
            path: path.to_path_buf(),
        });
    }
    let tmp = temp_beside(path)?;
    let mut out = BufWriter::new(File::create(&tmp).map_err(io)?);
    write(&mut out)?;
    out.flush().map_err(io)?;
    let file = out.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok(Staged {
        tmp: Some(tmp),
        path: path.to_path_buf(),
    })
}

/// Writes `path` whole or not at all. On any error the temporary file is removed and
/// `path` is left as it was.
///
/// `write` gets a buffered writer on a temporary file beside `path` (named
/// `.secmaster-*.tmp`); once it returns, the file is flushed, synced and renamed over
/// `path`. The rename is not synced: a caller that needs it to survive a crash syncs the
/// folder.
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
    }

    #[test]
    fn a_device_is_written_in_place_not_replaced() {
        let null = Path::new("/dev/null");
        if !null.exists() {
            return; // not a Unix-like system
        }
        write_file(null, |w| w.write_all(b"gone").map_err(|_| unreachable!())).unwrap();
        let meta = std::fs::metadata(null).unwrap();
        assert!(!meta.is_file(), "/dev/null must still be a device");
    }
}
