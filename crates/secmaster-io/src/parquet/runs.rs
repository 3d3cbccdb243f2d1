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

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::sync::Mutex;
use std::sync::mpsc::SyncSender;

use bytes::Bytes;
use parquet::basic::{BoundaryOrder, Compression, Encoding, EncodingMask, PageType, ZstdLevel};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{
    ColumnChunkMetaData, ColumnIndexBuilder, LevelHistogram, PageEncodingStats,
};
use parquet::file::page_index::column_index::ColumnIndexMetaData;
use parquet::file::page_index::offset_index::{OffsetIndexMetaData, PageLocation};
use parquet::file::statistics::{Statistics, ValueStatistics};
use parquet::file::writer::{SerializedFileWriter, SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;
use secmaster_core::{Chunk, Chunks, Value, ValueType};

use crate::arrow::days;
use crate::fx::FxBuild;

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

/// The distinct values of a column in a row group, in order of first appearance: a value's
/// index is its place here. Once their PLAIN bytes pass the limit, the column will be
/// written PLAIN: from then on every new run gets an index of its own, unhashed.
struct Dictionary<K> {
    index: HashMap<K, u32, FxBuild>,
    values: Vec<K>,
    /// The PLAIN bytes of `values`, and the most a dictionary page may hold.
    bytes: usize,
    limit: usize,
    /// The last value looked up and its index: neighbouring runs often hold one value.
    last: Option<(K, u32)>,
}

/// A dictionary's key.
trait Key: Copy + Eq + Hash {
    /// Its size in a PLAIN page.
    fn plain_bytes(&self) -> usize;

    /// Whether it is surely `other`, cheaply: a `false` only costs a hash lookup.
    fn same(&self, other: &Self) -> bool {
        self == other
    }
}

impl Key for i64 {
    fn plain_bytes(&self) -> usize {
        8
    }
}

impl Key for i32 {
    fn plain_bytes(&self) -> usize {
        4
    }
}

impl Key for u64 {
    fn plain_bytes(&self) -> usize {
        8
    }
}

/// Text and its hash, computed once: growing the table rehashes from the hash, without
/// reading the text again (scattered over the heap, a cache miss each).
#[derive(Clone, Copy)]
struct Text<'a> {
    text: &'a str,
    hash: u64,
}

impl<'a> Text<'a> {
    fn new(text: &'a str) -> Text<'a> {
        let mut hasher = crate::fx::Fx::default();
        hasher.write(text.as_bytes());
        Text {
            text,
            hash: hasher.finish(),
        }
    }
}

impl PartialEq for Text<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Text<'_> {}

impl Hash for Text<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl Key for Text<'_> {
    fn plain_bytes(&self) -> usize {
        4 + self.text.len()
    }

    /// The same text in memory: a master shares one string among equal values, mostly.
    fn same(&self, other: &Self) -> bool {
        std::ptr::eq(self.text, other.text)
    }
}

impl<K: Key> Dictionary<K> {
    fn new(limit: usize) -> Dictionary<K> {
        Dictionary {
            index: HashMap::default(),
            values: Vec::new(),
            bytes: 0,
            limit,
            last: None,
        }
    }

    /// Whether the values are past the limit: the column is written PLAIN.
    fn full(&self) -> bool {
        self.bytes > self.limit
    }

    fn index(&mut self, key: K) -> u32 {
        if let Some((last, i)) = self.last
            && last.same(&key)
        {
            return i;
        }
        let next = u32::try_from(self.values.len()).expect("a row group's runs fit a u32");
        let i = if self.full() {
            next
        } else {
            *self.index.entry(key).or_insert(next)
        };
        if i == next {
            self.values.push(key);
            self.bytes += key.plain_bytes();
            if self.full() {
                self.index = HashMap::default();
            }
        }
        self.last = Some((key, i));
        i
    }
}

/// The values of a column as its pages hold them.
enum Values<'a> {
    Int(Dictionary<i64>),
    Date(Dictionary<i32>),
    /// By their bits, so that every float (-0.0, NaNs) keeps its exact value.
    Float(Dictionary<u64>),
    Text(Dictionary<Text<'a>>),
    /// PLAIN bits; a run's "index" is its value, 0 or 1.
    Bool,
    /// A column of no type: no fact has a value.
    Null,
}

/// One column of a row group being gathered: its cells as runs of dictionary indices.
struct ColumnRuns<'a> {
    values: Values<'a>,
    /// Consecutive cells as `(rows, index)`, [`NULL`] for null cells; neighbours differ.
    runs: Vec<(u32, u32)>,
}

impl<'a> ColumnRuns<'a> {
    fn new(ty: Option<ValueType>, limit: usize) -> ColumnRuns<'a> {
        ColumnRuns {
            values: match ty {
                Some(ValueType::Int) => Values::Int(Dictionary::new(limit)),
                Some(ValueType::Date) => Values::Date(Dictionary::new(limit)),
                Some(ValueType::Float) => Values::Float(Dictionary::new(limit)),
                Some(ValueType::Str) => Values::Text(Dictionary::new(limit)),
                Some(ValueType::Bool) => Values::Bool,
                None => Values::Null,
            },
            runs: Vec::new(),
        }
    }

    fn push(&mut self, n: usize, index: u32) {
        let n = u32::try_from(n).expect("a run fits a row group");
        match self.runs.last_mut() {
            Some((rows, last)) if *last == index => *rows += n,
            _ => self.runs.push((n, index)),
        }
    }

    fn null(&mut self, n: usize) {
        self.push(n, NULL);
    }

    fn int(&mut self, n: usize, x: i64) {
        let Values::Int(d) = &mut self.values else {
            unreachable!("an int goes to an int column");
        };
        let i = d.index(x);
        self.push(n, i);
    }

    fn date(&mut self, n: usize, day: i32) {
        let Values::Date(d) = &mut self.values else {
            unreachable!("a date goes to a date column");
        };
        let i = d.index(day);
        self.push(n, i);
    }

    /// `n` cells of `value`, which is null or of the column's type (the core stores every
    /// value at its column's type, rule 8).
    fn value(&mut self, n: usize, value: &'a Value) {
        let i = match (&mut self.values, value) {
            (_, Value::Null) => NULL,
            (Values::Int(d), Value::Int(x)) => d.index(*x),
            (Values::Date(d), Value::Date(x)) => d.index(days(*x)),
            (Values::Float(d), Value::Float(x)) => d.index(x.to_bits()),
            (Values::Text(d), Value::Str(s)) => d.index(Text::new(s)),
            (Values::Bool, Value::Bool(b)) => u32::from(*b),
            (_, value) => unreachable!("{value:?} in a column of another type"),
        };
        self.push(n, i);
    }

    /// The column chunk, in pages of `page_rows` rows: its bytes (dictionary page, data
    /// pages) and its metadata.
    fn encode(
        self,
        descr: &ColumnDescPtr,
        page_rows: &[usize],
        zstd: &mut zstd::bulk::Compressor<'_>,
    ) -> Result<(Bytes, ColumnCloseResult)> {
        let (entries, full) = match &self.values {
            Values::Int(d) => (d.values.len(), d.full()),
            Values::Date(d) => (d.values.len(), d.full()),
            Values::Float(d) => (d.values.len(), d.full()),
            Values::Text(d) => (d.values.len(), d.full()),
            Values::Bool | Values::Null => (0, false),
        };
        let entries = u32::try_from(entries).expect("a row group's runs fit a u32");
        let mode = match (&self.values, entries, full) {
            (Values::Bool, ..) => Mode::Bits,
            (_, 0, _) => Mode::Levels,
            (.., true) => Mode::Plain,
            _ => Mode::Dictionary(bit_width(entries)),
        };
        let encoding = match mode {
            Mode::Dictionary(_) => Encoding::RLE_DICTIONARY,
            _ => Encoding::PLAIN,
        };
        let levels = descr.max_def_level() > 0;
        let mut sink = TrackedWrite::new(Vec::new());
        let mut writer = SerializedPageWriter::new(&mut sink);
        let mut compress = |page: &[u8]| -> Result<Bytes> {
            Ok(Bytes::from(
                zstd.compress(page)
                    .map_err(|e| ParquetError::External(Box::new(e)))?,
            ))
        };
        let mut sizes = (0u64, 0u64); // compressed, uncompressed; headers included
        let mut dictionary_offset = None;
        let mut encoding_stats = Vec::new();
        if let Mode::Dictionary(_) = mode {
            let mut plain = Vec::new();
            for i in 0..entries {
                self.values.put_plain(&mut plain, i, 1);
            }
            let page = Page::DictionaryPage {
                buf: compress(&plain)?,
                num_values: entries,
                encoding: Encoding::PLAIN,
                is_sorted: false,
            };
            let spec = writer.write_page(CompressedPage::new(page, plain.len()))?;
            dictionary_offset = Some(spec.offset as i64);
            sizes.0 += spec.compressed_size as u64;
            sizes.1 += spec.uncompressed_size as u64;
            encoding_stats.push(PageEncodingStats {
                page_type: PageType::DICTIONARY_PAGE,
                encoding: Encoding::PLAIN,
                count: 1,
            });
        }
        let mut index = PageIndex::new(&self.values, descr);
        let mut chunk = Tally::default();
        let mut locations = Vec::with_capacity(page_rows.len());
        let mut runs = Cut {
            runs: self.runs.iter(),
            carried: None,
        };
        let mut first_row = 0;
        for &rows in page_rows {
            let (buf, tally) = self.data_page(&mut runs, rows as u32, mode, levels);
            let page = Page::DataPage {
                buf: compress(&buf)?,
                num_values: rows as u32,
                encoding,
                def_level_encoding: Encoding::RLE,
                rep_level_encoding: Encoding::RLE,
                statistics: None,
            };
            let spec = writer.write_page(CompressedPage::new(page, buf.len()))?;
            sizes.0 += spec.compressed_size as u64;
            sizes.1 += spec.uncompressed_size as u64;
            locations.push(PageLocation {
                offset: spec.offset as i64,
                compressed_page_size: i32::try_from(spec.compressed_size).map_err(|_| {
                    ParquetError::General("a page of over 2 GiB (text values too long)".into())
                })?,
                first_row_index: first_row,
            });
            first_row += rows as i64;
            if let Some(index) = &mut index {
                index.add(rows as i64, &tally);
            }
            chunk.merge(&tally);
        }
        let column_index = index.map(PageIndex::finish).transpose()?;
        writer.close()?;
        encoding_stats.push(PageEncodingStats {
            page_type: PageType::DATA_PAGE,
            encoding,
            count: locations.len() as i32,
        });
        let mut metadata = ColumnChunkMetaData::builder(descr.clone())
            .set_compression(Compression::ZSTD(
                ZstdLevel::try_new(ZSTD_LEVEL).expect("a valid zstd level"),
            ))
            .set_encodings_mask(EncodingMask::new_from_encodings(
                [Encoding::PLAIN, Encoding::RLE, encoding].iter(),
            ))
            .set_page_encoding_stats(encoding_stats)
            .set_total_compressed_size(sizes.0 as i64)
            .set_total_uncompressed_size(sizes.1 as i64)
            .set_num_values(first_row)
            .set_data_page_offset(locations.first().map_or(0, |l| l.offset))
            .set_dictionary_page_offset(dictionary_offset);
        if let Some(statistics) = self.statistics(descr, &chunk) {
            let levels = vec![chunk.nulls as i64, first_row - chunk.nulls as i64];
            metadata = metadata
                .set_statistics(statistics)
                .set_definition_level_histogram(Some(LevelHistogram::from(levels)));
        }
        let close = ColumnCloseResult {
            bytes_written: sink.bytes_written() as u64,
            rows_written: first_row as u64,
            metadata: metadata.build()?,
            bloom_filter: None,
            column_index,
            offset_index: Some(OffsetIndexMetaData {
                page_locations: locations,
                unencoded_byte_array_data_bytes: None,
            }),
        };
        Ok((Bytes::from(sink.into_inner()?), close))
    }
}

impl ColumnRuns<'_> {
    /// The next data page, of `rows` rows from `runs`, uncompressed: its definition levels
    /// (when the column has them) and its values as `mode` holds them; and its tally.
    fn data_page(
        &self,
        runs: &mut Cut<'_>,
        rows: u32,
        mode: Mode,
        levels: bool,
    ) -> (Vec<u8>, Tally) {
        let mut def = Hybrid::new(1);
        let mut indices = Hybrid::new(match mode {
            Mode::Dictionary(width) => width,
            _ => 0,
        });
        let mut plain = Vec::new();
        let mut bits = Bits::default();
        let mut tally = Tally::default();
        let mut left = rows;
        while left > 0 {
            let (k, i) = runs.next(left);
            left -= k;
            def.put(u32::from(i != NULL), k);
            if i == NULL {
                tally.nulls += u64::from(k);
                continue;
            }
            if let Some(stat) = self.stat(i) {
                tally.add(stat, u64::from(k));
            }
            match mode {
                Mode::Dictionary(_) => indices.put(i, k),
                Mode::Plain => self.values.put_plain(&mut plain, i, k),
                Mode::Bits => bits.put(i == 1, k),
                Mode::Levels => unreachable!("a column without values has only nulls"),
            }
        }
        let mut page = Vec::new();
        if levels {
            let def = def.finish();
            let len = u32::try_from(def.len()).expect("a page's levels fit");
            page.extend_from_slice(&len.to_le_bytes());
            page.extend_from_slice(&def);
        }
        match mode {
            Mode::Dictionary(width) => {
                page.push(width);
                page.extend_from_slice(&indices.finish());
            }
            Mode::Plain => page.extend_from_slice(&plain),
            Mode::Bits => page.extend_from_slice(&bits.finish()),
            Mode::Levels => {}
        }
        (page, tally)
    }
}

/// A column's runs, cut at page ends.
struct Cut<'r> {
    runs: std::slice::Iter<'r, (u32, u32)>,
    /// What is left of a run the last page end cut.
    carried: Option<(u32, u32)>,
}

impl Cut<'_> {
    /// The next piece of a run, of at most `left` rows.
    fn next(&mut self, left: u32) -> (u32, u32) {
        let (n, i) = self
            .carried
            .take()
            .or_else(|| self.runs.next().copied())
            .expect("the runs cover every row of the pages");
        if n > left {
            self.carried = Some((n - left, i));
        }
        (n.min(left), i)
    }
}

/// A column chunk's column index (its pages' statistics) as parquet's writer makes it;
/// none for text columns (see [`super::table_properties`]).
struct PageIndex {
    builder: ColumnIndexBuilder,
    floats: bool,
    /// Whether the pages' min and max only rose, or only fell, so far.
    ascending: bool,
    descending: bool,
    /// The last page with a value: its min and max.
    last: Option<(Stat, Stat)>,
}

impl PageIndex {
    fn new(values: &Values<'_>, descr: &ColumnDescPtr) -> Option<PageIndex> {
        (!matches!(values, Values::Text(_))).then(|| PageIndex {
            builder: ColumnIndexBuilder::new(descr.physical_type()),
            floats: matches!(values, Values::Float(_)),
            ascending: true,
            descending: true,
            last: None,
        })
    }

    /// The next page, of `rows` rows and this tally.
    fn add(&mut self, rows: i64, page: &Tally) {
        let nulls = page.nulls as i64;
        let levels = LevelHistogram::from(vec![nulls, rows - nulls]);
        self.builder.append_histograms(&None, &Some(levels));
        let nans = self.floats.then_some(page.nans as i64);
        match page.min_max {
            None => self
                .builder
                .append(true, Vec::new(), Vec::new(), nulls, nans),
            Some((min, max)) => {
                if let Some((last_min, last_max)) = self.last {
                    self.ascending &= !(last_min.after(min) || last_max.after(max));
                    self.descending &= !(min.after(last_min) || max.after(last_max));
                }
                self.last = Some((min, max));
                self.builder
                    .append(false, min.bytes(), max.bytes(), nulls, nans);
            }
        }
    }

    fn finish(mut self) -> Result<ColumnIndexMetaData> {
        self.builder
            .set_boundary_order(match (self.ascending, self.descending) {
                (true, _) => BoundaryOrder::ASCENDING,
                (false, true) => BoundaryOrder::DESCENDING,
                (false, false) => BoundaryOrder::UNORDERED,
            });
        self.builder.build()
    }
}

/// How a column chunk's data pages hold its values.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Indices into the dictionary page, of this many bits.
    Dictionary(u8),
    /// The values themselves, PLAIN: the dictionary would be over [`Layout::dictionary_limit`].
    Plain,
    /// Booleans, one bit each.
    Bits,
    /// No values: every cell is null.
    Levels,
}

impl Values<'_> {
    /// Value `i` of the dictionary, PLAIN, `n` times.
    fn put_plain(&self, out: &mut Vec<u8>, i: u32, n: u32) {
        let i = i as usize;
        let mut put = |bytes: &[u8]| {
            for _ in 0..n {
                out.extend_from_slice(bytes);
            }
        };
        match self {
            Values::Int(d) => put(&d.values[i].to_le_bytes()),
            Values::Date(d) => put(&d.values[i].to_le_bytes()),
            Values::Float(d) => put(&d.values[i].to_le_bytes()),
            Values::Text(d) => {
                let text = d.values[i].text;
                let len = u32::try_from(text.len()).expect("a text value under 4 GiB");
                for _ in 0..n {
                    out.extend_from_slice(&len.to_le_bytes());
                    out.extend_from_slice(text.as_bytes());
                }
            }
            Values::Bool | Values::Null => unreachable!("no dictionary"),
        }
    }
}

impl ColumnRuns<'_> {
    /// The column chunk's statistics as parquet's writer makes them, from its tally: min
    /// and max, the null count, and for floats the NaN count (when the chunk has values);
    /// none for text columns (see [`super::table_properties`]).
    fn statistics(&self, descr: &ColumnDescPtr, chunk: &Tally) -> Option<Statistics> {
        let signed = descr.sort_order().is_signed();
        let nulls = Some(chunk.nulls);
        // (parquet's bound on the value type is private: a macro stands in for a function.)
        macro_rules! of {
            ($variant:ident, $ty:ty) => {{
                let typed = |s: Stat| match s {
                    Stat::$variant(x) => x,
                    _ => unreachable!("a column's statistics are of its type"),
                };
                let (min, max) = chunk.min_max.map(|(lo, hi)| (typed(lo), typed(hi))).unzip();
                let statistics: ValueStatistics<$ty> =
                    ValueStatistics::new(min, max, None, nulls, false)
                        .with_backwards_compatible_min_max(signed);
                statistics
            }};
        }
        Some(match &self.values {
            Values::Int(_) => of!(Int, i64).into(),
            Values::Date(_) => of!(Date, i32).into(),
            Values::Float(_) => {
                let nans = chunk.min_max.is_some().then_some(chunk.nans);
                of!(Float, f64).with_nan_count(nans).into()
            }
            Values::Bool => of!(Bool, bool).into(),
            Values::Text(_) => return None,
            Values::Null => of!(Date, i32).into(),
        })
    }

    /// Value `i` of the column as statistics compare it; `None` for text (no statistics).
    fn stat(&self, i: u32) -> Option<Stat> {
        let i = i as usize;
        Some(match &self.values {
            Values::Int(d) => Stat::Int(*d.values.get(i)?),
            Values::Date(d) => Stat::Date(*d.values.get(i)?),
            Values::Float(d) => Stat::Float(f64::from_bits(*d.values.get(i)?)),
            Values::Bool => Stat::Bool(i == 1),
            Values::Text(_) | Values::Null => return None,
        })
    }
}

/// A value as statistics order it: signed integers, floats in IEEE 754 total order.
#[derive(Debug, Clone, Copy)]
enum Stat {
    Int(i64),
    Date(i32),
    Float(f64),
    Bool(bool),
}

impl Stat {
    /// Whether `self` comes after `other`.
    fn after(self, other: Stat) -> bool {
        let order = match (self, other) {
            (Stat::Int(a), Stat::Int(b)) => a.cmp(&b),
            (Stat::Date(a), Stat::Date(b)) => a.cmp(&b),
            (Stat::Float(a), Stat::Float(b)) => a.total_cmp(&b),
            (Stat::Bool(a), Stat::Bool(b)) => a.cmp(&b),
            _ => unreachable!("a column's values are of one type"),
        };
        order == std::cmp::Ordering::Greater
    }

    fn is_nan(self) -> bool {
        matches!(self, Stat::Float(x) if x.is_nan())
    }

    /// PLAIN, as statistics hold it.
    fn bytes(self) -> Vec<u8> {
        match self {
            Stat::Int(x) => x.to_le_bytes().to_vec(),
            Stat::Date(x) => x.to_le_bytes().to_vec(),
            Stat::Float(x) => x.to_le_bytes().to_vec(),
            Stat::Bool(x) => vec![u8::from(x)],
        }
    }
}

/// What statistics keep of a page's or a column chunk's cells: nulls, NaNs, and the least
/// and greatest value, a NaN only while nothing else has been seen (parquet's rule).
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    nulls: u64,
    nans: u64,
    min_max: Option<(Stat, Stat)>,
}

impl Tally {
    /// `n` cells of `stat`.
    fn add(&mut self, stat: Stat, n: u64) {
        if stat.is_nan() {
            self.nans += n;
        }
        self.widen(stat, stat);
    }

    fn widen(&mut self, min: Stat, max: Stat) {
        // A NaN gives way to any number and is never taken over one.
        let take = |new: Stat, current: Stat, better: bool| match (new.is_nan(), current.is_nan()) {
            (true, false) => false,
            (false, true) => true,
            _ => better,
        };
        self.min_max = Some(match self.min_max {
            None => (min, max),
            Some((lo, hi)) => (
                if take(min, lo, lo.after(min)) {
                    min
                } else {
                    lo
                },
                if take(max, hi, max.after(hi)) {
                    max
                } else {
                    hi
                },
            ),
        });
    }

    fn merge(&mut self, page: &Tally) {
        self.nulls += page.nulls;
        self.nans += page.nans;
        if let Some((min, max)) = page.min_max {
            self.widen(min, max);
        }
    }
}

/// Bits needed for indices into `entries` values.
fn bit_width(entries: u32) -> u8 {
    (u32::BITS - entries.saturating_sub(1).leading_zeros()) as u8
}

/// The RLE / bit-packing hybrid encoding of `width`-bit values given as runs: runs of 8 or
/// more are RLE runs, shorter ones are bit-packed in groups of 8.
struct Hybrid {
    width: u8,
    out: Vec<u8>,
    /// The run being put: runs of one value put one after the other make one run.
    run: Option<(u32, u32)>,
    /// Values waiting to be bit-packed: whole groups of 8 but for the last.
    packed: Vec<u32>,
}

impl Hybrid {
    /// Groups of 8 in one bit-packed run at most, as parquet's writer does.
    const MAX_GROUPS: usize = 63;

    fn new(width: u8) -> Hybrid {
        Hybrid {
            width,
            out: Vec::new(),
            run: None,
            packed: Vec::new(),
        }
    }

    /// `n` more of `value`.
    fn put(&mut self, value: u32, n: u32) {
        match &mut self.run {
            Some((v, count)) if *v == value => *count += n,
            _ => {
                self.end_run();
                self.run = Some((value, n));
            }
        }
    }

    fn end_run(&mut self) {
        let Some((value, mut n)) = self.run.take() else {
            return;
        };
        // Fill the open group of 8 first.
        let open = (8 - self.packed.len() % 8) % 8;
        let k = (open as u32).min(n);
        self.packed.extend(std::iter::repeat_n(value, k as usize));
        n -= k;
        if self.packed.len() >= Self::MAX_GROUPS * 8 && self.packed.len().is_multiple_of(8) {
            self.flush_packed();
        }
        if n >= 8 {
            self.flush_packed();
            varint(&mut self.out, u64::from(n) << 1);
            let bytes = usize::from(self.width).div_ceil(8);
            self.out.extend_from_slice(&value.to_le_bytes()[..bytes]);
        } else {
            self.packed.extend(std::iter::repeat_n(value, n as usize));
        }
    }

    fn flush_packed(&mut self) {
        if self.packed.is_empty() {
            return;
        }
        // The last group is padded with zeros; the reader knows how many values there are.
        self.packed.resize(self.packed.len().div_ceil(8) * 8, 0);
        varint(&mut self.out, ((self.packed.len() / 8) as u64) << 1 | 1);
        let (mut acc, mut bits) = (0u64, 0u32);
        for &v in &self.packed {
            acc |= u64::from(v) << bits;
            bits += u32::from(self.width);
            while bits >= 8 {
                self.out.push(acc as u8);
                acc >>= 8;
                bits -= 8;
            }
        }
        self.packed.clear();
    }

    fn finish(mut self) -> Vec<u8> {
        self.end_run();
        self.flush_packed();
        self.out
    }
}

/// Booleans, PLAIN: one bit each, from the lowest bit of each byte up.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    count: usize,
}

impl Bits {
    fn put(&mut self, value: bool, n: u32) {
        for _ in 0..n {
            if self.count.is_multiple_of(8) {
                self.out.push(0);
            }
            if value {
                *self.out.last_mut().expect("pushed above") |= 1 << (self.count % 8);
            }
            self.count += 1;
        }
    }

    fn finish(self) -> Vec<u8> {
        self.out
    }
}

/// ULEB-128, the varint of the hybrid encoding's run headers.
fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}
