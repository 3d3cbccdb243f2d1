//! `secmaster.Master`, `secmaster.build` and `secmaster.read`.

use std::path::{Path, PathBuf};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyList, PyString, PyTuple};
use secmaster_core::{Join, Options, Position, Quantity, SecurityMaster};
use secmaster_io::file::Content;
use secmaster_io::{ReadOptions, file};

use crate::convert::{Batches, Source, date_of, master_to_py, table_to_py};
use crate::error::Result;

/// A point-in-time security master: one row per security and date with a fact, each valid
/// from `effective_start_date` up to, not including, `effective_end_date`.
///
/// Made by `secmaster.build`, `secmaster.read`, `Master.from_arrow`, `from_pandas` or
/// `from_polars`; kept exact by `merge` as later facts arrive (rule 6: a merge equals a
/// rebuild). Views (`asset_class`, `as_of`, `security`, `columns`) and joins return
/// `pyarrow.Table`s.
#[pyclass(module = "secmaster", name = "Master")]
#[derive(Debug, Default)]
pub(crate) struct Master {
    pub(crate) inner: SecurityMaster,
}

/// Takes `source` into `master` as one batch after another (a list of files: one batch per
/// file, each typed with the columns so far, as the command line's `build` does).
pub(crate) fn take(
    py: Python<'_>,
    master: &mut SecurityMaster,
    source: Source,
    options: &ReadOptions,
) -> Result<()> {
    match source {
        Source::Paths(paths) => {
            for path in paths {
                py.detach(|| add_file(master, &path, options))?;
            }
        }
        Source::Arrow(batches) => py.detach(|| -> Result<()> {
            let facts = batches.facts(&options.clone().for_master(master))?;
            Ok(master.merge_parts(facts.into_parts(rayon::current_num_threads()))?)
        })?,
        Source::Rows(facts) => py.detach(|| master.merge(facts))?,
    }
    Ok(())
}

/// Merges a fact file, or the facts of a table file secmaster wrote.
fn add_file(master: &mut SecurityMaster, path: &Path, options: &ReadOptions) -> Result<()> {
    let read = options.clone().for_master(master);
    let table = matches!(file::detect(path), Ok(Content::Table));
    if table && let Ok(other) = file::read_master(path) {
        return Ok(master.merge(other.facts().collect::<Vec<_>>())?);
    }
    let facts = secmaster_io::facts::stream(path, &read)?;
    // A consecutive part of the file per thread of rayon's pool.
    let parts = facts.into_parts(rayon::current_num_threads());
    Ok(master.merge_parts(parts)?)
}

/// The read options of a `date_format`.
pub(crate) fn read_options(date_format: Option<String>) -> ReadOptions {
    match date_format {
        Some(f) => ReadOptions::default().with_date_format(f),
        None => ReadOptions::default(),
    }
}

/// Builds a master from facts, then merges each batch of `updates` in order.
///
/// `facts` (and each update) is a path or a list of paths (CSV, JSON Lines or Parquet fact
/// files, or a table file secmaster wrote; each file a batch), an Arrow-compatible table of
/// facts (pyarrow, Polars, pandas) with columns `security_id, attribute, value,
/// effective_date` (text values typed per attribute as the command line types them, or one
/// typed column), or a list of `(security_id, attribute, value, effective_date)` tuples.
/// `updates` is a list of such batches (a single path or table is one batch). `priority`
/// orders the first attribute columns (default: asset_class, ticker, name); `date_format`
/// is a strftime layout for text dates (default: ISO or the prototype's MM/DD/YY).
#[pyfunction]
#[pyo3(signature = (facts, *, updates = None, priority = None, date_format = None))]
pub(crate) fn build(
    py: Python<'_>,
    facts: Source,
    updates: Option<Bound<'_, PyAny>>,
    priority: Option<Vec<String>>,
    date_format: Option<String>,
) -> PyResult<Master> {
    let options = match priority {
        Some(p) => Options::default().with_priority(p),
        None => Options::default(),
    };
    let read = read_options(date_format);
    let mut master = SecurityMaster::new(options);
    take(py, &mut master, facts, &read)?;
    for update in batches(updates)? {
        take(py, &mut master, update, &read)?;
    }
    Ok(Master { inner: master })
}

/// `updates` as a list of batches: a path or table alone is one.
fn batches(updates: Option<Bound<'_, PyAny>>) -> PyResult<Vec<Source>> {
    let Some(updates) = updates else {
        return Ok(Vec::new());
    };
    let many = (updates.is_instance_of::<PyList>() || updates.is_instance_of::<PyTuple>())
        && !updates.is_instance_of::<PyString>();
    if many {
        updates.extract()
    } else {
        Ok(vec![updates.extract()?])
    }
}

/// Reads a master from a table file secmaster wrote (Parquet, Arrow IPC, CSV with its
/// schema sidecar, SQLite), by its extension.
#[pyfunction]
pub(crate) fn read(py: Python<'_>, path: PathBuf) -> PyResult<Master> {
    let inner = py
        .detach(|| file::read_master(&path))
        .map_err(crate::error::Failure::from)?;
    Ok(Master { inner })
}

/// The positions of a path, an Arrow table, or `(security_id, quantity, date)` tuples.
fn positions(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Vec<Position>> {
    if obj.is_instance_of::<PyString>() || obj.hasattr("__fspath__")? {
        let path: PathBuf = obj.extract()?;
        return Ok(py
            .detach(|| secmaster_io::positions::read(&path, &ReadOptions::default()))
            .map_err(crate::error::Failure::from)?);
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let rows: Vec<Bound<'_, PyAny>> = obj.extract()?;
        return rows
            .iter()
            .map(|row| {
                let (id, quantity, date): (i64, Bound<'_, PyAny>, Bound<'_, PyAny>) =
                    row.extract()?;
                // A Python int stays an integer quantity (a bool is not a quantity).
                let quantity: Quantity =
                    if quantity.is_instance_of::<PyInt>() && !quantity.is_instance_of::<PyBool>() {
                        Quantity::Int(quantity.extract()?)
                    } else {
                        Quantity::Float(quantity.extract()?)
                    };
                Ok(Position::new(id, quantity, date_of(&date)?))
            })
            .collect();
    }
    Ok(Batches::from_py(obj)?.positions()?)
}

#[pymethods]
impl Master {
    /// An empty master (`priority` orders the first attribute columns).
    #[new]
    #[pyo3(signature = (*, priority = None))]
    fn new(priority: Option<Vec<String>>) -> Master {
        let options = match priority {
            Some(p) => Options::default().with_priority(p),
            None => Options::default(),
        };
        Master {
            inner: SecurityMaster::new(options),
        }
    }

    /// Merges a batch of facts that arrived after everything in the master (the same
    /// sources as `build` takes). The master then equals a rebuild from all its facts. On
    /// error (a type conflict, a malformed file) it is unchanged.
    #[pyo3(signature = (facts, *, date_format = None))]
    fn merge(
        &mut self,
        py: Python<'_>,
        facts: Source,
        date_format: Option<String>,
    ) -> PyResult<()> {
        let options = read_options(date_format);
        // One merge leaves the master unchanged on error; a list of files is a merge per
        // file, so a failure part way would leave the earlier ones merged: those work on
        // a copy instead.
        if matches!(&facts, Source::Paths(paths) if paths.len() > 1) {
            let mut next = self.inner.clone();
            take(py, &mut next, facts, &options)?;
            self.inner = next;
        } else {
            take(py, &mut self.inner, facts, &options)?;
        }
        Ok(())
    }

    /// The master's table as a `pyarrow.Table`, its key count and priority in the schema
    /// metadata.
    fn to_arrow<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        master_to_py(py, &self.inner)
    }

    /// The table as a pandas DataFrame. With `arrow_dtypes` (the default) its columns are
    /// pandas' Arrow-backed dtypes, exact and without a copy: an int column with nulls stays
    /// int, dates stay dates. `df.attrs["secmaster"]` keeps what `from_pandas` needs.
    #[pyo3(signature = (*, arrow_dtypes = true))]
    fn to_pandas<'py>(&self, py: Python<'py>, arrow_dtypes: bool) -> PyResult<Bound<'py, PyAny>> {
        let table = self.to_arrow(py)?;
        py.import("secmaster._frames")?
            .call_method1("to_pandas", (table, arrow_dtypes))
    }

    /// The table as a Polars DataFrame.
    fn to_polars<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let table = self.to_arrow(py)?;
        py.import("secmaster._frames")?
            .call_method1("to_polars", (table,))
    }

    /// The master whose table `table` holds (a table `to_arrow` made, or any table whose
    /// first columns are `security_id, effective_start_date, effective_end_date`).
    #[staticmethod]
    fn from_arrow(py: Python<'_>, table: &Bound<'_, PyAny>) -> PyResult<Master> {
        let batches = Batches::from_py(table)?;
        Ok(Master {
            inner: py.detach(|| batches.master())?,
        })
    }

    /// The master whose table a DataFrame from `to_pandas` holds.
    #[staticmethod]
    fn from_pandas(py: Python<'_>, df: &Bound<'_, PyAny>) -> PyResult<Master> {
        let table = py
            .import("secmaster._frames")?
            .call_method1("from_pandas", (df,))?;
        Master::from_arrow(py, &table)
    }

    /// The master whose table a DataFrame from `to_polars` holds (`priority`: the one it
    /// was made with, which Polars does not keep).
    #[staticmethod]
    #[pyo3(signature = (df, *, priority = None))]
    fn from_polars(
        py: Python<'_>,
        df: &Bound<'_, PyAny>,
        priority: Option<Vec<String>>,
    ) -> PyResult<Master> {
        let table = py
            .import("secmaster._frames")?
            .call_method1("from_polars", (df, priority))?;
        Master::from_arrow(py, &table)
    }

    /// The rows of an asset class (`None`: the rows without one), without the attribute
    /// columns null in all of them (rule 9).
    #[pyo3(signature = (asset_class))]
    fn asset_class<'py>(
        &self,
        py: Python<'py>,
        asset_class: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let table = py.detach(|| self.inner.asset_class(asset_class.as_deref()));
        table_to_py(py, &table)
    }

    /// Each security's row in force on `date` (a `datetime.date` or ISO string).
    fn as_of<'py>(&self, py: Python<'py>, date: &Bound<'_, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let date = date_of(date)?;
        let table = py.detach(|| self.inner.as_of(date));
        table_to_py(py, &table)
    }

    /// One security's rows.
    fn security<'py>(&self, py: Python<'py>, security_id: i64) -> PyResult<Bound<'py, PyAny>> {
        let table = py.detach(|| self.inner.table().where_security(security_id));
        table_to_py(py, &table)
    }

    /// The key columns, then the attributes named, in that order.
    #[pyo3(signature = (*names))]
    fn columns<'py>(&self, py: Python<'py>, names: Vec<String>) -> PyResult<Bound<'py, PyAny>> {
        let table = py
            .detach(|| self.inner.table().select(&names))
            .map_err(crate::error::Failure::from)?;
        table_to_py(py, &table)
    }

    /// Joins positions (a path, an Arrow-compatible table or `(security_id, quantity,
    /// date)` tuples) onto the master as of their dates (rule 10): `how="inner"` drops the
    /// positions no row covers, `"left"` keeps them with null attributes.
    #[pyo3(signature = (positions, how = "inner"))]
    fn join_positions<'py>(
        &self,
        py: Python<'py>,
        positions: &Bound<'_, PyAny>,
        how: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let join = match how {
            "inner" => Join::Inner,
            "left" => Join::Left,
            other => {
                return Err(PyValueError::new_err(format!(
                    "how is \"inner\" or \"left\", not {other:?}"
                )));
            }
        };
        let positions = self::positions(py, positions)?;
        let table = py.detach(|| self.inner.join_positions(&positions, join));
        table_to_py(py, &table)
    }

    /// Writes the master's table to `path` (Parquet, Arrow IPC, CSV with its schema
    /// sidecar, SQLite, or JSON Lines, by extension), whole or not at all.
    fn write(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| file::write_master(&path, &self.inner))
            .map_err(crate::error::Failure::from)?;
        Ok(())
    }

    /// The names of the table's columns, keys first.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.inner
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect()
    }

    /// The number of rows.
    #[getter]
    fn num_rows(&self) -> usize {
        self.inner.num_rows()
    }

    fn __len__(&self) -> usize {
        self.inner.num_rows()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Master>()
            .is_ok_and(|o| o.borrow().inner == self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "<secmaster.Master: {} rows, {} columns>",
            self.inner.num_rows(),
            self.inner.columns().len()
        )
    }
}
