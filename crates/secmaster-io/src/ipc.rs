//! Arrow IPC files (`.arrow`, Feather v2): write a table or master, read it back exactly.

use std::path::Path;

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_buffer::Buffer;
use arrow_ipc::convert::try_fb_to_schema;
use arrow_ipc::reader::{FileDecoder, read_footer_length};
use arrow_ipc::writer::FileWriter;
use arrow_ipc::{Block, root_as_footer};
use arrow_schema::{ArrowError, Schema};
use secmaster_core::{SecurityMaster, Table};

use crate::arrow::{DEFAULT_BATCH_ROWS, TableReader, Target, master_batches, to_record_batch};
use crate::error::arrow_error;
use crate::{Error, Result, atomic};

pub(crate) fn write_batches(
    path: &Path,
    schema: &Schema,
    batches: impl Iterator<Item = RecordBatch>,
) -> Result<()> {
    atomic::write_file(path, |out| {
        let mut writer = FileWriter::try_new(out, schema).map_err(arrow_error(path))?;
        for batch in batches {
            writer.write(&batch).map_err(arrow_error(path))?;
        }
        writer.finish().map_err(arrow_error(path))
    })
}

/// Writes a table to an Arrow IPC file, replacing `path` only once the file is complete.
pub fn write(path: impl AsRef<Path>, table: &Table) -> Result<()> {
    let batch = to_record_batch(table);
    write_batches(
        path.as_ref(),
        &batch.schema(),
        std::iter::once(batch.clone()),
    )
}

/// Writes a master's table, streamed from its cursor, to an Arrow IPC file with its
/// priority in the schema metadata.
pub fn write_master(path: impl AsRef<Path>, master: &SecurityMaster) -> Result<()> {
    let batches = master_batches(master, DEFAULT_BATCH_ROWS);
    let schema = batches.schema();
    write_batches(path.as_ref(), &schema, batches)
}

/// Reads every batch of the file as `target`.
fn read_into<'p>(path: &'p Path, target: Target) -> Result<TableReader<'p>> {
    let file = File::open(path)?;
    let mut table = TableReader::of(target, &file.schema, path)?;
    for batch in file.batches() {
        table.push(&batch?)?;
    }
    Ok(table)
}

/// An IPC file in memory, its footer read.
///
/// arrow-ipc trusts the offsets and lengths a file declares: on a damaged file it panics
/// (a buffer sliced past its end, a negative length unwrapped) or allocates what a block
/// claims (apache/arrow-rs#10921), as the `table_ipc` fuzz target found. So the file is
/// read whole, every block the footer lists is checked to lie within it before it is
/// decoded from a slice of it (no allocation), and decoding runs in
/// [`contain`](crate::damaged::contain).
struct File<'p> {
    path: &'p Path,
    data: Buffer,
    schema: Arc<Schema>,
    version: arrow_ipc::MetadataVersion,
    dictionaries: Vec<Block>,
    batches: Vec<Block>,
}

impl<'p> File<'p> {
    fn open(path: &'p Path) -> Result<File<'p>> {
        let data = Buffer::from(std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?);
        let damaged = |what: &str| Error::Arrow {
            path: path.to_path_buf(),
            source: ArrowError::IpcError(format!(
                "not an Arrow IPC file, or a damaged one: {what}"
            )),
        };
        const MAGIC: &[u8] = b"ARROW1";
        if data.len() < 2 * MAGIC.len() + 4 || !data.starts_with(MAGIC) || !data.ends_with(MAGIC) {
            return Err(damaged("no ARROW1 magic at its start and end"));
        }
        let trailer = data.len() - 10;
        let footer_len = read_footer_length(data[trailer..].try_into().expect("10 bytes"))
            .map_err(arrow_error(path))?;
        let footer_start = trailer
            .checked_sub(footer_len)
            .ok_or_else(|| damaged("its footer is longer than the file"))?;
        let footer = root_as_footer(&data[footer_start..trailer])
            .map_err(|e| damaged(&format!("its footer: {e}")))?;
        let schema = footer
            .schema()
            .ok_or_else(|| damaged("its footer has no schema"))?;
        let schema = crate::damaged::contain(path, "Arrow IPC", || {
            try_fb_to_schema(schema).map_err(arrow_error(path))
        })?;
        let blocks = |list: Option<flatbuffers::Vector<'_, Block>>| -> Vec<Block> {
            list.into_iter().flatten().copied().collect()
        };
        Ok(File {
            version: footer.version(),
            dictionaries: blocks(footer.dictionaries()),
            batches: blocks(footer.recordBatches()),
            schema: Arc::new(schema),
            path,
            data,
        })
    }

    /// The bytes of a block, if the file holds them all.
    fn block(&self, block: &Block) -> Result<Buffer> {
        let start = usize::try_from(block.offset()).ok();
        let len = usize::try_from(block.metaDataLength())
            .ok()
            .zip(usize::try_from(block.bodyLength()).ok())
            .and_then(|(meta, body)| meta.checked_add(body));
        match start.zip(len) {
            Some((start, len))
                if start
                    .checked_add(len)
                    .is_some_and(|end| end <= self.data.len()) =>
            {
                Ok(self.data.slice_with_length(start, len))
            }
            _ => Err(Error::Arrow {
                path: self.path.to_path_buf(),
                source: ArrowError::IpcError(format!(
                    "a damaged Arrow IPC file: a block at offset {} of {} + {} bytes lies beyond its {} bytes",
                    block.offset(),
                    block.metaDataLength(),
                    block.bodyLength(),
                    self.data.len()
                )),
            }),
        }
    }

    /// The record batches, the dictionaries read first.
    fn batches(&self) -> impl Iterator<Item = Result<RecordBatch>> + '_ {
        let decode = |f: &mut dyn FnMut()
            -> std::result::Result<Option<RecordBatch>, ArrowError>| {
            crate::damaged::contain(self.path, "Arrow IPC", || {
                f().map_err(arrow_error(self.path))
            })
        };
        let mut decoder = FileDecoder::new(self.schema.clone(), self.version);
        let mut dictionaries = Some(&self.dictionaries);
        let mut batches = self.batches.iter();
        std::iter::from_fn(move || {
            if let Some(dictionaries) = dictionaries.take() {
                for block in dictionaries {
                    let data = match self.block(block) {
                        Ok(data) => data,
                        Err(e) => return Some(Err(e)),
                    };
                    if let Err(e) =
                        decode(&mut || decoder.read_dictionary(block, &data).map(|()| None))
                    {
                        return Some(Err(e));
                    }
                }
            }
            loop {
                let block = batches.next()?;
                let data = match self.block(block) {
                    Ok(data) => data,
                    Err(e) => return Some(Err(e)),
                };
                match decode(&mut || decoder.read_record_batch(block, &data)) {
                    Ok(Some(batch)) => return Some(Ok(batch)),
                    Ok(None) => {}
                    Err(e) => return Some(Err(e)),
                }
            }
        })
    }
}

/// Reads a table from an Arrow IPC file.
pub fn read(path: impl AsRef<Path>) -> Result<Table> {
    read_into(path.as_ref(), Target::Table)?.finish()
}

/// Reads a master from an Arrow IPC file written by [`write_master`] (or any file holding
/// a master's table; without priority metadata the default priority applies).
pub fn read_master(path: impl AsRef<Path>) -> Result<SecurityMaster> {
    read_into(path.as_ref(), Target::Master)?.finish_master()
}

/// The Arrow schema of an IPC file, without decoding its batches.
pub fn schema(path: impl AsRef<Path>) -> Result<Schema> {
    Ok(File::open(path.as_ref())?.schema.as_ref().clone())
}
