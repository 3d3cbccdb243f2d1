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

use std::path::Path;
use std::sync::Arc;

use arrow_array::{Array, RecordBatch};
use arrow_schema::SchemaRef;
use chrono::NaiveDate;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use parquet::file::metadata::PageIndexPolicy;
use rayon::prelude::*;
use secmaster_core::{Column, FromRows, KEY_COLUMNS, Table};

use crate::arrow::{TableReader, from_arrow_schema, to_arrow_schema};
use crate::damaged::contain;
use crate::parquet::parquet_error;
use crate::schema::{TableSchema, table_error};
use crate::{Format, Result, atomic};

mod ids;
mod rows;
#[cfg(test)]
mod tests;

pub use ids::ids_with;
use rows::{Picked, candidates, in_order, pick, read_rows, with_dictionaries};

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

pub(super) fn schema_index(columns: &[Column], name: &str) -> Option<usize> {
    columns.iter().position(|c| c.name() == name)
}

fn pick_columns(columns: &[Column], indices: &[usize]) -> Vec<Column> {
    indices.iter().map(|&i| columns[i].clone()).collect()
}

/// What a class view asks of a row.
#[derive(Debug, Clone, Copy)]
pub(super) enum Class<'a> {
    /// Nothing: no class view, or an uncategorized one of a table without the column.
    Any,
    /// This class (`None`: null) in this column.
    Column(usize, Option<&'a str>),
    /// A class of a table without the column: no row.
    Never,
}
