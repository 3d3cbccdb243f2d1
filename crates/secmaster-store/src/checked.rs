//! A file of the store read by position (`pread`), a few scattered pages at a time, as
//! Parquet asks for them; with the digests of its blocks, each block read is checked.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use parquet::errors::ParquetError;
use parquet::file::reader::{ChunkReader, Length};

use crate::checksum::Blocks;

/// A block that failed its check: `(block, expected digest, found digest)`.
pub(crate) type Damage = (usize, u64, u64);

/// A file read by position (`pread`), one call per range Parquet asks for: the reader of
/// a few securities fetches a few scattered pages, never the whole file. With the digests
/// of its blocks, each range is read out to whole blocks and they are checked; the first
/// that fails is kept in `damage` (Parquet's errors carry no more than a message).
#[derive(Clone)]
pub(crate) struct At {
    pub(crate) file: Arc<File>,
    pub(crate) len: u64,
    pub(crate) blocks: Option<Arc<Blocks>>,
    pub(crate) damage: Arc<Mutex<Option<Damage>>>,
}

impl Length for At {
    fn len(&self) -> u64 {
        self.len
    }
}

impl ChunkReader for At {
    type T = AtReader;

    fn get_read(&self, start: u64) -> parquet::errors::Result<AtReader> {
        Ok(AtReader {
            at: self.clone(),
            pos: start,
        })
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        let Some(blocks) = &self.blocks else {
            let mut buffer = vec![0; length];
            self.file.read_exact_at(&mut buffer, start)?;
            return Ok(buffer.into());
        };
        let end = start + length as u64;
        if end > self.len {
            return Err(ParquetError::EOF(format!(
                "bytes {start}..{end} of a file of {}",
                self.len
            )));
        }
        let size = blocks.size() as u64;
        let from = start / size * size;
        let to = end.div_ceil(size) * size;
        let mut buffer = vec![0; (to.min(self.len) - from) as usize];
        self.file.read_exact_at(&mut buffer, from)?;
        if let Err(damage) = blocks.verify((from / size) as usize, &buffer) {
            let mut first = self.damage.lock().expect("no panic holds the lock");
            first.get_or_insert(damage);
            return Err(ParquetError::General(format!(
                "block {} does not match its digest",
                damage.0
            )));
        }
        let at = (start - from) as usize;
        Ok(Bytes::from(buffer).slice(at..at + length))
    }
}

/// [`At`]'s reader from an offset on.
pub(crate) struct AtReader {
    at: At,
    pos: u64,
}

impl Read for AtReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at.blocks.is_none() {
            let n = self.at.file.read_at(buf, self.pos)?;
            self.pos += n as u64;
            return Ok(n);
        }
        let n = buf.len().min(self.at.len.saturating_sub(self.pos) as usize);
        let bytes = self
            .at
            .get_bytes(self.pos, n)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        buf[..n].copy_from_slice(&bytes);
        self.pos += n as u64;
        Ok(n)
    }
}
