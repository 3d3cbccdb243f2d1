//! The store's Parquet files of facts, one codec for both kinds: log segments (a batch's
//! facts as they arrived) and state files (the facts in force, sorted by security, date and
//! attribute). Each row is a fact stamped with the batch that brought it.
//!
//! Columns: `security_id` int64, `effective_date` date32, `attribute` utf8, then the value
//! in the one of `value_bool`, `value_int`, `value_float`, `value_str`, `value_date` that
//! matches its type (all null for a retraction), then `batch` int64. Typed columns keep
//! every value exact (no float goes through text) and let any Arrow tool filter by value.
//!
//! Log segments are zstd-compressed (small ones not at all), state files hardly ([`Kind`]).
//! Pages are small (1,024 rows) and carry a page index, and `security_id` a bloom filter,
//! so a reader that wants a few securities of a sorted state file decodes only the pages
//! that hold them, and passes over a delta file that holds none. Only the few-valued
//! columns (`effective_date`, `attribute`, `batch`) are dictionary-encoded: a reader of a
//! few pages of a row group would otherwise decode every column's whole dictionary first.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, LazyLock};

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use bytes::Bytes;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowPredicateFn, ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
    RowFilter, RowSelection, RowSelector,
};
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::PageIndexPolicy;
use parquet::file::page_index::column_index::ColumnIndexMetaData;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::reader::ChunkReader;
use parquet::schema::types::ColumnPath;
use rayon::prelude::*;
use secmaster_core::{Fact, Value};

use secmaster_io::arrow::{date_of_days, days};
use secmaster_io::atomic;
use secmaster_io::parquet::{encode_batches, parquet_error};

use crate::checked::At;
use crate::checksum::{Blocks, Checksum, HashingWriter};
use crate::{Error, Result};

/// A fact and the number of the batch that brought it.
pub(crate) type Stamped = (Fact, u64);

/// Log segments of fewer facts are not compressed ([`Kind::Log`]). A 1,000-fact segment is
/// 27 KB so (17 KB with zstd), and 30 of them are read in 6 ms instead of 17.
const SMALL_LOG_ROWS: usize = 100_000;
/// Rows a page holds: small enough that reading a few securities decodes little.
const PAGE_ROWS: usize = 1024;
/// The columns with few distinct values, dictionary-encoded.
const DICTIONARY_COLUMNS: [&str; 3] = ["effective_date", "attribute", "batch"];
/// The false-positive rate of the security-id bloom filters.
const BLOOM_FPP: f64 = 0.01;
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

/// [`SCHEMA`] as read: `attribute` a dictionary.
static READ_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let mut fields: Vec<Field> = SCHEMA.fields().iter().map(|f| Field::clone(f)).collect();
    fields[2] = Field::new(
        "attribute",
        DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
        false,
    );
    Arc::new(Schema::new(fields))
});

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let fields: Vec<Field> = COLUMNS
        .iter()
        .enumerate()
        // The keys and the batch are never null; only the value columns are.
        .map(|(i, (name, ty))| Field::new(*name, ty.clone(), (3..8).contains(&i)))
        .collect();
    Arc::new(Schema::new(fields))
});

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
        date.append_value(days(fact.effective_date()));
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
            Some(days(*x))
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

/// Which of the two kinds of fact file to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A log segment: kept for good, so compressed harder (zstd), unless it is small
    /// (under [`SMALL_LOG_ROWS`] facts): a small segment is read by every ingest until the
    /// next compaction, and zstd's setup per column costs more than its bytes save.
    Log,
    /// A state file: rewritten at each compaction and read a few pages at a time, so
    /// compressed only where it pays: its text values with Snappy, its sorted security ids
    /// delta-encoded, its other columns (small numbers, and dictionary indices of dates,
    /// names and batches) not at all. At 10M facts that is 112 MB against 81 MB with zstd
    /// everywhere, and a 1,000-fact ingest reads the pages it needs in about two thirds of
    /// the time. Written with the digests of its blocks.
    State,
}

/// Writes `rows` to `path` whole or not at all (a synced temporary file renamed into place),
/// returning the file's checksum and, for a state file, the digests of its blocks.
pub(crate) fn write(
    path: &Path,
    rows: &[Stamped],
    kind: Kind,
) -> Result<(Checksum, Option<Blocks>)> {
    let compression = match kind {
        Kind::Log if rows.len() < SMALL_LOG_ROWS => Compression::UNCOMPRESSED,
        Kind::Log => Compression::ZSTD(ZstdLevel::try_new(1).expect("level 1 is valid")),
        Kind::State => Compression::UNCOMPRESSED,
    };
    let mut props = WriterProperties::builder()
        .set_compression(compression)
        .set_data_page_row_count_limit(PAGE_ROWS)
        .set_write_batch_size(PAGE_ROWS)
        // Page statistics (the column index) only where a reader selects pages by them.
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_column_statistics_enabled(ColumnPath::from("security_id"), EnabledStatistics::Page)
        // No dictionaries but for the few-valued columns: a reader of a few pages of a
        // row group would otherwise decode each column's whole dictionary page first.
        .set_dictionary_enabled(false)
        // A bloom filter of the security ids, so that a reader of a few securities passes
        // over a delta file (or row group) that holds none of them, and reads of one that
        // does only the pages of those it holds. Sized for the rows, folded down to fit.
        .set_column_bloom_filter_enabled(ColumnPath::from("security_id"), true)
        .set_column_bloom_filter_fpp(ColumnPath::from("security_id"), BLOOM_FPP)
        .set_column_bloom_filter_max_ndv(
            ColumnPath::from("security_id"),
            rows.len().clamp(1, 1 << 20) as u64,
        );
    for column in DICTIONARY_COLUMNS {
        props = props.set_column_dictionary_enabled(ColumnPath::from(column), true);
    }
    if kind == Kind::State {
        props = props
            .set_column_compression(ColumnPath::from("value_str"), Compression::SNAPPY)
            .set_column_encoding(
                ColumnPath::from("security_id"),
                Encoding::DELTA_BINARY_PACKED,
            );
    }
    let props = props.build();
    let mut checksum = None;
    atomic::write_file(path, |out| {
        // The columns encoded on every core while this thread makes the next batch.
        let batches = rows.chunks(WRITE_ROWS).map(record_batch);
        let hashing = if kind == Kind::State {
            HashingWriter::with_blocks(out)
        } else {
            HashingWriter::new(out)
        };
        let mut hashing = encode_batches(hashing, path, SCHEMA.clone(), props, batches)?;
        hashing
            .flush()
            .map_err(|source| secmaster_io::Error::Write {
                path: path.to_path_buf(),
                source,
            })?;
        checksum = Some((hashing.finish(), hashing.blocks()));
        Ok(())
    })?;
    Ok(checksum.expect("a written file has a checksum"))
}

/// Reads a file written by [`write`] whole, after checking it against `expected`: the facts
/// of the securities `only` (sorted; all when `None`), in `parts` parts decoded in
/// parallel, each of consecutive row groups (so the parts of a file sorted by security are
/// too, one after the other).
pub(crate) fn read(
    path: &Path,
    expected: &Checksum,
    only: Option<&[i64]>,
    parts: usize,
) -> Result<Vec<Vec<Stamped>>> {
    let bytes = Bytes::from(expected.read(path)?);
    let metadata = metadata(&bytes, PageIndexPolicy::Skip, path)?;
    decode_parts(&bytes, &metadata, only, false, parts, path)
}

/// Reads the facts of the securities `ids` (sorted) from a file written by [`write`], in
/// `parts` parts as [`read`] does, reading only what it needs: the footer, the page index,
/// the bloom filters of `security_id` (a row group none of `ids` passes is skipped), its
/// pages whose range meets one of the ids that pass, and of the other columns just the
/// pages that hold a row of one of `ids`.
///
/// With `blocks`, the digests of the file's blocks, every block read is checked against
/// its digest. *Without*, nothing is checked: the caller checks the whole file
/// ([`Checksum::check`], possibly on another thread meanwhile) before it trusts what this
/// returns or writes anything. Either way, a file of another length than `expected`'s is
/// an error.
pub(crate) fn read_some(
    path: &Path,
    expected: &Checksum,
    blocks: Option<Arc<Blocks>>,
    ids: &[i64],
    parts: usize,
) -> Result<Vec<Vec<Stamped>>> {
    let read_error = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(read_error)?;
    let len = file.metadata().map_err(read_error)?.len();
    if len != expected.bytes {
        return Err(Error::Checksum {
            path: path.to_path_buf(),
            expected: format!("{} ({} bytes)", expected.xxh3, expected.bytes),
            found: format!("a file of {len} bytes"),
        });
    }
    let input = At {
        file: Arc::new(file),
        len,
        blocks,
        damage: Arc::default(),
    };
    let read = metadata(&input, PageIndexPolicy::Optional, path)
        .and_then(|metadata| decode_parts(&input, &metadata, Some(ids), true, parts, path));
    // A block that failed its check is the error, whatever the reader made of it.
    let damage = input.damage.lock().expect("no panic holds the lock").take();
    match damage {
        Some((block, expected, found)) => Err(Error::Checksum {
            path: path.to_path_buf(),
            expected: format!("{expected:016x} for block {block}"),
            found: format!("{found:016x}"),
        }),
        None => read,
    }
}

/// The file's metadata (with its page index as `policy` says), once it is known to be a
/// file of facts.
fn metadata<R: ChunkReader>(
    input: &R,
    policy: PageIndexPolicy,
    path: &Path,
) -> Result<ArrowReaderMetadata> {
    let options = ArrowReaderOptions::new().with_page_index_policy(policy);
    let metadata = ArrowReaderMetadata::load(input, options).map_err(parquet_error(path))?;
    if metadata.schema().fields() != SCHEMA.fields() {
        return Err(invalid(
            path,
            "not a secmaster store fact file (unexpected columns)",
        ));
    }
    // The attribute names read as a dictionary: each name is looked up once per batch,
    // not once per fact.
    let options = ArrowReaderOptions::new().with_schema(READ_SCHEMA.clone());
    Ok(
        ArrowReaderMetadata::try_new(metadata.metadata().clone(), options)
            .map_err(parquet_error(path))?,
    )
}

/// A fact file that is not one: io's [`InvalidSchema`](secmaster_io::Error::InvalidSchema).
fn invalid(path: &Path, reason: impl Into<String>) -> Error {
    Error::Io(secmaster_io::Error::InvalidSchema {
        path: path.to_path_buf(),
        reason: reason.into(),
    })
}

/// Decodes `parts` shares of the file's row groups, in parallel on rayon's pool (sharing
/// the metadata read once), in order.
fn decode_parts<R: ChunkReader + Clone + 'static>(
    input: &R,
    metadata: &ArrowReaderMetadata,
    only: Option<&[i64]>,
    select: bool,
    parts: usize,
    path: &Path,
) -> Result<Vec<Vec<Stamped>>> {
    (0..parts)
        .into_par_iter()
        .map(|part| {
            let share = Share { part, parts };
            decode_part(input.clone(), metadata.clone(), only, select, share, path)
        })
        .collect()
}

/// A share of a file's row groups: the `part`-th of `parts` consecutive runs of them.
#[derive(Debug, Clone, Copy)]
struct Share {
    part: usize,
    parts: usize,
}

/// Decodes the facts of `share` of the file's row groups, of the securities `only` (all
/// when `None`). With `select`, the bloom filters and the page index pick the pages to
/// decode, and `security_id` is decoded first, the other columns then only where it is
/// wanted; without, every row is decoded and the unwanted ones dropped.
fn decode_part<R: ChunkReader + 'static>(
    input: R,
    metadata: ArrowReaderMetadata,
    only: Option<&[i64]>,
    select: bool,
    share: Share,
    path: &Path,
) -> Result<Vec<Stamped>> {
    let mut builder = ParquetRecordBatchReaderBuilder::new_with_metadata(input, metadata);
    let groups_in_file = builder.metadata().num_row_groups();
    let groups: Vec<usize> = (0..groups_in_file)
        .filter(|rg| rg * share.parts / groups_in_file == share.part)
        .collect();
    builder = builder.with_row_groups(groups.clone());
    if let Some(ids) = only.filter(|_| select) {
        // Per row group read, the ids its bloom filter does not rule out.
        let candidates: Vec<(usize, Vec<i64>)> = groups
            .iter()
            .map(
                |&rg| match builder.get_row_group_column_bloom_filter(rg, 0) {
                    Ok(Some(bloom)) => (
                        rg,
                        ids.iter().copied().filter(|id| bloom.check(id)).collect(),
                    ),
                    _ => (rg, ids.to_vec()),
                },
            )
            .collect();
        if candidates.iter().all(|(_, ids)| ids.is_empty()) {
            return Ok(Vec::new());
        }
        if let Some(selection) = pages_for(&builder, &candidates) {
            builder = builder.with_row_selection(selection);
        }
        let wanted: Arc<[i64]> = ids.into();
        let mask = ProjectionMask::roots(builder.parquet_schema(), [0]);
        let predicate = ArrowPredicateFn::new(mask, move |batch: RecordBatch| {
            let id = batch.column(0).as_primitive::<Int64Type>();
            // A security's rows are consecutive: look each one up once.
            let mut last = None;
            let keep: Vec<bool> = id
                .values()
                .iter()
                .map(|&i| match last {
                    Some((l, keep)) if l == i => keep,
                    _ => {
                        let keep = wanted.binary_search(&i).is_ok();
                        last = Some((i, keep));
                        keep
                    }
                })
                .collect();
            Ok(BooleanArray::from(keep))
        });
        builder = builder.with_row_filter(RowFilter::new(vec![Box::new(predicate)]));
    }
    let reader = builder.build().map_err(parquet_error(path))?;
    // The batches first, then the facts into a vector of the right size: growing it
    // instead would copy it and touch twice the memory (fresh pages are dear).
    let batches = reader
        .collect::<std::result::Result<Vec<RecordBatch>, _>>()
        .map_err(|source| secmaster_io::Error::Arrow {
            path: path.to_path_buf(),
            source,
        })?;
    let mut names: HashMap<String, Arc<str>> = HashMap::new();
    let mut out = Vec::with_capacity(batches.iter().map(RecordBatch::num_rows).sum());
    // A selective read has left only the rows of `only`.
    let only = only.filter(|_| !select);
    for batch in batches {
        decode(&batch, only, &mut names, &mut out, path)?;
    }
    Ok(out)
}

/// The rows of the pages that may hold one of `ids` (for each row group read, in order, the
/// ids sorted), from the page index of `security_id`; `None` (read everything) when the
/// file has no usable page index.
fn pages_for<R: ChunkReader>(
    builder: &ParquetRecordBatchReaderBuilder<R>,
    ids: &[(usize, Vec<i64>)],
) -> Option<RowSelection> {
    let metadata = builder.metadata();
    let index = metadata.page_index()?;
    let mut selectors = Vec::new();
    for (rg, ids) in ids {
        let rg = *rg;
        let rows = metadata.row_group(rg).num_rows() as usize;
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
    let attribute = c(2).as_dictionary::<Int32Type>();
    // The batch's attribute names, each shared with the facts of every batch.
    let attributes: Vec<Arc<str>> = attribute
        .values()
        .as_string::<i32>()
        .iter()
        .map(|name| {
            let name = name.unwrap_or_default();
            match names.get(name) {
                Some(n) => n.clone(),
                None => names
                    .entry(name.to_string())
                    .or_insert_with(|| Arc::from(name))
                    .clone(),
            }
        })
        .collect();
    let keys = attribute.keys();
    let bool_ = c(3).as_boolean();
    let int = c(4).as_primitive::<Int64Type>();
    let float = c(5).as_primitive::<Float64Type>();
    let str_ = c(6).as_string::<i32>();
    let date_ = c(7).as_primitive::<Date32Type>();
    let stamp = c(8).as_primitive::<Int64Type>();
    let bad_date = |days: i32| invalid(path, format!("date32 value {days} is out of range"));
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
            Value::Date(date_of_days(days.into()).ok_or_else(|| bad_date(days))?)
        } else {
            Value::Null
        };
        let name = attributes[keys.value(r) as usize].clone();
        let days = date.value(r);
        let effective = date_of_days(days.into()).ok_or_else(|| bad_date(days))?;
        out.push((
            Fact::new(security, name, value, effective),
            stamp.value(r) as u64,
        ));
    }
    Ok(())
}
