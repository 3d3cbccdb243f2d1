//! File checksums: XXH3-64 over the whole file, written as 16 hex digits (what
//! `xxhsum -H3 FILE` prints), computed while a file is written and checked before it is read.

use std::fs::File;
use std::hash::Hasher;
use std::io::{Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use twox_hash::XxHash3_64;

use crate::{Error, Result};

/// The block a streamed check reads at a time: small enough to stay in cache.
const BLOCK: usize = 256 * 1024;

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
        Err(self.mismatch(&found, path))
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

    /// Checks the file at `path` against this checksum, streaming it through the hash a
    /// block at a time (never whole in memory).
    pub(crate) fn check(&self, path: &Path) -> Result<()> {
        let read_error = |source| Error::Read {
            path: path.to_path_buf(),
            source,
        };
        let mut file = File::open(path).map_err(read_error)?;
        let mut hasher = XxHash3_64::with_seed(0);
        let mut bytes = 0u64;
        let mut block = vec![0; BLOCK];
        loop {
            let n = match file.read(&mut block) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(read_error(e)),
            };
            hasher.write(&block[..n]);
            bytes += n as u64;
        }
        let found = Checksum {
            xxh3: format!("{:016x}", hasher.finish()),
            bytes,
        };
        if &found != self {
            return Err(self.mismatch(&found, path));
        }
        Ok(())
    }

    fn mismatch(&self, found: &Checksum, path: &Path) -> Error {
        Error::Checksum {
            path: path.to_path_buf(),
            expected: format!("{} ({} bytes)", self.xxh3, self.bytes),
            found: format!("{} ({} bytes)", found.xxh3, found.bytes),
        }
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
