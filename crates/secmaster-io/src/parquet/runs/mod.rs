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
//! Row groups are encoded on every core, a whole row group each, and appended in order
//! through parquet's file writer, which writes the footer and the Arrow schema.

mod column;
mod dictionary;
mod hybrid;
mod stats;

use std::collections::VecDeque;
use std::io::Write;
use std::sync::Mutex;
use std::sync::mpsc::SyncSender;

use bytes::Bytes;
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::{ParquetError, Result};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnDescPtr;
use secmaster_core::{Chunk, Chunks, ValueType};

use crate::arrow::days;
use column::ColumnRuns;

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
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // A table of fewer than two full row groups comes in two halves, for two cores.
    let mut chunks = chunks;
    let first: Vec<Chunk<'_>> = chunks.by_ref().take(2 * layout.group_pages).collect();
    let group_pages = match first.len() < 2 * layout.group_pages {
        true => first.len().div_ceil(2).max(1),
        false => layout.group_pages,
    };
    let mut chunks = first.into_iter().chain(chunks);
    // Encoded row groups; an encoder answers each job on the channel that came with it.
    type Encoded = Result<Vec<(Bytes, ColumnCloseResult)>>;
    type Job<'c> = (Vec<Chunk<'c>>, SyncSender<Encoded>);
    let (jobs, queue) = std::sync::mpsc::sync_channel::<Job<'_>>(threads);
    let queue = Mutex::new(queue);
    std::thread::scope(|s| {
        let jobs = jobs; // dropped on leaving the scope, which ends the encoders
        for _ in 0..threads {
            let (queue, columns) = (&queue, &columns);
            s.spawn(move || {
                let mut zstd = None;
                loop {
                    let job = queue.lock().expect("no encoder panics holding it").recv();
                    let Ok((pages, reply)) = job else {
                        return; // no more row groups
                    };
                    let group = match &mut zstd {
                        Some(zstd) => encode_group(&pages, types, columns, layout, zstd),
                        None => zstd::bulk::Compressor::new(ZSTD_LEVEL)
                            .map_err(|e| ParquetError::External(Box::new(e)))
                            .and_then(|z| {
                                encode_group(&pages, types, columns, layout, zstd.insert(z))
                            }),
                    };
                    let _ = reply.send(group); // unheard only when the writer failed
                }
            });
        }
        // Row groups are handed out in order and appended in order, at most two per
        // encoder under way, so memory stays bounded however uneven the encoders are.
        let mut under_way = VecDeque::new();
        loop {
            while under_way.len() < 2 * threads {
                let pages: Vec<Chunk<'_>> = chunks.by_ref().take(group_pages).collect();
                if pages.is_empty() {
                    break;
                }
                let (reply, encoded) = std::sync::mpsc::sync_channel(1);
                jobs.send((pages, reply))
                    .map_err(|_| ParquetError::General("the encoders stopped".into()))?;
                under_way.push_back(encoded);
            }
            let Some(encoded) = under_way.pop_front() else {
                return Ok(());
            };
            let group = encoded
                .recv()
                .map_err(|_| ParquetError::General("a row group encoder stopped".into()))??;
            let mut writer = file.next_row_group()?;
            for (bytes, close) in group {
                writer.append_column(&bytes, close)?;
            }
            writer.close()?;
        }
    })
}

/// One row group's column chunks, each as its bytes and what the file's footer says of it.
fn encode_group(
    pages: &[Chunk<'_>],
    types: &[Option<ValueType>],
    columns: &[ColumnDescPtr],
    layout: Layout,
    zstd: &mut zstd::bulk::Compressor<'_>,
) -> Result<Vec<(Bytes, ColumnCloseResult)>> {
    let mut runs: Vec<ColumnRuns<'_>> = types
        .iter()
        .map(|&ty| ColumnRuns::new(ty, layout.dictionary_limit))
        .collect();
    for page in pages {
        let [ids, starts, ends, attributes @ ..] = &mut runs[..] else {
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
    let page_rows: Vec<usize> = pages.iter().map(Chunk::num_rows).collect();
    runs.into_iter()
        .zip(columns)
        .map(|(column, descr)| column.encode(descr, &page_rows, zstd))
        .collect()
}
