//! The rows and columns a view asks for, read from a master's Parquet file without
//! rebuilding the master: one security's periods, the snapshot on a day, one asset class,
//! some columns.
//!
//! A master's table is sorted by `(security_id, effective_start_date)`, and its file keeps
//! the min and max of `security_id` per row group and per page. So a query reads in two
//! steps, each row group on one of rayon's threads:
//!
//! 1. the key columns (and `asset_class` for a class view) of the rows that can match — for
//!    one security, only the pages whose range holds it; else every row — to pick the rows
//!    that do match;
//! 2. the columns the view shows, of those rows only: parquet's row selection skips the
//!    pages without one, and the rest of the cells of the others.
//!
//! The answer is what the same view of the master read back from the file gives
//! ([`SecurityMaster::as_of`](secmaster_core::SecurityMaster::as_of),
//! [`history`](secmaster_core::SecurityMaster::history),
//! [`asset_class`](secmaster_core::SecurityMaster::asset_class), then
//! [`Table::select`]); memory is bounded by the answer, not the file. The key cells read
//! are checked as [`FromRows`] checks a whole table (sorted, each period ending where the
//! next starts, the last one open): a file that fails is not queried here (`None`), and
//! reading it whole names the fault.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use chrono::NaiveDate;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection,
};
use parquet::file::metadata::PageIndexPolicy;
use parquet::file::page_index::column_index::ColumnIndexMetaData;
use parquet::file::statistics::Statistics;
use rayon::prelude::*;
use secmaster_core::{Column, FromRows, KEY_COLUMNS, Table, Value};

use crate::arrow::{TableReader, days, from_arrow_schema, to_arrow_schema};
use crate::damaged::contain;
use crate::parquet::parquet_error;
use crate::schema::{TableSchema, table_error};
use crate::{Format, Result, atomic, error::arrow_error};

/// Which rows and columns of a master's table to read. Each part narrows the answer; all
/// `None` and no columns is the whole table.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<'a> {
    /// One security's periods.
    pub security: Option<i64>,
    /// The rows valid on a day (`start <= day < end`).
    pub as_of: Option<NaiveDate>,
    /// The rows of one asset class (`Some(None)`: uncategorized), without the attribute
    /// columns null in all of them (rule 9).
    pub asset_class: Option<Option<&'a str>>,
    /// The attribute columns to show, in this order (none: all), after the key columns.
    pub columns: &'a [String],
}

/// The answer to a [`Query`]: a table, as record batches.
#[derive(Debug, Clone)]
pub struct Selected {
    schema: TableSchema,
    arrow: SchemaRef,
    batches: Vec<RecordBatch>,
}

impl Selected {
    /// The answer's schema: its columns, the key columns first.
    pub fn schema(&self) -> &TableSchema {
        &self.schema
    }

    /// The answer's rows, as record batches of [`to_arrow_schema`] of its schema.
    pub fn batches(&self) -> &[RecordBatch] {
        &self.batches
    }

    /// How many rows the answer has.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// The answer as a [`Table`].
    pub fn to_table(&self) -> Result<Table> {
        let mut table = TableReader::new(&self.arrow, Path::new("<query>"))?;
        for batch in &self.batches {
            table.push(batch)?;
        }
        table.finish()
    }

    /// Writes the answer to `path` in `format`, atomically: Parquet and Arrow IPC straight
    /// from its batches, the other formats through [`Selected::to_table`].
    pub fn write(&self, path: &Path, format: Format) -> Result<()> {
        let batches = self.batches.iter().cloned();
        match format {
            Format::Parquet => crate::parquet::write_batches(path, self.arrow.clone(), batches),
            Format::Ipc => crate::ipc::write_batches(path, &self.arrow, batches),
            _ => crate::file::write_table_as(path, &self.to_table()?, format),
        }
    }
}

/// Reads what `query` asks for from the Parquet file at `path`, if it holds a master's
/// table (its key columns first, its attributes in priority order) whose rows read are in
/// order; `Ok(None)` if not, for the caller to read it whole.
///
/// An unknown column in [`Query::columns`] is an [`Error::Table`](crate::Error::Table)
/// with [`secmaster_core::Error::UnknownColumn`], as [`Table::select`] says it.
pub fn parquet(path: impl AsRef<Path>, query: &Query<'_>) -> Result<Option<Selected>> {
    let path = path.as_ref();
    contain(path, "Parquet", || read(path, query))
}

fn read(path: &Path, query: &Query<'_>) -> Result<Option<Selected>> {
    let file = atomic::open(path)?;
    // The page index is read only where it prunes: for one security's pages.
    let policy = match query.security {
        Some(_) => PageIndexPolicy::Optional,
        None => PageIndexPolicy::Skip,
    };
    let options = ArrowReaderOptions::new().with_page_index_policy(policy);
    let meta = ArrowReaderMetadata::load(&file, options).map_err(parquet_error(path))?;
    let schema = from_arrow_schema(meta.schema(), path)?;
    let columns = schema.columns();
    let is_master = schema.key_columns() == KEY_COLUMNS.len()
        && columns.iter().zip(KEY_COLUMNS).all(|(c, k)| c.name() == k)
        // One leaf per column, so a column's index is its leaf's.
        && meta.parquet_schema().num_columns() == columns.len()
        && FromRows::new(columns, schema.options()).is_ok();
    if !is_master {
        return Ok(None);
    }
    let class = match query.asset_class {
        None => Class::Any,
        Some(wanted) => match (schema_index(columns, "asset_class"), wanted) {
            (Some(at), wanted) => Class::Column(at, wanted),
            // A table without the column has no class in any row (rule 9).
            (None, None) => Class::Any,
            (None, Some(_)) => Class::Never,
        },
    };
    // The columns shown, unless a class view must first see which are empty.
    let shown = match class {
        Class::Any if query.asset_class.is_none() => Some(select(columns, query.columns, path)?),
        _ => None,
    };
    let groups = candidates(&meta, query.security);
    let picked: Vec<Result<Picked>> = groups
        .par_iter()
        .map(|g| pick(&meta, g, query, class, path))
        .collect();
    let picked: Vec<Picked> = picked.into_iter().collect::<Result<_>>()?;
    if !in_order(&picked) {
        return Ok(None);
    }
    // In the file's order, as parquet's reader gives them.
    let read_columns: Vec<usize> = match &shown {
        Some(shown) => {
            let mut sorted = shown.clone();
            sorted.sort_unstable();
            sorted
        }
        None => (0..columns.len()).collect(),
    };
    let dictionaries = with_dictionaries(&meta, path)?;
    let parts: Vec<Result<Vec<RecordBatch>>> = picked
        .par_iter()
        .filter(|p| !p.rows.is_empty())
        .map(|p| read_rows(&dictionaries, p, &read_columns, path))
        .collect();
    let batches: Vec<RecordBatch> = parts
        .into_iter()
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    // Each batch's columns, by the file's column index.
    let at = |batch: &RecordBatch, c: usize| -> Arc<dyn Array> {
        let k = read_columns
            .iter()
            .position(|&r| r == c)
            .expect("the columns shown are read");
        batch.column(k).clone()
    };
    let shown = match shown {
        Some(shown) => shown,
        None => {
            // Rule 9: the attribute columns with a value in some row of the class stay.
            let kept: Vec<usize> = (0..columns.len())
                .filter(|&c| {
                    c < KEY_COLUMNS.len()
                        || batches.iter().any(|b| {
                            let a = at(b, c);
                            a.logical_null_count() < a.len()
                        })
                })
                .collect();
            let names = select(&pick_columns(columns, &kept), query.columns, path)?;
            names.into_iter().map(|k| kept[k]).collect()
        }
    };
    let out = TableSchema::new(pick_columns(columns, &shown), KEY_COLUMNS.len(), None);
    let arrow: SchemaRef = Arc::new(to_arrow_schema(&out));
    let mut selected = Vec::with_capacity(batches.len());
    for batch in &batches {
        let arrays: Vec<Arc<dyn Array>> = shown.iter().map(|&c| at(batch, c)).collect();
        match RecordBatch::try_new(arrow.clone(), arrays) {
            Ok(b) => selected.push(b),
            // Not the types the schema says (another writer's file): read it whole.
            Err(_) => return Ok(None),
        }
    }
    Ok(Some(Selected {
        schema: out,
        arrow,
        batches: selected,
    }))
}

/// The securities with `value` in column `attribute` in some row of the table file at
/// `path` (a master's, or a store's table file), in order, each once; `Ok(None)` if the
/// file is not such a table. Only `security_id` and the attribute's column are read, the
/// row groups in parallel (for text, those whose bloom filter may hold the value), text as
/// dictionary indices; an integer column (one widened to
/// float since the file was written) matches a float it equals. A file without the column
/// holds the value nowhere.
///
/// This is a superset of the securities with the value on a day, for a lookup to check
/// against their facts: which row is valid when, and which file's row is current, is not
/// looked at.
pub fn ids_with(
    path: impl AsRef<Path>,
    attribute: &str,
    value: &Value,
) -> Result<Option<Vec<i64>>> {
    let path = path.as_ref();
    contain(path, "Parquet", || {
        let file = atomic::open(path)?;
        let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
            .map_err(parquet_error(path))?;
        let schema = from_arrow_schema(meta.schema(), path)?;
        let columns = schema.columns();
        let keys_first = columns.first().is_some_and(|c| c.name() == KEY_COLUMNS[0])
            && meta.parquet_schema().num_columns() == columns.len();
        if !keys_first {
            return Ok(None);
        }
        let Some(at) = schema_index(columns, attribute).filter(|&a| a >= KEY_COLUMNS.len()) else {
            return Ok(Some(Vec::new()));
        };
        let meta = with_dictionaries(&meta, path)?;
        let groups = candidates(&meta, None);
        let found: Vec<Result<Vec<i64>>> = groups
            .par_iter()
            .map(|g| -> Result<Vec<i64>> {
                // A text value the group's bloom filter has not seen is not in it.
                if let Value::Str(text) = value {
                    let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(
                        atomic::open(path)?,
                        meta.clone(),
                    );
                    let filter = builder
                        .get_row_group_column_bloom_filter(g.index, at)
                        .map_err(parquet_error(path))?;
                    if filter.is_some_and(|f| !f.check(&**text)) {
                        return Ok(Vec::new());
                    }
                }
                let batches = read_group(&meta, g.index, g.rows, &g.ranges, &[0, at], path)?;
                let mut ids = Vec::new();
                // A column chunk's batches share its dictionary: its entries are matched
                // once, not per batch.
                let mut dictionary: Option<(Arc<dyn Array>, Vec<bool>)> = None;
                for batch in &batches {
                    let Some(id) = batch.column(0).as_primitive_opt::<Int64Type>() else {
                        return Ok(Vec::new());
                    };
                    let column = batch.column(1);
                    let hits = match column.as_dictionary_opt::<Int32Type>() {
                        Some(dict) => {
                            let same = dictionary
                                .as_ref()
                                .is_some_and(|(d, _)| Arc::ptr_eq(d, dict.values()));
                            if !same {
                                let mut hit = vec![false; dict.values().len()];
                                for k in matches(dict.values().as_ref(), value) {
                                    hit[k] = true;
                                }
                                dictionary = Some((dict.values().clone(), hit));
                            }
                            let hit = &dictionary.as_ref().expect("set above").1;
                            let keys = dict.keys();
                            (0..keys.len())
                                .filter(|&i| {
                                    keys.is_valid(i)
                                        && hit.get(keys.value(i) as usize) == Some(&true)
                                })
                                .collect()
                        }
                        None => matches(column.as_ref(), value),
                    };
                    ids.extend(
                        hits.into_iter()
                            .filter(|&i| id.is_valid(i))
                            .map(|i| id.value(i)),
                    );
                }
                Ok(ids)
            })
            .collect();
        let mut ids: Vec<i64> = found.into_iter().collect::<Result<Vec<_>>>()?.concat();
        ids.sort_unstable();
        ids.dedup();
        Ok(Some(ids))
    })
}

/// The slots of `array` that hold `value`.
fn matches(array: &dyn Array, value: &Value) -> Vec<usize> {
    let slots = |eq: &dyn Fn(usize) -> bool| -> Vec<usize> {
        (0..array.len())
            .filter(|&i| array.is_valid(i) && eq(i))
            .collect()
    };
    match (array.data_type(), value) {
        (DataType::Utf8, Value::Str(s)) => {
            let a = array.as_string::<i32>();
            slots(&|i| a.value(i) == &**s)
        }
        (DataType::Int64, Value::Int(x)) => {
            let a = array.as_primitive::<Int64Type>();
            slots(&|i| a.value(i) == *x)
        }
        (DataType::Int64, Value::Float(x)) => {
            let a = array.as_primitive::<Int64Type>();
            slots(&|i| a.value(i) as f64 == *x)
        }
        (DataType::Float64, Value::Float(x)) => {
            let a = array.as_primitive::<Float64Type>();
            slots(&|i| a.value(i).total_cmp(x).is_eq())
        }
        (DataType::Date32, Value::Date(d)) => {
            let a = array.as_primitive::<Date32Type>();
            slots(&|i| a.value(i) == days(*d))
        }
        (DataType::Boolean, Value::Bool(b)) => {
            let a = array.as_boolean();
            slots(&|i| a.value(i) == *b)
        }
        _ => Vec::new(),
    }
}

/// The indices of the columns `names` selects of `columns` (the keys first), or
/// [`Table::select`]'s error.
fn select(columns: &[Column], names: &[String], path: &Path) -> Result<Vec<usize>> {
    let empty =
        Table::new(columns.to_vec(), KEY_COLUMNS.len(), Vec::new()).map_err(table_error(path))?;
    let chosen = match names.is_empty() {
        true => empty,
        false => empty.select(names).map_err(table_error(path))?,
    };
    Ok(chosen
        .columns()
        .iter()
        .map(|c| schema_index(columns, c.name()).expect("a column selected is a column"))
        .collect())
}

fn schema_index(columns: &[Column], name: &str) -> Option<usize> {
    columns.iter().position(|c| c.name() == name)
}

fn pick_columns(columns: &[Column], indices: &[usize]) -> Vec<Column> {
    indices.iter().map(|&i| columns[i].clone()).collect()
}

/// What a class view asks of a row.
#[derive(Debug, Clone, Copy)]
enum Class<'a> {
    /// Nothing: no class view, or an uncategorized one of a table without the column.
    Any,
    /// This class (`None`: null) in this column.
    Column(usize, Option<&'a str>),
    /// A class of a table without the column: no row.
    Never,
}

/// A row group and the rows of it (ranges of its row numbers) that can hold the answer.
#[derive(Debug)]
struct Group {
    index: usize,
    rows: usize,
    /// The group's first row's number in the file.
    first: usize,
    ranges: Vec<Range<usize>>,
}

/// The row groups, and the rows of each, that can hold `security`'s rows (by the min and
/// max of `security_id` per row group and per page), or every row.
fn candidates(meta: &ArrowReaderMetadata, security: Option<i64>) -> Vec<Group> {
    let metadata = meta.metadata();
    let mut first = 0;
    let mut groups = Vec::new();
    for (index, rg) in metadata.row_groups().iter().enumerate() {
        let rows = rg.num_rows() as usize;
        let group_first = first;
        first += rows;
        let Some(id) = security else {
            groups.push(Group {
                index,
                rows,
                first: group_first,
                ranges: std::iter::once(0..rows).collect(),
            });
            continue;
        };
        if let Some(Statistics::Int64(s)) = rg.column(0).statistics()
            && let (Some(min), Some(max)) = (s.min_opt(), s.max_opt())
            && !(min..=max).contains(&&id)
        {
            continue;
        }
        let pages = metadata.page_index().and_then(|ix| {
            let locations = ix.offset_index(index, 0)?.page_locations();
            let ColumnIndexMetaData::INT64(column) = ix.column_index(index, 0)? else {
                return None;
            };
            let mut ranges: Vec<Range<usize>> = Vec::new();
            for (p, page) in locations.iter().enumerate() {
                let start = page.first_row_index as usize;
                let end = locations
                    .get(p + 1)
                    .map_or(rows, |n| n.first_row_index as usize);
                let holds = match (column.min_value(p), column.max_value(p)) {
                    (Some(min), Some(max)) => (min..=max).contains(&&id),
                    // A page of nulls only (which a master's file has not): read it.
                    _ => true,
                };
                match ranges.last_mut() {
                    Some(last) if holds && last.end == start => last.end = end,
                    _ if holds => ranges.push(start..end),
                    _ => {}
                }
            }
            Some(ranges)
        });
        let ranges = pages.unwrap_or_else(|| std::iter::once(0..rows).collect());
        if !ranges.is_empty() {
            groups.push(Group {
                index,
                rows,
                first: group_first,
                ranges,
            });
        }
    }
    groups
}

/// A row's key cells, and its number in the file.
#[derive(Debug, Clone, Copy)]
struct Key {
    row: usize,
    id: i64,
    start: i32,
    end: Option<i32>,
}

impl Key {
    /// Whether `next`, the row after `self`, may follow it in a master's table
    /// ([`FromRows`]'s rules).
    fn may_precede(self, next: Key) -> bool {
        match self.id == next.id {
            true => next.start > self.start && self.end == Some(next.start),
            false => next.id > self.id && self.end.is_none(),
        }
    }
}

/// Of a row group, the rows that answer the query (ranges of its row numbers), and its
/// first and last key read; `ok` is false if the keys read are not a master's.
#[derive(Debug)]
struct Picked {
    index: usize,
    rows: Vec<Range<usize>>,
    total: usize,
    first: Option<Key>,
    last: Option<Key>,
    ok: bool,
}

/// Step 1: reads the key columns (and the class column) of a group's candidate rows, and
/// picks the rows that answer `query`.
fn pick(
    meta: &ArrowReaderMetadata,
    group: &Group,
    query: &Query<'_>,
    class: Class<'_>,
    path: &Path,
) -> Result<Picked> {
    let mut read = vec![0, 1, 2];
    if let Class::Column(at, _) = class {
        read.push(at);
    }
    let batches = read_group(meta, group.index, group.rows, &group.ranges, &read, path)?;
    let day = query.as_of.map(days);
    let mut rows = group.ranges.iter().flat_map(Clone::clone);
    let mut picked = Picked {
        index: group.index,
        rows: Vec::new(),
        total: group.rows,
        first: None,
        last: None,
        ok: true,
    };
    for batch in &batches {
        let ids = batch.column(0).as_primitive_opt::<Int64Type>();
        let starts = batch.column(1).as_primitive_opt::<Date32Type>();
        // The end column of a table whose every period is open has no type.
        let ends = match batch.column(2).data_type() {
            DataType::Null => None,
            _ => batch.column(2).as_primitive_opt::<Date32Type>(),
        };
        let (Some(ids), Some(starts)) = (ids, starts) else {
            picked.ok = false;
            return Ok(picked);
        };
        if ends.is_none() && batch.column(2).data_type() != &DataType::Null {
            picked.ok = false;
            return Ok(picked);
        }
        // The class column's text cells; a column of another type (or of nulls only)
        // holds no class, only nulls (which match the uncategorized view).
        let (classes, class_nulls) = match class {
            Class::Column(..) => (
                batch.column(3).as_string_opt::<i32>(),
                // Logical: a column of type Null has no null buffer, yet every cell is null.
                batch.column(3).logical_nulls(),
            ),
            _ => (None, None),
        };
        for i in 0..batch.num_rows() {
            let row = group.first + rows.next().expect("a row read per row selected");
            if ids.is_null(i) || starts.is_null(i) {
                picked.ok = false;
                return Ok(picked);
            }
            let key = Key {
                row,
                id: ids.value(i),
                start: starts.value(i),
                end: ends.and_then(|e| e.is_valid(i).then(|| e.value(i))),
            };
            let adjacent = picked.last.filter(|last| last.row + 1 == row);
            if key.end.is_some_and(|end| end <= key.start)
                || adjacent.is_some_and(|last| !last.may_precede(key))
            {
                picked.ok = false;
                return Ok(picked);
            }
            picked.first.get_or_insert(key);
            picked.last = Some(key);
            let wanted = query.security.is_none_or(|id| key.id == id)
                && day.is_none_or(|d| key.start <= d && key.end.is_none_or(|e| d < e))
                && match class {
                    Class::Any => true,
                    Class::Never => false,
                    Class::Column(_, wanted) => match classes {
                        Some(c) => c.is_valid(i).then(|| c.value(i)) == wanted,
                        None => {
                            wanted.is_none() && class_nulls.as_ref().is_some_and(|n| n.is_null(i))
                        }
                    },
                };
            if wanted {
                let local = row - group.first;
                match picked.rows.last_mut() {
                    Some(r) if r.end == local => r.end = local + 1,
                    _ => picked.rows.push(local..local + 1),
                }
            }
        }
    }
    Ok(picked)
}

/// Whether the groups' keys read are in a master's order where one group's last row and
/// the next one's first are neighbours in the file.
fn in_order(picked: &[Picked]) -> bool {
    picked.iter().all(|p| p.ok)
        && picked
            .iter()
            .filter_map(|p| p.first.zip(p.last))
            .collect::<Vec<_>>()
            .windows(2)
            .all(|w| {
                let (last, next) = (w[0].1, w[1].0);
                last.row + 1 != next.row || last.may_precede(next)
            })
}

/// Step 2: reads `columns` of the rows a group picked.
fn read_rows(
    meta: &ArrowReaderMetadata,
    picked: &Picked,
    columns: &[usize],
    path: &Path,
) -> Result<Vec<RecordBatch>> {
    let batches = read_group(
        meta,
        picked.index,
        picked.total,
        &picked.rows,
        columns,
        path,
    )?;
    batches.iter().map(|b| plain_text(b, path)).collect()
}

/// The file's metadata with its text columns read as dictionaries: a column chunk's
/// dictionary indices are decoded and filtered without copying a string per cell, and
/// only the strings of the rows picked are copied out ([`plain_text`]).
fn with_dictionaries(meta: &ArrowReaderMetadata, path: &Path) -> Result<ArrowReaderMetadata> {
    let fields: Vec<Field> = meta
        .schema()
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8 => f.as_ref().clone().with_data_type(DataType::Dictionary(
                Box::new(DataType::Int32),
                Box::new(DataType::Utf8),
            )),
            _ => f.as_ref().clone(),
        })
        .collect();
    let schema = Arc::new(Schema::new_with_metadata(
        fields,
        meta.schema().metadata().clone(),
    ));
    let options = ArrowReaderOptions::new().with_schema(schema);
    ArrowReaderMetadata::try_new(meta.metadata().clone(), options).map_err(parquet_error(path))
}

/// `batch` with its dictionary columns as plain text columns.
fn plain_text(batch: &RecordBatch, path: &Path) -> Result<RecordBatch> {
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut arrays = Vec::with_capacity(batch.num_columns());
    for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
        match array.as_any_dictionary_opt() {
            Some(dict) => {
                let plain = arrow_select::take::take(dict.values(), dict.keys(), None)
                    .map_err(arrow_error(path))?;
                fields.push(
                    field
                        .as_ref()
                        .clone()
                        .with_data_type(plain.data_type().clone()),
                );
                arrays.push(plain);
            }
            None => {
                fields.push(field.as_ref().clone());
                arrays.push(array.clone());
            }
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(arrow_error(path))
}

/// Reads `columns` of the rows `ranges` of row group `index` (of `rows` rows).
fn read_group(
    meta: &ArrowReaderMetadata,
    index: usize,
    rows: usize,
    ranges: &[Range<usize>],
    columns: &[usize],
    path: &Path,
) -> Result<Vec<RecordBatch>> {
    // Opened anew, not cloned: a clone shares the file's offset, which parquet's reader
    // seeks, with the other threads' clones.
    let file = atomic::open(path)?;
    let mask = ProjectionMask::roots(meta.parquet_schema(), columns.iter().copied());
    let selection = RowSelection::from_consecutive_ranges(ranges.iter().cloned(), rows);
    let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta.clone())
        .with_row_groups(vec![index])
        .with_projection(mask)
        .with_row_selection(selection)
        .with_batch_size(64 * 1024)
        .build()
        .map_err(parquet_error(path))?;
    reader
        .map(|b| b.map_err(arrow_error(path)))
        .collect::<Result<Vec<_>>>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parquet::{Layout, write_master_laid_out};
    use proptest::prelude::*;
    use secmaster_core::strategy::{small_trail, wide_master};
    use secmaster_core::{SecurityMaster, Value};

    /// The view the command line takes of a master (`view_master`): what a query must
    /// equal.
    fn reference(master: &SecurityMaster, q: &Query<'_>) -> secmaster_core::Result<Table> {
        let table = match (q.security, q.as_of) {
            (Some(id), None) => master.history(id),
            (None, Some(day)) => master.as_of(day),
            (Some(id), Some(day)) => master.as_of(day).where_security(id),
            (None, None) => match q.asset_class {
                Some(class) => master.asset_class(class),
                None => master.table(),
            },
        };
        let table = match q.asset_class {
            Some(class) if q.security.is_some() || q.as_of.is_some() => {
                table.where_asset_class(class)
            }
            _ => table,
        };
        match q.columns.is_empty() {
            true => Ok(table),
            false => table.select(q.columns),
        }
    }

    fn write(master: &SecurityMaster, layout: Layout) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        let out = std::fs::File::create(file.path()).unwrap();
        write_master_laid_out(out, file.path(), master, &[], layout).unwrap();
        file
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(d.into())
    }

    fn masters() -> impl Strategy<Value = SecurityMaster> {
        prop_oneof![
            wide_master(40),
            small_trail(40).prop_map(|t| SecurityMaster::build(t).unwrap()),
        ]
    }

    fn layouts() -> impl Strategy<Value = Layout> {
        (1usize..5, 1usize..4).prop_map(|(page_rows, group_pages)| Layout {
            page_rows,
            group_pages,
            dictionary_limit: 1 << 20,
        })
    }

    const CLASSES: [Option<&str>; 4] = [None, Some("equity"), Some("fx"), Some("")];
    const NAMES: [&str; 6] = ["ticker", "asset_class", "x", "cap", "security_id", "nope"];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// A query of a master's file is the view of the master, row for row and column
        /// for column, whatever the file's pages and row groups; and our own files are
        /// always queried (never `None`).
        #[test]
        fn a_query_is_the_view_of_the_master(
            master in masters(),
            layout in layouts(),
            security in prop::option::of(prop_oneof![-3i64..5, Just(i64::MIN), Just(i64::MAX)]),
            as_of in prop::option::of(prop_oneof![(0u32..6).prop_map(day), Just(NaiveDate::MIN), Just(NaiveDate::MAX)]),
            class in prop::option::of(0..CLASSES.len()),
            columns in prop::collection::vec(0..NAMES.len(), 0..3),
        ) {
            let file = write(&master, layout);
            let columns: Vec<String> = columns.iter().map(|&c| NAMES[c].to_string()).collect();
            let q = Query { security, as_of, asset_class: class.map(|c| CLASSES[c]), columns: &columns };
            let expected = reference(&master, &q);
            let got = parquet(file.path(), &q);
            match (expected, got) {
                (Ok(table), Ok(Some(selected))) => {
                    prop_assert_eq!(selected.num_rows(), table.num_rows());
                    prop_assert_eq!(selected.to_table().unwrap(), table);
                }
                (Err(e), Err(crate::Error::Table { source, .. })) => {
                    prop_assert_eq!(source.to_string(), e.to_string());
                }
                (expected, got) => prop_assert!(false, "{q:?} {layout:?}: expected {expected:?}, got {got:?}"),
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// `ids_with` finds exactly the securities with the value in some row, whatever
        /// the row groups (each with its bloom filters).
        #[test]
        fn ids_with_finds_every_security_with_the_value(master in masters(), layout in layouts()) {
            let file = write(&master, layout);
            let table = master.table();
            for (c, column) in table.columns().iter().enumerate().skip(KEY_COLUMNS.len()) {
                let mut values: Vec<Value> = table.column_values(c).filter(|v| !v.is_null()).cloned().collect();
                values.push(Value::from("absent"));
                values.push(Value::Int(-99));
                for value in values {
                    let mut expected: Vec<i64> = table
                        .rows()
                        .filter(|r| r[c] == value)
                        .map(|r| match r[0] { Value::Int(id) => id, _ => unreachable!() })
                        .collect();
                    expected.dedup();
                    let got = ids_with(file.path(), column.name(), &value).unwrap().unwrap();
                    prop_assert_eq!(got, expected, "{} = {:?}", column.name(), value);
                }
            }
        }
    }

    #[test]
    fn a_text_column_s_bloom_filters_skip_the_row_groups_without_the_value() {
        let facts =
            (0..3000).map(|id| secmaster_core::Fact::new(id, "ticker", format!("T{id}"), day(0)));
        let master = SecurityMaster::build(facts).unwrap();
        let layout = Layout {
            page_rows: 100,
            group_pages: 5,
            dictionary_limit: 1 << 20,
        };
        let file = write(&master, layout);
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(file.path()).unwrap())
                .unwrap();
        let groups = builder.metadata().num_row_groups();
        assert_eq!(groups, 6);
        let hits = (0..groups)
            .filter(|&g| {
                builder
                    .get_row_group_column_bloom_filter(g, 3)
                    .unwrap()
                    .unwrap()
                    .check("T1234")
            })
            .count();
        assert_eq!(hits, 1);
        assert_eq!(
            ids_with(file.path(), "ticker", &Value::from("T1234"))
                .unwrap()
                .unwrap(),
            [1234]
        );
    }

    #[test]
    fn a_file_out_of_order_is_left_to_the_whole_read() {
        let master = SecurityMaster::build(secmaster_core::sample::trail()).unwrap();
        let table = master.table();
        let mut rows: Vec<Vec<Value>> = table.rows().map(<[Value]>::to_vec).collect();
        rows.swap(0, 1);
        let swapped = Table::new(table.columns().to_vec(), 3, rows).unwrap();
        let file = tempfile::Builder::new()
            .suffix(".parquet")
            .tempfile()
            .unwrap();
        crate::parquet::write(file.path(), &swapped).unwrap();
        for q in [
            Query {
                as_of: Some(day(100)),
                ..Query::default()
            },
            Query {
                security: Some(1),
                ..Query::default()
            },
        ] {
            assert!(parquet(file.path(), &q).unwrap().is_none(), "{q:?}");
        }
        assert!(crate::parquet::read_master(file.path()).is_err());
        // In order, the same file is queried.
        crate::parquet::write(file.path(), &table).unwrap();
        let q = Query {
            security: Some(1),
            ..Query::default()
        };
        assert_eq!(
            parquet(file.path(), &q)
                .unwrap()
                .unwrap()
                .to_table()
                .unwrap(),
            master.history(1)
        );
    }

    #[test]
    fn a_point_lookup_reads_only_the_pages_of_its_security() {
        let facts =
            (0..2000).map(|id| secmaster_core::Fact::new(id, "ticker", format!("T{id}"), day(0)));
        let master = SecurityMaster::build(facts).unwrap();
        let layout = Layout {
            page_rows: 100,
            group_pages: 4,
            dictionary_limit: 1 << 20,
        };
        let file = write(&master, layout);
        let file_meta = ArrowReaderMetadata::load(
            &std::fs::File::open(file.path()).unwrap(),
            ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Optional),
        )
        .unwrap();
        let groups = candidates(&file_meta, Some(1234));
        assert_eq!(groups.len(), 1);
        assert_eq!(
            groups[0]
                .ranges
                .iter()
                .map(ExactSizeIterator::len)
                .sum::<usize>(),
            100
        );
        let q = Query {
            security: Some(1234),
            ..Query::default()
        };
        let got = parquet(file.path(), &q)
            .unwrap()
            .unwrap()
            .to_table()
            .unwrap();
        assert_eq!(got, master.history(1234));
    }
}
