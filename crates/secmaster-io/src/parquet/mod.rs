//! Parquet files: write a table or master, read it back exactly.
//!
//! The file carries the Arrow schema (and so secmaster's metadata) the way every Arrow
//! writer does, under `ARROW:schema`; other tools see plain typed columns. Columns are
//! compressed with zstd. A table's columns go through parquet's Arrow writer, a share of
//! the columns on each of rayon's threads; a master's are encoded from its runs of equal
//! cells.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Schema, SchemaRef};

use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::arrow_writer::{ArrowColumnChunk, ArrowColumnWriter, compute_leaves};
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;
use rayon::iter::{IntoParallelIterator, ParallelIterator};
use secmaster_core::{Column, SecurityMaster, Table, ValueType};

use crate::arrow::{TableReader, Target, to_arrow_schema, to_record_batch};
use crate::damaged::contain;
use crate::schema::TableSchema;
use crate::{Error, Result, atomic};

mod order;
mod runs;

pub(crate) use runs::Layout;

/// Turns the Parquet reader's or writer's errors into [`Error::Parquet`] naming `path`: a
/// `map_err` argument for code outside io that drives parquet itself (the store's fact
/// files).
pub fn parquet_error(path: &Path) -> impl Fn(ParquetError) -> Error + '_ {
    move |source| Error::Parquet {
        path: path.to_path_buf(),
        source,
    }
}

/// The properties of a table's file: zstd, and statistics (min and max per row group and
/// page) for every column but text ones; parquet's defaults otherwise. A master's file
/// ([`runs`]) has the same statistics, per row group and per page.
///
/// A table is ordered by security, so each row group and page of a text column spans
/// nearly all its values (tickers, names, sectors) and its min and max would let a reader
/// skip nothing; parquet's writer computes them by comparing every cell.
fn table_properties(schema: &Schema) -> WriterProperties {
    let mut props =
        WriterProperties::builder().set_compression(Compression::ZSTD(ZstdLevel::default()));
    for field in schema.fields() {
        if field.data_type() == &DataType::Utf8 {
            props = props.set_column_statistics_enabled(
                ColumnPath::from(field.name().as_str()),
                EnabledStatistics::None,
            );
        }
    }
    props.build()
}

/// Writes the batches to a table file at `path`, replacing it only once it is complete.
pub(crate) fn write_batches(
    path: &Path,
    schema: SchemaRef,
    batches: impl Iterator<Item = RecordBatch>,
) -> Result<()> {
    atomic::write_file(path, |out| {
        let props = table_properties(&schema);
        encode_batches(out, path, schema, props, batches).map(drop)
    })
}

/// Writes the batches as they come to `out` as a Parquet file, and returns `out`; `path`
/// names it in errors. The columns of each batch are encoded (dictionaries, statistics,
/// zstd) on rayon's threads, a share of the columns each, while this thread makes the
/// next batch; this thread writes finished row groups. The file is the one
/// [`ArrowWriter`] writes from the same batches (given `schema` and `props`): the same row
/// groups and the same encoding of each column.
/// `out` gets the file's bytes as they are made; write it to a temporary file with
/// [`atomic::write_file`] to replace a file only once it is complete.
pub fn encode_batches<W: std::io::Write + Send>(
    out: W,
    path: &Path,
    schema: SchemaRef,
    props: WriterProperties,
    batches: impl Iterator<Item = RecordBatch>,
) -> Result<W> {
    let group_rows = props.max_row_group_row_count().unwrap_or(usize::MAX);
    let out = order::Tail::new(out, float_columns(&schema));
    let writer =
        ArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(parquet_error(path))?;
    let (mut file, factory) = writer
        .into_serialized_writer()
        .map_err(parquet_error(path))?;
    let columns = schema.fields().len();
    let threads = rayon::current_num_threads().clamp(1, columns.max(1));
    let mut batches = batches;
    let mut write = || -> Result<(), ParquetError> {
        // The open row group's column writers, a share for each thread, and its rows.
        let mut shares: Vec<Share> = Vec::new();
        let (mut rows, mut groups) = (0, 0);
        let mut next = batches.next();
        while let Some(batch) = next.take() {
            if batch.num_rows() == 0 {
                next = batches.next();
                continue;
            }
            if shares.is_empty() {
                let writers = factory.create_column_writers(groups)?;
                if writers.len() != columns {
                    return Err(ParquetError::General(
                        "a nested column in a table".to_string(),
                    ));
                }
                shares = (0..threads).map(|_| Vec::new()).collect();
                for (c, w) in writers.into_iter().enumerate() {
                    shares[c % threads].push((c, w));
                }
            }
            let now = batch.num_rows().min(group_rows - rows);
            let part = batch.slice(0, now);
            let rest = (now < batch.num_rows()).then(|| batch.slice(now, batch.num_rows() - now));
            // Each share is written by one task, and a batch's tasks end before the next
            // batch's begin, so every column gets its batches in order; no thread waits on
            // another but at the end of a batch, so one thread or nested work cannot
            // deadlock.
            let mut failed: Vec<Option<ParquetError>> = shares.iter().map(|_| None).collect();
            rayon::in_place_scope(|s| {
                for (share, failed) in shares.iter_mut().zip(&mut failed) {
                    let (part, schema) = (&part, &schema);
                    s.spawn(move |_| *failed = encode(schema, share, part).err());
                }
                next = rest.or_else(|| batches.next());
            });
            if let Some(e) = failed.into_iter().flatten().next() {
                return Err(e);
            }
            rows += now;
            if rows >= group_rows {
                close(&mut file, std::mem::take(&mut shares))?;
                (rows, groups) = (0, groups + 1);
            }
        }
        if !shares.is_empty() {
            close(&mut file, shares)?;
        }
        Ok(())
    };
    write().map_err(parquet_error(path))?;
    finish(file.into_inner().map_err(parquet_error(path))?, path)
}

/// Some of the columns of a row group being written: their indices and writers.
type Share = Vec<(usize, ArrowColumnWriter)>;

/// Encodes the columns of `share` of a batch.
fn encode(schema: &SchemaRef, share: &mut Share, batch: &RecordBatch) -> Result<(), ParquetError> {
    share.iter_mut().try_for_each(|(c, w)| {
        compute_leaves(schema.field(*c), batch.column(*c))?
            .iter()
            .try_for_each(|leaf| w.write(leaf))
    })
}

/// Closes the columns of a row group, a share on each thread, and appends them to `file`
/// in column order.
fn close<W: std::io::Write + Send>(
    file: &mut SerializedFileWriter<W>,
    shares: Vec<Share>,
) -> Result<(), ParquetError> {
    let closed: Vec<Result<Vec<(usize, ArrowColumnChunk)>, ParquetError>> = shares
        .into_par_iter()
        .map(|share| {
            share
                .into_iter()
                .map(|(c, w)| Ok((c, w.close()?)))
                .collect()
        })
        .collect();
    let mut chunks = Vec::new();
    for share in closed {
        chunks.extend(share?);
    }
    chunks.sort_unstable_by_key(|&(c, _)| c);
    let mut group = file.next_row_group()?;
    for (_, chunk) in chunks {
        chunk.append_to_row_group(&mut group)?;
    }
    group.close().map(drop)
}

/// Writes a table to a Parquet file, replacing `path` only once the file is complete.
pub fn write(path: impl AsRef<Path>, table: &Table) -> Result<()> {
    let batch = to_record_batch(table);
    write_batches(path.as_ref(), batch.schema(), std::iter::once(batch))
}

/// Writes a master's table to a Parquet file with its priority in the schema metadata. Its
/// column chunks are encoded from the master's runs of equal cells, a row
/// group per core at a time: the same encodings, statistics and schema parquet's Arrow
/// writer gives the table, without a dictionary lookup per cell.
pub fn write_master(path: impl AsRef<Path>, master: &SecurityMaster) -> Result<()> {
    let path = path.as_ref();
    atomic::write_file(path, |out| {
        write_master_to(out, path, master, &[]).map(drop)
    })
}

/// [`write_master`] to `out`, which it returns; `path` names it in errors. Of each security
/// `since` names (sorted by id), only the rows that start on or after its date; the others
/// whole. With an empty `since`, the file [`write_master`] writes.
pub fn write_master_to<W: std::io::Write + Send>(
    out: W,
    path: &Path,
    master: &SecurityMaster,
    since: &[(i64, NaiveDate)],
) -> Result<W> {
    write_master_laid_out(out, path, master, since, Layout::DEFAULT)
}

/// [`write_master_to`] in pages and row groups of `layout`.
pub(crate) fn write_master_laid_out<W: std::io::Write + Send>(
    out: W,
    path: &Path,
    master: &SecurityMaster,
    since: &[(i64, NaiveDate)],
    layout: Layout,
) -> Result<W> {
    let schema = TableSchema::of_master(master);
    let arrow_schema = Arc::new(to_arrow_schema(&schema));
    let types: Vec<Option<ValueType>> = schema.columns().iter().map(Column::value_type).collect();
    let props = table_properties(&arrow_schema);
    let out = order::Tail::new(out, float_columns(&arrow_schema));
    let (mut file, _) = ArrowWriter::try_new(out, arrow_schema, Some(props))
        .and_then(ArrowWriter::into_serialized_writer)
        .map_err(parquet_error(path))?;
    let chunks = master.chunks(layout.page_rows).since(since);
    let out = runs::write_groups(&mut file, &types, chunks, layout)
        .and_then(|()| file.into_inner())
        .map_err(parquet_error(path))?;
    finish(out, path)
}

/// Which of the columns are float columns, whose order [`order`] declares.
fn float_columns(schema: &Schema) -> Vec<bool> {
    schema
        .fields()
        .iter()
        .map(|f| matches!(f.data_type(), DataType::Float32 | DataType::Float64))
        .collect()
}

/// Writes the footer held back, its float columns' order patched.
fn finish<W: std::io::Write>(out: order::Tail<W>, path: &Path) -> Result<W> {
    out.finish().map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}

pub(crate) fn builder(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>> {
    ParquetRecordBatchReaderBuilder::try_new(atomic::open(path)?).map_err(parquet_error(path))
}

fn read_into(path: &Path, target: Target) -> Result<TableReader<'_>> {
    read_from(builder(path)?, path, target)
}

/// Reads every batch `builder` yields as `target`; `path` names the file in errors.
fn read_from<R: parquet::file::reader::ChunkReader + 'static>(
    builder: ParquetRecordBatchReaderBuilder<R>,
    path: &Path,
    target: Target,
) -> Result<TableReader<'_>> {
    let mut table = TableReader::of(target, builder.schema(), path)?;
    for batch in builder.build().map_err(parquet_error(path))? {
        let batch = batch.map_err(crate::error::arrow_error(path))?;
        table.push(&batch)?;
    }
    Ok(table)
}

/// Reads a table from the bytes of a Parquet file (read, and perhaps checked, by the
/// caller); `path` names it in errors.
pub fn read_bytes(bytes: Vec<u8>, path: &Path) -> Result<Table> {
    contain(path, "Parquet", || {
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
            .map_err(parquet_error(path))?;
        read_from(builder, path, Target::Table)?.finish()
    })
}

/// Reads a table from a Parquet file.
pub fn read(path: impl AsRef<Path>) -> Result<Table> {
    let path = path.as_ref();
    contain(path, "Parquet", || read_into(path, Target::Table)?.finish())
}

/// Reads a master from a Parquet file written by [`write_master`] (or any file holding a
/// master's table; without priority metadata the default priority applies).
pub fn read_master(path: impl AsRef<Path>) -> Result<SecurityMaster> {
    let path = path.as_ref();
    contain(path, "Parquet", || {
        read_into(path, Target::Master)?.finish_master()
    })
}

/// The Arrow schema of a Parquet file, from its footer.
pub fn schema(path: impl AsRef<Path>) -> Result<Schema> {
    let path = path.as_ref();
    contain(path, "Parquet", || {
        Ok(builder(path)?.schema().as_ref().clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    /// Every column has min and max statistics but text ones (see [`table_properties`]).
    #[test]
    fn text_columns_carry_no_statistics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.parquet");
        let master = SecurityMaster::build(secmaster_core::sample::trail()).unwrap();
        write_master(&path, &master).unwrap();
        let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        let group = reader.metadata().row_group(0);
        for (column, field) in group.columns().iter().zip(schema(&path).unwrap().fields()) {
            let text = field.data_type() == &DataType::Utf8;
            let has_min_max = column
                .statistics()
                .is_some_and(|s| s.min_bytes_opt().is_some());
            assert_eq!(has_min_max, !text, "{}", field.name());
        }
    }
}

#[cfg(test)]
mod batch_tests {
    use super::*;
    use proptest::prelude::*;
    use secmaster_core::strategy::wide_master;

    /// The file parquet's own writer makes of the same batches, its float columns'
    /// order declared as ours are ([`order`]).
    fn arrow_writer(batches: &[RecordBatch], props: WriterProperties) -> Vec<u8> {
        let mut out = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut out, batches[0].schema(), Some(props)).unwrap();
        for batch in batches {
            writer.write(batch).unwrap();
        }
        writer.close().unwrap();
        order::patch(&mut out, &float_columns(&batches[0].schema()));
        out
    }

    fn ours(batches: &[RecordBatch], props: WriterProperties) -> Vec<u8> {
        let schema = batches[0].schema();
        encode_batches(
            Vec::new(),
            Path::new("t.parquet"),
            schema,
            props,
            batches.iter().cloned(),
        )
        .unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        /// Batches of any size, empty ones among them, cut across row groups of any size:
        /// the bytes parquet's writer gives, on any number of threads, also when nested in
        /// other work on a pool of one.
        #[test]
        fn batches_encode_as_parquets_writer_does(
            master in wide_master(30),
            cuts in proptest::collection::vec(0usize..12, 0..6),
            group_rows in 1usize..9,
        ) {
            let batch = crate::arrow::master_to_record_batch(&master);
            let mut batches = Vec::new();
            let mut at = 0;
            for cut in cuts {
                let n = cut.min(batch.num_rows() - at);
                batches.push(batch.slice(at, n));
                at += n;
            }
            batches.push(batch.slice(at, batch.num_rows() - at));
            let props = table_properties(&batch.schema())
                .into_builder()
                .set_max_row_group_row_count(Some(group_rows))
                .build();
            let expected = arrow_writer(&batches, props.clone());
            prop_assert_eq!(&ours(&batches, props.clone()), &expected);
            let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
            let (a, b) = one.install(|| {
                rayon::join(|| ours(&batches, props.clone()), || ours(&batches, props.clone()))
            });
            prop_assert_eq!(&a, &expected);
            prop_assert_eq!(&b, &expected);
        }
    }
}

#[cfg(test)]
mod layout_tests {
    use super::*;
    use chrono::Days;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use proptest::prelude::*;
    use secmaster_core::strategy::wide_master;
    use secmaster_core::{Fact, Value};

    const PATH: &str = "m.parquet";

    fn write_in(master: &SecurityMaster, layout: Layout) -> bytes::Bytes {
        let out = write_master_laid_out(Vec::new(), Path::new(PATH), master, &[], layout).unwrap();
        bytes::Bytes::from(out)
    }

    fn read_back(file: &bytes::Bytes) -> SecurityMaster {
        let builder = ParquetRecordBatchReaderBuilder::try_new(file.clone()).unwrap();
        read_from(builder, Path::new(PATH), Target::Master)
            .unwrap()
            .finish_master()
            .unwrap()
    }

    /// The pages of a row group of a table of `pages` pages: two halves when the table
    /// has fewer than two full row groups.
    fn group_pages(pages: usize, layout: Layout) -> usize {
        match pages < 2 * layout.group_pages {
            true => pages.div_ceil(2).max(1),
            false => layout.group_pages,
        }
    }

    fn layouts() -> impl Strategy<Value = Layout> {
        (
            1usize..5,
            1usize..4,
            prop_oneof![Just(0), Just(24), Just(usize::MAX)],
        )
            .prop_map(|(page_rows, group_pages, dictionary_limit)| Layout {
                page_rows,
                group_pages,
                dictionary_limit,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        /// Pages and row groups may cut a run anywhere; dictionaries or PLAIN values, every
        /// type (NaN, -0.0, extremes, all-null columns) reads back as written.
        #[test]
        fn a_master_reads_back_in_any_layout(master in wide_master(40), layout in layouts()) {
            let file = write_in(&master, layout);
            prop_assert_eq!(read_back(&file), master.clone());
            let groups = SerializedFileReader::new(file).unwrap().metadata().num_row_groups();
            let pages = master.num_rows().div_ceil(layout.page_rows);
            prop_assert_eq!(groups, pages.div_ceil(group_pages(pages, layout)));
        }

        /// The statistics, per column chunk and per page (the column index), are those
        /// parquet's own writer gives the same table cut into the same pages and row groups.
        #[test]
        fn statistics_are_parquets(master in wide_master(40), layout in layouts()) {
            let read = |file: Vec<u8>| {
                let with_index = parquet::file::serialized_reader::ReadOptionsBuilder::new()
                    .with_page_index()
                    .build();
                SerializedFileReader::new_with_options(bytes::Bytes::from(file), with_index)
                    .unwrap()
            };
            let ours = read(write_in(&master, layout).to_vec());
            let pages = master.num_rows().div_ceil(layout.page_rows);
            let group_pages = group_pages(pages, layout);
            let batch = crate::arrow::master_to_record_batch(&master);
            let props = table_properties(&batch.schema())
                .into_builder()
                .set_data_page_row_count_limit(layout.page_rows)
                .set_write_batch_size(layout.page_rows)
                .set_max_row_group_row_count(Some(layout.page_rows * group_pages))
                .build();
            let mut theirs = Vec::new();
            let mut writer = ArrowWriter::try_new(&mut theirs, batch.schema(), Some(props)).unwrap();
            writer.write(&batch).unwrap();
            writer.close().unwrap();
            let theirs = read(theirs);
            let (ours, theirs) = (ours.metadata(), theirs.metadata());
            prop_assert_eq!(ours.num_row_groups(), theirs.num_row_groups());
            for g in 0..ours.num_row_groups() {
                let (a, b) = (ours.row_group(g), theirs.row_group(g));
                prop_assert_eq!(a.num_rows(), b.num_rows());
                for (c, (x, y)) in a.columns().iter().zip(b.columns()).enumerate() {
                    let stats = |c: &parquet::file::metadata::ColumnChunkMetaData| {
                        c.statistics().map(|s| {
                            (s.min_bytes_opt().map(<[u8]>::to_vec), s.max_bytes_opt().map(<[u8]>::to_vec), s.null_count_opt(), s.nan_count_opt(), s.is_min_max_backwards_compatible())
                        })
                    };
                    prop_assert_eq!(stats(x), stats(y), "{}", x.column_path());
                    prop_assert_eq!(x.num_values(), y.num_values());
                    prop_assert_eq!(x.definition_level_histogram(), y.definition_level_histogram());
                    let index = |m: &parquet::file::metadata::ParquetMetaData| {
                        format!("{:?}", m.page_index_for_row_group(g).column_index(c))
                    };
                    prop_assert_eq!(index(ours), index(theirs), "{} of group {}", x.column_path(), g);
                }
            }
        }
    }

    /// The same bytes on a pool of one thread, also nested in other work there, as on
    /// every core: the row groups are appended in order whatever thread encodes them.
    #[test]
    fn one_thread_encodes_what_many_do() {
        let master = SecurityMaster::build(secmaster_core::sample::trail()).unwrap();
        let layout = Layout {
            page_rows: 2,
            group_pages: 1,
            dictionary_limit: usize::MAX,
        };
        let expected = write_in(&master, layout);
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let (a, b) =
            one.install(|| rayon::join(|| write_in(&master, layout), || write_in(&master, layout)));
        assert_eq!((a, b), (expected.clone(), expected));
    }

    /// Dictionaries wide enough for indices of 17 bits (bit-packed across bytes) and RLE
    /// runs of 11-bit values (two bytes each), over pages that cut runs.
    #[test]
    fn wide_dictionaries_read_back() {
        let day0 = chrono::NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
        let rows = 70_000u64;
        let mut facts = Vec::new();
        for i in 0..rows {
            let date = day0 + Days::new(i);
            // Distinct values in a scattered order: one index per row.
            facts.push(Fact::new(
                7,
                "scattered",
                ((i * 7919) % 70_001) as i64,
                date,
            ));
            // A new value every 50 rows: runs of 50.
            if i % 50 == 0 {
                facts.push(Fact::new(7, "stepped", format!("v{}", i / 50), date));
            }
            // Every third row null: short runs of both.
            if i % 3 != 1 {
                let value = if i % 3 == 0 {
                    Value::Null
                } else {
                    Value::Bool(i % 4 == 0)
                };
                facts.push(Fact::new(7, "flag", value, date));
            }
        }
        let master = SecurityMaster::build(facts).unwrap();
        for layout in [
            Layout::DEFAULT,
            Layout {
                page_rows: 999,
                group_pages: 16,
                dictionary_limit: usize::MAX,
            },
            Layout {
                page_rows: 4096,
                group_pages: 3,
                dictionary_limit: 0,
            },
        ] {
            assert_eq!(read_back(&write_in(&master, layout)), master, "{layout:?}");
        }
    }
}
