//! What crosses the boundary: fact sources (paths, Arrow-compatible tables, Python rows),
//! values and dates, and tables out as `pyarrow.Table`.

use std::path::{Path, PathBuf};

use arrow_array::{RecordBatch, RecordBatchIterator};
use arrow_pyarrow::{FromPyArrow, IntoPyArrow};
use arrow_schema::SchemaRef;
use chrono::NaiveDate;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{
    IntoPyDict, PyBool, PyDate, PyDateTime, PyFloat, PyInt, PyList, PyString, PyTuple,
};
use secmaster_core::{Fact, Position, SecurityMaster, Table, Value};
use secmaster_io::ReadOptions;

use crate::error::Result;

/// The name Arrow input goes by in error messages.
const ARROW_INPUT: &str = "<arrow table>";

/// Record batches taken from an Arrow-compatible Python object (anything with
/// `__arrow_c_stream__`: a pyarrow Table or RecordBatchReader, a Polars DataFrame; a pandas
/// DataFrame goes through `pyarrow.Table.from_pandas` without its index). The buffers are
/// shared, not copied; the batches are taken with the GIL held, so the work on them can
/// run without it.
#[derive(Debug)]
pub(crate) struct Batches {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

impl Batches {
    pub(crate) fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Batches> {
        let py = obj.py();
        let obj = if is_pandas(obj)? {
            let kwargs = [("preserve_index", false)].into_py_dict(py)?;
            py.import("pyarrow")?.getattr("Table")?.call_method(
                "from_pandas",
                (obj,),
                Some(&kwargs),
            )?
        } else {
            obj.clone()
        };
        let table = arrow_pyarrow::Table::from_pyarrow_bound(&obj)?;
        let (batches, schema) = table.into_inner();
        Ok(Batches { schema, batches })
    }

    fn reader(self) -> impl arrow_array::RecordBatchReader {
        RecordBatchIterator::new(self.batches.into_iter().map(Ok), self.schema)
    }

    /// The facts of the batches, typed as a Parquet fact file's are.
    pub(crate) fn facts(self, options: &ReadOptions) -> Result<secmaster_io::facts::Facts> {
        Ok(secmaster_io::facts::read_arrow(
            self.reader(),
            Path::new(ARROW_INPUT),
            options,
        )?)
    }

    /// What the batches' facts say about each attribute's type.
    pub(crate) fn summary(self, options: &ReadOptions) -> Result<secmaster_io::facts::TypeSummary> {
        Ok(secmaster_io::facts::TypeSummary::of_arrow(
            self.reader(),
            Path::new(ARROW_INPUT),
            options,
        )?)
    }

    /// The positions of the batches.
    pub(crate) fn positions(self) -> Result<Vec<Position>> {
        Ok(secmaster_io::positions::read_arrow(
            self.reader(),
            Path::new(ARROW_INPUT),
            &ReadOptions::default(),
        )?)
    }

    /// The master whose table the batches hold (with secmaster's schema metadata, or the
    /// key columns first).
    pub(crate) fn master(self) -> Result<SecurityMaster> {
        let batch = arrow_select_concat(&self.schema, &self.batches)?;
        Ok(secmaster_io::arrow::master_from_record_batch(&batch)?)
    }
}

/// The batches as one.
fn arrow_select_concat(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<RecordBatch> {
    arrow_select::concat::concat_batches(schema, batches).map_err(|source| {
        secmaster_io::Error::Arrow {
            path: PathBuf::from(ARROW_INPUT),
            source,
        }
        .into()
    })
}

fn is_pandas(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    let module: String = obj.get_type().getattr("__module__")?.extract()?;
    Ok(module.starts_with("pandas."))
}

/// Where facts come from: files, an Arrow-compatible table, or Python rows.
#[derive(Debug)]
pub(crate) enum Source {
    /// Fact files (or table files secmaster wrote), taken in order.
    Paths(Vec<PathBuf>),
    /// An Arrow table of facts.
    Arrow(Batches),
    /// `(security_id, attribute, value, effective_date)` tuples.
    Rows(Vec<Fact>),
}

impl<'py> FromPyObject<'_, 'py> for Source {
    type Error = PyErr;

    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Source> {
        let obj = obj.to_owned();
        if let Some(path) = path(&obj)? {
            return Ok(Source::Paths(vec![path]));
        }
        if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
            let items: Vec<Bound<'py, PyAny>> = obj.extract()?;
            let paths: Option<Vec<PathBuf>> = items
                .iter()
                .map(path)
                .collect::<PyResult<Vec<_>>>()?
                .into_iter()
                .collect();
            if let Some(paths) = paths.filter(|p| !p.is_empty()) {
                return Ok(Source::Paths(paths));
            }
            return items
                .iter()
                .enumerate()
                .map(|(i, row)| fact(row).map_err(|e| at_row(obj.py(), i, e)))
                .collect::<PyResult<_>>()
                .map(Source::Rows);
        }
        if obj.hasattr("__arrow_c_stream__")? || is_pandas(&obj)? {
            return Batches::from_py(&obj).map(Source::Arrow);
        }
        Err(PyTypeError::new_err(format!(
            "facts are a path, a list of paths, an Arrow-compatible table (pyarrow, Polars, \
             pandas) or a list of (security_id, attribute, value, effective_date) tuples, \
             not {}",
            obj.get_type().name()?
        )))
    }
}

/// A `str` or `os.PathLike` as a path; anything else is not one.
fn path(obj: &Bound<'_, PyAny>) -> PyResult<Option<PathBuf>> {
    if obj.is_instance_of::<PyString>() || obj.hasattr("__fspath__")? {
        return obj.extract().map(Some);
    }
    Ok(None)
}

fn at_row(py: Python<'_>, i: usize, e: PyErr) -> PyErr {
    let text = e.value(py).to_string();
    PyErr::from_type(e.get_type(py), format!("fact {}: {text}", i + 1))
}

/// A `(security_id, attribute, value, effective_date)` tuple as a fact.
fn fact(row: &Bound<'_, PyAny>) -> PyResult<Fact> {
    let (id, attribute, value, date): (i64, String, Bound<'_, PyAny>, Bound<'_, PyAny>) =
        row.extract().map_err(|_| {
            PyTypeError::new_err(
                "a fact is a (security_id, attribute, value, effective_date) tuple",
            )
        })?;
    Ok(Fact::new(
        id,
        attribute.as_str(),
        value_of(&value)?,
        date_of(&date)?,
    ))
}

/// A Python value as a secmaster value: `None`, `bool`, `int`, `float`, `str` or
/// `datetime.date` (not a `datetime`: its time would be lost).
pub(crate) fn value_of(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    Ok(if obj.is_none() {
        Value::Null
    } else if obj.is_instance_of::<PyBool>() {
        Value::Bool(obj.extract()?)
    } else if obj.is_instance_of::<PyInt>() {
        Value::Int(obj.extract().map_err(|_| {
            PyValueError::new_err(format!("{obj} is outside the int64 range of an int value"))
        })?)
    } else if obj.is_instance_of::<PyFloat>() {
        Value::Float(obj.extract()?)
    } else if obj.is_instance_of::<PyString>() {
        Value::from(obj.extract::<String>()?.as_str())
    } else if obj.is_instance_of::<PyDateTime>() {
        return Err(PyTypeError::new_err(
            "a datetime is not a date value: pass its .date()",
        ));
    } else if obj.is_instance_of::<PyDate>() {
        Value::Date(obj.extract()?)
    } else {
        return Err(PyTypeError::new_err(format!(
            "a value is None, bool, int, float, str or datetime.date, not {}",
            obj.get_type().name()?
        )));
    })
}

/// A `datetime.date` or an ISO `YYYY-MM-DD` string as a date.
pub(crate) fn date_of(obj: &Bound<'_, PyAny>) -> PyResult<NaiveDate> {
    if obj.is_instance_of::<PyDateTime>() {
        return Err(PyTypeError::new_err(
            "a date is a datetime.date, not a datetime",
        ));
    }
    if obj.is_instance_of::<PyDate>() {
        return obj.extract();
    }
    if let Ok(text) = obj.extract::<String>() {
        return text
            .parse()
            .map_err(|_| PyValueError::new_err(format!("`{text}` is not a date like 2024-03-22")));
    }
    Err(PyTypeError::new_err(format!(
        "a date is a datetime.date or an ISO string, not {}",
        obj.get_type().name()?
    )))
}

/// A table as a `pyarrow.Table`, secmaster's schema metadata kept.
pub(crate) fn table_to_py<'py>(py: Python<'py>, table: &Table) -> PyResult<Bound<'py, PyAny>> {
    let batch = py.detach(|| secmaster_io::arrow::to_record_batch(table));
    batches_to_py(py, batch.schema(), vec![batch])
}

/// A master's table as a `pyarrow.Table`, in batches, with its key count and priority.
pub(crate) fn master_to_py<'py>(
    py: Python<'py>,
    master: &SecurityMaster,
) -> PyResult<Bound<'py, PyAny>> {
    let (schema, batches) =
        py.detach(|| secmaster_io::arrow::master_record_batches(master, 1 << 16));
    batches_to_py(py, schema, batches)
}

fn batches_to_py(
    py: Python<'_>,
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
) -> PyResult<Bound<'_, PyAny>> {
    arrow_pyarrow::Table::try_new(batches, schema)
        .map_err(|e| PyValueError::new_err(e.to_string()))?
        .into_pyarrow(py)
}
