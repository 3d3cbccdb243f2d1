//! Writing a file whole or not at all: a temporary file in the same folder, then a rename.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::{Error, Result};

/// Writes `path` through `write`, which gets a buffered writer on a temporary file next to
/// `path`. Only when `write` succeeds is the file flushed, synced and renamed over `path`;
/// on any error the temporary file is removed and `path` is left as it was.
pub(crate) fn write_file(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let io = |source: std::io::Error| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".secmaster-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    let (file, tmp_path) = tmp.into_parts();
    let mut out = BufWriter::new(file);
    write(&mut out)?;
    out.flush().map_err(io)?;
    let file = out.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    tmp_path.persist(path).map_err(|e| io(e.error))?;
    Ok(())
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
