//! Which securities hold a value in a column of a table file, for a store's `resolve`.

use std::path::Path;
use std::sync::Arc;

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int32Type, Int64Type};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use rayon::prelude::*;
use secmaster_core::{KEY_COLUMNS, Value};

use crate::arrow::{days, from_arrow_schema};
use crate::damaged::contain;
use crate::parquet::parquet_error;
use crate::{Result, atomic};

use super::rows::{candidates, read_group, with_dictionaries};
use super::schema_index;

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
