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

use std::path::Path;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql, params_from_iter};
use secmaster_core::{Column, SecurityMaster, Table, Value, ValueType};

use crate::infer::expected;
use crate::schema::{TableSchema, to_master};
use crate::text::{format_date, parse_date, parse_float};
use crate::{Error, Location, Result, atomic};

mod statements;

pub use statements::{master_statements, master_to_writer, statements, to_writer};

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

/// Names SQL cannot hold are refused up front, not left to fail as a syntax error (as the
/// `table_ipc` fuzz target found): a table or column name with a NUL character, and in
/// SQLite, whose names ignore ASCII case, two columns whose names differ only in case.
fn check_names(schema: &TableSchema, name: &str, dialect: Dialect) -> Result<()> {
    let refuse = |bad: &str, reason: &str| {
        Err(Error::UnrepresentableName {
            name: bad.to_string(),
            reason: reason.to_string(),
        })
    };
    let names = std::iter::once(name).chain(schema.columns().iter().map(|c| c.name()));
    if let Some(bad) = names.into_iter().find(|n| n.contains('\0')) {
        return refuse(
            bad,
            "SQL cannot name a table or column with a NUL character",
        );
    }
    if dialect == Dialect::Sqlite {
        let mut seen = std::collections::HashSet::new();
        for c in schema.columns() {
            if !seen.insert(c.name().to_ascii_lowercase()) {
                return refuse(
                    c.name(),
                    "SQLite ignores case in column names, and another column has this name",
                );
            }
        }
    }
    Ok(())
}

/// The names of table `name`'s columns, in order, from `pragma_table_info`: rusqlite's
/// `column_names` and `column_name` panic on a name that is not UTF-8 (the `table_sqlite`
/// fuzz target found it), which is refused here instead.
fn column_names(conn: &Connection, path: &Path, name: &str) -> Result<Vec<String>> {
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")
        .map_err(sql_error(path))?;
    let mut rows = stmt.query([name]).map_err(sql_error(path))?;
    let mut names = Vec::new();
    while let Some(row) = rows.next().map_err(sql_error(path))? {
        let bytes = match row.get_ref(0).map_err(sql_error(path))? {
            rusqlite::types::ValueRef::Text(t) => t.to_vec(),
            other => format!("{other:?}").into_bytes(),
        };
        names.push(String::from_utf8(bytes).map_err(|_| Error::InvalidSchema {
            path: path.to_path_buf(),
            reason: format!("table `{name}` has a column whose name is not UTF-8"),
        })?);
    }
    Ok(names)
}

fn write_rows(
    path: &Path,
    schema: &TableSchema,
    name: &str,
    rows: impl FnOnce(&mut dyn FnMut(&[Value]) -> rusqlite::Result<()>) -> rusqlite::Result<()>,
) -> Result<()> {
    check_names(schema, name, Dialect::Sqlite)?;
    let row_number = std::cell::Cell::new(0u64);
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
                row_number.set(row_number.get() + 1);
                insert.execute(params_from_iter(row.iter().map(Cell)))?;
                Ok(())
            })?;
        }
        tx.commit()
    };
    // A master-shaped table's (security_id, effective_start_date) is the SQL table's
    // primary key: a table read from elsewhere that repeats one cannot be written (the
    // `table_csv` fuzz target found SQLite's bare "constraint failed" for it).
    let failed = |source: rusqlite::Error| {
        let row = row_number.get();
        match source.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ConstraintViolation) if schema.is_master_shaped() => {
                Error::Unrepresentable {
                    row,
                    column: schema.columns()[1].name().to_string(),
                    reason: format!(
                        "an earlier row has the same {} and {}, the SQL table's primary key",
                        schema.columns()[0].name(),
                        schema.columns()[1].name()
                    ),
                }
            }
            _ => sql_error(path)(source),
        }
    };
    if path.exists() {
        // SQLite's own transaction keeps an existing database whole.
        fill(path).map_err(failed)
    } else {
        // A new database is built aside and renamed into place.
        let tmp = atomic::temp_beside(path)?;
        fill(&tmp).map_err(failed)?;
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
    let names = column_names(&conn, path, name)?;
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
