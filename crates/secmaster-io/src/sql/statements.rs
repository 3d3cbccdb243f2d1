//! SQL text: the statements that create a table and insert its rows, for `sqlite3` or
//! `psql`, and the literal of each cell in each dialect.

use std::io::Write;

use chrono::{Datelike, NaiveDate};
use secmaster_core::{SecurityMaster, Table, Value};

use super::{Dialect, check_names, create_table, needs_blob, quote_ident, quote_text};
use crate::schema::TableSchema;
use crate::text::format_date;
use crate::{Error, Result};

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
    check_names(schema, name, dialect)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
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

/// The statements of a writer into a `Vec`, whose only failures are a cell or a name the
/// dialect cannot hold.
fn collect_statements(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> Result<String> {
    let mut out = Vec::new();
    if let Err(e) = write(&mut out) {
        let inner = e
            .into_inner()
            .expect("writing to a Vec fails only on a cell or a name");
        return Err(*inner
            .downcast::<Error>()
            .expect("an unrepresentable cell or name"));
    }
    Ok(String::from_utf8(out).expect("statements are UTF-8"))
}

/// Writes the SQL that creates table `name` holding `table` (`DROP TABLE IF EXISTS`,
/// `CREATE TABLE`, the schema record, one `INSERT` per row, all in one transaction) to any
/// writer, for piping into `sqlite3 FILE` or `psql`.
///
/// A cell the dialect cannot hold (a NUL character or a date before 4714-11-24 BC in
/// PostgreSQL) fails the write with [`std::io::ErrorKind::InvalidData`], whose inner
/// error is an [`Error::Unrepresentable`] naming the row and column; a table or column
/// name with a NUL character, with an [`Error::UnrepresentableName`].
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

#[cfg(test)]
mod tests {
    use secmaster_core::{Column, ValueType, sample};

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
