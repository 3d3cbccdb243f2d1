//! Arrow in: record batches read back into a [`Table`] or, row by row, a master.

use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayAccessor, RecordBatch};
use arrow_schema::{DataType, Schema, TimeUnit};
use secmaster_core::{FromRows, SecurityMaster, Table, Value};

use crate::schema::{TableSchema, table_error};
use crate::{Error, Location, Result};

use super::{IN_MEMORY, date_of_days, from_arrow_schema, value_type};

/// A record batch as a table. Its schema metadata gives the key count (see
/// [`from_arrow_schema`](super::from_arrow_schema) for batches without it).
pub fn from_record_batch(batch: &RecordBatch) -> Result<Table> {
    let path = Path::new(IN_MEMORY);
    let mut reader = TableReader::new(&batch.schema(), path)?;
    reader.push(batch)?;
    reader.finish()
}

/// A record batch, as [`master_to_record_batch`](super::master_to_record_batch) makes it, as a master; the priority comes
/// from its schema metadata (the default one if absent).
pub fn master_from_record_batch(batch: &RecordBatch) -> Result<SecurityMaster> {
    let path = Path::new(IN_MEMORY);
    let mut reader = TableReader::new_master(&batch.schema(), path)?;
    reader.push(batch)?;
    reader.finish_master()
}

/// Takes record batches of one schema, as a [`Table`] or straight into a master: shared by
/// the IPC and Parquet readers.
pub(crate) struct TableReader<'p> {
    schema: TableSchema,
    into: Into,
    /// Rows read so far.
    rows: usize,
    path: &'p Path,
}

/// What a file is read as.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    /// A [`Table`], for [`TableReader::finish`].
    Table,
    /// A master, for [`TableReader::finish_master`].
    Master,
}

/// What a [`TableReader`] makes of the rows.
enum Into {
    Table(Vec<Vec<Value>>),
    /// A master, row by row: a large table is never whole in memory as rows of values.
    Master(FromRows),
}

impl<'p> TableReader<'p> {
    /// A reader of a table, or of a master's table.
    pub(crate) fn of(target: Target, schema: &Schema, path: &'p Path) -> Result<TableReader<'p>> {
        match target {
            Target::Table => TableReader::new(schema, path),
            Target::Master => TableReader::new_master(schema, path),
        }
    }

    /// A reader of a table, for [`TableReader::finish`] only.
    pub(crate) fn new(schema: &Schema, path: &'p Path) -> Result<TableReader<'p>> {
        Ok(TableReader {
            schema: from_arrow_schema(schema, path)?,
            into: Into::Table(Vec::new()),
            rows: 0,
            path,
        })
    }

    /// A reader of a master's table, for [`TableReader::finish_master`] only.
    pub(crate) fn new_master(schema: &Schema, path: &'p Path) -> Result<TableReader<'p>> {
        let schema = from_arrow_schema(schema, path)?;
        let rows = FromRows::new(schema.columns(), schema.options()).map_err(table_error(path))?;
        Ok(TableReader {
            schema,
            into: Into::Master(rows),
            rows: 0,
            path,
        })
    }

    pub(crate) fn push(&mut self, batch: &RecordBatch) -> Result<()> {
        let first = self.rows;
        let width = self.schema.columns().len();
        let mut rows: Vec<Vec<Value>> = (0..batch.num_rows())
            .map(|_| Vec::with_capacity(width))
            .collect();
        for (c, column) in self.schema.columns().iter().enumerate() {
            let array = batch.column(c);
            let mut cells = rows.iter_mut();
            for_each_value(array, |i, value| {
                let value = value.map_err(|found| Error::InvalidValue {
                    path: self.path.to_path_buf(),
                    location: Location::Row((first + i + 1) as u64),
                    column: column.name().to_string(),
                    expected: "a value secmaster can hold".to_string(),
                    found: found.to_string(),
                })?;
                cells.next().expect("one row per array slot").push(value);
                Ok(())
            })?;
        }
        self.rows += rows.len();
        match &mut self.into {
            Into::Table(all) => all.extend(rows),
            Into::Master(master) => {
                for row in &rows {
                    master.push(row).map_err(table_error(self.path))?;
                }
            }
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<Table> {
        match self.into {
            Into::Table(rows) => self.schema.table(rows, self.path),
            Into::Master(_) => unreachable!("a master's reader makes a master"),
        }
    }

    pub(crate) fn finish_master(self) -> Result<SecurityMaster> {
        match self.into {
            Into::Master(master) => master.finish().map_err(table_error(self.path)),
            Into::Table(_) => unreachable!("a table's reader makes a table"),
        }
    }
}

/// Calls `f` with each slot of `array` as a [`Value`], or why it cannot be one (a
/// `UInt64` above `i64::MAX`, a date outside chrono's range, a timestamp with a time of
/// day).
pub(crate) fn for_each_value(
    array: &dyn Array,
    mut f: impl FnMut(usize, Result<Value, &'static str>) -> Result<()>,
) -> Result<()> {
    each_value(array, &mut f)
}

/// [`each_value`] of a text array. A master's table repeats each value down a run of
/// rows: a cell equal to the one before shares its string instead of allocating one.
fn each_text<'a>(
    array: impl ArrayAccessor<Item = &'a str>,
    f: &mut dyn FnMut(usize, Result<Value, &'static str>) -> Result<()>,
) -> Result<()> {
    let mut last: Option<(&str, Value)> = None;
    for i in 0..array.len() {
        if array.is_null(i) {
            f(i, Ok(Value::Null))?;
            continue;
        }
        let text = array.value(i);
        let value = match &last {
            Some((previous, value)) if *previous == text => value.clone(),
            _ => {
                let value = Value::from(text);
                last = Some((text, value.clone()));
                value
            }
        };
        f(i, Ok(value))?;
    }
    Ok(())
}

/// [`for_each_value`] with a trait object, so that dictionaries can recurse.
fn each_value(
    array: &dyn Array,
    f: &mut dyn FnMut(usize, Result<Value, &'static str>) -> Result<()>,
) -> Result<()> {
    const BIG: &str = "an unsigned integer above the int64 range";
    const FAR: &str = "a date outside the supported range";
    macro_rules! each {
        ($array:expr, $convert:expr) => {{
            let a = $array;
            for i in 0..a.len() {
                let v = if a.is_null(i) {
                    Ok(Value::Null)
                } else {
                    #[allow(clippy::redundant_closure_call)]
                    ($convert)(a.value(i))
                };
                f(i, v)?;
            }
        }};
    }
    let int = |x: i64| Ok(Value::Int(x));
    match array.data_type() {
        DataType::Null => {
            for i in 0..array.len() {
                f(i, Ok(Value::Null))?;
            }
        }
        DataType::Boolean => each!(array.as_boolean(), |x| Ok(Value::Bool(x))),
        DataType::Int8 => each!(array.as_primitive::<Int8Type>(), |x: i8| int(x.into())),
        DataType::Int16 => each!(array.as_primitive::<Int16Type>(), |x: i16| int(x.into())),
        DataType::Int32 => each!(array.as_primitive::<Int32Type>(), |x: i32| int(x.into())),
        DataType::Int64 => each!(array.as_primitive::<Int64Type>(), int),
        DataType::UInt8 => each!(array.as_primitive::<UInt8Type>(), |x: u8| int(x.into())),
        DataType::UInt16 => each!(array.as_primitive::<UInt16Type>(), |x: u16| int(x.into())),
        DataType::UInt32 => each!(array.as_primitive::<UInt32Type>(), |x: u32| int(x.into())),
        DataType::UInt64 => each!(array.as_primitive::<UInt64Type>(), |x: u64| {
            i64::try_from(x).map(Value::Int).map_err(|_| BIG)
        }),
        DataType::Float32 => each!(array.as_primitive::<Float32Type>(), |x: f32| Ok(
            Value::Float(x.into())
        )),
        DataType::Float64 => each!(array.as_primitive::<Float64Type>(), |x: f64| Ok(
            Value::Float(x)
        )),
        DataType::Date32 => each!(array.as_primitive::<Date32Type>(), |x: i32| {
            date_of_days(x.into()).map(Value::Date).ok_or(FAR)
        }),
        DataType::Date64 => each!(array.as_primitive::<Date64Type>(), |x: i64| {
            date_of_days(x.div_euclid(86_400_000))
                .map(Value::Date)
                .ok_or(FAR)
        }),
        DataType::Timestamp(unit, _) => {
            let per_day: i64 = match unit {
                TimeUnit::Second => 86_400,
                TimeUnit::Millisecond => 86_400_000,
                TimeUnit::Microsecond => 86_400_000_000,
                TimeUnit::Nanosecond => 86_400_000_000_000,
            };
            let values: &[i64] = match unit {
                TimeUnit::Second => array.as_primitive::<TimestampSecondType>().values(),
                TimeUnit::Millisecond => array.as_primitive::<TimestampMillisecondType>().values(),
                TimeUnit::Microsecond => array.as_primitive::<TimestampMicrosecondType>().values(),
                TimeUnit::Nanosecond => array.as_primitive::<TimestampNanosecondType>().values(),
            };
            for (i, &t) in values.iter().enumerate() {
                let v = if array.is_null(i) {
                    Ok(Value::Null)
                } else {
                    if t.rem_euclid(per_day) != 0 {
                        Err("a timestamp with a time of day")
                    } else {
                        date_of_days(t.div_euclid(per_day))
                            .map(Value::Date)
                            .ok_or(FAR)
                    }
                };
                f(i, v)?;
            }
        }
        DataType::Utf8 => each_text(array.as_string::<i32>(), f)?,
        DataType::LargeUtf8 => each_text(array.as_string::<i64>(), f)?,
        DataType::Utf8View => each_text(array.as_string_view(), f)?,
        DataType::Dictionary(_, _) => {
            let dict = array.as_any_dictionary();
            let mut values = Vec::with_capacity(dict.values().len());
            each_value(dict.values().as_ref(), &mut |_, v| {
                values.push(v);
                Ok(())
            })?;
            let keys = if values.is_empty() {
                vec![0; array.len()]
            } else {
                dict.normalized_keys()
            };
            for (i, k) in keys.into_iter().enumerate() {
                let v = if array.is_null(i) {
                    Ok(Value::Null)
                } else {
                    values[k].clone()
                };
                f(i, v)?;
            }
        }
        other => unreachable!("from_arrow_schema rejects {other}"),
    }
    Ok(())
}

/// Whether the Arrow type can be read as a secmaster value.
pub(crate) fn is_supported(dt: &DataType) -> bool {
    value_type(dt).is_some()
}
