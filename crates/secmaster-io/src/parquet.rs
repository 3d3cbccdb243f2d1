//! Parquet files: write a table or master, read it back exactly.
//!
//! The file carries the Arrow schema (and so secmaster's metadata) the way every Arrow
//! writer does, under `ARROW:schema`; other tools see plain typed columns. Columns are
//! compressed with zstd.

use std::fs::File;
use std::path::Path;

use arrow_array::RecordBatch;
use arrow_schema::{Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use secmaster_core::{SecurityMaster, Table};

use crate::arrow::{DEFAULT_BATCH_ROWS, TableReader, master_batches, to_record_batch};
use crate::{Error, Result, atomic};

pub(crate) fn parquet_error(path: &Path) -> impl Fn(ParquetError) -> Error + '_ {
    move |source| Error::Parquet {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes the batches as they come. Making a batch (walking the master's rows) and
/// encoding the one before it (dictionaries, statistics, zstd) run on two threads, a
/// batch apart, so on two cores the writer takes about as long as the slower of the two.
fn write_batches(
    path: &Path,
    schema: SchemaRef,
    batches: impl Iterator<Item = RecordBatch>,
) -> Result<()> {
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    atomic::write_file(path, |out| {
        let mut writer =
            ArrowWriter::try_new(out, schema, Some(props)).map_err(parquet_error(path))?;
        let writer = std::thread::scope(|s| {
            let (send, receive) = std::sync::mpsc::sync_channel::<RecordBatch>(1);
            let encoder = s.spawn(move || {
                for batch in receive {
                    writer.write(&batch)?;
                }
                Ok(writer)
            });
            for batch in batches {
                // A failed encoder has hung up; its error is below.
                if send.send(batch).is_err() {
                    break;
                }
            }
            drop(send);
            encoder.join().expect("the encoder does not panic")
        })
        .map_err(parquet_error(path))?;
        writer.close().map_err(parquet_error(path))?;
        Ok(())
    })
}

/// Writes a table to a Parquet file, replacing `path` only once the file is complete.
pub fn write(path: impl AsRef<Path>, table: &Table) -> Result<()> {
    let batch = to_record_batch(table);
    write_batches(path.as_ref(), batch.schema(), std::iter::once(batch))
}

/// Writes a master's table, streamed from its cursor in row groups, to a Parquet file with
/// its priority in the schema metadata.
pub fn write_master(path: impl AsRef<Path>, master: &SecurityMaster) -> Result<()> {
    let batches = master_batches(master, DEFAULT_BATCH_ROWS);
    write_batches(path.as_ref(), batches.schema(), batches)
}

pub(crate) fn builder(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>> {
    ParquetRecordBatchReaderBuilder::try_new(atomic::open(path)?).map_err(parquet_error(path))
}

fn read_into(path: &Path) -> Result<TableReader<'_>> {
    let builder = builder(path)?;
    let mut table = TableReader::new(builder.schema(), path)?;
    for batch in builder.build().map_err(parquet_error(path))? {
        let batch = batch.map_err(|source| Error::Arrow {
            path: path.to_path_buf(),
            source,
        })?;
        table.push(&batch)?;
    }
    Ok(table)
}

/// Reads a table from the bytes of a Parquet file; `path` names it in errors.
pub(crate) fn read_bytes(bytes: Vec<u8>, path: &Path) -> Result<Table> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .map_err(parquet_error(path))?;
    let mut table = TableReader::new(builder.schema(), path)?;
    for batch in builder.build().map_err(parquet_error(path))? {
        let batch = batch.map_err(|source| Error::Arrow {
            path: path.to_path_buf(),
            source,
        })?;
        table.push(&batch)?;
    }
    table.finish()
}

/// Reads a table from a Parquet file.
pub fn read(path: impl AsRef<Path>) -> Result<Table> {
    read_into(path.as_ref())?.finish()
}

/// Reads a master from a Parquet file written by [`write_master`] (or any file holding a
/// master's table; without priority metadata the default priority applies).
pub fn read_master(path: impl AsRef<Path>) -> Result<SecurityMaster> {
    read_into(path.as_ref())?.finish_master()
}

/// The Arrow schema of a Parquet file, from its footer.
pub fn schema(path: impl AsRef<Path>) -> Result<Schema> {
    Ok(builder(path.as_ref())?.schema().as_ref().clone())
}
