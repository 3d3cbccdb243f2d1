//! Facts in Parquet files and Arrow record batches: the four fact columns, `value` as text
//! or one primitive type.

use std::path::Path;

use arrow_array::{RecordBatch, RecordBatchReader};
use secmaster_core::{Fact, Value};

use super::{Collector, DateFormat, FACT_COLUMNS, Facts, Raw, ReadOptions};
use crate::{Error, Location, Result};

/// Reads facts from a Parquet file with the columns `security_id` (an integer type),
/// `attribute` (text), `value` (text, typed as CSV values are, or any single primitive
/// type) and `effective_date` (a date, or ISO text).
pub fn read_parquet(path: impl AsRef<Path>, options: &ReadOptions) -> Result<Vec<Fact>> {
    let path = path.as_ref();
    read_with(path, options, false, |row| {
        crate::columnar::read_columns(path, &FACT_COLUMNS, row)
    })
}

/// Reads facts from Arrow record batches with the columns of a fact Parquet file (see
/// [`read_parquet`]), typed the same way; `name` names the input in errors. This is how
/// facts arrive from another Arrow library (pyarrow, Polars) without a file. A text
/// `value` column (with integer ids, text attributes and dates as days or text) is read as
/// a CSV's blocks are, in parallel and without a string per value. Instead of `value`,
/// the value may be split by type over `value_bool, value_int, value_float, value_str,
/// value_date` (at most one set, none for a retraction), as a store's log segments hold it.
pub fn read_arrow(
    batches: impl RecordBatchReader,
    name: &Path,
    options: &ReadOptions,
) -> Result<Facts> {
    let schema = batches.schema();
    let batches: Vec<RecordBatch> = batches
        .collect::<std::result::Result<_, _>>()
        .map_err(crate::error::arrow_error(name))?;
    if let Some(typed) = crate::csv::facts::arrow::read(&schema, &batches, name, options)? {
        return Ok(Facts::of_typed(typed));
    }
    let split = !has(&schema, FACT_COLUMNS[2]) && SPLIT_COLUMNS.iter().all(|c| has(&schema, c));
    if split {
        // A store's log layout: the value in the one of five typed columns that is set.
        return read_with(name, options, true, |row| {
            let batches = batches.into_iter().map(Ok);
            let mut cells = Vec::with_capacity(FACT_COLUMNS.len());
            crate::columnar::read_batch_columns(name, &schema, batches, &SPLIT_COLUMNS, |c| {
                let value = c[2..7].iter().find(|v| !v.is_null());
                cells.clear();
                cells.extend([c[0].clone(), c[1].clone()]);
                cells.push(value.cloned().unwrap_or(Value::Null));
                cells.push(c[7].clone());
                row(&cells)
            })
        })
        .map(Facts::of_vec);
    }
    read_with(name, options, false, |row| {
        let batches = batches.into_iter().map(Ok);
        crate::columnar::read_batch_columns(name, &schema, batches, &FACT_COLUMNS, row)
    })
    .map(Facts::of_vec)
}

/// The columns of facts whose value is split by type, as a store's log segments hold them:
/// at most one of the five value columns is set (none for a retraction).
const SPLIT_COLUMNS: [&str; 8] = [
    "security_id",
    "attribute",
    "value_bool",
    "value_int",
    "value_float",
    "value_str",
    "value_date",
    "effective_date",
];

fn has(schema: &arrow_schema::Schema, name: &str) -> bool {
    schema
        .fields()
        .iter()
        .any(|f| f.name().eq_ignore_ascii_case(name))
}

/// Types the facts of the rows `read` hands over, row by row; with `typed`, every value
/// is taken as it is (a text one is a string, the empty string too).
fn read_with(
    path: &Path,
    options: &ReadOptions,
    typed: bool,
    read: impl FnOnce(&mut dyn FnMut(&[Value]) -> Result<()>) -> Result<()>,
) -> Result<Vec<Fact>> {
    let mut collector = Collector::new(options);
    let mut dates: Option<DateFormat> = None;
    let mut row_number = 0u64;
    read(&mut |cells| {
        row_number += 1;
        let location = Location::Row(row_number);
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
        let attribute = match &cells[1] {
            Value::Str(s) => match super::not_an_attribute(s) {
                None => s.clone(),
                Some(expected) => {
                    return Err(invalid("attribute", expected.to_string(), &cells[1]));
                }
            },
            other => return Err(invalid("attribute", "an attribute name".to_string(), other)),
        };
        let date = DateFormat::of_cell(&mut dates, options, &cells[3])
            .map_err(|expected| invalid("effective_date", expected, &cells[3]))?;
        let raw = match &cells[2] {
            value if typed => Raw::Typed(value.clone()),
            Value::Str(s) if s.is_empty() => Raw::Typed(Value::Null),
            Value::Str(s) => Raw::Text(Box::from(&**s)),
            other => Raw::Typed(other.clone()),
        };
        collector.push(id, &attribute, raw, date);
        Ok(())
    })?;
    Ok(collector.finish())
}
