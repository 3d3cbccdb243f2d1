//! Table CSVs written and read back, typed by their schema sidecar or by their values.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use secmaster_core::{Column, FromRows, SecurityMaster, Table, Value, ValueType};

use super::digest::{Hashing, check_length, mismatch};
use super::{read_sidecar, record_error, schema_path};
use crate::arrow::Target;
use crate::csv::records::{Field, Records, push_field};
use crate::infer::{Fits, expected};
use crate::schema::{TableSchema, table_error, to_master};
use crate::text::{format_date, format_float, parse_bool, parse_date, parse_float};
use crate::{Error, Location, Result, atomic};

fn push_cell(line: &mut String, value: &Value) {
    match value {
        Value::Null => {}
        Value::Bool(b) => line.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => line.push_str(&i.to_string()),
        Value::Float(x) => line.push_str(&format_float(*x)),
        Value::Str(s) => push_field(line, s, false),
        Value::Date(d) => line.push_str(&format_date(*d)),
    }
}

pub(crate) fn header(columns: &[Column]) -> String {
    let mut line = String::new();
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        push_field(&mut line, c.name(), false);
    }
    line.push('\n');
    line
}

pub(crate) fn push_row<'v>(line: &mut String, cells: impl Iterator<Item = &'v Value>) {
    line.clear();
    for (i, v) in cells.enumerate() {
        if i > 0 {
            line.push(',');
        }
        push_cell(line, v);
    }
    line.push('\n');
}

/// Writes a table as CSV (header row, then one line per row) to any writer, e.g. stdout.
/// The schema is not written; see [`write`](fn@write) for a file that reads back exactly.
pub fn to_writer(mut w: impl Write, table: &Table) -> std::io::Result<()> {
    w.write_all(header(table.columns()).as_bytes())?;
    let mut line = String::new();
    for row in table.rows() {
        push_row(&mut line, row.iter());
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Writes a master's table as CSV to any writer, streamed from its row cursor.
pub fn master_to_writer(mut w: impl Write, master: &SecurityMaster) -> std::io::Result<()> {
    w.write_all(header(&master.columns()).as_bytes())?;
    let mut line = String::new();
    let mut cursor = master.cursor();
    while let Some(row) = cursor.next_row() {
        let keys = [
            Value::Int(row.security_id()),
            Value::Date(row.start()),
            row.end().map_or(Value::Null, Value::Date),
        ];
        push_row(&mut line, keys.iter().chain(row.attributes()));
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}

pub(crate) fn write_with_schema(
    path: &Path,
    schema: &TableSchema,
    body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let io = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    // Both files are complete before either replaces anything, and the sidecar names the
    // CSV it was written with: a crash between the two renames leaves a pair that readers
    // refuse with a clear error, never a CSV read with another's schema. The sidecar goes
    // first, so a sidecar from before digests never sits beside a new CSV.
    let mut digest = None;
    let table_file = atomic::stage(path, |w| {
        let mut hashing = Hashing::new(w);
        body(&mut hashing).map_err(io)?;
        digest = Some(hashing.digest());
        Ok(())
    })?;
    let sidecar = schema_path(path);
    let schema_file = atomic::stage(&sidecar, |w| {
        w.write_all(schema.to_json_with(digest).as_bytes())
            .and_then(|()| w.write_all(b"\n"))
            .map_err(|source| Error::Write {
                path: sidecar.clone(),
                source,
            })
    })?;
    schema_file.commit()?;
    table_file.commit()
}

/// Writes a table to a CSV file and its schema to the sidecar [`schema_path`]; each file is
/// replaced only once it is complete.
pub fn write(path: impl AsRef<Path>, table: &Table) -> Result<()> {
    let path = path.as_ref();
    write_with_schema(path, &TableSchema::of_table(table), |w| to_writer(w, table))
}

/// Writes a master's table to a CSV file and its schema, with the master's priority, to
/// the sidecar [`schema_path`].
pub fn write_master(path: impl AsRef<Path>, master: &SecurityMaster) -> Result<()> {
    let path = path.as_ref();
    write_with_schema(path, &TableSchema::of_master(master), |w| {
        master_to_writer(w, master)
    })
}

fn read_with_schema(path: &Path) -> Result<(Table, TableSchema)> {
    match read_checked(path, Target::Table)? {
        Read::Table(table, schema) => Ok((table, schema)),
        Read::Master(_) => unreachable!("read as a table"),
    }
}

/// Reads the table CSV at `path` with its sidecar, checking that the sidecar was written
/// with this CSV when it names one: the length before parsing, the digest after (and
/// after an error, which a CSV from another write explains better).
fn read_checked(path: &Path, target: Target) -> Result<Read> {
    let (schema, digest) = match read_sidecar(path)? {
        Some((schema, digest)) => (Some(schema), digest),
        None => (None, None),
    };
    let file = atomic::open(path)?;
    if let Some(expected) = &digest {
        check_length(path, &file, expected)?;
    }
    let mut reader = BufReader::new(Hashing::new(file));
    let read = read_csv(&mut reader, schema, path, target);
    if let Some(expected) = digest {
        if read.is_err() {
            // Hash the rest, so a parse error in a CSV from another write says so.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        }
        if reader.get_ref().digest() != expected {
            return Err(mismatch(path));
        }
    }
    read
}

/// Reads a table from a CSV file, typed by its sidecar when there is one (see the
/// [module docs](super) for a file without).
pub fn read(path: impl AsRef<Path>) -> Result<Table> {
    Ok(read_with_schema(path.as_ref())?.0)
}

/// Reads a master from a CSV file written by [`write_master`]; the priority comes from
/// the sidecar (the default one if absent).
pub fn read_master(path: impl AsRef<Path>) -> Result<SecurityMaster> {
    let path = path.as_ref();
    match read_checked(path, Target::Master)? {
        Read::Master(master) => Ok(master),
        Read::Table(table, schema) => to_master(&table, schema.options(), path),
    }
}
/// Reads a table CSV from any buffered reader, typed by `schema` when given (else inferred);
/// `name` names the input in errors. Returns the table and the schema it was read with.
pub fn from_reader(
    reader: impl BufRead,
    schema: Option<TableSchema>,
    name: &Path,
) -> Result<(Table, TableSchema)> {
    match read_csv(reader, schema, name, Target::Table)? {
        Read::Table(table, schema) => Ok((table, schema)),
        Read::Master(_) => unreachable!("read as a table"),
    }
}

/// What [`read_csv`] made of a file.
enum Read {
    Table(Table, TableSchema),
    Master(SecurityMaster),
}

/// Reads a table CSV as [`from_reader`] does; as a master, when `target` asks for one and
/// `schema` types the columns, row by row into the master, so a large master is never
/// whole in memory as rows of values (without a schema, typing needs every row first).
fn read_csv(
    reader: impl BufRead,
    schema: Option<TableSchema>,
    name: &Path,
    target: Target,
) -> Result<Read> {
    let mut records = Records::new(reader, false);
    let mut fields: Vec<Field> = Vec::new();
    let err = record_error(name);
    let Some(_) = records.next_record(&mut fields).map_err(&err)? else {
        return Err(Error::Malformed {
            path: name.to_path_buf(),
            location: Location::Line(1),
            reason: "the file is empty; expected a header row".to_string(),
        });
    };
    let names: Vec<String> = fields.iter().map(|f| f.text.clone()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    match &schema {
        Some(schema) => schema.check_names(&names, name)?,
        // A first "column name" that is an integer is a record: a fact or positions file
        // in the prototype's header-less layout, which read as a table would lose its
        // first record to the header and come back as something no reader takes.
        None if names
            .first()
            .is_some_and(|n| n.trim().parse::<i64>().is_ok()) =>
        {
            return Err(Error::Malformed {
                path: name.to_path_buf(),
                location: Location::Line(1),
                reason: "a table needs a header row, and this line is a record (it starts \
                         with an integer): a fact or positions file in the prototype's \
                         layout is read by `build` or `positions`, not as a table"
                    .to_string(),
            });
        }
        None => {}
    }
    let width = names.len();
    let ragged = |line: u64, found: usize| Error::RaggedRow {
        path: name.to_path_buf(),
        location: Location::Line(line),
        expected: width,
        found,
    };
    match schema {
        Some(schema) => {
            // A text cell equal to the one above shares its string.
            let mut above: Vec<Value> = vec![Value::Null; width];
            let mut next_row = |fields: &mut Vec<Field>| -> Result<Option<Vec<Value>>> {
                let Some(line) = records.next_record(fields).map_err(&err)? else {
                    return Ok(None);
                };
                if fields.len() != width {
                    return Err(ragged(line, fields.len()));
                }
                let mut row = Vec::with_capacity(width);
                for ((f, c), above) in fields.iter_mut().zip(schema.columns()).zip(&mut above) {
                    if let Value::Str(text) = above
                        && (f.quoted || !f.text.is_empty())
                        && **text == f.text
                    {
                        row.push(above.clone());
                        continue;
                    }
                    let value = typed_cell(f, c, line, name)?;
                    *above = value.clone();
                    row.push(value);
                }
                Ok(Some(row))
            };
            match target {
                Target::Table => {
                    let mut rows = Vec::new();
                    while let Some(row) = next_row(&mut fields)? {
                        rows.push(row);
                    }
                    let table = schema.clone().table(rows, name)?;
                    Ok(Read::Table(table, schema))
                }
                Target::Master => {
                    let mut master = FromRows::new(schema.columns(), schema.options())
                        .map_err(table_error(name))?;
                    while let Some(row) = next_row(&mut fields)? {
                        master.push(&row).map_err(table_error(name))?;
                    }
                    master.finish().map(Read::Master).map_err(table_error(name))
                }
            }
        }
        None => {
            let mut raw: Vec<(u64, Vec<Field>)> = Vec::new();
            let mut fits = vec![Fits::default(); width];
            while let Some(line) = records.next_record(&mut fields).map_err(&err)? {
                if fields.len() != width {
                    return Err(ragged(line, fields.len()));
                }
                for (f, fit) in fields.iter().zip(&mut fits) {
                    match (f.text.is_empty(), f.quoted) {
                        (true, false) => {}
                        (true, true) => fit.add_str(),
                        _ => fit.add(&f.text),
                    }
                }
                raw.push((line, std::mem::take(&mut fields)));
            }
            let columns: Vec<Column> = names
                .iter()
                .zip(&fits)
                .map(|(n, f)| Column::new(*n, f.narrowest()))
                .collect();
            let schema = TableSchema::new(columns, TableSchema::guess_key_columns(&names), None);
            let mut rows = Vec::with_capacity(raw.len());
            for (line, mut fields) in raw {
                let mut row = Vec::with_capacity(width);
                for (f, c) in fields.iter_mut().zip(schema.columns()) {
                    row.push(typed_cell(f, c, line, name)?);
                }
                rows.push(row);
            }
            let table = schema.clone().table(rows, name)?;
            Ok(Read::Table(table, schema))
        }
    }
}

fn typed_cell(field: &mut Field, column: &Column, line: u64, name: &Path) -> Result<Value> {
    if field.text.is_empty() && !field.quoted {
        return Ok(Value::Null);
    }
    let invalid = |expected: &str, found: &str| Error::InvalidValue {
        path: name.to_path_buf(),
        location: Location::Line(line),
        column: column.name().to_string(),
        expected: expected.to_string(),
        found: found.to_string(),
    };
    let s = field.text.as_str();
    let value = match column.value_type() {
        None => None,
        Some(ValueType::Str) => Some(Value::from(std::mem::take(&mut field.text))),
        Some(ValueType::Int) => s.parse().ok().map(Value::Int),
        Some(ValueType::Float) => parse_float(s).map(Value::Float),
        Some(ValueType::Bool) => parse_bool(s).map(Value::Bool),
        Some(ValueType::Date) => parse_date(s).map(Value::Date),
    };
    value.ok_or_else(|| {
        let what = column
            .value_type()
            .map_or("an empty field (the column has no type)", expected);
        invalid(what, &field.text)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_and_empty_strings_stay_apart() {
        let table = Table::new(
            vec![
                Column::new("s", Some(ValueType::Str)),
                Column::new("x", Some(ValueType::Float)),
            ],
            0,
            vec![
                vec![Value::from(""), Value::Float(-0.0)],
                vec![Value::Null, Value::Float(f64::NAN)],
                vec![Value::from("a,\"b\"\nc"), Value::Null],
            ],
        )
        .unwrap();
        let mut out = Vec::new();
        to_writer(&mut out, &table).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "s,x\n\"\",-0.0\n,NaN\n\"a,\"\"b\"\"\nc\",\n");
        let schema = TableSchema::of_table(&table);
        let (back, _) = from_reader(text.as_bytes(), Some(schema), Path::new("t.csv")).unwrap();
        assert_eq!(back, table);
        let (inferred, _) = from_reader(text.as_bytes(), None, Path::new("t.csv")).unwrap();
        assert_eq!(inferred.columns()[0].value_type(), Some(ValueType::Str));
        assert_eq!(inferred.columns()[1].value_type(), Some(ValueType::Str));
    }
}
