//! Reading named columns of record batches row by row (a Parquet file's, or any Arrow
//! stream's), for facts and positions.

use std::path::Path;

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::Schema;
use secmaster_core::Value;

use crate::arrow::{for_each_value, is_supported};
use crate::error::arrow_error;
use crate::parquet::{builder, parquet_error};
use crate::{Error, Result};

/// Calls `row` with the cells of the columns named `wanted` (matched without regard to
/// case), in that order, for every row of the Parquet file at `path`.
pub(crate) fn read_columns(
    path: &Path,
    wanted: &[&str],
    row: impl FnMut(&[Value]) -> Result<()>,
) -> Result<()> {
    crate::damaged::contain(path, "Parquet", || read_parquet_columns(path, wanted, row))
}

fn read_parquet_columns(
    path: &Path,
    wanted: &[&str],
    row: impl FnMut(&[Value]) -> Result<()>,
) -> Result<()> {
    let builder = builder(path)?;
    let schema = builder.schema().clone();
    let reader = builder.build().map_err(parquet_error(path))?;
    let batches = reader.map(|batch| batch.map_err(arrow_error(path)));
    read_batch_columns(path, &schema, batches, wanted, row)
}

/// [`read_batch_columns`] of the batches of `reader`.
pub(crate) fn read_reader_columns(
    reader: impl RecordBatchReader,
    name: &Path,
    wanted: &[&str],
    row: impl FnMut(&[Value]) -> Result<()>,
) -> Result<()> {
    let schema = reader.schema();
    let batches = reader.map(|batch| batch.map_err(arrow_error(name)));
    read_batch_columns(name, &schema, batches, wanted, row)
}

/// [`read_columns`] of record batches whose schema is `schema`; `path` names them in errors.
pub(crate) fn read_batch_columns(
    path: &Path,
    schema: &Schema,
    batches: impl Iterator<Item = Result<RecordBatch>>,
    wanted: &[&str],
    mut row: impl FnMut(&[Value]) -> Result<()>,
) -> Result<()> {
    let mut indices = Vec::with_capacity(wanted.len());
    for w in wanted {
        let found = schema
            .fields()
            .iter()
            .position(|f| f.name().eq_ignore_ascii_case(w))
            .ok_or_else(|| Error::MissingColumn {
                path: path.to_path_buf(),
                location: None,
                column: w.to_string(),
                found: schema
                    .fields()
                    .iter()
                    .map(|f| f.name().as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let field = &schema.fields()[found];
        if !is_supported(field.data_type()) {
            return Err(Error::UnsupportedType {
                path: path.to_path_buf(),
                column: field.name().clone(),
                data_type: field.data_type().to_string(),
            });
        }
        indices.push(found);
    }
    let mut row_number = 0usize;
    for batch in batches {
        let batch: RecordBatch = batch?;
        let mut columns: Vec<Vec<Value>> = Vec::with_capacity(indices.len());
        for (&i, w) in indices.iter().zip(wanted) {
            let mut cells = Vec::with_capacity(batch.num_rows());
            for_each_value(batch.column(i), |r, v| {
                cells.push(v.map_err(|found| Error::InvalidValue {
                    path: path.to_path_buf(),
                    location: crate::Location::Row((row_number + r + 1) as u64),
                    column: w.to_string(),
                    expected: "a value secmaster can hold".to_string(),
                    found: found.to_string(),
                })?);
                Ok(())
            })?;
            columns.push(cells);
        }
        let mut cells: Vec<Value> = Vec::with_capacity(indices.len());
        for r in 0..batch.num_rows() {
            cells.clear();
            cells.extend(
                columns
                    .iter_mut()
                    .map(|c| std::mem::replace(&mut c[r], Value::Null)),
            );
            row(&cells)?;
        }
        row_number += batch.num_rows();
    }
    Ok(())
}
