//! Reading a master file's rows a row group at a time: the candidates, the rows picked,
//! the columns read.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection,
};
use parquet::file::page_index::column_index::ColumnIndexMetaData;
use parquet::file::statistics::Statistics;

use crate::arrow::days;
use crate::parquet::parquet_error;
use crate::{Result, atomic, error::arrow_error};

use super::{Class, Query};

/// A row group and the rows of it (ranges of its row numbers) that can hold the answer.
#[derive(Debug)]
pub(super) struct Group {
    pub(super) index: usize,
    pub(super) rows: usize,
    /// The group's first row's number in the file.
    pub(super) first: usize,
    pub(super) ranges: Vec<Range<usize>>,
}

/// The row groups, and the rows of each, that can hold `security`'s rows (by the min and
/// max of `security_id` per row group and per page), or every row.
pub(super) fn candidates(meta: &ArrowReaderMetadata, security: Option<i64>) -> Vec<Group> {
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
pub(super) struct Key {
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
pub(super) struct Picked {
    pub(super) index: usize,
    pub(super) rows: Vec<Range<usize>>,
    pub(super) total: usize,
    pub(super) first: Option<Key>,
    pub(super) last: Option<Key>,
    pub(super) ok: bool,
}

/// Step 1: reads the key columns (and the class column) of a group's candidate rows, and
/// picks the rows that answer `query`.
pub(super) fn pick(
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
pub(super) fn in_order(picked: &[Picked]) -> bool {
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
pub(super) fn read_rows(
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
pub(super) fn with_dictionaries(
    meta: &ArrowReaderMetadata,
    path: &Path,
) -> Result<ArrowReaderMetadata> {
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
pub(super) fn plain_text(batch: &RecordBatch, path: &Path) -> Result<RecordBatch> {
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
pub(super) fn read_group(
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
