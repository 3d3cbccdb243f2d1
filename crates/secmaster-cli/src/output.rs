//! Where a table goes: a text format to the injected writer, or any format to a file that
//! appears whole or not at all.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use secmaster_core::Table;

use crate::args::Format;
use crate::files;
use crate::plan::{Output, is_binary};
use crate::render;

/// Writes `table` as `output` says: to its path, or else to `out`.
pub(crate) fn emit(table: &Table, output: &Output, out: &mut dyn Write) -> Result<()> {
    match &output.path {
        None => write_text(out, table, output),
        // io's path writers are atomic too, and give a CSV its schema sidecar.
        Some(path) if is_binary(output.format) || output.format == Format::Csv => {
            files::write_file(path, table, output.format)
        }
        Some(path) => atomic(path, |w| write_text(w, table, output)),
    }
}

fn write_text(w: &mut dyn Write, table: &Table, output: &Output) -> Result<()> {
    match output.format {
        Format::Table => Ok(render::write_table(w, table, &output.display)?),
        format => files::write_text(w, table, format),
    }
}

/// Runs `write` on a temporary file beside `path`, then renames it to `path`: readers never
/// see a half-written file, and a failure leaves none.
pub(crate) fn atomic(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
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
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, temp.as_file());
    write(&mut w)?;
    w.flush()
        .with_context(|| format!("cannot write {}", path.display()))?;
    drop(w);
    temp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
