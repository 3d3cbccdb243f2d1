//! SQL: a table into a SQLite database and back, and the same as statements to pipe into
//! `sqlite3` or `psql`.
//!
//! The table becomes a typed SQL table whose columns are in the table's order:
//!
//! | secmaster | SQLite    | PostgreSQL         |
//! |-----------|-----------|--------------------|
//! | int       | `INTEGER` | `BIGINT`           |
//! | float     | `REAL`    | `DOUBLE PRECISION` |
//! | bool      | `BOOLEAN` (0 or 1) | `BOOLEAN` |
//! | str       | `TEXT`    | `TEXT`             |
//! | date      | `DATE` (ISO text, `2024-03-22`) | `DATE` |
//! | unknown (all null) | no declared type | `TEXT` |
//!
//! A master's table gets `PRIMARY KEY (security_id, effective_start_date)`. Rows are
//! inserted in order, in one transaction, with a prepared statement; writing a table
//! replaces a table of the same name.
//!
//! What SQL types cannot say travels in a second table, `secmaster_schema (table_name,
//! schema)`, whose `schema` is the [`TableSchema`] as JSON: the key count, the master's
//! priority, and the type of a column whose every value is null. Without it, a table is
//! read by its declared types.
//!
//! The SQLite dialect writes a float that is not a whole number below 10^15 as its exact
//! binary value, `(CAST(3602879701896397 AS REAL) / 36028797018963968)` for `0.1`: SQLite's
//! decimal parser (3.40 at least) can be one unit in the last place off, and rule 11 asks
//! for every float back bit for bit. The PostgreSQL dialect writes shortest decimals.
//!
//! SQLite stores a `REAL` that is a whole number as an integer and a NaN as `NULL`, so
//! `-0.0` would come back as `0.0` and NaN as null. Those floats alone are stored as
//! 8-byte big-endian blobs of their bits (`X'8000000000000000'` for `-0.0`), and come
//! back bit for bit. In the PostgreSQL dialect they are `'-0'` and `'NaN'` (a NaN's
//! payload is not kept there).

use std::io::Write;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql, params_from_iter};
use secmaster_core::{Column, SecurityMaster, Table, Value, ValueType};

use crate::infer::expected;
use crate::schema::{TableSchema, to_master};
use crate::text::{format_date, parse_date, parse_float};
use crate::{Error, Location, Result, atomic};

/// The table name used when none is given.
pub const DEFAULT_TABLE: &str = "security_master";

/// The table that records the [`TableSchema`] of each table written.
pub const SCHEMA_TABLE: &str = "secmaster_schema";

/// The SQL dialect of [`statements`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Dialect {
    /// SQLite 3, as [`write`](fn@write) writes it.
    #[default]
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quote_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn type_name(ty: Option<ValueType>, dialect: Dialect) -> &'static str {
    match (ty, dialect) {
        (None, Dialect::Sqlite) => "",
        (None, Dialect::Postgres) => "TEXT",
        (Some(ValueType::Int), Dialect::Sqlite) => "INTEGER",
        (Some(ValueType::Int), Dialect::Postgres) => "BIGINT",
        (Some(ValueType::Float), Dialect::Sqlite) => "REAL",
        (Some(ValueType::Float), Dialect::Postgres) => "DOUBLE PRECISION",
        (Some(ValueType::Bool), _) => "BOOLEAN",
        (Some(ValueType::Str), _) => "TEXT",
        (Some(ValueType::Date), _) => "DATE",
    }
}

/// The type a declared SQLite column type stands for, for tables without a schema record.
fn declared_type(decl: &str) -> Option<Option<ValueType>> {
    let d = decl.to_ascii_uppercase();
    Some(match d.as_str() {
        "" => None,
        "BOOLEAN" | "BOOL" => Some(ValueType::Bool),
        "DATE" => Some(ValueType::Date),
        _ if d.contains("INT") => Some(ValueType::Int),
        _ if d.contains("CHAR") || d.contains("TEXT") || d.contains("CLOB") => Some(ValueType::Str),
        _ if d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB") => {
            Some(ValueType::Float)
        }
        _ => return None,
    })
}

/// Whether SQLite would change this float (a NaN becomes NULL, `-0.0` becomes `0`).
fn needs_blob(x: f64) -> bool {
    x.is_nan() || (x == 0.0 && x.is_sign_negative())
}

fn create_table(schema: &TableSchema, name: &str, dialect: Dialect) -> String {
    let master = schema.is_master_shaped();
    let mut lines: Vec<String> = schema
        .columns()
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let ty = type_name(c.value_type(), dialect);
            let not_null = if master && i < 2 { " NOT NULL" } else { "" };
            let sep = if ty.is_empty() { "" } else { " " };
            format!("  {}{sep}{ty}{not_null}", quote_ident(c.name()))
        })
        .collect();
    if master {
        lines.push(format!(
            "  PRIMARY KEY ({}, {})",
            quote_ident(schema.columns()[0].name()),
            quote_ident(schema.columns()[1].name())
        ));
    }
    format!(
        "DROP TABLE IF EXISTS {table};\nCREATE TABLE {table} (\n{}\n);\n\
         CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} (table_name TEXT PRIMARY KEY, schema TEXT NOT NULL);\n\
         DELETE FROM {SCHEMA_TABLE} WHERE table_name = {name_text};\n\
         INSERT INTO {SCHEMA_TABLE} (table_name, schema) VALUES ({name_text}, {json});\n",
        lines.join(",\n"),
        table = quote_ident(name),
        name_text = quote_text(name),
        json = quote_text(&schema.to_json()),
    )
}

/// A date as each dialect's text reads it. SQLite keeps dates as text, so the ISO form
/// (with a sign outside years 0–9999) reads back exactly; PostgreSQL reads years past 9999
/// unsigned and years before 1 as `BC` (1 BC is ISO year 0), down to 4714-11-24 BC.
fn date_literal(d: NaiveDate, dialect: Dialect) -> Result<String, String> {
    let (year, m, day) = (d.year(), d.month(), d.day());
    match dialect {
        Dialect::Sqlite => Ok(quote_text(&format_date(d))),
        Dialect::Postgres if year >= 1 => Ok(quote_text(&format!("{year:04}-{m:02}-{day:02}"))),
        Dialect::Postgres => {
            let earliest = NaiveDate::from_ymd_opt(-4713, 11, 24).expect("a valid day");
            if d < earliest {
                return Err(format!(
                    "PostgreSQL cannot hold the date {}, before 4714-11-24 BC",
                    format_date(d)
                ));
            }
            Ok(quote_text(&format!("{:04}-{m:02}-{day:02} BC", 1 - year)))
        }
    }
}

/// A string as a literal. `sqlite3` and `psql` read their input a line at a time and drop a
/// CR before an LF, even inside a literal, and `sqlite3` stops a literal at a NUL; so those
/// characters are spelled as function calls. PostgreSQL text cannot hold a NUL at all.
fn text_literal(s: &str, dialect: Dialect) -> Result<String, String> {
    if dialect == Dialect::Postgres && s.contains('\0') {
        return Err("PostgreSQL text cannot hold a NUL character".to_string());
    }
    if !s.contains(['\r', '\0']) {
        return Ok(quote_text(s));
    }
    let function = match dialect {
        Dialect::Sqlite => "char",
        Dialect::Postgres => "chr",
    };
    let mut out = String::from("(");
    let mut rest = s;
    while let Some(at) = rest.find(['\r', '\0']) {
        let code = u32::from(rest.as_bytes()[at]);
        out.push_str(&quote_text(&rest[..at]));
        out.push_str(&format!(" || {function}({code}) || "));
        rest = &rest[at + 1..];
    }
    out.push_str(&quote_text(rest));
    out.push(')');
    Ok(out)
}

/// A cell as a literal of `dialect`, or why the dialect cannot hold it.
fn literal(value: &Value, dialect: Dialect) -> Result<String, String> {
    Ok(match (value, dialect) {
        (Value::Null, _) => "NULL".to_string(),
        (Value::Bool(b), Dialect::Sqlite) => if *b { "1" } else { "0" }.to_string(),
        (Value::Bool(b), Dialect::Postgres) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        (Value::Int(i), _) => i.to_string(),
        (Value::Float(x), Dialect::Sqlite) if needs_blob(*x) => {
            format!("X'{:016X}'", x.to_bits())
        }
        (Value::Float(x), Dialect::Sqlite) if x.is_infinite() => {
            if *x > 0.0 { "9e999" } else { "-9e999" }.to_string()
        }
        (Value::Float(x), Dialect::Postgres) if !x.is_finite() || needs_blob(*x) => {
            let text = if x.is_nan() {
                "NaN"
            } else if *x == f64::INFINITY {
                "Infinity"
            } else if *x == f64::NEG_INFINITY {
                "-Infinity"
            } else {
                "-0"
            };
            quote_text(text)
        }
        (Value::Float(x), Dialect::Sqlite) => sqlite_float(*x),
        (Value::Float(x), Dialect::Postgres) => format!("{x:?}"),
        (Value::Str(s), _) => text_literal(s, dialect)?,
        (Value::Date(d), _) => date_literal(*d, dialect)?,
    })
}

/// A finite float as a SQLite expression that evaluates to exactly `x`. Whole numbers below
/// 10^15 are plain literals, which SQLite reads exactly; any other float is written as its
/// exact binary form, an integer times or over powers of two, because SQLite's decimal
/// parser (3.40 at least) can be off by one unit in the last place.
fn sqlite_float(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{x:?}");
    }
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = (bits & ((1 << 52) - 1)) as i64;
    let (mut m, mut e) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased - 1075)
    };
    while m % 2 == 0 {
        m /= 2;
        e += 1;
    }
    if x < 0.0 {
        m = -m;
    }
    let mut out = format!("(CAST({m} AS REAL)");
    let op = if e < 0 { " / " } else { " * " };
    let mut k = e.unsigned_abs();
    while k > 0 {
        let step = k.min(62);
        out.push_str(op);
        out.push_str(&(1i64 << step).to_string());
        k -= step;
    }
    out.push(')');
    out
}

/// The `INSERT` of one row, or the index of the cell the dialect cannot hold and why.
fn insert_line<'v>(
    out: &mut String,
    table: &str,
    cells: impl Iterator<Item = &'v Value>,
    dialect: Dialect,
) -> Result<(), (usize, String)> {
    out.clear();
    out.push_str("INSERT INTO ");
    out.push_str(table);
    out.push_str(" VALUES (");
    for (i, v) in cells.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&literal(v, dialect).map_err(|reason| (i, reason))?);
    }
    out.push_str(");\n");
    Ok(())
}

fn statements_to_writer(
    mut w: impl Write,
    schema: &TableSchema,
    name: &str,
    dialect: Dialect,
    mut rows: impl FnMut(&mut dyn FnMut(&[Value]) -> std::io::Result<()>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    w.write_all(b"BEGIN;\n")?;
    w.write_all(create_table(schema, name, dialect).as_bytes())?;
    let table = quote_ident(name);
    let mut line = String::new();
    let mut row_number = 0;
    rows(&mut |row: &[Value]| {
        row_number += 1;
        insert_line(&mut line, &table, row.iter(), dialect).map_err(|(i, reason)| {
            let column = schema.columns()[i].name().to_string();
            let row = row_number;
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                Error::Unrepresentable {
                    row,
                    column,
                    reason,
                },
            )
        })?;
        w.write_all(line.as_bytes())
    })?;
    w.write_all(b"COMMIT;\n")
}

/// The statements of a writer into a `Vec`, whose only failure is a cell the dialect
/// cannot hold.
fn collect_statements(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> Result<String> {
    let mut out = Vec::new();
    if let Err(e) = write(&mut out) {
        let inner = e
            .into_inner()
            .expect("writing to a Vec fails only on a cell");
        return Err(*inner.downcast::<Error>().expect("an unrepresentable cell"));
    }
    Ok(String::from_utf8(out).expect("statements are UTF-8"))
}

/// Writes the SQL that creates table `name` holding `table` (`DROP TABLE IF EXISTS`,
/// `CREATE TABLE`, the schema record, one `INSERT` per row, all in one transaction) to any
/// writer, for piping into `sqlite3 FILE` or `psql`.
///
/// A cell the dialect cannot hold (a NUL character or a date before 4714-11-24 BC in
/// PostgreSQL) fails the write with [`std::io::ErrorKind::InvalidData`], whose inner
/// error is an [`Error::Unrepresentable`] naming the row and column.
pub fn to_writer(
    w: impl Write,
    table: &Table,
    name: &str,
    dialect: Dialect,
) -> std::io::Result<()> {
    statements_to_writer(w, &TableSchema::of_table(table), name, dialect, |emit| {
        table.rows().try_for_each(&mut *emit)
    })
}

/// Like [`to_writer`] for a master's table, streamed from its row cursor, with its priority
/// in the schema record.
pub fn master_to_writer(
    w: impl Write,
    master: &SecurityMaster,
    name: &str,
    dialect: Dialect,
) -> std::io::Result<()> {
    statements_to_writer(w, &TableSchema::of_master(master), name, dialect, |emit| {
        let mut cursor = master.cursor();
        while let Some(row) = cursor.next_row() {
            emit(&row.to_vec())?;
        }
        Ok(())
    })
}

/// The statements of [`to_writer`] as a string.
///
/// ```
/// use secmaster_core::{sample, SecurityMaster};
/// use secmaster_io::sql::{self, Dialect};
///
/// let master = SecurityMaster::build(sample::trail())?;
/// let text = sql::statements(&master.table(), "security_master", Dialect::Postgres)?;
/// assert!(text.contains("\"market_cap\" BIGINT"));
/// assert!(text.contains("PRIMARY KEY (\"security_id\", \"effective_start_date\")"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn statements(table: &Table, name: &str, dialect: Dialect) -> Result<String> {
    collect_statements(|out| to_writer(out, table, name, dialect))
}

/// The statements of [`master_to_writer`] as a string.
pub fn master_statements(master: &SecurityMaster, name: &str, dialect: Dialect) -> Result<String> {
    collect_statements(|out| master_to_writer(out, master, name, dialect))
}

/// A cell bound to a prepared statement.
struct Cell<'a>(&'a Value);

impl ToSql for Cell<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        use rusqlite::types::Value as Sql;
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Owned(Sql::Null),
            Value::Bool(b) => ToSqlOutput::Owned(Sql::Integer(i64::from(*b))),
            Value::Int(i) => ToSqlOutput::Owned(Sql::Integer(*i)),
            Value::Float(x) if needs_blob(*x) => {
                ToSqlOutput::Owned(Sql::Blob(x.to_bits().to_be_bytes().to_vec()))
            }
            Value::Float(x) => ToSqlOutput::Owned(Sql::Real(*x)),
            Value::Str(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Date(d) => ToSqlOutput::Owned(Sql::Text(format_date(*d))),
        })
    }
}

fn sql_error(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |source| Error::Sql {
        path: path.to_path_buf(),
        source,
    }
}

fn write_rows(
    path: &Path,
    schema: &TableSchema,
    name: &str,
    rows: impl FnOnce(&mut dyn FnMut(&[Value]) -> rusqlite::Result<()>) -> rusqlite::Result<()>,
) -> Result<()> {
    let fill = |db: &Path| -> rusqlite::Result<()> {
        let mut conn = Connection::open(db)?;
        let tx = conn.transaction()?;
        tx.execute_batch(&create_table(schema, name, Dialect::Sqlite))?;
        {
            let marks = vec!["?"; schema.columns().len()].join(", ");
            let mut insert = tx.prepare(&format!(
                "INSERT INTO {} VALUES ({marks})",
                quote_ident(name)
            ))?;
            rows(&mut |row: &[Value]| {
                insert.execute(params_from_iter(row.iter().map(Cell)))?;
                Ok(())
            })?;
        }
        tx.commit()
    };
    if path.exists() {
        // SQLite's own transaction keeps an existing database whole.
        fill(path).map_err(sql_error(path))
    } else {
        // A new database is built aside and renamed into place.
        let tmp = atomic::temp_beside(path)?;
        fill(&tmp).map_err(sql_error(path))?;
        tmp.persist(path).map_err(|e| Error::Write {
            path: path.to_path_buf(),
            source: e.error,
        })
    }
}

/// Writes a table into the SQLite database at `path` as table `name`, replacing a table of
/// that name, in one transaction. A database that does not exist yet is created aside and
/// renamed into place, so a failed write leaves nothing at `path`.
pub fn write(path: impl AsRef<Path>, name: &str, table: &Table) -> Result<()> {
    write_rows(
        path.as_ref(),
        &TableSchema::of_table(table),
        name,
        |insert| table.rows().try_for_each(insert),
    )
}

/// Writes a master's table, streamed from its row cursor, like [`write`](fn@write), with its priority
/// in the schema record.
pub fn write_master(path: impl AsRef<Path>, name: &str, master: &SecurityMaster) -> Result<()> {
    write_rows(
        path.as_ref(),
        &TableSchema::of_master(master),
        name,
        |insert| {
            let mut cursor = master.cursor();
            while let Some(row) = cursor.next_row() {
                insert(&row.to_vec())?;
            }
            Ok(())
        },
    )
}

/// The user tables of the SQLite database at `path` (the schema table left out), by name.
pub fn tables(path: impl AsRef<Path>) -> Result<Vec<String>> {
    let path = path.as_ref();
    let conn = open(path)?;
    list_tables(&conn).map_err(sql_error(path))
}

fn open(path: &Path) -> Result<Connection> {
    // Opening read-only never creates a missing file; report it as a read error.
    atomic::open(path)?;
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(sql_error(path))
}

fn list_tables(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )?;
    let names = stmt.query_map([], |r| r.get::<_, String>(0))?;
    names
        .filter(|n| n.as_ref().map_or(true, |n| n != SCHEMA_TABLE))
        .collect()
}

fn read_schema(conn: &Connection, path: &Path, name: &str) -> Result<TableSchema> {
    let has_record = list_tables_all(conn).map_err(sql_error(path))?;
    if has_record {
        let json: Option<String> = conn
            .query_row(
                &format!("SELECT schema FROM {SCHEMA_TABLE} WHERE table_name = ?1"),
                [name],
                |r| r.get(0),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })
            .map_err(sql_error(path))?;
        if let Some(json) = json {
            return TableSchema::from_json(&json, path);
        }
    }
    let mut stmt = conn
        .prepare(&format!(
            "SELECT name, type FROM pragma_table_info({})",
            quote_text(name)
        ))
        .map_err(sql_error(path))?;
    let info: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(|rows| rows.collect())
        .map_err(sql_error(path))?;
    let mut columns = Vec::with_capacity(info.len());
    for (column, decl) in info {
        let ty = declared_type(&decl).ok_or_else(|| Error::UnsupportedType {
            path: path.to_path_buf(),
            column: column.clone(),
            data_type: decl.clone(),
        })?;
        columns.push(Column::new(column, ty));
    }
    let names: Vec<&str> = columns.iter().map(Column::name).collect();
    let keys = TableSchema::guess_key_columns(&names);
    Ok(TableSchema::new(columns, keys, None))
}

fn list_tables_all(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [SCHEMA_TABLE],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

fn describe(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Null => "null".to_string(),
        ValueRef::Integer(i) => format!("integer {i}"),
        ValueRef::Real(x) => format!("real {x:?}"),
        ValueRef::Text(t) => format!("text '{}'", String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => format!("a blob of {} bytes", b.len()),
    }
}

fn cell(v: ValueRef<'_>, ty: Option<ValueType>) -> Option<Value> {
    let text = |t: &[u8]| std::str::from_utf8(t).ok().map(str::to_owned);
    Some(match (v, ty) {
        (ValueRef::Null, _) => Value::Null,
        (ValueRef::Integer(i), Some(ValueType::Int)) => Value::Int(i),
        (ValueRef::Integer(i), Some(ValueType::Bool)) if i == 0 || i == 1 => Value::Bool(i == 1),
        (ValueRef::Real(x), Some(ValueType::Float)) => Value::Float(x),
        (ValueRef::Integer(i), Some(ValueType::Float)) => Value::Float(i as f64),
        (ValueRef::Blob(b), Some(ValueType::Float)) => {
            Value::Float(f64::from_bits(u64::from_be_bytes(b.try_into().ok()?)))
        }
        (ValueRef::Text(t), Some(ValueType::Float)) => Value::Float(parse_float(&text(t)?)?),
        (ValueRef::Text(t), Some(ValueType::Str)) => Value::from(text(t)?),
        (ValueRef::Text(t), Some(ValueType::Date)) => Value::Date(parse_date(&text(t)?)?),
        _ => return None,
    })
}

fn read_with_schema(path: &Path, name: &str) -> Result<(Table, TableSchema)> {
    let conn = open(path)?;
    let available = list_tables(&conn).map_err(sql_error(path))?;
    if !available.iter().any(|t| t == name) {
        return Err(Error::NoSuchTable {
            path: path.to_path_buf(),
            table: name.to_string(),
            available: if available.is_empty() {
                "no tables".to_string()
            } else {
                available.join(", ")
            },
        });
    }
    let schema = read_schema(&conn, path, name)?;
    let mut stmt = conn
        .prepare(&format!(
            "SELECT * FROM {} ORDER BY rowid",
            quote_ident(name)
        ))
        .map_err(sql_error(path))?;
    let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    schema.check_names(&names, path)?;
    let types: Vec<Option<ValueType>> = schema.columns().iter().map(Column::value_type).collect();
    let mut rows = Vec::new();
    let mut query = stmt.query([]).map_err(sql_error(path))?;
    while let Some(r) = query.next().map_err(sql_error(path))? {
        let mut row = Vec::with_capacity(types.len());
        for (i, &ty) in types.iter().enumerate() {
            let v = r.get_ref(i).map_err(sql_error(path))?;
            let value = cell(v, ty).ok_or_else(|| Error::InvalidValue {
                path: path.to_path_buf(),
                location: Location::Row(rows.len() as u64 + 1),
                column: schema.columns()[i].name().to_string(),
                expected: ty
                    .map_or("null (the column has no type)", expected)
                    .to_string(),
                found: describe(v),
            })?;
            row.push(value);
        }
        rows.push(row);
    }
    drop(query);
    let table = schema.clone().table(rows, path)?;
    Ok((table, schema))
}

/// Reads table `name` from the SQLite database at `path`, typed by its schema record (or,
/// without one, by its declared column types).
pub fn read(path: impl AsRef<Path>, name: &str) -> Result<Table> {
    Ok(read_with_schema(path.as_ref(), name)?.0)
}

/// Reads a master from table `name` of the SQLite database at `path`; the priority comes
/// from the schema record (the default one if absent).
pub fn read_master(path: impl AsRef<Path>, name: &str) -> Result<SecurityMaster> {
    let path = path.as_ref();
    let (table, schema) = read_with_schema(path, name)?;
    to_master(&table, schema.options(), path)
}

#[cfg(test)]
mod tests {
    use secmaster_core::sample;

    use super::*;

    #[test]
    fn sqlite_statements_for_the_sample() {
        let master = SecurityMaster::build(sample::trail()).unwrap();
        let text = master_statements(&master, "sm", Dialect::Sqlite).unwrap();
        let head: Vec<&str> = text.lines().take(13).collect();
        assert_eq!(
            head,
            [
                "BEGIN;",
                "DROP TABLE IF EXISTS \"sm\";",
                "CREATE TABLE \"sm\" (",
                "  \"security_id\" INTEGER NOT NULL,",
                "  \"effective_start_date\" DATE NOT NULL,",
                "  \"effective_end_date\" DATE,",
                "  \"asset_class\" TEXT,",
                "  \"ticker\" TEXT,",
                "  \"name\" TEXT,",
                "  \"gics_industry\" TEXT,",
                "  \"gics_sector\" TEXT,",
                "  \"interest_rate\" INTEGER,",
                "  \"market_cap\" INTEGER,",
            ]
        );
        assert!(text.contains(
            "INSERT INTO \"sm\" VALUES (1, '2024-01-01', '2024-03-22', 'equity', 'GRPH', 'Graphite bio', 'biotechnology', 'healthcare', NULL, NULL);"
        ));
        assert!(text.ends_with("COMMIT;\n"));
    }

    #[test]
    fn nul_and_cr_are_spelled_as_calls_and_postgres_refuses_nul() {
        let lit = |s: &str, d| literal(&Value::from(s), d);
        assert_eq!(
            lit("a\0b", Dialect::Sqlite).unwrap(),
            "('a' || char(0) || 'b')"
        );
        assert_eq!(
            lit("\r'\0", Dialect::Sqlite).unwrap(),
            "('' || char(13) || '''' || char(0) || '')"
        );
        assert_eq!(
            lit("a\rb", Dialect::Postgres).unwrap(),
            "('a' || chr(13) || 'b')"
        );
        assert_eq!(
            lit("a\0b", Dialect::Postgres).unwrap_err(),
            "PostgreSQL text cannot hold a NUL character"
        );
    }

    #[test]
    fn dates_outside_years_1_to_9999_as_each_dialect_reads_them() {
        let d = |y, m, day| Value::Date(NaiveDate::from_ymd_opt(y, m, day).unwrap());
        let lit = |v: &Value, dialect| literal(v, dialect);
        assert_eq!(
            lit(&d(-1, 3, 22), Dialect::Sqlite).unwrap(),
            "'-0001-03-22'"
        );
        assert_eq!(
            lit(&d(-1, 3, 22), Dialect::Postgres).unwrap(),
            "'0002-03-22 BC'"
        );
        assert_eq!(
            lit(&d(0, 3, 22), Dialect::Postgres).unwrap(),
            "'0001-03-22 BC'"
        );
        assert_eq!(lit(&d(1, 1, 1), Dialect::Postgres).unwrap(), "'0001-01-01'");
        assert_eq!(
            lit(&d(12345, 3, 22), Dialect::Sqlite).unwrap(),
            "'+12345-03-22'"
        );
        assert_eq!(
            lit(&d(12345, 3, 22), Dialect::Postgres).unwrap(),
            "'12345-03-22'"
        );
        assert_eq!(
            lit(&d(-4713, 11, 24), Dialect::Postgres).unwrap(),
            "'4714-11-24 BC'"
        );
        assert!(lit(&d(-4713, 11, 23), Dialect::Postgres).is_err());
    }

    #[test]
    fn a_cell_postgres_cannot_hold_names_its_row_and_column() {
        let columns = vec![
            Column::new("security_id", Some(ValueType::Int)),
            Column::new("name", Some(ValueType::Str)),
        ];
        let rows = vec![
            vec![Value::Int(1), Value::from("fine")],
            vec![Value::Int(2), Value::from("nul\0here")],
        ];
        let table = Table::new(columns, 1, rows).unwrap();
        let e = statements(&table, "t", Dialect::Postgres).unwrap_err();
        assert_eq!(
            e.to_string(),
            "row 2, column `name`: PostgreSQL text cannot hold a NUL character"
        );
        assert!(statements(&table, "t", Dialect::Sqlite).is_ok());
    }

    #[test]
    fn odd_floats_have_literals() {
        let lit = |x: f64, d| literal(&Value::Float(x), d).unwrap();
        assert_eq!(lit(-0.0, Dialect::Sqlite), "X'8000000000000000'");
        assert_eq!(lit(f64::NAN, Dialect::Sqlite), "X'7FF8000000000000'");
        assert_eq!(lit(f64::NEG_INFINITY, Dialect::Sqlite), "-9e999");
        assert_eq!(lit(f64::NEG_INFINITY, Dialect::Postgres), "'-Infinity'");
        assert_eq!(lit(-0.0, Dialect::Postgres), "'-0'");
        assert_eq!(lit(1e300, Dialect::Postgres), "1e300");
        assert_eq!(lit(400.0, Dialect::Sqlite), "400.0");
        assert_eq!(
            lit(0.1, Dialect::Sqlite),
            "(CAST(3602879701896397 AS REAL) / 36028797018963968)"
        );
        assert_eq!(lit(-4.5, Dialect::Sqlite), "(CAST(-9 AS REAL) / 2)");
        assert_eq!(
            lit(1e15, Dialect::Sqlite),
            "(CAST(30517578125 AS REAL) * 32768)"
        );
        assert_eq!(
            literal(&Value::from("it's"), Dialect::Sqlite).unwrap(),
            "'it''s'"
        );
        assert_eq!(
            literal(&Value::from("a\r\n"), Dialect::Sqlite).unwrap(),
            "('a' || char(13) || '\n')"
        );
    }
}
