//! Where a table goes: a text format to the injected writer, or any format to a file that
//! appears whole or not at all.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use secmaster_core::{SecurityMaster, Table};

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

fn write_text(w: &mut dyn Write, table: &Table, output: &Output) -> Result<()> {
    match output.format {
        OutputFormat::Table => Ok(render::write_table(w, table, &output.display)?),
        OutputFormat::File(format) => files::write_text(w, table, format),
    }
}

/// Whether `path` exists and is not a regular file (`/dev/null`, `/dev/stdout`, a FIFO):
/// such a path is written in place, never replaced by a renamed file.
fn is_device(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file())
}

/// Writes a text format straight into a device or pipe.
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
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    write(&mut w)?;
    w.flush()
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
}

/// Runs `write` on a temporary file beside `path`, then renames it to `path`: readers never
/// see a half-written file, and a failure leaves none. A device or pipe (see [`is_device`])
/// is written in place instead.
pub(crate) fn atomic(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    if is_device(path) {
        return to_device(path, OutputFormat::CSV, write);
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".secmaster-");
    // A temporary file is private (0600); the result should be as readable as any other.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let temp = builder
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a file in `{}`", dir.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, temp.as_file());
    write(&mut w)?;
    w.flush()
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    drop(w);
    temp.persist(path)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
}
