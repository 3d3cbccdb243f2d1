//! The CLI's one door to `secmaster-io`: reading fact, positions and table files, writing
//! tables. Everything about formats lives in io; this module only picks the function.

use std::io::Write;
use std::path::Path;

use anyhow::{Result, bail};
use secmaster_core::{Fact, Position, SecurityMaster, Table};

use crate::args::{Dialect, Format};

/// What a FACTS argument held: a trail of facts, or a master table secmaster wrote.
#[derive(Debug)]
pub(crate) enum Input {
    Facts(Vec<Fact>),
    Master(SecurityMaster),
}

/// Reads a fact file (CSV, JSON Lines, Parquet) or a master table file (Parquet, Arrow IPC),
/// typing values per attribute and, when `existing` is given, by its columns' types.
pub(crate) fn read_input(path: &Path, existing: Option<&SecurityMaster>) -> Result<Input> {
    let _ = (path, existing);
    bail!("reading fact files needs secmaster-io's fact readers, which are not there yet")
}

/// Reads a positions file: `security_id,quantity,date`.
pub(crate) fn read_positions(path: &Path) -> Result<Vec<Position>> {
    let _ = path;
    bail!("reading positions needs secmaster-io's positions reader, which is not there yet")
}

/// Reads a table file in `format`.
pub(crate) fn read_table(path: &Path, format: Format) -> Result<Table> {
    let _ = (path, format);
    bail!("reading table files needs secmaster-io's table readers, which are not there yet")
}

/// Writes a text format (csv or json) to `w`.
pub(crate) fn write_text(w: &mut dyn Write, table: &Table, format: Format) -> Result<()> {
    let _ = (w, table, format);
    bail!("writing CSV and JSON needs secmaster-io's writers, which are not there yet")
}

/// Writes a binary format (parquet, arrow, sqlite) to `path`, atomically.
pub(crate) fn write_file(path: &Path, table: &Table, format: Format) -> Result<()> {
    let _ = (path, table, format);
    bail!("writing Parquet, Arrow and SQLite needs secmaster-io's writers, which are not there yet")
}

/// The statements that create table `name` and insert `table`'s rows.
pub(crate) fn sql_statements(table: &Table, dialect: Dialect, name: &str) -> Result<String> {
    let _ = (table, dialect, name);
    bail!("SQL needs secmaster-io's statements, which are not there yet")
}

/// Writes `table` into an in-memory SQLite database with the statements and reads it back.
pub(crate) fn sqlite_round_trip(table: &Table, name: &str) -> Result<Table> {
    let _ = (table, name);
    bail!("SQL needs secmaster-io's SQLite round trip, which is not there yet")
}
