//! Arrow IPC files (`.arrow`, Feather v2): write a table or master, read it back exactly.

use std::path::Path;

use arrow_array::RecordBatch;
use arrow_ipc::reader::FileReader;
use arrow_ipc::writer::FileWriter;
use arrow_schema::{ArrowError, Schema};
use secmaster_core::{SecurityMaster, Table};

use crate::arrow::{DEFAULT_BATCH_ROWS, TableReader, Target, master_batches, to_record_batch};
use crate::{Error, Result, atomic};

fn arrow_error(path: &Path) -> impl Fn(ArrowError) -> Error + '_ {
    move |source| Error::Arrow {
        path: path.to_path_buf(),
        source,
    }
}

fn write_batches(
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
    let file = atomic::open(path)?;
    let ipc = FileReader::try_new(file, None).map_err(arrow_error(path))?;
    let mut table = TableReader::of(target, &ipc.schema(), path)?;
    for batch in ipc {
        table.push(&batch.map_err(arrow_error(path))?)?;
    }
    Ok(table)
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

/// The Arrow schema of an IPC file, without reading its batches.
pub fn schema(path: impl AsRef<Path>) -> Result<Schema> {
    let path = path.as_ref();
    let ipc = FileReader::try_new(atomic::open(path)?, None).map_err(arrow_error(path))?;
    Ok(ipc.schema().as_ref().clone())
}
