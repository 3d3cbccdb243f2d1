//! One column of a row group: its cells gathered as runs of dictionary indices, then
//! encoded as a column chunk (dictionary page, data pages, statistics and page index).

use bytes::Bytes;
use parquet::basic::{Compression, Encoding, EncodingMask, PageType, ZstdLevel};
use parquet::bloom_filter::Sbbf;
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{ColumnChunkMetaData, LevelHistogram, PageEncodingStats};
use parquet::file::page_index::offset_index::{OffsetIndexMetaData, PageLocation};
use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;
use secmaster_core::{Value, ValueType};

use super::dictionary::{Dictionary, Text, Values};
use super::hybrid::{Bits, Hybrid, bit_width};
use super::stats::{PageIndex, Tally};
use super::{NULL, ZSTD_LEVEL};
use crate::arrow::days;

/// One column of a row group being gathered: its cells as runs of dictionary indices.
pub(super) struct ColumnRuns<'a> {
    pub(super) values: Values<'a>,
    /// Consecutive cells as `(rows, index)`, [`NULL`] for null cells; neighbours differ.
    pub(super) runs: Vec<(u32, u32)>,
}

impl<'a> ColumnRuns<'a> {
    pub(super) fn new(ty: Option<ValueType>, limit: usize) -> ColumnRuns<'a> {
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

    // #[inline] here and below: called per value or run from runs/mod.rs, which the
    // compiler may put in another codegen unit, where it would not inline them.
    #[inline]
    pub(super) fn null(&mut self, n: usize) {
        self.push(n, NULL);
    }

    #[inline]
    pub(super) fn int(&mut self, n: usize, x: i64) {
        let Values::Int(d) = &mut self.values else {
            unreachable!("an int goes to an int column");
        };
        let i = d.index(x);
        self.push(n, i);
    }

    #[inline]
    pub(super) fn date(&mut self, n: usize, day: i32) {
        let Values::Date(d) = &mut self.values else {
            unreachable!("a date goes to a date column");
        };
        let i = d.index(day);
        self.push(n, i);
    }

    /// `n` cells of `value`, which is null or of the column's type (the core stores every
    /// value at its column's type, rule 8).
    #[inline]
    pub(super) fn value(&mut self, n: usize, value: &'a Value) {
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
    pub(super) fn encode(
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
            metadata = metadata.set_statistics(statistics);
            // A required column has no levels, and so no histogram of them.
            if descr.max_def_level() > 0 {
                metadata =
                    metadata.set_definition_level_histogram(Some(LevelHistogram::from(levels)));
            }
        }
        let close = ColumnCloseResult {
            bytes_written: sink.bytes_written() as u64,
            rows_written: first_row as u64,
            metadata: metadata.build()?,
            bloom_filter: self.bloom_filter(mode)?,
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
    /// A text column chunk's bloom filter, when it is dictionary-encoded (then the
    /// dictionary is its distinct values): a reader looking for one value (a ticker, an
    /// ISIN) skips the row groups whose filter says it is not there. A false positive
    /// rate of 1% costs about 10 bits per distinct value.
    fn bloom_filter(&self, mode: Mode) -> Result<Option<Sbbf>> {
        let (Values::Text(d), Mode::Dictionary(_)) = (&self.values, mode) else {
            return Ok(None);
        };
        let mut filter = Sbbf::new_with_ndv_fpp(d.values.len() as u64, BLOOM_FPP)?;
        for text in &d.values {
            filter.insert(text.as_str());
        }
        Ok(Some(filter))
    }

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

/// The false positive rate of a text column's bloom filter.
const BLOOM_FPP: f64 = 0.01;

/// How a column chunk's data pages hold its values.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Indices into the dictionary page, of this many bits.
    Dictionary(u8),
    /// The values themselves, PLAIN: the dictionary would be over [`Layout::dictionary_limit`](super::Layout::dictionary_limit).
    Plain,
    /// Booleans, one bit each.
    Bits,
    /// No values: every cell is null.
    Levels,
}
