//! Any table file in any [`Format`], by its extension or as told: what the command line
//! reads and writes with `-o FILE`. Each format's module does the work: [`parquet`],
//! [`ipc`], [`csv`] (its schema in `FILE.csv.schema.json`), [`sql`] (table
//! `security_master`) and [`json`] (output only).

use std::io::{BufRead, BufReader};
use std::path::Path;

use secmaster_core::{KEY_COLUMNS, SecurityMaster, Table};

use crate::csv::records::Records;
use crate::sql::DEFAULT_TABLE;
use crate::{Error, Format, Result, arrow, atomic, csv, ipc, json, parquet, sql};

/// What a file holds, as told by its columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Content {
    /// A table: secmaster metadata, or the master's key columns first.
    Table,
    /// Facts: `security_id, attribute, value, effective_date`.
    Facts,
    /// Positions: `security_id, quantity, date`.
    Positions,
}

fn classify(names: &[String], has_metadata: bool) -> Content {
    let has = |wanted: &[&str]| {
        wanted
            .iter()
            .all(|w| names.iter().any(|n| n.trim().eq_ignore_ascii_case(w)))
    };
    let keys_first = names.len() >= 3 && names[..3].iter().zip(KEY_COLUMNS).all(|(n, k)| n == k);
    if has_metadata || keys_first {
        Content::Table
    } else if has(&["security_id", "attribute", "value", "effective_date"]) {
        Content::Facts
    } else if has(&["security_id", "quantity", "date"]) {
        Content::Positions
    } else {
        Content::Table
    }
}

fn schema_content(schema: &arrow_schema::Schema) -> Content {
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    classify(
        &names,
        schema.metadata.get(arrow::KEY_COLUMNS_METADATA).is_some(),
    )
}

/// Tells whether a file holds a table, facts or positions, from its columns (its header,
/// Arrow schema or JSON keys) without reading its data. A header-less CSV file whose first
/// field is an integer holds facts if it has four fields and positions if three.
pub fn detect(path: impl AsRef<Path>) -> Result<Content> {
    let path = path.as_ref();
    match Format::from_path(path)? {
        Format::Parquet => Ok(schema_content(&parquet::schema(path)?)),
        Format::Ipc => Ok(schema_content(&ipc::schema(path)?)),
        Format::Sqlite => Ok(Content::Table),
        Format::Csv => {
            if csv::schema_path(path).exists() {
                return Ok(Content::Table);
            }
            let mut records = Records::new(BufReader::new(atomic::open(path)?), true);
            let mut fields = Vec::new();
            records
                .next_record(&mut fields)
                .map_err(csv::record_error(path))?;
            let headerless = fields
                .first()
                .is_some_and(|f| f.text.parse::<i64>().is_ok());
            Ok(match (headerless, fields.len()) {
                (true, 4) => Content::Facts,
                (true, 3) => Content::Positions,
                (true, _) => Content::Table,
                (false, _) => {
                    let names: Vec<String> = fields.into_iter().map(|f| f.text).collect();
                    classify(&names, false)
                }
            })
        }
        Format::JsonLines => {
            let mut reader = BufReader::new(atomic::open(path)?);
            let mut line = String::new();
            loop {
                line.clear();
                let n = reader.read_line(&mut line).map_err(|source| Error::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                if n == 0 || !line.trim().is_empty() {
                    break;
                }
            }
            let names: Vec<String> = serde_json::from_str::<serde_json::Value>(&line)
                .ok()
                .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect()))
                .unwrap_or_default();
            Ok(classify(&names, false))
        }
    }
}

/// The table of a SQLite database that file-level reads use: `security_master`, or the
/// database's only table.
fn sqlite_table(path: &Path) -> Result<String> {
    let tables = sql::tables(path)?;
    if tables.iter().any(|t| t == DEFAULT_TABLE) {
        return Ok(DEFAULT_TABLE.to_string());
    }
    match tables.as_slice() {
        [only] => Ok(only.clone()),
        _ => Err(Error::NoSuchTable {
            path: path.to_path_buf(),
            table: DEFAULT_TABLE.to_string(),
            available: if tables.is_empty() {
                "no tables".to_string()
            } else {
                tables.join(", ")
            },
        }),
    }
}

fn output_only(path: &Path) -> Error {
    Error::UnknownFormat {
        path: path.to_path_buf(),
        expected: "a table format that reads back (.parquet, .arrow, .csv, .db); JSON Lines \
                   is output only"
            .to_string(),
    }
}

/// Reads a table from any table file.
pub fn read_table(path: impl AsRef<Path>) -> Result<Table> {
    let path = path.as_ref();
    match Format::from_path(path)? {
        Format::Parquet => parquet::read(path),
        Format::Ipc => ipc::read(path),
        Format::Csv => csv::read(path),
        Format::Sqlite => sql::read(path, &sqlite_table(path)?),
        Format::JsonLines => Err(output_only(path)),
    }
}

/// Reads a master from any table file it was written to.
pub fn read_master(path: impl AsRef<Path>) -> Result<SecurityMaster> {
    let path = path.as_ref();
    match Format::from_path(path)? {
        Format::Parquet => parquet::read_master(path),
        Format::Ipc => ipc::read_master(path),
        Format::Csv => csv::read_master(path),
        Format::Sqlite => sql::read_master(path, &sqlite_table(path)?),
        Format::JsonLines => Err(output_only(path)),
    }
}

/// Writes a table to a file in the format its extension says (SQLite: table
/// `security_master`).
pub fn write_table(path: impl AsRef<Path>, table: &Table) -> Result<()> {
    let path = path.as_ref();
    write_table_as(path, table, Format::from_path(path)?)
}

/// Writes a table to a file in `format`, whatever its extension.
pub fn write_table_as(path: impl AsRef<Path>, table: &Table, format: Format) -> Result<()> {
    let path = path.as_ref();
    match format {
        Format::Parquet => parquet::write(path, table),
        Format::Ipc => ipc::write(path, table),
        Format::Csv => csv::write(path, table),
        Format::Sqlite => sql::write(path, DEFAULT_TABLE, table),
        Format::JsonLines => json::write(path, table),
    }
}

/// Writes a master to a file in the format its extension says, with what it takes to read
/// it back as a master (its priority).
pub fn write_master(path: impl AsRef<Path>, master: &SecurityMaster) -> Result<()> {
    let path = path.as_ref();
    write_master_as(path, master, Format::from_path(path)?)
}

/// Writes a master to a file in `format`, whatever its extension.
pub fn write_master_as(
    path: impl AsRef<Path>,
    master: &SecurityMaster,
    format: Format,
) -> Result<()> {
    let path = path.as_ref();
    match format {
        Format::Parquet => parquet::write_master(path, master),
        Format::Ipc => ipc::write_master(path, master),
        Format::Csv => csv::write_master(path, master),
        Format::Sqlite => sql::write_master(path, DEFAULT_TABLE, master),
        Format::JsonLines => json::write_master(path, master),
    }
}
