//! JSON Lines out: one object per row, for `--format json` and for tools like `jq`.
//!
//! Keys are the column names in column order; nulls are `null`, ints and finite floats are
//! numbers, booleans `true`/`false`, strings strings, dates ISO strings (`"2024-03-22"`).
//! JSON has no non-finite numbers, so infinities and NaNs are the strings `"inf"`,
//! `"-inf"` and `"NaN"`. This is an output format; it is not read back as a table.

use std::io::Write;
use std::path::Path;

use secmaster_core::{Column, SecurityMaster, Table, Value};

use crate::text::format_date;
use crate::{Error, Result, atomic};

fn push_string(out: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(out, s).expect("writing a string to a Vec cannot fail");
}

pub(crate) fn push_row<'v>(
    out: &mut Vec<u8>,
    columns: &[Column],
    cells: impl Iterator<Item = &'v Value>,
) {
    out.clear();
    out.push(b'{');
    for (i, (c, v)) in columns.iter().zip(cells).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_string(out, c.name());
        out.push(b':');
        match v {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
            Value::Float(x) if x.is_finite() => out.extend_from_slice(format!("{x:?}").as_bytes()),
            Value::Float(x) => push_string(out, &format!("{x}")),
            Value::Str(s) => push_string(out, s),
            Value::Date(d) => push_string(out, &format_date(*d)),
        }
    }
    out.extend_from_slice(b"}\n");
}

/// Writes a table as JSON Lines to any writer, e.g. stdout.
pub fn to_writer(mut w: impl Write, table: &Table) -> std::io::Result<()> {
    let mut line = Vec::new();
    for row in table.rows() {
        push_row(&mut line, table.columns(), row.iter());
        w.write_all(&line)?;
    }
    Ok(())
}

/// Writes a master's table as JSON Lines to any writer, streamed from its row cursor.
pub fn master_to_writer(mut w: impl Write, master: &SecurityMaster) -> std::io::Result<()> {
    let columns = master.columns();
    let mut line = Vec::new();
    let mut cursor = master.cursor();
    while let Some(row) = cursor.next_row() {
        let keys = [
            Value::Int(row.security_id()),
            Value::Date(row.start()),
            row.end().map_or(Value::Null, Value::Date),
        ];
        push_row(&mut line, &columns, keys.iter().chain(row.attributes()));
        w.write_all(&line)?;
    }
    Ok(())
}

/// Writes a table to a JSON Lines file, replacing `path` only once it is complete.
pub fn write(path: impl AsRef<Path>, table: &Table) -> Result<()> {
    let path = path.as_ref();
    atomic::write_file(path, |w| {
        to_writer(w, table).map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })
    })
}

/// Writes a master's table to a JSON Lines file.
pub fn write_master(path: impl AsRef<Path>, master: &SecurityMaster) -> Result<()> {
    let path = path.as_ref();
    atomic::write_file(path, |w| {
        master_to_writer(w, master).map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })
    })
}

#[cfg(test)]
mod tests {
    use secmaster_core::ValueType;

    use super::*;

    #[test]
    fn rows_are_objects_in_column_order() {
        let table = Table::new(
            vec![
                Column::new("id", Some(ValueType::Int)),
                Column::new("x", Some(ValueType::Float)),
                Column::new("s", Some(ValueType::Str)),
                Column::new("d", Some(ValueType::Date)),
                Column::new("n", None),
            ],
            1,
            vec![
                vec![
                    1.into(),
                    2.5.into(),
                    "a\"b".into(),
                    chrono::NaiveDate::from_ymd_opt(2024, 3, 22).unwrap().into(),
                    Value::Null,
                ],
                vec![
                    2.into(),
                    f64::NEG_INFINITY.into(),
                    Value::Null,
                    Value::Null,
                    Value::Null,
                ],
            ],
        )
        .unwrap();
        let mut out = Vec::new();
        to_writer(&mut out, &table).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"id\":1,\"x\":2.5,\"s\":\"a\\\"b\",\"d\":\"2024-03-22\",\"n\":null}\n\
             {\"id\":2,\"x\":\"-inf\",\"s\":null,\"d\":null,\"n\":null}\n"
        );
    }
}
