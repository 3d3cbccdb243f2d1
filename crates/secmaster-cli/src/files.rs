//! The CLI's one door to `secmaster-io`: reading fact, positions and table files, writing
//! tables. Everything about formats lives in io; this module only picks the function.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, anyhow};
use secmaster_core::{SecurityMaster, Table};
use secmaster_io::file::Content;
use secmaster_io::positions::PositionColumns;
use secmaster_io::{Format, ReadOptions};

use crate::args::Dialect;

/// What a FACTS argument held: a trail of facts (streamed from io's parsed blocks, so no
/// `Vec<Fact>` of the whole file is ever held), or a master table secmaster wrote.
#[derive(Debug)]
pub(crate) enum Input {
    Facts(secmaster_io::facts::Facts),
    Master(SecurityMaster),
}

/// Reads a fact file (CSV, JSON Lines, Parquet) or a table file secmaster wrote (Parquet,
/// Arrow IPC, SQLite, CSV with its sidecar), told apart by io from their columns. Facts are
/// typed per attribute and, when `existing` is given, by its columns' types.
pub(crate) fn read_input(path: &Path, existing: Option<&SecurityMaster>) -> Result<Input> {
    let options = match existing {
        Some(master) => ReadOptions::default().for_master(master),
        None => ReadOptions::default(),
    };
    match secmaster_io::file::detect(path) {
        Ok(Content::Table) => {}
        // Not a table extension (e.g. a `.txt` fact file): the fact reader decides.
        Ok(_) | Err(secmaster_io::Error::UnknownFormat { .. }) => {
            return Ok(Input::Facts(secmaster_io::facts::stream(path, &options)?));
        }
        Err(e) => return Err(e.into()),
    }
    // io calls a file a table when it is not plainly facts or positions; a four-column table
    // of facts (e.g. a fact CSV converted to Parquet) is still facts.
    let table_error = match secmaster_io::file::read_master(path) {
        Ok(master) => return Ok(Input::Master(master)),
        Err(e) => e,
    };
    match secmaster_io::facts::stream(path, &options) {
        Ok(facts) => Ok(Input::Facts(facts)),
        Err(facts_error) => Err(anyhow!(
            "`{}` is neither a table secmaster wrote ({}) nor a fact file ({facts_error})",
            path.display(),
            anyhow::Error::from(table_error)
                .chain()
                .last()
                .map_or_else(String::new, ToString::to_string),
        )),
    }
}

/// Reads a positions file (`security_id,quantity,date`) column by column.
pub(crate) fn read_positions(path: &Path) -> Result<PositionColumns> {
    Ok(secmaster_io::positions::read_columns(
        path,
        &ReadOptions::default(),
    )?)
}

/// Reads a table file, in the format its extension names.
pub(crate) fn read_table(path: &Path) -> Result<Table> {
    Ok(secmaster_io::file::read_table(path)?)
}

/// Writes a text format (CSV or JSON Lines) to `w`.
pub(crate) fn write_text(w: &mut dyn Write, table: &Table, format: Format) -> Result<()> {
    match format {
        Format::Csv => secmaster_io::csv::to_writer(w, table)?,
        Format::JsonLines => secmaster_io::json::to_writer(w, table)?,
        _ => unreachable!("binary formats go to files"),
    }
    Ok(())
}

/// Writes `table` to `path` in `format`, atomically (io's path writers never leave a
/// half-written file; CSV gets its schema sidecar so it reads back exactly).
pub(crate) fn write_file(path: &Path, table: &Table, format: Format) -> Result<()> {
    Ok(secmaster_io::file::write_table_as(path, table, format)?)
}

/// Writes the whole table of `master`, streamed from its rows without a copy of the table,
/// to `path` in `format` (atomically) or, for text formats without a path, to `w`.
pub(crate) fn write_master(
    w: &mut dyn Write,
    path: Option<&Path>,
    master: &SecurityMaster,
    format: Format,
) -> Result<()> {
    match (format, path) {
        (format, Some(p)) => secmaster_io::file::write_master_as(p, master, format)?,
        (Format::Csv, None) => secmaster_io::csv::master_to_writer(w, master)?,
        (Format::JsonLines, None) => secmaster_io::json::master_to_writer(w, master)?,
        (_, None) => unreachable!("binary formats go to files"),
    }
    Ok(())
}

fn dialect(d: Dialect) -> secmaster_io::sql::Dialect {
    match d {
        Dialect::Sqlite => secmaster_io::sql::Dialect::Sqlite,
        Dialect::Postgres => secmaster_io::sql::Dialect::Postgres,
        Dialect::Duckdb => unreachable!("DuckDB gets views over a store, not statements"),
    }
}

/// The statements that create table `name` and insert `table`'s rows.
pub(crate) fn sql_statements(table: &Table, d: Dialect, name: &str) -> Result<String> {
    Ok(secmaster_io::sql::statements(table, name, dialect(d))?)
}

/// Runs `statements` (as [`sql_statements`] made them) on an in-memory SQLite database and
/// reads table `name` back with io's typed reader.
pub(crate) fn sqlite_round_trip(statements: &str, name: &str) -> Result<Table> {
    let conn = rusqlite::Connection::open_in_memory()?;
    conn.execute_batch(statements)
        .context("running the statements on SQLite")?;
    // io reads a database file: copy the in-memory database into a private temporary one.
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("round_trip.sqlite");
    let target = file.to_str().context("temporary path is not UTF-8")?;
    conn.execute("VACUUM INTO ?1", [target])?;
    Ok(secmaster_io::sql::read(&file, name)?)
}
