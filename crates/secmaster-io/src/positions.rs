//! Positions files in: CSV or Parquet with `security_id, quantity, date` (DESIGN.md rule 10).
//!
//! CSV files have a header naming the three columns (in any order), or none when the first
//! field is an integer, in which case the fields are in that order. Dates are ISO or
//! `MM/DD/YY`, found from the first record, unless [`ReadOptions::with_date_format`] says.
//! Quantities are numbers; Parquet quantities may be any integer or float type.
//!
//! Quantities keep their type: a column of integers (CSV cells in plain decimal, a Parquet
//! or Arrow integer column) is read as integers, and one with any other number is read as
//! floats, its integers widened as rule 8 widens a mixed column ([`Quantities`]).
//!
//! [`read_columns`] reads a file column by column ([`PositionColumns`]), as the columnar
//! join ([`crate::joined`]) takes it; [`read`] gives the same positions one by one.

use std::io::{BufRead, BufReader};
use std::path::Path;

use chrono::NaiveDate;
use secmaster_core::{Position, Quantity, Value};

use crate::facts::{DateFormat, ReadOptions, csv_rows};
use crate::format::unreadable;
use crate::text::{parse_float, parse_int};
use crate::{Error, Format, Location, Result, atomic};

const POSITION_COLUMNS: [&str; 3] = ["security_id", "quantity", "date"];

/// The quantities of positions, one type for the whole column.
#[derive(Debug, Clone, PartialEq)]
pub enum Quantities {
    /// Every quantity is an integer.
    Int(Vec<i64>),
    /// Some quantity is not an integer; the integers are widened.
    Float(Vec<f64>),
}

impl Default for Quantities {
    fn default() -> Quantities {
        Quantities::Int(Vec::new())
    }
}

impl Quantities {
    /// Appends a quantity, widening the column to floats at the first float.
    pub fn push(&mut self, q: Quantity) {
        match (&mut *self, q) {
            (Quantities::Int(v), Quantity::Int(i)) => v.push(i),
            (Quantities::Float(v), q) => v.push(q.as_f64()),
            (Quantities::Int(v), Quantity::Float(x)) => {
                let mut widened: Vec<f64> = v.iter().map(|&i| i as f64).collect();
                widened.push(x);
                *self = Quantities::Float(widened);
            }
        }
    }

    /// Quantity `i`.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    pub fn get(&self, i: usize) -> Quantity {
        match self {
            Quantities::Int(v) => Quantity::Int(v[i]),
            Quantities::Float(v) => Quantity::Float(v[i]),
        }
    }

    /// The number of quantities.
    pub fn len(&self) -> usize {
        match self {
            Quantities::Int(v) => v.len(),
            Quantities::Float(v) => v.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Positions column by column: `security_id`, `quantity` and `date` of each, in the file's
/// order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PositionColumns {
    /// The security of each position.
    pub security_id: Vec<i64>,
    /// The quantity of each position.
    pub quantity: Quantities,
    /// The date of each position.
    pub date: Vec<NaiveDate>,
}

impl PositionColumns {
    /// The number of positions.
    pub fn len(&self) -> usize {
        self.security_id.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.security_id.is_empty()
    }

    fn push(&mut self, id: i64, quantity: Quantity, date: NaiveDate) {
        self.security_id.push(id);
        self.quantity.push(quantity);
        self.date.push(date);
    }

    /// The positions one by one.
    pub fn to_positions(&self) -> Vec<Position> {
        (0..self.len())
            .map(|i| Position::new(self.security_id[i], self.quantity.get(i), self.date[i]))
            .collect()
    }

    /// Only the positions for which `keep(security_id, date)` holds.
    pub fn filter(&self, mut keep: impl FnMut(i64, NaiveDate) -> bool) -> PositionColumns {
        let mut out = PositionColumns {
            quantity: match self.quantity {
                Quantities::Int(_) => Quantities::Int(Vec::new()),
                Quantities::Float(_) => Quantities::Float(Vec::new()),
            },
            ..PositionColumns::default()
        };
        for i in 0..self.len() {
            if keep(self.security_id[i], self.date[i]) {
                out.push(self.security_id[i], self.quantity.get(i), self.date[i]);
            }
        }
        out
    }
}

impl From<&[Position]> for PositionColumns {
    fn from(positions: &[Position]) -> PositionColumns {
        let mut out = PositionColumns::default();
        for p in positions {
            out.push(p.security_id(), p.quantity(), p.date());
        }
        out
    }
}

/// Reads the positions of a CSV or Parquet file, by its extension.
pub fn read(path: impl AsRef<Path>, options: &ReadOptions) -> Result<Vec<Position>> {
    read_columns(path, options).map(|c| c.to_positions())
}

/// Reads the positions of a CSV or Parquet file column by column, by its extension.
pub fn read_columns(path: impl AsRef<Path>, options: &ReadOptions) -> Result<PositionColumns> {
    let path = path.as_ref();
    match Format::of_input(path) {
        Some(Format::Parquet) => read_parquet_columns(path, options),
        Some(Format::Csv) => read_csv_columns(BufReader::new(atomic::open(path)?), path, options),
        _ => Err(unreadable(path, &[Format::Csv, Format::Parquet])),
    }
}

/// Reads positions from CSV; `name` names the input in errors.
pub fn read_csv(reader: impl BufRead, name: &Path, options: &ReadOptions) -> Result<Vec<Position>> {
    read_csv_columns(reader, name, options).map(|c| c.to_positions())
}

/// Reads positions from CSV column by column; `name` names the input in errors.
pub fn read_csv_columns(
    reader: impl BufRead,
    name: &Path,
    options: &ReadOptions,
) -> Result<PositionColumns> {
    let mut out = PositionColumns::default();
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
        let quantity = match parse_int(&f[1].text) {
            Some(i) => Quantity::Int(i),
            None => parse_float(&f[1].text)
                .map(Quantity::Float)
                .ok_or_else(|| invalid("quantity", "a number".to_string(), &f[1].text))?,
        };
        if dates.is_none() {
            dates = DateFormat::pick(options, &f[2].text);
        }
        let date = dates
            .as_ref()
            .and_then(|d| d.parse(&f[2].text))
            .ok_or_else(|| invalid("date", DateFormat::expected(dates.as_ref()), &f[2].text))?;
        out.push(id, quantity, date);
        Ok(())
    })?;
    Ok(out)
}

/// Reads positions from a Parquet file.
pub fn read_parquet(path: impl AsRef<Path>, options: &ReadOptions) -> Result<Vec<Position>> {
    read_parquet_columns(path, options).map(|c| c.to_positions())
}

/// Reads positions from a Parquet file column by column.
pub fn read_parquet_columns(
    path: impl AsRef<Path>,
    options: &ReadOptions,
) -> Result<PositionColumns> {
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
    read_arrow_columns(batches, name, options).map(|c| c.to_positions())
}

/// [`read_arrow`], column by column.
pub fn read_arrow_columns(
    batches: impl arrow_array::RecordBatchReader,
    name: &Path,
    options: &ReadOptions,
) -> Result<PositionColumns> {
    let float = batches
        .schema()
        .fields()
        .iter()
        .find(|f| f.name().eq_ignore_ascii_case("quantity"))
        .is_some_and(|f| f.data_type().is_floating());
    let mut out = read_with(name, options, |row| {
        crate::columnar::read_reader_columns(batches, name, &POSITION_COLUMNS, row)
    })?;
    // A float column with no rows is still a float column.
    if float && let Quantities::Int(v) = &out.quantity {
        out.quantity = Quantities::Float(v.iter().map(|&i| i as f64).collect());
    }
    Ok(out)
}

/// The positions of the rows `read` hands over, row by row.
fn read_with(
    path: &Path,
    options: &ReadOptions,
    read: impl FnOnce(&mut dyn FnMut(&[Value]) -> Result<()>) -> Result<()>,
) -> Result<PositionColumns> {
    let mut out = PositionColumns::default();
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
            Value::Float(x) => Quantity::Float(x),
            Value::Int(i) => Quantity::Int(i),
            ref other => return Err(invalid("quantity", "a number".to_string(), other)),
        };
        let date = DateFormat::of_cell(&mut dates, options, &cells[2])
            .map_err(|expected| invalid("date", expected, &cells[2]))?;
        out.push(id, quantity, date);
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
        assert_eq!(got[1].quantity(), Quantity::Float(100.5));
        assert_eq!(got[1].security_id(), 3);
        let bare = "\"1\", 100, \"02/01/24\"\n\"1\", 105, \"02/01/24\"\n\"2\", 150, \"02/01/24\"\n\
                    \"1\", 120, \"03/01/24\"\n\"2\", 140, \"03/01/24\"\n\"3\", 100, \"03/01/24\"\n";
        let got = read_csv(bare.as_bytes(), Path::new("p.csv"), &ReadOptions::default()).unwrap();
        assert_eq!(got, sample::positions());
    }
}
