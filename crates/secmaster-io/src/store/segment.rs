//! The store's Parquet files of facts, one codec for both kinds: log segments (a batch's
//! facts as they arrived) and state files (the facts in force, sorted by security, date and
//! attribute). Each row is a fact stamped with the batch that brought it.
//!
//! Columns: `security_id` int64, `effective_date` date32, `attribute` utf8, then the value
//! in the one of `value_bool`, `value_int`, `value_float`, `value_str`, `value_date` that
//! matches its type (all null for a retraction), then `batch` int64. Typed columns keep
//! every value exact (no float goes through text) and let any Arrow tool filter by value.
//!
//! Pages are small (1,024 rows) and carry a page index, so a reader that wants a few
//! securities of a sorted state file decodes only the pages that hold them.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, LazyLock};

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use bytes::Bytes;
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{
    ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection, RowSelector,
};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::PageIndexPolicy;
use parquet::file::page_index::column_index::ColumnIndexMetaData;
use parquet::file::properties::WriterProperties;
use secmaster_core::{Fact, Value};

use super::checksum::{Checksum, HashingWriter};
use crate::parquet::parquet_error;
use crate::{Error, Result, atomic};

/// A fact and the number of the batch that brought it.
pub(crate) type Stamped = (Fact, u64);

/// Rows a page holds: small enough that reading a few securities decodes little.
const PAGE_ROWS: usize = 1024;
/// Rows per record batch written.
const WRITE_ROWS: usize = 65_536;

const COLUMNS: [(&str, DataType); 9] = [
    ("security_id", DataType::Int64),
    ("effective_date", DataType::Date32),
    ("attribute", DataType::Utf8),
    ("value_bool", DataType::Boolean),
    ("value_int", DataType::Int64),
    ("value_float", DataType::Float64),
    ("value_str", DataType::Utf8),
    ("value_date", DataType::Date32),
    ("batch", DataType::Int64),
];

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let fields: Vec<Field> = COLUMNS
        .iter()
        .enumerate()
        // The keys and the batch are never null; only the value columns are.
        .map(|(i, (name, ty))| Field::new(*name, ty.clone(), (3..8).contains(&i)))
        .collect();
    Arc::new(Schema::new(fields))
});

/// Days from 1970-01-01, Arrow's `date32`.
fn to_days(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch is a date")).num_days() as i32
}

fn from_days(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(chrono::Duration::days(days.into()))
}

fn record_batch(rows: &[Stamped]) -> RecordBatch {
    let n = rows.len();
    let mut id = Int64Builder::with_capacity(n);
    let mut date = Date32Builder::with_capacity(n);
    let mut attribute = StringBuilder::with_capacity(n, n * 8);
    let mut bool_ = BooleanBuilder::with_capacity(n);
    let mut int = Int64Builder::with_capacity(n);
    let mut float = Float64Builder::with_capacity(n);
    let mut str_ = StringBuilder::new();
    let mut date_ = Date32Builder::with_capacity(n);
    let mut batch = Int64Builder::with_capacity(n);
    for (fact, b) in rows {
        id.append_value(fact.security_id());
        date.append_value(to_days(fact.effective_date()));
        attribute.append_value(fact.attribute());
        let v = fact.value();
        bool_.append_option(if let Value::Bool(x) = v {
            Some(*x)
        } else {
            None
        });
        int.append_option(if let Value::Int(x) = v {
            Some(*x)
        } else {
            None
        });
        float.append_option(if let Value::Float(x) = v {
            Some(*x)
        } else {
            None
        });
        str_.append_option(if let Value::Str(x) = v {
            Some(&**x)
        } else {
            None
        });
        date_.append_option(if let Value::Date(x) = v {
            Some(to_days(*x))
        } else {
            None
        });
        batch.append_value(*b as i64);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(date.finish()),
        Arc::new(attribute.finish()),
        Arc::new(bool_.finish()),
        Arc::new(int.finish()),
        Arc::new(float.finish()),
        Arc::new(str_.finish()),
        Arc::new(date_.finish()),
        Arc::new(batch.finish()),
    ];
    RecordBatch::try_new(SCHEMA.clone(), columns).expect("columns match the schema")
}

/// Writes `rows` to `path` whole or not at all (a synced temporary file renamed into place),
/// returning the file's checksum.
pub(crate) fn write(path: &Path, rows: &[Stamped]) -> Result<Checksum> {
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(1).expect("level 1 is valid"),
        ))
        .set_data_page_row_count_limit(PAGE_ROWS)
        .set_write_batch_size(PAGE_ROWS)
        .build();
    let mut checksum = None;
    atomic::write_file(path, |out| {
        let mut writer = ArrowWriter::try_new(HashingWriter::new(out), SCHEMA.clone(), Some(props))
            .map_err(parquet_error(path))?;
        for chunk in rows.chunks(WRITE_ROWS) {
            writer
                .write(&record_batch(chunk))
                .map_err(parquet_error(path))?;
        }
        let mut hashing = writer.into_inner().map_err(parquet_error(path))?;
        hashing.flush().map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })?;
        checksum = Some(hashing.finish());
        Ok(())
    })?;
    Ok(checksum.expect("a written file has a checksum"))
}

/// Reads a file written by [`write`] after checking it against `expected`; with `only`
/// (sorted security ids), just the facts of those securities, decoding only the pages
/// whose security-id range meets one of them.
pub(crate) fn read(path: &Path, expected: &Checksum, only: Option<&[i64]>) -> Result<Vec<Stamped>> {
    let bytes = expected.read(path)?;
    let policy = if only.is_some() {
        PageIndexPolicy::Optional
    } else {
        PageIndexPolicy::Skip
    };
    let options = ArrowReaderOptions::new().with_page_index_policy(policy);
    let mut builder =
        ParquetRecordBatchReaderBuilder::try_new_with_options(Bytes::from(bytes), options)
            .map_err(parquet_error(path))?;
    if builder.schema().fields() != SCHEMA.fields() {
        return Err(Error::InvalidSchema {
            path: path.to_path_buf(),
            reason: "not a secmaster store fact file (unexpected columns)".to_string(),
        });
    }
    if let Some(ids) = only
        && let Some(selection) = pages_for(&builder, ids)
    {
        builder = builder.with_row_selection(selection);
    }
    let reader = builder.build().map_err(parquet_error(path))?;
    let mut names: HashMap<String, Arc<str>> = HashMap::new();
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|source| Error::Arrow {
            path: path.to_path_buf(),
            source,
        })?;
        decode(&batch, only, &mut names, &mut out, path)?;
    }
    Ok(out)
}

/// The rows of the pages that may hold one of `ids`, from the page index of
/// `security_id`; `None` (read everything) when the file has no usable page index.
fn pages_for(
    builder: &ParquetRecordBatchReaderBuilder<Bytes>,
    ids: &[i64],
) -> Option<RowSelection> {
    let metadata = builder.metadata();
    let index = metadata.page_index()?;
    let mut selectors = Vec::new();
    for (rg, group) in metadata.row_groups().iter().enumerate() {
        let rows = group.num_rows() as usize;
        let pages = index.offset_index(rg, 0)?.page_locations();
        let ColumnIndexMetaData::INT64(ix) = index.column_index(rg, 0)? else {
            return None;
        };
        let (mins, maxs) = (ix.min_values(), ix.max_values());
        for (p, page) in pages.iter().enumerate() {
            let start = page.first_row_index as usize;
            let end = pages
                .get(p + 1)
                .map_or(rows, |n| n.first_row_index as usize);
            let (min, max) = (mins.get(p)?, maxs.get(p)?);
            let lo = ids.partition_point(|&id| id < *min);
            let wanted = ids.get(lo).is_some_and(|&id| id <= *max);
            selectors.push(if wanted {
                RowSelector::select(end - start)
            } else {
                RowSelector::skip(end - start)
            });
        }
    }
    Some(RowSelection::from(selectors))
}

fn decode(
    batch: &RecordBatch,
    only: Option<&[i64]>,
    names: &mut HashMap<String, Arc<str>>,
    out: &mut Vec<Stamped>,
    path: &Path,
) -> Result<()> {
    let c = |i: usize| batch.column(i);
    let id = c(0).as_primitive::<Int64Type>();
    let date = c(1).as_primitive::<Date32Type>();
    let attribute = c(2).as_string::<i32>();
    let bool_ = c(3).as_boolean();
    let int = c(4).as_primitive::<Int64Type>();
    let float = c(5).as_primitive::<Float64Type>();
    let str_ = c(6).as_string::<i32>();
    let date_ = c(7).as_primitive::<Date32Type>();
    let stamp = c(8).as_primitive::<Int64Type>();
    let bad_date = |days: i32| Error::InvalidSchema {
        path: path.to_path_buf(),
        reason: format!("date32 value {days} is out of range"),
    };
    for r in 0..batch.num_rows() {
        let security = id.value(r);
        if only.is_some_and(|ids| ids.binary_search(&security).is_err()) {
            continue;
        }
        let value = if bool_.is_valid(r) {
            Value::Bool(bool_.value(r))
        } else if int.is_valid(r) {
            Value::Int(int.value(r))
        } else if float.is_valid(r) {
            Value::Float(float.value(r))
        } else if str_.is_valid(r) {
            Value::Str(Arc::from(str_.value(r)))
        } else if date_.is_valid(r) {
            let days = date_.value(r);
            Value::Date(from_days(days).ok_or_else(|| bad_date(days))?)
        } else {
            Value::Null
        };
        let name = attribute.value(r);
        let name = match names.get(name) {
            Some(n) => n.clone(),
            None => names
                .entry(name.to_string())
                .or_insert_with(|| Arc::from(name))
                .clone(),
        };
        let days = date.value(r);
        let effective = from_days(days).ok_or_else(|| bad_date(days))?;
        out.push((
            Fact::new(security, name, value, effective),
            stamp.value(r) as u64,
        ));
    }
    Ok(())
}
