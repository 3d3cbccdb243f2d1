//! The private helpers `secmaster.spark` builds with, one engine for one machine and many:
//! a part's [`TypeSummary`], the columns decided from all parts' summaries (rule 8 and the
//! typing of text, decided once for the whole input), and a part's build at those columns.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use secmaster_core::{Column, Options, SecurityMaster, ValueType};
use secmaster_io::facts::TypeSummary;

use crate::convert::{Batches, Source, master_to_py};
use crate::master::{read_options, take};

/// The options of a `priority`.
fn options(priority: Option<Vec<String>>) -> Options {
    match priority {
        Some(p) => Options::default().with_priority(p),
        None => Options::default(),
    }
}

/// What a part of an input's facts (an Arrow-compatible table) says about each
/// attribute's type, as JSON text to combine with the other parts' (`_decide_columns`).
#[pyfunction]
#[pyo3(signature = (facts, *, date_format = None))]
pub(crate) fn _type_summary(
    py: Python<'_>,
    facts: &Bound<'_, PyAny>,
    date_format: Option<String>,
) -> PyResult<String> {
    let batches = Batches::from_py(facts)?;
    let read = read_options(date_format);
    let summary = py.detach(|| batches.summary(&read))?;
    Ok(summary.to_json())
}

/// The attribute columns a build of all the parts as one input has, from their summaries:
/// `(name, type)` pairs in rule 7's order, the type `None` for an attribute with only
/// nulls. Raises `DataError` where rule 8 refuses the input.
#[pyfunction]
#[pyo3(signature = (summaries, *, priority = None))]
pub(crate) fn _decide_columns(
    py: Python<'_>,
    summaries: Vec<String>,
    priority: Option<Vec<String>>,
) -> PyResult<Vec<(String, Option<&'static str>)>> {
    let options = options(priority);
    let columns = py.detach(|| -> PyResult<Vec<Column>> {
        let mut all = TypeSummary::default();
        for text in &summaries {
            let part = TypeSummary::from_json(text)
                .ok_or_else(|| PyValueError::new_err("not a secmaster type summary"))?;
            all.merge(&part);
        }
        Ok(all.columns(&options).map_err(crate::error::Failure::from)?)
    })?;
    Ok(columns
        .iter()
        .map(|c| (c.name().to_string(), c.value_type().map(ValueType::name)))
        .collect())
}

/// Builds a part of an input (the facts of some securities, in arrival order) into a
/// master that has exactly `columns` (`_decide_columns`' answer), its table as a
/// `pyarrow.Table`: the rows a build of the whole input has for those securities.
#[pyfunction]
#[pyo3(signature = (facts, columns, *, priority = None, date_format = None))]
pub(crate) fn _build_part<'py>(
    py: Python<'py>,
    facts: &Bound<'_, PyAny>,
    columns: Vec<(String, Option<String>)>,
    priority: Option<Vec<String>>,
    date_format: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let columns = columns
        .into_iter()
        .map(|(name, ty)| {
            let ty = match ty {
                None => None,
                Some(t) => Some(ValueType::from_name(&t).ok_or_else(|| {
                    PyValueError::new_err(format!("{t:?} is not a secmaster type"))
                })?),
            };
            Ok(Column::new(name, ty))
        })
        .collect::<PyResult<Vec<_>>>()?;
    let mut master = SecurityMaster::with_columns(options(priority), columns)
        .map_err(crate::error::Failure::from)?;
    let source = Source::Arrow(Batches::from_py(facts)?);
    take(py, &mut master, source, &read_options(date_format))?;
    master_to_py(py, &master)
}

/// The strftime layout text dates are read in when the first is `first`: `%Y-%m-%d`, the
/// prototype's `%m/%d/%y`, or `None`.
#[pyfunction]
pub(crate) fn _date_layout(first: &str) -> Option<&'static str> {
    secmaster_io::facts::date_layout(first)
}
