//! Where a table goes: a text format to the injected writer, or any format to a file that
//! appears whole or not at all.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use secmaster_core::{SecurityMaster, Table};
use secmaster_io::Format;
use secmaster_io::atomic::Draft;
use secmaster_io::query::Selected;

use crate::args::OutputFormat;
use crate::error::Usage;
use crate::files;
use crate::plan::Output;
use crate::render;

/// Writes `table` as `output` says: to its path, or else to `out`.
pub(crate) fn emit(table: &Table, output: &Output, out: &mut dyn Write) -> Result<()> {
    match (&output.path, output.format) {
        (None, _) => write_text(out, table, output),
        (Some(path), _) if is_device(path) => {
            to_device(path, output.format, |w| write_text(w, table, output))
        }
        // io's path writers are atomic too, and give a CSV its schema sidecar.
        (Some(path), OutputFormat::File(format)) => files::write_file(path, table, format),
        (Some(path), OutputFormat::Table) => atomic(path, |w| write_text(w, table, output)),
    }
}

/// Writes the whole table of `master` as `output` says, streaming where the format allows.
pub(crate) fn emit_master(
    master: &SecurityMaster,
    output: &Output,
    out: &mut dyn Write,
) -> Result<()> {
    match (output.format, &output.path) {
        (OutputFormat::Table, _) => emit(&master.table(), output, out),
        (OutputFormat::File(format), Some(path)) if is_device(path) => {
            to_device(path, output.format, |w| {
                files::write_master(w, None, master, format)
            })
        }
        (OutputFormat::File(format), path) => {
            files::write_master(out, path.as_deref(), master, format)
        }
    }
}

/// Writes the answer of a query as `output` says: a Parquet or Arrow IPC file straight from
/// its record batches, anything else as [`emit`] writes its table.
pub(crate) fn emit_selected(
    selected: &Selected,
    output: &Output,
    out: &mut dyn Write,
) -> Result<()> {
    match (&output.path, output.format) {
        (Some(path), OutputFormat::File(format @ (Format::Parquet | Format::Ipc)))
            if !is_device(path) =>
        {
            Ok(selected.write(path, format)?)
        }
        _ => emit(&selected.to_table()?, output, out),
    }
}

fn write_text(w: &mut dyn Write, table: &Table, output: &Output) -> Result<()> {
    match output.format {
        OutputFormat::Table => Ok(render::write_table(w, table, &output.display)?),
        OutputFormat::File(format) => files::write_text(w, table, format),
    }
}

/// Whether `path` is a device or pipe (`/dev/null`, `/dev/stdout`, a FIFO), which io's
/// atomic writer writes in place rather than replacing it with a renamed file.
fn is_device(path: &Path) -> bool {
    secmaster_io::atomic::is_special(path)
}

/// Writes a text format straight into a device or pipe; a binary format needs a file.
fn to_device(
    path: &Path,
    format: OutputFormat,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    if format.is_binary() {
        return Err(Usage::new(format!(
            "{} is not a regular file; --format {} needs one",
            path.display(),
            format.name()
        ))
        .into());
    }
    atomic(path, write)
}

/// Runs `write` on io's atomic writer: a temporary file beside `path`, synced and renamed
/// to `path` (so readers never see a half-written file, and a failure leaves none), with
/// the mode a new file gets or the mode of the file it replaces. A device or pipe is
/// written in place instead.
pub(crate) fn atomic(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let mut draft = Draft::create(path)?;
    write(&mut draft).with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(draft.commit()?)
}
