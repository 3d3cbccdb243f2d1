//! File checksums: XXH3-64 over the whole file, written as 16 hex digits (what
//! `xxhsum -H3 FILE` prints), computed while a file is written and checked before it is read.
//! A file read in small parts (the store's state file) also has the digests of its blocks,
//! so that a reader checks just the blocks it reads.

use std::fs::File;
use std::hash::Hasher;
use std::io::{Read, Write};
use std::path::Path;

use chrono::Datelike;
use secmaster_core::{Fact, Value};
use serde::{Deserialize, Serialize};
use twox_hash::XxHash3_64;

use crate::{Error, Result};

/// The block a streamed check reads at a time: small enough to stay in cache.
const BLOCK: usize = 256 * 1024;

/// The checksum and length of a file, as the manifest records them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checksum {
    /// XXH3-64 of the file's bytes, as 16 lowercase hex digits.
    pub(crate) xxh3: String,
    /// The file's length in bytes.
    pub(crate) bytes: u64,
}

impl Checksum {
    /// The XXH3-64 of the file's bytes, as 16 lowercase hex digits (what `xxhsum -H3 FILE`
    /// prints).
    pub fn xxh3(&self) -> &str {
        &self.xxh3
    }

    /// The file's length in bytes.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The checksum of `data`.
    pub(crate) fn of(data: &[u8]) -> Checksum {
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

    /// Reads the file at `path` whole, checked against this checksum: at most one byte
    /// more than its length, so that a file longer than recorded (even an endless one, a
    /// link to `/dev/zero`) is a mismatch, not a read without end.
    pub(crate) fn read(&self, path: &Path) -> Result<Vec<u8>> {
        let read_error = |source| Error::Read {
            path: path.to_path_buf(),
            source,
        };
        let mut data = Vec::new();
        File::open(path)
            .and_then(|f| f.take(self.bytes.saturating_add(1)).read_to_end(&mut data))
            .map_err(read_error)?;
        self.verify(&data, path)?;
        Ok(data)
    }

    /// Checks the file at `path` against this checksum, streaming it through the hash a
    /// block at a time (never whole in memory), and reading at most one byte more than its
    /// length: a longer file is a mismatch.
    pub(crate) fn check(&self, path: &Path) -> Result<()> {
        let read_error = |source| Error::Read {
            path: path.to_path_buf(),
            source,
        };
        let mut file = File::open(path)
            .map_err(read_error)?
            .take(self.bytes.saturating_add(1));
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

/// The XXH3-64 of `facts` in order, as 16 lowercase hex digits: of each fact its security
/// id, date, attribute and typed value, with lengths and type tags, so that no two lists of
/// facts make the same bytes. A batch's facts have the same digest however they were read.
pub(crate) fn digest<'a>(facts: impl IntoIterator<Item = &'a Fact>) -> String {
    let mut h = XxHash3_64::with_seed(0);
    let days = |d: chrono::NaiveDate| d.num_days_from_ce().to_le_bytes();
    for f in facts {
        h.write(&f.security_id().to_le_bytes());
        h.write(&days(f.effective_date()));
        h.write(&(f.attribute().len() as u64).to_le_bytes());
        h.write(f.attribute().as_bytes());
        match f.value() {
            Value::Null => h.write(&[0]),
            Value::Bool(b) => h.write(&[1, u8::from(*b)]),
            Value::Int(i) => {
                h.write(&[2]);
                h.write(&i.to_le_bytes());
            }
            Value::Float(x) => {
                h.write(&[3]);
                h.write(&x.to_bits().to_le_bytes());
            }
            Value::Str(text) => {
                h.write(&[4]);
                h.write(&(text.len() as u64).to_le_bytes());
                h.write(text.as_bytes());
            }
            Value::Date(d) => {
                h.write(&[5]);
                h.write(&days(*d));
            }
        }
    }
    format!("{:016x}", h.finish())
}

/// The size of the blocks [`Blocks`] holds digests of: about a page of a state file's
/// column, so that a reader of a page checks little more than the page.
pub(crate) const BLOCK_BYTES: usize = 1024;

/// The XXH3-64 digests of a file's consecutive blocks of `size` bytes (the last one may be
/// shorter). Stored as a file of little-endian `u64`s beside the file it describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Blocks {
    size: usize,
    digests: Vec<u64>,
}

impl Blocks {
    /// The digests stored in `data` (from [`Blocks::to_bytes`]) of a file of `len` bytes,
    /// or `None` if they cannot be that file's.
    pub(crate) fn from_bytes(size: usize, data: &[u8], len: u64) -> Option<Blocks> {
        if size == 0
            || !data.len().is_multiple_of(8)
            || (data.len() / 8) as u64 != len.div_ceil(size as u64)
        {
            return None;
        }
        let digests = data
            .chunks_exact(8)
            .map(|d| u64::from_le_bytes(d.try_into().expect("8 bytes")))
            .collect();
        Some(Blocks { size, digests })
    }

    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        self.digests.iter().flat_map(|d| d.to_le_bytes()).collect()
    }

    /// The size of a block.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// Checks `data`, the file's bytes from block `first` on (whole blocks, but for the
    /// file's last), and names the first block that differs: `(block, expected, found)`.
    pub(crate) fn verify(&self, first: usize, data: &[u8]) -> Result<(), (usize, u64, u64)> {
        for (i, block) in data.chunks(self.size).enumerate() {
            let expected = self.digests.get(first + i).copied().unwrap_or_default();
            let found = XxHash3_64::oneshot(block);
            if found != expected {
                return Err((first + i, expected, found));
            }
        }
        Ok(())
    }
}

/// Digests blocks of a stream as it passes.
struct BlockHasher {
    size: usize,
    digests: Vec<u64>,
    pending: Vec<u8>,
}

impl BlockHasher {
    fn write(&mut self, mut buf: &[u8]) {
        while !buf.is_empty() {
            let take = (self.size - self.pending.len()).min(buf.len());
            if self.pending.is_empty() && take == self.size {
                self.digests.push(XxHash3_64::oneshot(&buf[..take]));
            } else {
                self.pending.extend_from_slice(&buf[..take]);
                if self.pending.len() == self.size {
                    self.digests.push(XxHash3_64::oneshot(&self.pending));
                    self.pending.clear();
                }
            }
            buf = &buf[take..];
        }
    }

    fn finish(&self) -> Blocks {
        let mut digests = self.digests.clone();
        if !self.pending.is_empty() {
            digests.push(XxHash3_64::oneshot(&self.pending));
        }
        Blocks {
            size: self.size,
            digests,
        }
    }
}

/// A writer that hashes and counts what passes through it, and digests its blocks if asked.
pub(crate) struct HashingWriter<W> {
    inner: W,
    hasher: XxHash3_64,
    bytes: u64,
    blocks: Option<BlockHasher>,
}

impl<W: Write> HashingWriter<W> {
    pub(crate) fn new(inner: W) -> HashingWriter<W> {
        HashingWriter {
            inner,
            hasher: XxHash3_64::with_seed(0),
            bytes: 0,
            blocks: None,
        }
    }

    /// A [`HashingWriter`] that also digests each block of [`BLOCK_BYTES`].
    pub(crate) fn with_blocks(inner: W) -> HashingWriter<W> {
        HashingWriter {
            blocks: Some(BlockHasher {
                size: BLOCK_BYTES,
                digests: Vec::new(),
                pending: Vec::with_capacity(BLOCK_BYTES),
            }),
            ..HashingWriter::new(inner)
        }
    }

    /// The checksum of everything written.
    pub(crate) fn finish(&self) -> Checksum {
        Checksum {
            xxh3: format!("{:016x}", self.hasher.finish()),
            bytes: self.bytes,
        }
    }

    /// The digests of the blocks written, if asked for.
    pub(crate) fn blocks(&self) -> Option<Blocks> {
        self.blocks.as_ref().map(BlockHasher::finish)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.write(&buf[..n]);
        if let Some(blocks) = &mut self.blocks {
            blocks.write(&buf[..n]);
        }
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
        assert_eq!(digest([]), "2d06800538d394c2");
        let err = Checksum::of(b"a")
            .verify(b"b", Path::new("x.parquet"))
            .unwrap_err();
        assert!(err.to_string().contains("`x.parquet`"), "{err}");
    }

    #[test]
    fn facts_digests_tell_values_and_types_apart() {
        let day = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let one = |value: Value| digest(&[Fact::new(1, "a", value, day)]);
        let all = [
            one(Value::Null),
            one(Value::Int(1)),
            one(Value::Float(1.0)),
            one(Value::from("1")),
            one(Value::Bool(true)),
            one(Value::Date(day)),
        ];
        let distinct: std::collections::HashSet<&String> = all.iter().collect();
        assert_eq!(distinct.len(), all.len());
        let ab = [Fact::new(1, "a", 1, day), Fact::new(1, "b", 1, day)];
        let ba = [ab[1].clone(), ab[0].clone()];
        assert_ne!(digest(&ab), digest(&ba));
        assert_eq!(digest(&ab), digest(&ab.clone()));
    }

    #[test]
    fn block_digests_cover_the_stream_however_it_is_cut() {
        let data: Vec<u8> = (0..5_000u32).map(|i| (i * 13) as u8).collect();
        let mut w = HashingWriter::with_blocks(Vec::new());
        for chunk in data.chunks(700) {
            w.write_all(chunk).unwrap();
        }
        let blocks = w.blocks().unwrap();
        let expected: Vec<u64> = data.chunks(BLOCK_BYTES).map(XxHash3_64::oneshot).collect();
        assert_eq!(blocks.digests, expected);
        let stored = Blocks::from_bytes(BLOCK_BYTES, &blocks.to_bytes(), 5_000).unwrap();
        assert_eq!(stored, blocks);
        assert_eq!(
            Blocks::from_bytes(BLOCK_BYTES, &blocks.to_bytes(), 6_000),
            None
        );
        // Blocks 2 and on (the last one short), then one with a byte changed.
        assert_eq!(blocks.verify(2, &data[2 * BLOCK_BYTES..]), Ok(()));
        let mut bad = data[BLOCK_BYTES..3 * BLOCK_BYTES].to_vec();
        bad[BLOCK_BYTES + 5] ^= 1;
        assert_eq!(blocks.verify(1, &bad).unwrap_err().0, 2);
    }
}
