//! Fact files in: CSV (with a header or in the prototype's layout), JSON Lines and Parquet.
//!
//! Every reader returns the facts in file order (their arrival order, DESIGN.md rule 5), or
//! an error naming the file, the line or row, and what was expected; never some of the
//! facts. Files are read a record at a time; only the parsed facts are kept.
//!
//! # Layouts
//! - **CSV with a header** naming `security_id, attribute, value, effective_date` (in any
//!   order; other columns are ignored), ISO dates.
//! - **The prototype's CSV**: no header, four fields per line, each usually quoted with a
//!   space after the comma, dates as `MM/DD/YY`:
//!   `"1", "name", "Lenz Therapeutics, Inc", "03/22/24"`. A file whose first field is an
//!   integer has no header.
//! - **JSON Lines**: one object per line,
//!   `{"security_id":1,"attribute":"ticker","value":"LENZ","effective_date":"2024-03-22"}`.
//! - **Parquet** with the same four columns; `value` is text or any single primitive type,
//!   `effective_date` a date or ISO text.
//!
//! The date layout of `effective_date` is found from the first record (ISO `2024-03-22`
//! or `03/22/24`) unless [`ReadOptions::with_date_format`] sets one.
//!
//! # Typing text values
//! A text value (every CSV value, and a Parquet `value` column of text) is typed per
//! attribute over the whole file, never per value: the attribute gets the narrowest of int,
//! float, date (ISO), bool (`true`/`false`) that fits every one of its values, else str. A
//! number with a leading zero (`007`) or a plus sign (`+1`) is not a number, so it keeps
//! its attribute a string; so is an integer beyond 64 bits or a decimal beyond a float's
//! range, which no type would hold exactly. An empty value is a null: a retraction
//! (rule 4).
//!
//! JSON values keep JSON's own types: numbers are ints (or floats with a fraction or an
//! exponent), strings are strings, `""` is an empty string and `null` a retraction.
//!
//! When facts are read to merge into a master ([`ReadOptions::for_master`]), an attribute
//! whose text values (JSON strings included) all fit the master's column type takes that
//! type, so `"100"` joins a float column as `100.0` and `"123"` a string column as text.
//! Otherwise the attribute is typed as above and the merge applies DESIGN.md rule 8.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use secmaster_core::{Column, Fact, SecurityMaster, Value, ValueType};

use crate::csv::record_error;
use crate::csv::records::{Field, Records};
use crate::format::unreadable;
use crate::infer::{Fits, parse_as};
use crate::text::parse_date;
use crate::{Error, Format, Location, Result, atomic};

mod json;
mod parquet;
mod summary;

pub use json::read_json_lines;
pub use parquet::{read_arrow, read_parquet};
pub use summary::TypeSummary;

/// How fact and position files are read: the date layout, and the columns of a master the
/// facts will merge into.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    date_format: Option<String>,
    columns: Vec<Column>,
}

impl ReadOptions {
    /// Reads dates in a chrono `strftime` layout such as `%d.%m.%Y`, instead of detecting
    /// ISO or `MM/DD/YY` from the first record. `%Y-%m-%d` and `%m/%d/%y` are the two that
    /// detection picks; the latter reads two-digit years as the prototype (Python's `%y`)
    /// did, 00–68 as 20yy and 69–99 as 19yy. Other layouts with `%y` follow chrono, which
    /// pivots at 70.
    pub fn with_date_format(mut self, format: impl Into<String>) -> ReadOptions {
        self.date_format = Some(format.into());
        self
    }

    /// Types text values by these columns where they fit (see the [module docs](self)).
    pub fn with_columns(mut self, columns: impl IntoIterator<Item = Column>) -> ReadOptions {
        self.columns = columns.into_iter().collect();
        self
    }

    /// Types text values by the columns of the master the facts will merge into.
    pub fn for_master(self, master: &SecurityMaster) -> ReadOptions {
        self.with_columns(master.columns())
    }

    /// The date layout set, if any.
    pub fn date_format(&self) -> Option<&str> {
        self.date_format.as_deref()
    }

    /// The columns text values are typed by.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }
}

/// The formats fact files come in.
const FACT_FORMATS: [Format; 3] = [Format::Csv, Format::JsonLines, Format::Parquet];

/// Reads the facts of a file, in the format its extension says.
pub fn read(path: impl AsRef<Path>, options: &ReadOptions) -> Result<Vec<Fact>> {
    Ok(stream(path, options)?.collect())
}

/// Reads the facts of a file like [`read`], but hands them over one at a time, in file
/// order, from a compact form: a CSV's facts wait as about 40 bytes each and their block
/// is freed as its last fact is taken, where a `Vec<Fact>` holds 56 bytes a fact until
/// the end. Every record is read and checked before this returns, so the iterator
/// cannot fail; feed it straight to [`SecurityMaster::build`] or
/// [`SecurityMaster::merge`] to hold the facts only once.
///
/// ```
/// use secmaster_core::SecurityMaster;
/// use secmaster_io::{facts, ReadOptions};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("trail.csv");
/// std::fs::write(&path, "1,ticker,LENZ,2024-03-22\n1,market_cap,400,2024-05-23\n")?;
/// let master = SecurityMaster::build(facts::stream(&path, &ReadOptions::default())?)?;
/// assert_eq!(master.num_rows(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn stream(path: impl AsRef<Path>, options: &ReadOptions) -> Result<Facts> {
    let path = path.as_ref();
    let inner = match Format::of_input(path) {
        // Read in large blocks already: no buffer in between.
        Some(Format::Csv) => {
            Inner::Csv(crate::csv::facts::read(atomic::open(path)?, path, options)?)
        }
        Some(Format::JsonLines) => Inner::Vec(
            read_json_lines(BufReader::new(atomic::open(path)?), path, options)?.into_iter(),
        ),
        Some(Format::Parquet) => Inner::Vec(read_parquet(path, options)?.into_iter()),
        _ => return Err(unreadable(path, &FACT_FORMATS)),
    };
    Ok(Facts { inner })
}

/// The facts of a file in file order, from [`stream`].
pub struct Facts {
    inner: Inner,
}

enum Inner {
    Csv(crate::csv::facts::TypedFacts),
    Vec(std::vec::IntoIter<Fact>),
}

impl std::fmt::Debug for Facts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Facts")
            .field("remaining", &self.len())
            .finish()
    }
}

impl Facts {
    pub(crate) fn of_typed(facts: crate::csv::facts::TypedFacts) -> Facts {
        Facts {
            inner: Inner::Csv(facts),
        }
    }

    pub(crate) fn of_vec(facts: Vec<Fact>) -> Facts {
        Facts {
            inner: Inner::Vec(facts.into_iter()),
        }
    }

    /// Splits the facts into at most `n` consecutive parts of about equal size, in file
    /// order, for [`SecurityMaster::merge_parts`] to take in on `n` threads. Each part holds
    /// its own copy of the attribute names, so parts taken on different threads share no
    /// reference count.
    ///
    /// ```
    /// use secmaster_core::SecurityMaster;
    /// use secmaster_io::{facts, ReadOptions};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("trail.csv");
    /// std::fs::write(&path, "1,ticker,LENZ,2024-03-22\n1,market_cap,400,2024-05-23\n")?;
    /// let parts = facts::stream(&path, &ReadOptions::default())?.into_parts(2);
    /// let mut master = SecurityMaster::default();
    /// master.merge_parts(parts)?;
    /// assert_eq!(master.num_rows(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_parts(self, n: usize) -> Vec<Facts> {
        let n = n.max(1);
        match self.inner {
            Inner::Csv(facts) => facts
                .into_parts(n)
                .into_iter()
                .map(|f| Facts {
                    inner: Inner::Csv(f),
                })
                .collect(),
            Inner::Vec(facts) => {
                let mut rest: Vec<Fact> = facts.collect();
                let size = rest.len().div_ceil(n).max(1);
                let mut parts = Vec::new();
                while rest.len() > size {
                    let tail = rest.split_off(size);
                    parts.push(std::mem::replace(&mut rest, tail));
                }
                parts.push(rest);
                parts
                    .into_iter()
                    .map(|part| Facts {
                        inner: Inner::Vec(part.into_iter()),
                    })
                    .collect()
            }
        }
    }
}

impl Iterator for Facts {
    type Item = Fact;

    fn next(&mut self) -> Option<Fact> {
        match &mut self.inner {
            Inner::Csv(facts) => facts.next(),
            Inner::Vec(facts) => facts.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.inner {
            Inner::Csv(facts) => facts.size_hint(),
            Inner::Vec(facts) => facts.size_hint(),
        }
    }
}

impl ExactSizeIterator for Facts {}

/// The strftime layout a reader picks for text dates whose first is `first` when no layout
/// is set: `%Y-%m-%d` or the prototype's `%m/%d/%y`; `None` if `first` is in neither. An
/// input read in parts is read with the layout of its first date, set in every part.
pub fn date_layout(first: &str) -> Option<&'static str> {
    match DateFormat::pick(&ReadOptions::default(), first)? {
        DateFormat::Iso => Some("%Y-%m-%d"),
        DateFormat::MonthDayYear => Some("%m/%d/%y"),
        DateFormat::Custom(_) => None,
    }
}

/// The layout of the dates in a file.
#[derive(Debug, Clone)]
pub(crate) enum DateFormat {
    Iso,
    MonthDayYear,
    Custom(String),
}

impl DateFormat {
    /// The layout set by `options`, or the one `first` is in.
    pub(crate) fn pick(options: &ReadOptions, first: &str) -> Option<DateFormat> {
        if let Some(f) = options.date_format() {
            return Some(match f {
                "%Y-%m-%d" => DateFormat::Iso,
                "%m/%d/%y" => DateFormat::MonthDayYear,
                other => DateFormat::Custom(other.to_string()),
            });
        }
        if parse_date(first).is_some() {
            Some(DateFormat::Iso)
        } else if DateFormat::MonthDayYear.parse(first).is_some() {
            Some(DateFormat::MonthDayYear)
        } else {
            None
        }
    }

    pub(crate) fn parse(&self, s: &str) -> Option<NaiveDate> {
        match self {
            DateFormat::Iso => parse_date(s),
            DateFormat::MonthDayYear => {
                // Two-digit years pivot as Python's `%y` does, which the prototype used:
                // 00–68 are 20yy, 69–99 are 19yy (chrono's `%y` pivots at 70).
                let b = s.as_bytes();
                if b.len() != 8 || b[2] != b'/' || b[5] != b'/' {
                    return None;
                }
                let two = |i: usize| -> Option<u32> {
                    let (hi, lo) = (b[i], b[i + 1]);
                    (hi.is_ascii_digit() && lo.is_ascii_digit())
                        .then(|| u32::from(hi - b'0') * 10 + u32::from(lo - b'0'))
                };
                let (month, day, year) = (two(0)?, two(3)?, two(6)?);
                let year = if year <= 68 { 2000 + year } else { 1900 + year };
                NaiveDate::from_ymd_opt(year as i32, month, day)
            }
            DateFormat::Custom(f) => NaiveDate::parse_from_str(s, f).ok(),
        }
    }

    /// A date cell of a columnar file: a date, or text in the layout `dates` holds (set by
    /// the first text date, or by `options`). `Err` says what was expected.
    pub(crate) fn of_cell(
        dates: &mut Option<DateFormat>,
        options: &ReadOptions,
        cell: &Value,
    ) -> std::result::Result<NaiveDate, String> {
        match cell {
            Value::Date(d) => Ok(*d),
            Value::Str(s) => {
                if dates.is_none() {
                    *dates = DateFormat::pick(options, s);
                }
                let layout = dates.as_ref();
                layout
                    .and_then(|d| d.parse(s))
                    .ok_or_else(|| DateFormat::expected(layout))
            }
            _ => Err(DateFormat::expected(Some(&DateFormat::Iso))),
        }
    }

    pub(crate) fn expected(this: Option<&DateFormat>) -> String {
        match this {
            Some(DateFormat::Iso) => "a date like 2024-03-22".to_string(),
            Some(DateFormat::MonthDayYear) => "a date like 03/22/24".to_string(),
            Some(DateFormat::Custom(f)) => format!("a date in the layout `{f}`"),
            None => "a date like 2024-03-22 or 03/22/24".to_string(),
        }
    }
}

/// A value before typing.
enum Raw {
    Typed(Value),
    /// CSV or Parquet text: inferred.
    Text(Box<str>),
    /// A JSON string: a string unless a known column type fits.
    JsonString(Box<str>),
}

struct Attribute {
    name: Arc<str>,
    fits: Fits,
    /// The type of the master's column, and whether every text seen fits it.
    known: Option<(ValueType, bool)>,
}

/// Gathers facts with untyped text values, then types them per attribute.
struct Collector<'o> {
    attributes: Vec<Attribute>,
    index: HashMap<Arc<str>, usize>,
    known: HashMap<&'o str, ValueType>,
    facts: Vec<(i64, usize, Raw, NaiveDate)>,
}

impl<'o> Collector<'o> {
    fn new(options: &'o ReadOptions) -> Collector<'o> {
        Collector {
            attributes: Vec::new(),
            index: HashMap::new(),
            known: options
                .columns()
                .iter()
                .filter_map(|c| Some((c.name(), c.value_type()?)))
                .collect(),
            facts: Vec::new(),
        }
    }

    fn attribute(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let name: Arc<str> = Arc::from(name);
        let i = self.attributes.len();
        self.attributes.push(Attribute {
            name: name.clone(),
            fits: Fits::default(),
            known: self.known.get(&*name).map(|&t| (t, true)),
        });
        self.index.insert(name, i);
        i
    }

    fn push(&mut self, id: i64, attribute: &str, value: Raw, date: NaiveDate) {
        let a = self.attribute(attribute);
        let attr = &mut self.attributes[a];
        let text = match &value {
            Raw::Typed(_) => None,
            Raw::Text(t) => {
                attr.fits.add(t);
                Some(t)
            }
            Raw::JsonString(t) => {
                attr.fits.add_str();
                Some(t)
            }
        };
        if let (Some(t), Some((ty, fits))) = (text, &mut attr.known) {
            *fits = *fits && parse_as(t, *ty).is_some();
        }
        self.facts.push((id, a, value, date));
    }

    fn finish(self) -> Vec<Fact> {
        let types: Vec<ValueType> = self
            .attributes
            .iter()
            .map(|a| match a.known {
                Some((ty, true)) => ty,
                _ => a.fits.narrowest().unwrap_or(ValueType::Str),
            })
            .collect();
        let attributes = self.attributes;
        self.facts
            .into_iter()
            .map(|(id, a, raw, date)| {
                let value = match raw {
                    Raw::Typed(v) => v,
                    Raw::Text(t) | Raw::JsonString(t) => {
                        parse_as(&t, types[a]).unwrap_or_else(|| Value::from(&*t))
                    }
                };
                Fact::new(id, attributes[a].name.clone(), value, date)
            })
            .collect()
    }
}

/// The four columns of a fact file.
pub(crate) const FACT_COLUMNS: [&str; 4] = ["security_id", "attribute", "value", "effective_date"];

/// Finds `wanted` in a header, naming the first one missing.
/// Why `name` cannot be an attribute (what the `attribute` column expects), or `None` when
/// it can: rule 1 wants a name, and not a key column's, which would give the table two
/// columns of that name. The core refuses both too; a reader refuses them first, naming
/// the line.
pub(crate) fn not_an_attribute(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("an attribute name")
    } else if secmaster_core::KEY_COLUMNS.contains(&name) {
        Some("an attribute name, not a key column's")
    } else {
        None
    }
}

pub(crate) fn header_indices(
    fields: &[Field],
    wanted: &[&str],
    path: &Path,
    line: u64,
) -> Result<Vec<usize>> {
    wanted
        .iter()
        .map(|w| {
            let named = |f: &&Field| f.text.trim().eq_ignore_ascii_case(w);
            // Two columns of one name: which one holds the data is anybody's guess.
            if fields.iter().filter(named).count() > 1 {
                return Err(Error::Malformed {
                    path: path.to_path_buf(),
                    location: Location::Line(line),
                    reason: format!("the header names the column `{w}` more than once"),
                });
            }
            fields
                .iter()
                .position(|f| named(&f))
                .ok_or_else(|| Error::MissingColumn {
                    path: path.to_path_buf(),
                    location: Some(Location::Line(line)),
                    column: w.to_string(),
                    found: fields
                        .iter()
                        .map(|f| f.text.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })
        })
        .collect()
}

/// Reads CSV records with `wanted` columns: after a header naming them, or positionally
/// when the first field of the first record is an integer. Calls `row` with the line and
/// the wanted fields in order.
pub(crate) fn csv_rows(
    reader: impl BufRead,
    path: &Path,
    wanted: &[&str],
    mut row: impl FnMut(u64, &[&Field]) -> Result<()>,
) -> Result<()> {
    let mut records = Records::new(reader, true);
    let mut fields = Vec::new();
    let err = record_error(path);
    let Some(first_line) = records.next_record(&mut fields).map_err(&err)? else {
        return Ok(());
    };
    let headerless = fields
        .first()
        .is_some_and(|f| f.text.parse::<i64>().is_ok());
    let (indices, width) = if headerless {
        ((0..wanted.len()).collect::<Vec<_>>(), wanted.len())
    } else {
        (
            header_indices(&fields, wanted, path, first_line)?,
            fields.len(),
        )
    };
    let mut pending = if headerless {
        Some(first_line)
    } else {
        records.next_record(&mut fields).map_err(&err)?
    };
    while let Some(line) = pending {
        if fields.len() != width {
            return Err(Error::RaggedRow {
                path: path.to_path_buf(),
                location: Location::Line(line),
                expected: width,
                found: fields.len(),
            });
        }
        let picked: Vec<&Field> = indices.iter().map(|&i| &fields[i]).collect();
        row(line, &picked)?;
        pending = records.next_record(&mut fields).map_err(&err)?;
    }
    Ok(())
}

/// Reads facts from CSV (see the [module docs](self) for the layouts); `name` names the
/// input in errors. Blocks of the input are parsed on every core.
pub fn read_csv(reader: impl BufRead, name: &Path, options: &ReadOptions) -> Result<Vec<Fact>> {
    Ok(crate::csv::facts::read(reader, name, options)?.collect())
}

/// The record-at-a-time reader [`read_csv`] replaced, kept as the oracle its tests compare
/// the block reader with.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn read_csv_by_records(
    reader: impl BufRead,
    name: &Path,
    options: &ReadOptions,
) -> Result<Vec<Fact>> {
    let mut collector = Collector::new(options);
    let mut dates: Option<DateFormat> = None;
    csv_rows(reader, name, &FACT_COLUMNS, |line, f| {
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
        let attribute = f[1].text.as_str();
        if let Some(expected) = not_an_attribute(attribute) {
            return Err(invalid("attribute", expected.to_string(), attribute));
        }
        let date_text = f[3].text.as_str();
        if dates.is_none() {
            dates = DateFormat::pick(options, date_text);
        }
        let date = dates
            .as_ref()
            .and_then(|d| d.parse(date_text))
            .ok_or_else(|| {
                invalid(
                    "effective_date",
                    DateFormat::expected(dates.as_ref()),
                    date_text,
                )
            })?;
        let value = if f[2].text.is_empty() {
            Raw::Typed(Value::Null)
        } else {
            Raw::Text(f[2].text.as_str().into())
        };
        collector.push(id, attribute, value, date);
        Ok(())
    })?;
    Ok(collector.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> Result<Vec<Fact>> {
        read_csv(text.as_bytes(), Path::new("f.csv"), &ReadOptions::default())
    }

    #[test]
    fn attributes_are_typed_over_the_whole_file() {
        let facts = csv("security_id,attribute,value,effective_date\n\
             1,cap,1,2024-01-01\n1,cap,2.5,2024-01-02\n1,code,7,2024-01-01\n2,code,007,2024-01-01\n\
             1,on,true,2024-01-01\n1,day,2024-05-01,2024-01-01\n1,cap,,2024-01-03\n")
        .unwrap();
        let values: Vec<String> = facts
            .iter()
            .map(|f| format!("{}:{:?}", f.attribute(), f.value()))
            .collect();
        assert_eq!(
            values,
            [
                "cap:Float(1.0)",
                "cap:Float(2.5)",
                "code:Str(\"7\")",
                "code:Str(\"007\")",
                "on:Bool(true)",
                "day:Date(2024-05-01)",
                "cap:Null",
            ]
        );
    }

    #[test]
    fn known_columns_win_where_they_fit() {
        let options = ReadOptions::default().with_columns([
            Column::new("cap", Some(ValueType::Float)),
            Column::new("ticker", Some(ValueType::Str)),
            Column::new("n", Some(ValueType::Int)),
        ]);
        let facts = read_csv(
            "1,cap,100,2024-01-01\n1,ticker,123,2024-01-01\n1,n,1.5,2024-01-01\n".as_bytes(),
            Path::new("f.csv"),
            &options,
        )
        .unwrap();
        let values: Vec<&Value> = facts.iter().map(Fact::value).collect();
        assert_eq!(
            values,
            [
                &Value::Float(100.0),
                &Value::from("123"),
                &Value::Float(1.5)
            ]
        );
    }

    #[test]
    fn custom_date_format() {
        let options = ReadOptions::default().with_date_format("%d.%m.%Y");
        let facts = read_csv(
            "1,t,A,22.03.2024\n".as_bytes(),
            Path::new("f.csv"),
            &options,
        )
        .unwrap();
        assert_eq!(
            facts[0].effective_date(),
            NaiveDate::from_ymd_opt(2024, 3, 22).unwrap()
        );
        let err = read_csv(
            "1,t,A,2024-03-22\n".as_bytes(),
            Path::new("f.csv"),
            &options,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`f.csv`, line 1: column `effective_date`: expected a date in the layout `%d.%m.%Y`, found `2024-03-22`"
        );
    }

    #[test]
    fn json_keeps_json_types() {
        let facts = read_json_lines(
            concat!(
                r#"{"security_id":1,"attribute":"t","value":"007","effective_date":"2024-03-22"}"#,
                "\n\n",
                r#"{"security_id":1,"attribute":"n","value":1.5,"effective_date":"2024-03-22"}"#,
                "\n",
                r#"{"security_id":1,"attribute":"m","value":"5","effective_date":"2024-03-22"}"#,
            )
            .as_bytes(),
            Path::new("f.jsonl"),
            &ReadOptions::default(),
        )
        .unwrap();
        let values: Vec<&Value> = facts.iter().map(Fact::value).collect();
        assert_eq!(
            values,
            [&Value::from("007"), &Value::Float(1.5), &Value::from("5")]
        );
    }
}
