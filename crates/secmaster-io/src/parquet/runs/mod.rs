//! A master's table encoded into Parquet column chunks straight from its runs.
//!
//! A master's column is a few runs of one carried-forward value each (about one per fact
//! in force; ~20 rows each in a realistic trail). parquet's Arrow writer takes cells, and
//! hashes every one into its column's dictionary: at 10M facts its column encoders took
//! about 40% of a build's CPU time. Here each run is looked up once and becomes one run of
//! dictionary indices; the pages are what parquet's writer would make of the same cells,
//! in the same encodings:
//!
//! - a dictionary page, PLAIN: the column's distinct values in the row group;
//! - data pages (format v1) of [`Layout::page_rows`] rows: definition levels, then the values as
//!   `RLE_DICTIONARY` indices, both in the RLE / bit-packing hybrid, compressed with zstd;
//! - booleans are not dictionary-encoded: PLAIN bits; a column with no value in a row group
//!   has PLAIN pages of levels only;
//! - per column chunk and per page (the column index): parquet's statistics (min, max, null
//!   and NaN counts) for all but text columns (see [`super::table_properties`]); and an
//!   offset index.
//!
//! Row groups are encoded on rayon's threads, a whole row group each, and appended in
//! order through parquet's file writer, which writes the footer and the Arrow schema.

mod column;
mod dictionary;
mod hybrid;
mod stats;

use std::cell::Cell;
use std::io::Write;
use std::ops::ControlFlow;

use bytes::Bytes;
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::{ParquetError, Result};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnDescPtr;
use rayon::prelude::*;
use secmaster_core::{Chunk, Chunks, ValueType};

use crate::arrow::days;
pub(crate) use column::ColumnRuns;

/// Where a master's table is cut into pages and row groups, and when a dictionary is too
/// large to write.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    /// Rows per data page: each chunk of the walk is one page of every column.
    pub(crate) page_rows: usize,
    /// Pages per row group; a table of fewer than twice as many pages is cut in two
    /// halves, so that two cores encode it.
    pub(crate) group_pages: usize,
    /// A dictionary page over this many bytes is not written: the column chunk's values
    /// are written PLAIN instead, as parquet's writer falls back to.
    pub(crate) dictionary_limit: usize,
}

impl Layout {
    /// Pages of 32,768 rows, row groups of 16 pages (524,288 rows) and dictionaries up to
    /// 1 MiB, as parquet's writer allows. A row group is encoded on one core, so groups
    /// half parquet's default size keep both cores busy at 1M facts (0.38 -> 0.31 s, the
    /// file 2% larger), and a store's table delta (~56k rows) is cut in two (an ingest
    /// ~5 ms faster). For a column of nearly unique values (market caps), zstd does better
    /// with the values than with a large dictionary.
    pub(crate) const DEFAULT: Layout = Layout {
        page_rows: 1 << 15,
        group_pages: 16,
        dictionary_limit: 1 << 20,
    };
}

/// The zstd level of every page: parquet's default, as for every other file we write.
const ZSTD_LEVEL: i32 = 1;

/// The index a null run has in [`ColumnRuns::runs`].
const NULL: u32 = u32::MAX;

/// Encodes the rows `chunks` gives (of `layout.page_rows` rows each, the last may have
/// fewer), whose columns have `types` (key columns included), into row groups of `file`.
pub(crate) fn write_groups<W: Write + Send>(
    file: &mut SerializedFileWriter<W>,
    types: &[Option<ValueType>],
    chunks: Chunks<'_>,
    layout: Layout,
) -> Result<()> {
    let columns: Vec<ColumnDescPtr> = file.schema_descr().columns().to_vec();
    if columns.len() != types.len() {
        return Err(ParquetError::General(
            "a nested column in a master's table".to_string(),
        ));
    }
    // A table of fewer than two full row groups comes in two halves, for two cores.
    let mut chunks = chunks;
    let first: Vec<Chunk<'_>> = chunks.by_ref().take(2 * layout.group_pages).collect();
    let group_pages = match first.len() < 2 * layout.group_pages {
        true => first.len().div_ceil(2).max(1),
        false => layout.group_pages,
    };
    let mut chunks = first.into_iter().chain(chunks);
    let mut groups = std::iter::from_fn(|| {
        let pages: Vec<Chunk<'_>> = chunks.by_ref().take(group_pages).collect();
        (!pages.is_empty()).then_some(pages)
    });
    // Row groups are encoded on rayon's threads, a whole row group each, at most two per
    // thread under way (so memory stays bounded however uneven the threads are), while
    // this thread gathers the next ones and appends the encoded ones in order.
    let columns = &columns;
    let failed = crate::parallel::ordered(
        2 * rayon::current_num_threads(),
        || groups.next(),
        |pages| {
            let page_rows: Vec<usize> = pages.iter().map(Chunk::num_rows).collect();
            encode_group(types, columns, layout, &page_rows, |runs| {
                fill_master(&pages, runs);
            })
        },
        |group| match append(file, group) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => ControlFlow::Break(e),
        },
    );
    failed.map_or(Ok(()), Err)
}

/// Appends an encoded row group to the file.
fn append<W: Write + Send>(file: &mut SerializedFileWriter<W>, group: Result<Group>) -> Result<()> {
    let mut writer = file.next_row_group()?;
    for (bytes, close) in group? {
        writer.append_column(&bytes, close)?;
    }
    writer.close().map(drop)
}

/// A row group's column chunks, each as its bytes and what the file's footer says of it.
type Group = Vec<(Bytes, ColumnCloseResult)>;

/// A table given column by column, for [`write_gathered`].
pub(crate) trait Gather: Sync {
    /// The number of rows.
    fn num_rows(&self) -> usize;

    /// Pushes column `c`'s cells of rows `rows`, in order, into `cells`.
    fn fill<'a>(&'a self, c: usize, rows: std::ops::Range<usize>, cells: &mut ColumnRuns<'a>);
}

/// Encodes the rows of `table`, whose columns have `types`, into row groups of `file` of up
/// to `group_rows` rows, in pages of `layout.page_rows` rows: the pages [`write_groups`]
/// makes of a master, for a table whose cells are gathered column by column (the positions
/// join). A row group's columns are gathered and encoded on rayon's threads, a column each.
pub(crate) fn write_gathered<W: Write + Send>(
    file: &mut SerializedFileWriter<W>,
    types: &[Option<ValueType>],
    table: &impl Gather,
    group_rows: usize,
    layout: Layout,
) -> Result<()> {
    let columns: Vec<ColumnDescPtr> = file.schema_descr().columns().to_vec();
    if columns.len() != types.len() {
        return Err(ParquetError::General(
            "a nested column in a table".to_string(),
        ));
    }
    let rows = table.num_rows();
    for from in (0..rows).step_by(group_rows.max(1)) {
        let group = from..(from + group_rows).min(rows);
        let page_rows: Vec<usize> = group
            .clone()
            .step_by(layout.page_rows)
            .map(|start| layout.page_rows.min(group.end - start))
            .collect();
        let encoded: Result<Group> = (0..columns.len())
            .into_par_iter()
            .map(|c| {
                with_zstd(|zstd| {
                    let mut cells = ColumnRuns::new(types[c], layout.dictionary_limit);
                    table.fill(c, group.clone(), &mut cells);
                    cells.encode(&columns[c], &page_rows, zstd)
                })
            })
            .collect();
        append(file, encoded)?;
    }
    Ok(())
}

/// Runs `f` with this thread's zstd context, kept from one row group to the next: a new
/// one per row group cost ~3% of a 10M-fact build (its tables set up and paged in anew).
fn with_zstd<T>(f: impl FnOnce(&mut zstd::bulk::Compressor<'static>) -> Result<T>) -> Result<T> {
    thread_local! {
        static ZSTD: Cell<Option<zstd::bulk::Compressor<'static>>> = const { Cell::new(None) };
    }
    // Taken out while in use, so a nested call on this thread would make its own.
    let mut zstd = match ZSTD.take() {
        Some(zstd) => zstd,
        None => zstd::bulk::Compressor::new(ZSTD_LEVEL)
            .map_err(|e| ParquetError::External(Box::new(e)))?,
    };
    let result = f(&mut zstd);
    ZSTD.set(Some(zstd));
    result
}

/// One row group's column chunks, each as its bytes and what the file's footer says of it:
/// the columns of `types`, whose cells `fill` pushes, in pages of `page_rows` rows.
fn encode_group<'a>(
    types: &[Option<ValueType>],
    columns: &[ColumnDescPtr],
    layout: Layout,
    page_rows: &[usize],
    fill: impl FnOnce(&mut [ColumnRuns<'a>]),
) -> Result<Group> {
    let mut runs: Vec<ColumnRuns<'a>> = types
        .iter()
        .map(|&ty| ColumnRuns::new(ty, layout.dictionary_limit))
        .collect();
    fill(&mut runs);
    with_zstd(|zstd| {
        runs.into_iter()
            .zip(columns)
            .map(|(column, descr)| column.encode(descr, page_rows, zstd))
            .collect()
    })
}

/// Pushes the cells of a master's `pages` into its columns' runs.
fn fill_master<'a>(pages: &[Chunk<'a>], runs: &mut [ColumnRuns<'a>]) {
    for page in pages {
        let [ids, starts, ends, attributes @ ..] = runs else {
            unreachable!("a master's table has its three key columns");
        };
        for (id, start, end) in page.keys() {
            ids.int(1, id);
            starts.date(1, days(start));
            match end {
                Some(end) => ends.date(1, days(end)),
                None => ends.null(1),
            }
        }
        for (column, cells) in attributes.iter_mut().zip(page.column_runs()) {
            for (n, value) in cells {
                column.value(n, value);
            }
        }
    }
}
