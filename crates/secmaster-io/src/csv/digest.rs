//! The digest of a table CSV as it is written or read: its sidecar names the CSV it was
//! written with, so a pair whose two renames were split by a crash is found, not misread.

use std::hash::Hasher;
use std::io::{self, Read, Write};
use std::path::Path;

use twox_hash::XxHash3_64;

use crate::schema::DataDigest;
use crate::{Error, Result};

/// A reader or writer that counts and hashes the bytes through it.
pub(crate) struct Hashing<T> {
    inner: T,
    hasher: XxHash3_64,
    bytes: u64,
}

impl<T> Hashing<T> {
    pub(crate) fn new(inner: T) -> Hashing<T> {
        Hashing {
            inner,
            hasher: XxHash3_64::with_seed(0),
            bytes: 0,
        }
    }

    /// The digest of the bytes so far.
    pub(crate) fn digest(&self) -> DataDigest {
        DataDigest {
            bytes: self.bytes,
            xxh3: self.hasher.finish(),
        }
    }

    fn take(&mut self, bytes: &[u8]) {
        self.hasher.write(bytes);
        self.bytes += bytes.len() as u64;
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.take(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.take(&buf[..n]);
        Ok(n)
    }
}

/// The error of a CSV that is not the one its sidecar was written with.
pub(crate) fn mismatch(path: &Path) -> Error {
    Error::InvalidSchema {
        path: super::schema_path(path),
        reason: format!(
            "it describes another version of `{}` (the length or XXH3 differs): the two were \
             not written together; write them again, or remove the sidecar to read the CSV \
             typed by its values",
            path.display()
        ),
    }
}

/// Refuses at once a CSV whose length is not the one its sidecar names.
pub(crate) fn check_length(path: &Path, file: &std::fs::File, expected: &DataDigest) -> Result<()> {
    let len = file
        .metadata()
        .map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    if len == expected.bytes {
        Ok(())
    } else {
        Err(mismatch(path))
    }
}
