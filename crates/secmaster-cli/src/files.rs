//! The CLI's one door to `secmaster-io`: reading fact, positions and table files, writing
//! tables. Everything about formats lives in io; this module only picks the function.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use secmaster_core::{Fact, Position, SecurityMaster, Table};
use secmaster_io::ReadOptions;
use secmaster_io::sql::DEFAULT_TABLE;

use crate::args::{Dialect, Format};
use crate::plan::format_of;

/// What a FACTS argument held: a trail of facts, or a master table secmaster wrote.
#[derive(Debug)]
pub(crate) enum Input {
    Facts(Vec<Fact>),
    Master(SecurityMaster),
}

/// Reads a fact file (CSV, JSON Lines, Parquet) or a master table file (Parquet, Arrow IPC),
/// typing values per attribute and, when `existing` is given, by its columns' types.
pub(crate) fn read_input(path: &Path, existing: Option<&SecurityMaster>) -> Result<Input> {
    match format_of(path) {
        Some(Format::Arrow) => return Ok(Input::Master(secmaster_io::ipc::read_master(path)?)),
        Some(Format::Parquet) if is_master_file(&secmaster_io::parquet::schema(path)?) => {
            return Ok(Input::Master(secmaster_io::parquet::read_master(path)?));
        }
        Some(Format::Sqlite) => {
            let table = sqlite_table(path)?;
            return Ok(Input::Master(secmaster_io::sql::read_master(path, &table)?));
        }
        Some(Format::Csv) if csv_header(path)?.contains("effective_start_date") => {
            return Ok(Input::Master(secmaster_io::csv::read_master(path)?));
        }
        _ => {}
    }
    let options = match existing {
        Some(master) => ReadOptions::default().for_master(master),
        None => ReadOptions::default(),
    };
    Ok(Input::Facts(secmaster_io::facts::read(path, &options)?))
}

/// A columnar file holds a master (not facts) when it has the master's key columns.
fn is_master_file(schema: &arrow_schema::Schema) -> bool {
    schema.field_with_name("effective_start_date").is_ok()
}

/// The first line of a CSV file, to tell a master table from a fact file.
fn csv_header(path: &Path) -> Result<String> {
    use std::io::BufRead;
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let mut line = String::new();
    std::io::BufReader::new(file)
        .read_line(&mut line)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    Ok(line)
}

/// The table to read from a SQLite file: the only one, or `security_master`.
fn sqlite_table(path: &Path) -> Result<String> {
    let tables = secmaster_io::sql::tables(path)?;
    Ok(match tables.as_slice() {
        [only] => only.clone(),
        _ => DEFAULT_TABLE.to_string(),
    })
}

/// Reads a positions file: `security_id,quantity,date`.
pub(crate) fn read_positions(path: &Path) -> Result<Vec<Position>> {
    Ok(secmaster_io::positions::read(
        path,
        &ReadOptions::default(),
    )?)
}

/// Reads a table file in `format`.
pub(crate) fn read_table(path: &Path, format: Format) -> Result<Table> {
    Ok(match format {
        Format::Csv => secmaster_io::csv::read(path)?,
        Format::Parquet => secmaster_io::parquet::read(path)?,
        Format::Arrow => secmaster_io::ipc::read(path)?,
        Format::Sqlite => secmaster_io::sql::read(path, &sqlite_table(path)?)?,
        Format::Json | Format::Table => {
            unreachable!("plan refuses to read JSON Lines and text tables")
        }
    })
}

/// Writes a text format (csv or json) to `w`.
pub(crate) fn write_text(w: &mut dyn Write, table: &Table, format: Format) -> Result<()> {
    match format {
        Format::Csv => secmaster_io::csv::to_writer(w, table)?,
        Format::Json => secmaster_io::json::to_writer(w, table)?,
        _ => unreachable!("binary formats go to files"),
    }
    Ok(())
}

/// Writes `table` to `path` in `format`, atomically (io's path writers never leave a
/// half-written file; CSV gets its schema sidecar so it reads back exactly).
pub(crate) fn write_file(path: &Path, table: &Table, format: Format) -> Result<()> {
    match format {
        Format::Csv => secmaster_io::csv::write(path, table)?,
        Format::Parquet => secmaster_io::parquet::write(path, table)?,
        Format::Arrow => secmaster_io::ipc::write(path, table)?,
        Format::Sqlite => secmaster_io::sql::write(path, DEFAULT_TABLE, table)?,
        Format::Json => secmaster_io::json::write(path, table)?,
        Format::Table => unreachable!("the table format is written by output.rs"),
    }
    Ok(())
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
        (Format::Csv, None) => secmaster_io::csv::master_to_writer(w, master)?,
        (Format::Json, None) => secmaster_io::json::master_to_writer(w, master)?,
        (Format::Csv, Some(p)) => secmaster_io::csv::write_master(p, master)?,
        (Format::Json, Some(p)) => secmaster_io::json::write_master(p, master)?,
        (Format::Parquet, Some(p)) => secmaster_io::parquet::write_master(p, master)?,
        (Format::Arrow, Some(p)) => secmaster_io::ipc::write_master(p, master)?,
        (Format::Sqlite, Some(p)) => secmaster_io::sql::write_master(p, DEFAULT_TABLE, master)?,
        (Format::Table, _) | (_, None) => unreachable!("plan routes these through tables"),
    }
    Ok(())
}

fn dialect(d: Dialect) -> secmaster_io::sql::Dialect {
    match d {
        Dialect::Sqlite => secmaster_io::sql::Dialect::Sqlite,
        Dialect::Postgres => secmaster_io::sql::Dialect::Postgres,
    }
}

/// The statements that create table `name` and insert `table`'s rows.
pub(crate) fn sql_statements(table: &Table, d: Dialect, name: &str) -> Result<String> {
    Ok(secmaster_io::sql::statements(table, name, dialect(d)))
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
