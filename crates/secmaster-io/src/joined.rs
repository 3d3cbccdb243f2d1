//! The as-of join of positions onto a master (DESIGN.md rule 10), written column by column.
//!
//! [`join`] asks the core which row of its security each position falls in
//! ([`SecurityMaster::match_positions`]: each distinct row once, its columns as runs of
//! references to the master's cells), and turns each attribute column into an Arrow array
//! of the matched rows, in the master's order (so reading the master's cells is
//! sequential), on rayon's threads. A batch of output rows is then gathered column by
//! column with Arrow's `take`: the positions' own columns by position, each attribute
//! column by matched row. No row of values is made, and only one batch of output is built
//! at a time, so memory is the master, the positions and one array per attribute of the
//! distinct rows matched, not the output.
//!
//! Columns and types are those of [`SecurityMaster::join_positions`]: `security_id` (int),
//! `quantity` (int, or float when any quantity is: [`Quantities`]), `date`, then the
//! master's attributes; three key columns.

use std::io::Write;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, RecordBatchOptions, UInt32Array,
};
use arrow_schema::SchemaRef;
use rayon::prelude::*;
use secmaster_core::{Column, Join, Matches, SecurityMaster, Table, Value, ValueType};

use crate::arrow::{DEFAULT_BATCH_ROWS, column_of_runs, days, to_arrow_schema};
use crate::parquet::ColumnRuns;
use crate::positions::{PositionColumns, Quantities};
use crate::schema::TableSchema;
use crate::{Error, Format, Result, atomic};

/// Positions joined onto a master, ready to be written: from [`join`].
#[derive(Debug)]
pub struct Joined<'a> {
    positions: &'a PositionColumns,
    matches: Matches<'a>,
    /// The positions the join keeps, in order: its output rows.
    kept: Vec<u32>,
    schema: TableSchema,
}

/// Joins `positions` onto `master` as of their dates: [`SecurityMaster::join_positions`],
/// but column by column.
///
/// ```
/// use secmaster_core::{sample, Join, SecurityMaster};
/// use secmaster_io::{joined, positions::PositionColumns};
/// let master = SecurityMaster::build(sample::trail())?;
/// let positions = PositionColumns::from(&sample::positions()[..]);
/// let joined = joined::join(&master, &positions, Join::Inner);
/// assert_eq!(joined.to_table(), master.join_positions(&sample::positions(), Join::Inner));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn join<'a>(
    master: &'a SecurityMaster,
    positions: &'a PositionColumns,
    join: Join,
) -> Joined<'a> {
    let matches = master.match_positions(&positions.security_id, &positions.date);
    let kept = matches.kept(join).map(|i| i as u32).collect();

    let quantity = match positions.quantity {
        Quantities::Int(_) => ValueType::Int,
        Quantities::Float(_) => ValueType::Float,
    };
    let columns: Vec<Column> = [
        Column::new("security_id", Some(ValueType::Int)),
        Column::new("quantity", Some(quantity)),
        Column::new("date", Some(ValueType::Date)),
    ]
    .into_iter()
    .chain(matches.attribute_columns().iter().cloned())
    .collect();
    Joined {
        positions,
        matches,
        kept,
        schema: TableSchema::new(columns, 3, None),
    }
}

/// Below this many rows a batch's attribute columns are gathered on the calling thread.
const PARALLEL_ROWS: usize = 4096;

impl<'a> Joined<'a> {
    /// The output's columns and key count.
    pub fn schema(&self) -> &TableSchema {
        &self.schema
    }

    /// The number of output rows.
    pub fn num_rows(&self) -> usize {
        self.kept.len()
    }

    /// The Arrow schema of the output's batches, as a table of these columns has it.
    pub fn arrow_schema(&self) -> SchemaRef {
        Arc::new(to_arrow_schema(&self.schema))
    }

    /// Each attribute column's cells of the matched rows, an array each, made on rayon's
    /// threads: what [`Joined::batch`] gathers from.
    fn matched_arrays(&self) -> Vec<ArrayRef> {
        let columns = self.matches.attribute_columns();
        (0..columns.len())
            .into_par_iter()
            .map(|c| {
                let runs = self.matches.column_runs(c);
                column_of_runs(runs, columns[c].value_type(), self.matches.num_rows())
            })
            .collect()
    }

    /// Output rows `rows` as a record batch of `schema`, gathered from `matched`.
    fn batch(&self, schema: &SchemaRef, matched: &[ArrayRef], rows: Range<usize>) -> RecordBatch {
        let kept = &self.kept[rows];
        let p = self.positions;
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
        arrays.push(Arc::new(Int64Array::from_iter_values(
            kept.iter().map(|&i| p.security_id[i as usize]),
        )));
        arrays.push(match &p.quantity {
            Quantities::Int(q) => Arc::new(Int64Array::from_iter_values(
                kept.iter().map(|&i| q[i as usize]),
            )),
            Quantities::Float(q) => Arc::new(Float64Array::from_iter_values(
                kept.iter().map(|&i| q[i as usize]),
            )),
        });
        arrays.push(Arc::new(Date32Array::from_iter_values(
            kept.iter().map(|&i| days(p.date[i as usize])),
        )));
        // The matched row of each output row (null: none, in a left join).
        let indices = UInt32Array::from_iter(
            kept.iter()
                .map(|&i| self.matches.row_of(i as usize).map(|r| r as u32)),
        );
        let take = |array: &ArrayRef| {
            arrow_select::take::take(array, &indices, None).expect("indices are in bounds")
        };
        if kept.len() >= PARALLEL_ROWS {
            arrays.par_extend(matched.par_iter().map(take));
        } else {
            arrays.extend(matched.iter().map(take));
        }
        let options = RecordBatchOptions::new().with_row_count(Some(kept.len()));
        RecordBatch::try_new_with_options(schema.clone(), arrays, &options)
            .expect("arrays are built to the schema")
    }

    /// The output as record batches of at most `rows` rows, each gathered (Arrow's `take`)
    /// as it is asked for from arrays of the matched rows, which are made first.
    pub fn batches(&self, rows: usize) -> impl Iterator<Item = RecordBatch> + '_ {
        let schema = self.arrow_schema();
        let matched = self.matched_arrays();
        let rows = rows.max(1);
        (0..self.num_rows()).step_by(rows).map(move |from| {
            self.batch(&schema, &matched, from..(from + rows).min(self.num_rows()))
        })
    }

    /// Each output row's cells, key cells made, attribute cells borrowed from the master.
    fn for_each_row(&self, mut row: impl FnMut(&mut dyn Iterator<Item = &Value>) -> bool) {
        // Spelled out once: a small output's copy, or a text format's rows.
        let columns: Vec<Vec<&Value>> = (0..self.matches.attribute_columns().len())
            .map(|c| self.matches.column(c))
            .collect();
        let p = self.positions;
        let quantity = self.schema.columns()[1]
            .value_type()
            .unwrap_or(ValueType::Float);
        for &i in &self.kept {
            let i = i as usize;
            let lead = [
                Value::Int(p.security_id[i]),
                p.quantity.get(i).to_value(quantity),
                Value::Date(p.date[i]),
            ];
            let found = self.matches.row_of(i);
            let mut cells = lead.iter().chain(columns.iter().map(|column| match found {
                Some(r) => column[r],
                None => &NULL,
            }));
            if !row(&mut cells) {
                return;
            }
        }
    }

    /// The output as a [`Table`], every cell copied: for formats written row by row from
    /// a table (SQL, the text table) and for views that need the whole output.
    pub fn to_table(&self) -> Table {
        let mut rows = Vec::with_capacity(self.num_rows());
        self.for_each_row(|cells| {
            rows.push(cells.cloned().collect());
            true
        });
        Table::new(self.schema.columns().to_vec(), 3, rows)
            .expect("the join's cells have its columns' types")
    }

    /// Writes the output as CSV (header row, no schema) or JSON Lines to `w`, a row at a
    /// time.
    ///
    /// # Panics
    /// If `format` is neither CSV nor JSON Lines.
    pub fn to_writer(&self, mut w: impl Write, format: Format) -> std::io::Result<()> {
        let columns = self.schema.columns();
        let mut result = Ok(());
        match format {
            Format::Csv => {
                w.write_all(crate::csv::header(columns).as_bytes())?;
                let mut line = String::new();
                self.for_each_row(|cells| {
                    crate::csv::push_row(&mut line, cells);
                    result = w.write_all(line.as_bytes());
                    result.is_ok()
                });
            }
            Format::JsonLines => {
                let mut line = Vec::new();
                self.for_each_row(|cells| {
                    crate::json::push_row(&mut line, columns, cells);
                    result = w.write_all(&line);
                    result.is_ok()
                });
            }
            other => panic!("{} is not a text format", other.name()),
        }
        result
    }

    /// Writes the output to a file in `format`, replacing `path` only once it is complete:
    /// Parquet a row group at a time, straight from the matched rows (each distinct value
    /// of a column looked up in the row group's dictionary once, then its index repeated;
    /// the pages a master's file has), Arrow IPC a batch at a time, CSV (with its schema
    /// sidecar) and JSON Lines a row at a time, SQLite from a [`Table`] of the output.
    pub fn write_as(&self, path: impl AsRef<Path>, format: Format) -> Result<()> {
        let path = path.as_ref();
        let io = |source| Error::Write {
            path: path.to_path_buf(),
            source,
        };
        match format {
            Format::Parquet => crate::parquet::write_gathered(path, &self.schema, self),
            Format::Ipc => crate::ipc::write_batches(
                path,
                &self.arrow_schema(),
                self.batches(DEFAULT_BATCH_ROWS),
            ),
            Format::Csv => crate::csv::write_with_schema(path, &self.schema, |w| {
                self.to_writer(w, Format::Csv)
            }),
            Format::JsonLines => {
                atomic::write_file(path, |w| self.to_writer(w, Format::JsonLines).map_err(io))
            }
            Format::Sqlite => crate::file::write_table_as(path, &self.to_table(), format),
        }
    }
}

static NULL: Value = Value::Null;

impl crate::parquet::Gather for Joined<'_> {
    fn num_rows(&self) -> usize {
        self.kept.len()
    }

    fn fill<'a>(&'a self, c: usize, rows: Range<usize>, cells: &mut ColumnRuns<'a>) {
        let kept = &self.kept[rows];
        let p = self.positions;
        match (c, &p.quantity) {
            (0, _) => kept
                .iter()
                .for_each(|&i| cells.int(1, p.security_id[i as usize])),
            (1, Quantities::Int(q)) => kept.iter().for_each(|&i| cells.int(1, q[i as usize])),
            (1, Quantities::Float(q)) => {
                kept.iter().for_each(|&i| cells.float(1, q[i as usize]));
            }
            (2, _) => kept
                .iter()
                .for_each(|&i| cells.date(1, days(p.date[i as usize]))),
            (c, _) => {
                // Each matched row's dictionary index, a run of the matched rows at a time
                // (a value is hashed once per run, not once per cell); then each output
                // cell's index is its row's.
                let mut index_of_row = Vec::with_capacity(self.matches.num_rows());
                for &(n, value) in self.matches.column_runs(c - 3) {
                    index_of_row.extend(std::iter::repeat_n(cells.index_of(value), n));
                }
                for &i in kept {
                    match self.matches.row_of(i as usize) {
                        None => cells.null(1),
                        Some(r) => cells.indexed(1, index_of_row[r]),
                    }
                }
            }
        }
    }
}
