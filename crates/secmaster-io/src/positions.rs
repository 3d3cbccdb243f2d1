//! Positions files in: CSV or Parquet with `security_id, quantity, date` (DESIGN.md rule 10).
//!
//! CSV files have a header naming the three columns (in any order), or none when the first
//! field is an integer, in which case the fields are in that order. Dates are ISO or
//! `MM/DD/YY`, found from the first record, unless [`ReadOptions::with_date_format`] says.
//! Quantities are numbers; Parquet quantities may be any integer or float type.

use std::io::{BufRead, BufReader};
use std::path::Path;

use secmaster_core::{Position, Value};

use crate::facts::{DateFormat, ReadOptions, csv_rows};
use crate::format::unreadable;
use crate::text::parse_float;
use crate::{Error, Format, Location, Result, atomic};

const POSITION_COLUMNS: [&str; 3] = ["security_id", "quantity", "date"];

/// Reads the positions of a CSV or Parquet file, by its extension.
pub fn read(path: impl AsRef<Path>, options: &ReadOptions) -> Result<Vec<Position>> {
    let path = path.as_ref();
    match Format::of_input(path) {
        Some(Format::Parquet) => read_parquet(path, options),
        Some(Format::Csv) => read_csv(BufReader::new(atomic::open(path)?), path, options),
        _ => Err(unreadable(path, &[Format::Csv, Format::Parquet])),
    }
}

/// Reads positions from CSV; `name` names the input in errors.
pub fn read_csv(reader: impl BufRead, name: &Path, options: &ReadOptions) -> Result<Vec<Position>> {
    let mut out = Vec::new();
    let mut dates: Option<DateFormat> = None;
    csv_rows(reader, name, &POSITION_COLUMNS, |line, f| {
        let invalid = |column: &str, expected: String, found: &str| {
            Error::invalid_value(name, Location::Line(line), column, expected, found)
        };
        let id = f[0].text.parse::<i64>().map_err(|_| {
            invalid(
                "security_id",
                "an integer security id".to_string(),
                &f[0].text,
            )
        })?;
        let quantity = parse_float(&f[1].text)
            .ok_or_else(|| invalid("quantity", "a number".to_string(), &f[1].text))?;
        if dates.is_none() {
            dates = DateFormat::pick(options, &f[2].text);
        }
        let date = dates
            .as_ref()
            .and_then(|d| d.parse(&f[2].text))
            .ok_or_else(|| invalid("date", DateFormat::expected(dates.as_ref()), &f[2].text))?;
        out.push(Position::new(id, quantity, date));
        Ok(())
    })?;
    Ok(out)
}

/// Reads positions from a Parquet file.
pub fn read_parquet(path: impl AsRef<Path>, options: &ReadOptions) -> Result<Vec<Position>> {
    let path = path.as_ref();
    read_with(path, options, |row| {
        crate::columnar::read_columns(path, &POSITION_COLUMNS, row)
    })
}

/// Reads positions from Arrow record batches with the columns `security_id`, `quantity`
/// and `date`; `name` names the input in errors.
pub fn read_arrow(
    batches: impl arrow_array::RecordBatchReader,
    name: &Path,
    options: &ReadOptions,
) -> Result<Vec<Position>> {
    read_with(name, options, |row| {
        crate::columnar::read_reader_columns(batches, name, &POSITION_COLUMNS, row)
    })
}

/// The positions of the rows `read` hands over, row by row.
fn read_with(
    path: &Path,
    options: &ReadOptions,
    read: impl FnOnce(&mut dyn FnMut(&[Value]) -> Result<()>) -> Result<()>,
) -> Result<Vec<Position>> {
    let mut out = Vec::new();
    let mut dates: Option<DateFormat> = None;
    read(&mut |cells| {
        let location = Location::Row(out.len() as u64 + 1);
        let invalid = |column: &str, expected: String, found: &Value| {
            Error::invalid_value(path, location, column, expected, found)
        };
        let Value::Int(id) = cells[0] else {
            return Err(invalid(
                "security_id",
                "an integer security id".to_string(),
                &cells[0],
            ));
        };
        let quantity = match cells[1] {
            Value::Float(x) => x,
            Value::Int(i) => i as f64,
            ref other => return Err(invalid("quantity", "a number".to_string(), other)),
        };
        let date = DateFormat::of_cell(&mut dates, options, &cells[2])
            .map_err(|expected| invalid("date", expected, &cells[2]))?;
        out.push(Position::new(id, quantity, date));
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use secmaster_core::sample;

    use super::*;

    #[test]
    fn headed_and_headerless_csv() {
        let headed = "date,security_id,quantity\n2024-02-01,1,100\n2024-03-01,3,100.5\n";
        let got = read_csv(
            headed.as_bytes(),
            Path::new("p.csv"),
            &ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(got[1].quantity(), 100.5);
        assert_eq!(got[1].security_id(), 3);
        let bare = "\"1\", 100, \"02/01/24\"\n\"1\", 105, \"02/01/24\"\n\"2\", 150, \"02/01/24\"\n\
                    \"1\", 120, \"03/01/24\"\n\"2\", 140, \"03/01/24\"\n\"3\", 100, \"03/01/24\"\n";
        let got = read_csv(bare.as_bytes(), Path::new("p.csv"), &ReadOptions::default()).unwrap();
        assert_eq!(got, sample::positions());
    }
}
