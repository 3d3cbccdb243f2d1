//! `secmaster.Store`: a store's log of batches and the table it makes, from Python.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use secmaster_core::Options;
use secmaster_store::{IngestOptions, IngestReport, Writer};

use crate::convert::{Source, date_of, table_to_py, value_of};
use crate::error::{Failure, Result};
use crate::master::Master;

/// The source a batch of in-memory facts is logged as.
const ARROW_SOURCE: &str = "<arrow table>";
const ROWS_SOURCE: &str = "<python rows>";

/// A store: a directory holding an append-only log of fact batches and the table they
/// make, kept current by each ingest (the command line's `init`, `ingest`, `log`,
/// `resolve` and `history`). `Store(path)` opens one; `Store.init(path)` creates one.
#[pyclass(module = "secmaster", name = "Store", frozen)]
#[derive(Debug)]
pub(crate) struct Store {
    root: PathBuf,
}

/// The batch `as_known_at` names: an int is a batch number; an aware `datetime` the last
/// batch committed by then. `None`: the last.
fn batch_of(store: &secmaster_store::Store, at: Option<&Bound<'_, PyAny>>) -> PyResult<u64> {
    let Some(at) = at else {
        return Ok(store.last_batch());
    };
    let batch = if let Ok(n) = at.extract::<u64>() {
        n
    } else if let Ok(time) = at.extract::<DateTime<Utc>>() {
        store.batch_at(time)
    } else {
        return Err(PyTypeError::new_err(
            "as_known_at is a batch number or a timezone-aware datetime",
        ));
    };
    if batch == 0 || batch > store.last_batch() {
        return Err(PyValueError::new_err(format!(
            "store `{}`: no batch {batch}: its batches are 1 to {}",
            store.root().display(),
            store.last_batch()
        )));
    }
    Ok(batch)
}

fn report<'py>(py: Python<'py>, r: &IngestReport) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("batch", r.batch)?;
    d.set_item("dry_run", r.dry_run)?;
    d.set_item("facts", r.facts)?;
    d.set_item("securities", r.securities)?;
    d.set_item("new_securities", r.new_securities)?;
    d.set_item("periods_added", r.periods_added)?;
    d.set_item("periods_split", r.periods_split)?;
    d.set_item("periods_changed", r.periods_changed)?;
    d.set_item("new_columns", &r.new_columns)?;
    d.set_item("widened_columns", &r.widened_columns)?;
    d.set_item("compacted", r.compacted)?;
    let warnings: Vec<String> = r.warnings.iter().map(ToString::to_string).collect();
    d.set_item("warnings", warnings)?;
    Ok(d)
}

impl Store {
    fn read<T: Send>(
        &self,
        py: Python<'_>,
        read: impl Fn(&secmaster_store::Store) -> secmaster_store::Result<T> + Send + Sync,
    ) -> PyResult<T> {
        Ok(py
            .detach(|| secmaster_store::Store::read(&self.root, read))
            .map_err(Failure::from)?)
    }

    fn open_now(&self, py: Python<'_>) -> PyResult<secmaster_store::Store> {
        Ok(py
            .detach(|| secmaster_store::Store::open(&self.root))
            .map_err(Failure::from)?)
    }
}

#[pymethods]
impl Store {
    /// Opens the store at `path`.
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<Store> {
        py.detach(|| secmaster_store::Store::open(&path))
            .map_err(Failure::from)?;
        Ok(Store { root: path })
    }

    /// Creates an empty store at `path` (a new or empty directory); `priority` orders its
    /// table's first attribute columns.
    #[staticmethod]
    #[pyo3(signature = (path, *, priority = None))]
    fn init(py: Python<'_>, path: PathBuf, priority: Option<Vec<String>>) -> PyResult<Store> {
        let options = match priority {
            Some(p) => Options::default().with_priority(p),
            None => Options::default(),
        };
        py.detach(|| secmaster_store::Store::init(&path, &options))
            .map_err(Failure::from)?;
        Ok(Store { root: path })
    }

    /// The store's directory.
    #[getter]
    fn path(&self) -> PathBuf {
        self.root.clone()
    }

    /// Appends one batch (fact files, an Arrow-compatible table or fact tuples, as `build`
    /// takes) and brings the table up to date; returns a report of what changed. A batch
    /// equal to the last one is refused unless `allow_duplicate`; `dry_run` checks and
    /// reports without writing. Waits up to `wait` seconds for another writer (default:
    /// fails at once if the store is locked).
    #[pyo3(signature = (facts, *, dry_run = false, allow_duplicate = false, date_format = None, wait = None))]
    fn ingest<'py>(
        &self,
        py: Python<'py>,
        facts: Source,
        dry_run: bool,
        allow_duplicate: bool,
        date_format: Option<String>,
        wait: Option<f64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let mut read = secmaster_io::ReadOptions::default();
        if let Some(f) = date_format {
            read = read.with_date_format(f);
        }
        let options = IngestOptions::default()
            .with_read_options(read.clone())
            .with_dry_run(dry_run)
            .with_allow_duplicate(allow_duplicate);
        let root = &self.root;
        let result = py.detach(|| -> Result<IngestReport> {
            let mut writer: Writer = match wait {
                Some(s) => secmaster_store::Store::lock_timeout(root, Duration::from_secs_f64(s))?,
                None => secmaster_store::Store::lock(root)?,
            };
            Ok(match facts {
                Source::Paths(paths) => writer.ingest(&paths, &options)?,
                Source::Arrow(batches) => {
                    let columns = writer.store().columns().to_vec();
                    let facts = batches.facts(&read.with_columns(columns))?.collect();
                    writer.ingest_facts(facts, ARROW_SOURCE, &options)?
                }
                Source::Rows(facts) => writer.ingest_facts(facts, ROWS_SOURCE, &options)?,
            })
        })?;
        report(py, &result)
    }

    /// The master as of the last batch, or as known at `as_known_at` (a batch number or a
    /// timezone-aware datetime: the last batch committed by then).
    #[pyo3(signature = (as_known_at = None))]
    fn master(&self, py: Python<'_>, as_known_at: Option<&Bound<'_, PyAny>>) -> PyResult<Master> {
        let batch = batch_of(&self.open_now(py)?, as_known_at)?;
        let inner = self.read(py, |s| {
            if batch == s.last_batch() {
                s.master()
            } else {
                s.master_after(batch)
            }
        })?;
        Ok(Master { inner })
    }

    /// The committed batches, oldest first: `batch`, `committed_at` (UTC), `facts`,
    /// `sources`, `log` (the segment's path) and `xxh3` (its checksum).
    fn log<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let store = self.open_now(py)?;
        store
            .batches()
            .iter()
            .map(|b| {
                let d = PyDict::new(py);
                d.set_item("batch", b.number())?;
                d.set_item("committed_at", b.committed_at())?;
                d.set_item("facts", b.facts())?;
                d.set_item("sources", b.sources().to_vec())?;
                d.set_item("log", b.path())?;
                d.set_item("xxh3", b.checksum().xxh3())?;
                Ok(d)
            })
            .collect()
    }

    /// The securities whose `attribute` was `value` on `on` (a date), with their rows in
    /// force that day.
    #[pyo3(signature = (attribute, value, on, *, as_known_at = None))]
    fn resolve<'py>(
        &self,
        py: Python<'py>,
        attribute: &str,
        value: &Bound<'_, PyAny>,
        on: &Bound<'_, PyAny>,
        as_known_at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let on = date_of(on)?;
        let wanted = value_of(value)?;
        let master = self.master(py, as_known_at)?.inner;
        let table = py.detach(|| master.as_of(on));
        let column = table.column_index(attribute).ok_or_else(|| {
            PyValueError::new_err(format!("the store has no attribute `{attribute}`"))
        })?;
        let mut wanted = wanted;
        wanted.widen(table.columns()[column].value_type());
        let found = table.filter(|row| !wanted.is_null() && row[column] == wanted);
        table_to_py(py, &found)
    }

    /// A security's periods cell by cell, with the fact and batch that set each value.
    #[pyo3(signature = (security_id, *, as_known_at = None))]
    fn history<'py>(
        &self,
        py: Python<'py>,
        security_id: i64,
        as_known_at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let batch = batch_of(&self.open_now(py)?, as_known_at)?;
        let table = self.read(py, |s| s.lineage_after(security_id, batch))?;
        table_to_py(py, &table)
    }

    /// Rewrites the store's state and table as one file each; returns warnings about what
    /// went wrong after the commit (which stands).
    fn compact(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let root = &self.root;
        let warnings = py
            .detach(|| secmaster_store::Store::lock(root)?.compact())
            .map_err(Failure::from)?;
        Ok(warnings.iter().map(ToString::to_string).collect())
    }

    /// Checks every file against its checksum; returns the files and bytes checked.
    fn verify<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let verified = self.read(py, |s| s.verify())?;
        let d = PyDict::new(py);
        d.set_item("files", verified.files())?;
        d.set_item("bytes", verified.bytes())?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!("<secmaster.Store {}>", self.root.display())
    }
}
