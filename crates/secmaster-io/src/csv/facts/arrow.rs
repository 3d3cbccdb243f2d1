//! Facts from Arrow record batches whose `value` column is text (what pyarrow, Polars and
//! pandas hand over): each slice of a batch parsed like a CSV block into compact cells on
//! rayon's threads, then typed together (`typed`), so the text is typed exactly as the same
//! text in a CSV file, and as fast, without a `String` per value.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Int32Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Schema};
use chrono::NaiveDate;
use rayon::prelude::*;
use secmaster_core::ValueType;

use super::cell::cell;
use super::parse::{Block, BlockAttribute, Compact};
use super::typed::{TypedFacts, finish};
use crate::arrow::date_of_days;
use crate::facts::{DateFormat, FACT_COLUMNS, ReadOptions, not_an_attribute};
use crate::fx::FxBuild;
use crate::infer::Fits;
use crate::{Error, Location, Result};

/// Rows parsed as one block.
const SLICE: usize = 1 << 16;

/// A text column of any of Arrow's three layouts.
#[derive(Clone, Copy)]
enum Text<'a> {
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
}

impl<'a> Text<'a> {
    fn of(array: &'a dyn Array) -> Option<Text<'a>> {
        Some(match array.data_type() {
            DataType::Utf8 => Text::Utf8(array.as_string()),
            DataType::LargeUtf8 => Text::Large(array.as_string()),
            DataType::Utf8View => Text::View(array.as_string_view()),
            _ => return None,
        })
    }

    fn get(self, i: usize) -> Option<&'a str> {
        match self {
            Text::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            Text::Large(a) => a.is_valid(i).then(|| a.value(i)),
            Text::View(a) => a.is_valid(i).then(|| a.value(i)),
        }
    }
}

/// The `security_id` column: 64- or 32-bit integers.
#[derive(Clone, Copy)]
enum Ids<'a> {
    I64(&'a arrow_array::Int64Array),
    I32(&'a arrow_array::Int32Array),
}

impl Ids<'_> {
    fn get(self, i: usize) -> Option<i64> {
        match self {
            Ids::I64(a) => a.is_valid(i).then(|| a.value(i)),
            Ids::I32(a) => a.is_valid(i).then(|| a.value(i).into()),
        }
    }
}

/// The `effective_date` column: days, or text in a date layout.
#[derive(Clone, Copy)]
enum Dates<'a> {
    Days(&'a arrow_array::Date32Array),
    Text(Text<'a>),
}

/// The four columns of one batch.
#[derive(Clone, Copy)]
struct Columns<'a> {
    ids: Ids<'a>,
    attributes: Text<'a>,
    values: Text<'a>,
    dates: Dates<'a>,
}

impl<'a> Columns<'a> {
    fn of(batch: &'a RecordBatch, indices: &[usize]) -> Option<Columns<'a>> {
        let column = |k: usize| batch.column(indices[k]).as_ref();
        let ids = match column(0).data_type() {
            DataType::Int64 => Ids::I64(column(0).as_primitive::<Int64Type>()),
            DataType::Int32 => Ids::I32(column(0).as_primitive::<Int32Type>()),
            _ => return None,
        };
        let dates = match column(3).data_type() {
            DataType::Date32 => Dates::Days(column(3).as_primitive::<Date32Type>()),
            _ => Dates::Text(Text::of(column(3))?),
        };
        Some(Columns {
            ids,
            attributes: Text::of(column(1))?,
            values: Text::of(column(2))?,
            dates,
        })
    }
}

/// The facts of `batches` if their columns are of the layouts above (`value` text), typed
/// per attribute as a CSV's are; `None` if not, for the general reader.
pub(crate) fn read(
    schema: &Schema,
    batches: &[RecordBatch],
    name: &Path,
    options: &ReadOptions,
) -> Result<Option<TypedFacts>> {
    let known = known(options);
    match blocks(schema, batches, name, options, &known) {
        Some(blocks) => finish(blocks, &known).map(Some),
        None => Ok(None),
    }
}

/// What the text values of `batches` fit, per attribute in order of first appearance, if
/// their columns are of the layouts above: exactly what [`read`] types them by (the same
/// parse, the same [`Fits`]), for a decision taken over many inputs (`facts::TypeSummary`).
/// `None` if the layout is not one of those; the first bad row's error if one is bad.
pub(crate) fn summarize(
    schema: &Schema,
    batches: &[RecordBatch],
    name: &Path,
    options: &ReadOptions,
) -> Result<Option<AttributeFits>> {
    let known = known(options);
    let Some(blocks) = blocks(schema, batches, name, options, &known) else {
        return Ok(None);
    };
    let mut attributes: Vec<(Box<str>, Fits)> = Vec::new();
    let mut index: HashMap<Box<str>, usize> = HashMap::new();
    for block in blocks {
        if let Some(error) = block.error {
            return Err(error);
        }
        for attribute in block.attributes {
            let a = *index.entry(attribute.name.clone()).or_insert_with(|| {
                attributes.push((attribute.name.clone(), Fits::default()));
                attributes.len() - 1
            });
            attributes[a].1.merge(&attribute.fits);
        }
    }
    Ok(Some(attributes))
}

/// Each attribute's name and what its text values fit, in order of first appearance.
pub(crate) type AttributeFits = Vec<(Box<str>, Fits)>;

/// The types `options` declares.
fn known(options: &ReadOptions) -> HashMap<&str, ValueType> {
    options
        .columns()
        .iter()
        .filter_map(|c| Some((c.name(), c.value_type()?)))
        .collect()
}

/// The batches parsed slice by slice on rayon's threads, or `None` if their columns are
/// not of the layouts above.
fn blocks(
    schema: &Schema,
    batches: &[RecordBatch],
    name: &Path,
    options: &ReadOptions,
    known: &HashMap<&str, ValueType>,
) -> Option<Vec<Block>> {
    let mut indices = Vec::with_capacity(FACT_COLUMNS.len());
    for wanted in FACT_COLUMNS {
        let i = schema
            .fields()
            .iter()
            .position(|f| f.name().eq_ignore_ascii_case(wanted))?;
        indices.push(i);
    }
    let mut slices = Vec::new();
    let mut first_row = 0u64;
    for batch in batches {
        Columns::of(batch, &indices)?;
        let mut offset = 0;
        while offset < batch.num_rows() {
            let len = SLICE.min(batch.num_rows() - offset);
            slices.push((first_row + offset as u64, batch.slice(offset, len)));
            offset += len;
        }
        first_row += batch.num_rows() as u64;
    }
    // The date layout is the options' or the first date's, as in a CSV file.
    let first_date = slices
        .first()
        .and_then(|(_, b)| match Columns::of(b, &indices)?.dates {
            Dates::Text(t) => t.get(0),
            Dates::Days(_) => None,
        });
    let dates = match first_date {
        Some(t) => DateFormat::pick(options, t),
        None => options
            .date_format()
            .and_then(|_| DateFormat::pick(options, "")),
    };
    let blocks = slices
        .par_iter()
        .map(|(first_row, batch)| {
            let columns = Columns::of(batch, &indices).expect("checked above");
            parse(columns, *first_row, name, dates.as_ref(), known)
        })
        .collect();
    Some(blocks)
}

/// One slice's facts as compact cells, or its first error.
fn parse(
    columns: Columns<'_>,
    first_row: u64,
    name: &Path,
    dates: Option<&DateFormat>,
    known: &HashMap<&str, ValueType>,
) -> Block {
    let rows = match columns.values {
        Text::Utf8(a) => a.len(),
        Text::Large(a) => a.len(),
        Text::View(a) => a.len(),
    };
    let mut block = Block {
        facts: Vec::with_capacity(rows),
        ..Block::default()
    };
    let mut index: HashMap<&str, u32, FxBuild> = HashMap::default();
    let mut float_text = String::new();
    for i in 0..rows {
        let row = first_row + i as u64 + 1;
        let invalid = |column: &str, expected: String, found: &str| {
            Error::invalid_value(name, Location::Row(row), column, expected, found)
        };
        let Some(id) = columns.ids.get(i) else {
            block.error = Some(invalid("security_id", "an integer security id".into(), ""));
            break;
        };
        let attribute = columns.attributes.get(i).unwrap_or("");
        if let Some(expected) = not_an_attribute(attribute) {
            block.error = Some(invalid("attribute", expected.to_string(), attribute));
            break;
        }
        let date: Option<NaiveDate> = match columns.dates {
            Dates::Days(d) => d
                .is_valid(i)
                .then(|| date_of_days(d.value(i).into()))
                .flatten(),
            Dates::Text(t) => t.get(i).and_then(|s| dates.and_then(|f| f.parse(s))),
        };
        let Some(date) = date else {
            let found = match columns.dates {
                Dates::Text(t) => t.get(i).unwrap_or(""),
                Dates::Days(_) => "",
            };
            block.error = Some(invalid(
                "effective_date",
                DateFormat::expected(dates),
                found,
            ));
            break;
        };
        let a = *index.entry(attribute).or_insert_with(|| {
            block.attributes.push(BlockAttribute {
                name: attribute.into(),
                fits: Fits::default(),
                known: known.get(attribute).map(|&t| (t, true)),
                strings: HashSet::default(),
            });
            (block.attributes.len() - 1) as u32
        });
        let cell = match columns.values.get(i) {
            None | Some("") => super::cell::Cell::Null,
            Some(t) => cell(t, &mut block.attributes[a as usize], &mut float_text),
        };
        block.facts.push(Compact {
            id,
            date,
            attribute: a,
            cell,
        });
    }
    block
}
