//! File checksums: XXH3-64 over the whole file, written as 16 hex digits (what
//! `xxhsum -H3 FILE` prints), computed while a file is written and checked before it is read.

use std::hash::Hasher;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use twox_hash::XxHash3_64;

use crate::{Error, Result};

/// The checksum and length of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checksum {
    /// XXH3-64 of the file's bytes, as 16 lowercase hex digits.
    pub xxh3: String,
    /// The file's length in bytes.
    pub bytes: u64,
}

impl Checksum {
    /// The checksum of `data`.
    pub fn of(data: &[u8]) -> Checksum {
        Checksum {
            xxh3: format!("{:016x}", XxHash3_64::oneshot(data)),
            bytes: data.len() as u64,
        }
    }

    /// Fails, naming `path`, unless `data` is what this checksum describes.
    pub(crate) fn verify(&self, data: &[u8], path: &Path) -> Result<()> {
        let found = Checksum::of(data);
        if &found == self {
            return Ok(());
        }
        Err(Error::Checksum {
            path: path.to_path_buf(),
            expected: format!("{} ({} bytes)", self.xxh3, self.bytes),
            found: format!("{} ({} bytes)", found.xxh3, found.bytes),
        })
    }

    /// Reads the file at `path` whole, checked against this checksum.
    pub(crate) fn read(&self, path: &Path) -> Result<Vec<u8>> {
        let data = std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        self.verify(&data, path)?;
        Ok(data)
    }
}

/// A writer that hashes and counts what passes through it.
pub(crate) struct HashingWriter<W> {
    inner: W,
    hasher: XxHash3_64,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    pub(crate) fn new(inner: W) -> HashingWriter<W> {
        HashingWriter {
            inner,
            hasher: XxHash3_64::with_seed(0),
            bytes: 0,
        }
    }

    /// The checksum of everything written.
    pub(crate) fn finish(&self) -> Checksum {
        Checksum {
            xxh3: format!("{:016x}", self.hasher.finish()),
            bytes: self.bytes,
        }
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.write(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaming_and_one_shot_agree() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
        let mut w = HashingWriter::new(Vec::new());
        for chunk in data.chunks(333) {
            w.write_all(chunk).unwrap();
        }
        assert_eq!(w.finish(), Checksum::of(&data));
        assert_eq!(Checksum::of(b"").xxh3, "2d06800538d394c2"); // XXH3-64 of nothing
        let err = Checksum::of(b"a")
            .verify(b"b", Path::new("x.parquet"))
            .unwrap_err();
        assert!(err.to_string().contains("`x.parquet`"), "{err}");
    }
}
