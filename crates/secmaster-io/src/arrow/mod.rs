//! The Arrow mapping: a [`Table`] or [`SecurityMaster`] as a typed [`RecordBatch`], and back.
//!
//! | secmaster  | Arrow     |
//! |------------|-----------|
//! | int        | `Int64`   |
//! | float      | `Float64` |
//! | bool       | `Boolean` |
//! | date       | `Date32`  |
//! | str        | `Utf8`    |
//! | unknown type (every value null) | `Null` |
//!
//! What Arrow's schema cannot say travels in its metadata, as Parquet keeps `ARROW:schema`:
//! [`KEY_COLUMNS_METADATA`] holds the number of key columns and, for a master,
//! [`PRIORITY_METADATA`] its attribute priority as a JSON array. Reading also accepts the
//! types other tools write for the same values: any integer width, `Float32`, `Date64`,
//! timestamps at midnight (as dates, their time zone ignored), `LargeUtf8`, `Utf8View` and
//! dictionaries of any of these.

use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringBuilder,
};
use arrow_array::{ArrayRef, NullArray, RecordBatch, RecordBatchOptions};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use chrono::{Datelike, NaiveDate};
use secmaster_core::{Chunk, Chunks, Column, KEY_COLUMNS, SecurityMaster, Table, Value, ValueType};

use crate::schema::TableSchema;
use crate::{Error, Result};

mod read;

pub(crate) use read::{TableReader, Target, for_each_value, is_supported};
pub use read::{from_record_batch, master_from_record_batch};

/// Schema metadata key holding the number of key columns, e.g. `"3"`.
pub const KEY_COLUMNS_METADATA: &str = "secmaster:key_columns";

/// Schema metadata key holding a master's attribute priority as a JSON array of names.
pub const PRIORITY_METADATA: &str = "secmaster:priority";

/// How many rows [`master_batches`] puts in a batch unless told otherwise.
pub const DEFAULT_BATCH_ROWS: usize = 64 * 1024;

/// The name errors from in-memory conversions carry in place of a file.
const IN_MEMORY: &str = "<record batch>";

/// The Arrow type of a column of type `ty` (`None`: unknown, every value null).
pub fn data_type(ty: Option<ValueType>) -> DataType {
    match ty {
        None => DataType::Null,
        Some(ValueType::Bool) => DataType::Boolean,
        Some(ValueType::Int) => DataType::Int64,
        Some(ValueType::Float) => DataType::Float64,
        Some(ValueType::Str) => DataType::Utf8,
        Some(ValueType::Date) => DataType::Date32,
    }
}

/// The secmaster type of an Arrow type, `Some(None)` for `Null`, `None` if unsupported.
fn value_type(dt: &DataType) -> Option<Option<ValueType>> {
    Some(match dt {
        DataType::Null => None,
        DataType::Boolean => Some(ValueType::Bool),
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => Some(ValueType::Int),
        DataType::Float32 | DataType::Float64 => Some(ValueType::Float),
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, _) => Some(ValueType::Date),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Some(ValueType::Str),
        DataType::Dictionary(_, values) => return value_type(values),
        _ => return None,
    })
}

/// The Arrow schema of `schema`: a field per column, and the metadata described in the
/// [module docs](self). A master's `security_id` and `effective_start_date` are never null
/// and say so (Parquet: `REQUIRED`); every other column is nullable.
pub fn to_arrow_schema(schema: &TableSchema) -> Schema {
    let master = schema.priority().is_some()
        && schema.key_columns() == KEY_COLUMNS.len()
        && schema
            .columns()
            .iter()
            .zip(KEY_COLUMNS)
            .all(|(c, k)| c.name() == k);
    let fields: Vec<Field> = schema
        .columns()
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let required = master && i < 2;
            Field::new(c.name(), data_type(c.value_type()), !required)
        })
        .collect();
    let mut metadata = vec![(
        KEY_COLUMNS_METADATA.to_string(),
        schema.key_columns().to_string(),
    )];
    if let Some(priority) = schema.priority() {
        let names: Vec<&str> = priority.iter().map(|s| &**s).collect();
        let json = serde_json::to_string(&names).expect("names always serialize");
        metadata.push((PRIORITY_METADATA.to_string(), json));
    }
    Schema::new(fields).with_metadata(metadata.into_iter().collect::<arrow_schema::Metadata>())
}

/// Reads a [`TableSchema`] from an Arrow schema; `path` names its file in errors. Without
/// [`KEY_COLUMNS_METADATA`], a schema starting with a master's key columns has 3 keys and
/// any other none.
pub fn from_arrow_schema(schema: &Schema, path: &Path) -> Result<TableSchema> {
    let invalid = |reason: String| Error::InvalidSchema {
        path: path.to_path_buf(),
        reason,
    };
    if schema.fields().is_empty() {
        // Its rows would have no cells to say how many there are in Parquet or CSV.
        return Err(invalid("it has no columns".to_string()));
    }
    let mut columns = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let ty = value_type(field.data_type()).ok_or_else(|| Error::UnsupportedType {
            path: path.to_path_buf(),
            column: field.name().clone(),
            data_type: field.data_type().to_string(),
        })?;
        columns.push(Column::new(field.name().as_str(), ty));
    }
    let key_columns = match schema.metadata.get(KEY_COLUMNS_METADATA) {
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|&k| k <= columns.len())
            .ok_or_else(|| {
                invalid(format!(
                    "metadata `{KEY_COLUMNS_METADATA}` is `{text}`, expected a column count"
                ))
            })?,
        None => {
            let names: Vec<&str> = columns.iter().map(Column::name).collect();
            TableSchema::guess_key_columns(&names)
        }
    };
    let priority = match schema.metadata.get(PRIORITY_METADATA) {
        Some(text) => Some(
            serde_json::from_str::<Vec<String>>(text)
                .map_err(|_| {
                    invalid(format!(
                        "metadata `{PRIORITY_METADATA}` is `{text}`, expected a JSON array of names"
                    ))
                })?
                .into_iter()
                .map(Arc::from)
                .collect(),
        ),
        None => None,
    };
    Ok(TableSchema::new(columns, key_columns, priority))
}

/// Appends values of one column to an Arrow array.
enum Builder {
    Null(usize),
    Bool(BooleanBuilder),
    Int(Int64Builder),
    Float(Float64Builder),
    Str(StringBuilder),
    Date(Date32Builder),
}

/// Days from 1970-01-01: a date as Arrow's `Date32` holds it.
pub fn days(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - EPOCH_DAYS_FROM_CE
}

/// `NaiveDate::num_days_from_ce` of 1970-01-01, Arrow's day zero.
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// The date `days` after 1970-01-01 (a `Date32` or `Date64`'s day), if chrono has one:
/// the inverse of [`days`].
pub fn date_of_days(days: i64) -> Option<NaiveDate> {
    let ce = i32::try_from(days.checked_add(i64::from(EPOCH_DAYS_FROM_CE))?).ok()?;
    NaiveDate::from_num_days_from_ce_opt(ce)
}

impl Builder {
    fn new(ty: Option<ValueType>) -> Builder {
        match ty {
            None => Builder::Null(0),
            Some(ValueType::Bool) => Builder::Bool(BooleanBuilder::new()),
            Some(ValueType::Int) => Builder::Int(Int64Builder::new()),
            Some(ValueType::Float) => Builder::Float(Float64Builder::new()),
            Some(ValueType::Str) => Builder::Str(StringBuilder::new()),
            Some(ValueType::Date) => Builder::Date(Date32Builder::new()),
        }
    }

    /// Appends `value`, which the core guarantees is null or of the column's type.
    fn append(&mut self, value: &Value) {
        match (self, value) {
            (Builder::Null(n), _) => *n += 1,
            (Builder::Bool(b), Value::Bool(x)) => b.append_value(*x),
            (Builder::Int(b), Value::Int(x)) => b.append_value(*x),
            (Builder::Float(b), Value::Float(x)) => b.append_value(*x),
            (Builder::Str(b), Value::Str(x)) => b.append_value(x),
            (Builder::Date(b), Value::Date(x)) => b.append_value(days(*x)),
            (Builder::Bool(b), _) => b.append_null(),
            (Builder::Int(b), _) => b.append_null(),
            (Builder::Float(b), _) => b.append_null(),
            (Builder::Str(b), _) => b.append_null(),
            (Builder::Date(b), _) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Null(n) => Arc::new(NullArray::new(std::mem::take(n))),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::Float(b) => Arc::new(b.finish()),
            Builder::Str(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
        }
    }
}

/// The batch of `rows` rows the builders hold (the count matters to a table of no columns).
fn batch(schema: &SchemaRef, builders: &mut [Builder], rows: usize) -> RecordBatch {
    let arrays = builders.iter_mut().map(Builder::finish).collect();
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(schema.clone(), arrays, &options)
        .expect("arrays are built to the schema")
}

/// A table as one record batch, with its key count in the schema metadata.
pub fn to_record_batch(table: &Table) -> RecordBatch {
    let schema = Arc::new(to_arrow_schema(&TableSchema::of_table(table)));
    let mut builders: Vec<Builder> = table
        .columns()
        .iter()
        .map(|c| Builder::new(c.value_type()))
        .collect();
    for row in table.rows() {
        for (b, v) in builders.iter_mut().zip(row) {
            b.append(v);
        }
    }
    batch(&schema, &mut builders, table.num_rows())
}

/// A master's table as one record batch, with its key count and priority in the schema
/// metadata. For a large master prefer [`master_batches`], which never holds the whole table.
pub fn master_to_record_batch(master: &SecurityMaster) -> RecordBatch {
    let mut batches = master_batches(master, usize::MAX);
    batches
        .next()
        .unwrap_or_else(|| RecordBatch::new_empty(batches.schema()))
}

/// A master's table as record batches of at most `rows` rows each, built column by column
/// from the master's [`Chunk`]s (no copy of the whole table). An empty master yields no
/// batch.
pub fn master_batches(master: &SecurityMaster, rows: usize) -> MasterBatches<'_> {
    let schema = TableSchema::of_master(master);
    let arrow_schema = Arc::new(to_arrow_schema(&schema));
    MasterBatches {
        types: schema.columns().iter().map(Column::value_type).collect(),
        schema: arrow_schema,
        chunks: master.chunks(rows),
    }
}

/// [`master_batches`], all of them: each chunk of rows is walked on the calling thread and
/// turned into a batch on rayon's threads. Returns the schema and the batches in order.
pub fn master_record_batches(
    master: &SecurityMaster,
    rows: usize,
) -> (SchemaRef, Vec<RecordBatch>) {
    let MasterBatches {
        mut chunks,
        schema,
        types,
    } = master_batches(master, rows);
    let mut batches = Vec::new();
    crate::parallel::ordered(
        2 * rayon::current_num_threads(),
        || chunks.next(),
        |chunk| chunk_batch(&chunk, &schema, &types),
        |batch| {
            batches.push(batch);
            std::ops::ControlFlow::<()>::Continue(())
        },
    );
    (schema, batches)
}

/// The record batches of a master's table, from [`master_batches`].
pub struct MasterBatches<'a> {
    chunks: Chunks<'a>,
    schema: SchemaRef,
    types: Vec<Option<ValueType>>,
}

impl std::fmt::Debug for MasterBatches<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterBatches")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl MasterBatches<'_> {
    /// The schema of every batch, with the master's metadata.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

impl Iterator for MasterBatches<'_> {
    type Item = RecordBatch;

    fn next(&mut self) -> Option<RecordBatch> {
        let chunk = self.chunks.next()?;
        Some(chunk_batch(&chunk, &self.schema, &self.types))
    }
}

/// One chunk of a master's table as a record batch of `schema`, whose columns have types
/// `types`. Each attribute column is filled a run of equal cells at a time.
fn chunk_batch(chunk: &Chunk<'_>, schema: &SchemaRef, types: &[Option<ValueType>]) -> RecordBatch {
    let rows = chunk.num_rows();
    let mut ids = Int64Builder::with_capacity(rows);
    let mut starts = Date32Builder::with_capacity(rows);
    let mut ends = Date32Builder::with_capacity(rows);
    for (id, start, end) in chunk.keys() {
        ids.append_value(id);
        starts.append_value(days(start));
        ends.append_option(end.map(days));
    }
    let mut arrays: Vec<ArrayRef> = vec![
        Arc::new(ids.finish()),
        Arc::new(starts.finish()),
        Arc::new(ends.finish()),
    ];
    for (runs, ty) in chunk.column_runs().iter().zip(&types[3..]) {
        arrays.push(column_of_runs(runs, *ty, rows));
    }
    RecordBatch::try_new(schema.clone(), arrays).expect("arrays are built to the schema")
}

/// An array of `rows` cells from runs `(n, value)`: `value` `n` times. Values are null or of
/// type `ty`, as the core guarantees.
fn column_of_runs(runs: &[(usize, &Value)], ty: Option<ValueType>, rows: usize) -> ArrayRef {
    macro_rules! primitive {
        ($builder:ty, $variant:ident, $convert:expr) => {{
            let mut b = <$builder>::with_capacity(rows);
            for &(n, v) in runs {
                match v {
                    Value::$variant(x) => b.append_value_n($convert(*x), n),
                    _ => b.append_nulls(n),
                }
            }
            Arc::new(b.finish())
        }};
    }
    match ty {
        None => Arc::new(NullArray::new(rows)),
        Some(ValueType::Int) => primitive!(Int64Builder, Int, |x: i64| x),
        Some(ValueType::Float) => primitive!(Float64Builder, Float, |x: f64| x),
        Some(ValueType::Date) => primitive!(Date32Builder, Date, days),
        Some(ValueType::Bool) => {
            let mut b = BooleanBuilder::with_capacity(rows);
            for &(n, v) in runs {
                match v {
                    Value::Bool(x) => b.append_n(n, *x),
                    _ => b.append_nulls(n),
                }
            }
            Arc::new(b.finish())
        }
        Some(ValueType::Str) => {
            let bytes = runs
                .iter()
                .map(|&(n, v)| match v {
                    Value::Str(s) => n * s.len(),
                    _ => 0,
                })
                .sum();
            let mut b = StringBuilder::with_capacity(rows, bytes);
            for &(n, v) in runs {
                match v {
                    Value::Str(s) => {
                        for _ in 0..n {
                            b.append_value(&**s);
                        }
                    }
                    _ => b.append_nulls(n),
                }
            }
            Arc::new(b.finish())
        }
    }
}

#[cfg(test)]
mod tests {
    use secmaster_core::sample;

    use super::*;

    #[test]
    fn sample_master_round_trips_with_metadata() {
        let mut master = SecurityMaster::build(sample::trail()).unwrap();
        master.merge(sample::update()).unwrap();
        let batch = master_to_record_batch(&master);
        assert_eq!(
            batch.schema().metadata.get(KEY_COLUMNS_METADATA).unwrap(),
            "3"
        );
        assert_eq!(
            batch.schema().metadata.get(PRIORITY_METADATA).unwrap(),
            r#"["asset_class","ticker","name"]"#
        );
        assert_eq!(master_from_record_batch(&batch).unwrap(), master);
        let table = from_record_batch(&to_record_batch(&master.table())).unwrap();
        assert_eq!(table, master.table());
    }

    #[test]
    fn small_batches_cover_every_row() {
        let master = SecurityMaster::build(sample::trail()).unwrap();
        let sizes: Vec<usize> = master_batches(&master, 2).map(|b| b.num_rows()).collect();
        assert_eq!(sizes.iter().sum::<usize>(), master.num_rows());
        assert!(sizes.iter().all(|&n| n <= 2));
    }

    #[test]
    fn other_tools_types_are_read() {
        use arrow_array::types::Int32Type;
        use arrow_array::{DictionaryArray, TimestampNanosecondArray};
        let dict: DictionaryArray<Int32Type> = vec![Some("a"), None, Some("a"), Some("b")]
            .into_iter()
            .collect();
        let day = 86_400_000_000_000i64;
        let ts = TimestampNanosecondArray::from(vec![Some(day), None, Some(0), Some(day + 1)]);
        let batch = RecordBatch::try_from_iter([
            ("s", Arc::new(dict) as ArrayRef),
            ("t", Arc::new(ts) as ArrayRef),
        ])
        .unwrap();
        let err = from_record_batch(&batch).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`<record batch>`, row 4: column `t`: expected a value secmaster can hold, found `a timestamp with a time of day`"
        );
        let table = from_record_batch(&batch.slice(0, 3)).unwrap();
        assert_eq!(
            table.to_string(),
            "s     t\na     1970-01-02\nnull  null\na     1970-01-01\n"
        );
    }

    #[test]
    fn dates_map_to_days_since_epoch() {
        let d = NaiveDate::from_ymd_opt(1970, 1, 2).unwrap();
        assert_eq!(days(d), 1);
        assert_eq!(date_of_days(1), Some(d));
        assert_eq!(date_of_days(i64::from(i32::MAX)), None);
    }
}
