//! Writing a file whole or not at all: a temporary file in the same folder, then a rename.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// A complete file waiting beside its destination, to be renamed into place by
/// [`Staged::commit`]; dropped uncommitted, it is removed.
pub(crate) struct Staged {
    tmp: tempfile::TempPath,
    path: PathBuf,
}

impl Staged {
    /// Renames the file over its destination.
    pub(crate) fn commit(self) -> Result<()> {
        let path = self.path;
        self.tmp.persist(&path).map_err(|e| Error::Write {
            path: path.clone(),
            source: e.error,
        })
    }
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
    let tmp = temp_beside(path)?;
    let mut out = BufWriter::new(File::create(&tmp).map_err(io)?);
    write(&mut out)?;
    out.flush().map_err(io)?;
    let file = out.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok(Staged {
        tmp,
        path: path.to_path_buf(),
    })
}

/// Writes `path` whole or not at all: [`stage`], then commit. On any error the temporary
/// file is removed and `path` is left as it was.
pub(crate) fn write_file(
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
}
