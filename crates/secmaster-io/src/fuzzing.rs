//! What the fuzz targets in `fuzz/` drive besides the public API: the fact CSV block reader
//! with any block size and its record-at-a-time oracle, and the text forms of values.
//! Compiled only with the `fuzzing` feature; not part of the API.

use std::path::Path;

use chrono::NaiveDate;
use secmaster_core::Fact;

use crate::facts::{DateFormat, ReadOptions};
use crate::{Result, text};

/// The facts of a CSV input read in blocks of about `block` bytes, at most `depth` at a time.
pub fn csv_facts_in_blocks(
    input: &[u8],
    options: &ReadOptions,
    block: usize,
    depth: usize,
) -> Result<Vec<Fact>> {
    let name = Path::new("fuzz.csv");
    Ok(crate::csv::facts::read_in_blocks(input, name, options, block, depth)?.collect())
}

/// The facts of a CSV input read one record at a time: the oracle of the block reader.
pub fn csv_facts_by_records(input: &[u8], options: &ReadOptions) -> Result<Vec<Fact>> {
    crate::facts::read_csv_by_records(input, Path::new("fuzz.csv"), options)
}

/// A date as ISO text, as tables and facts write it.
pub fn format_date(d: NaiveDate) -> String {
    text::format_date(d)
}

/// Reads what [`format_date`] writes.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    text::parse_date(s)
}

/// A float as text that [`parse_float`] reads back bit for bit.
pub fn format_float(x: f64) -> String {
    text::format_float(x)
}

/// Reads what [`format_float`] writes.
pub fn parse_float(s: &str) -> Option<f64> {
    text::parse_float(s)
}

/// An integer in plain decimal form, or `None`.
pub fn parse_int(s: &str) -> Option<i64> {
    text::parse_int(s)
}

/// A finite plain decimal, or `None`.
pub fn parse_decimal(s: &str) -> Option<f64> {
    text::parse_decimal(s)
}

/// `true` or `false` in any case, or `None`.
pub fn parse_bool(s: &str) -> Option<bool> {
    text::parse_bool(s)
}

/// A fact file's date in the layout `options` sets, or else the one `first` is in.
pub fn parse_fact_date(options: &ReadOptions, first: &str, s: &str) -> Option<NaiveDate> {
    DateFormat::pick(options, first)?.parse(s)
}
