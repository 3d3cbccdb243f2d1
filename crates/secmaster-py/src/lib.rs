//! `import secmaster`: secmaster from Python, a PyO3 extension built by maturin.
//!
//! The native module `secmaster._secmaster`; the package `python/secmaster/` re-exports it
//! and adds what is Python's own (the exception classes, pandas and Polars conversions).
//! Arrow crosses the boundary by the C stream interface (`__arrow_c_stream__`): tables come
//! in and go out without their buffers copied. Every build, merge, join, read and write
//! runs with the GIL released.
//!
//! - `convert`: fact sources (paths, Arrow tables, Python tuples), values, tables out;
//! - `master`: `Master`, `build`, `read`;
//! - `store`: `Store`;
//! - `spark`: the private helpers of `secmaster.spark` (a part's type summary, the columns
//!   decided from all parts', a part's build at those columns);
//! - `error`: secmaster's errors as `secmaster.Error` subclasses, with the CLI's messages.

mod convert;
mod error;
mod master;
mod spark;
mod store;

use arrow_array::builder::{Date32Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use pyo3::prelude::*;
use std::sync::Arc;

/// A realistic, deterministic trail of `facts` facts about `securities` securities, as a
/// `pyarrow.Table` of `security_id, attribute, value, effective_date` with values as text
/// (what `secmaster generate` writes; `build` types them back).
#[pyfunction]
#[pyo3(signature = (securities, facts, *, seed = 42))]
fn generate<'py>(
    py: Python<'py>,
    securities: usize,
    facts: u64,
    seed: u64,
) -> PyResult<Bound<'py, PyAny>> {
    let batch = py.detach(|| -> error::Result<RecordBatch> {
        let config = secmaster_generate::Config::new(securities, facts).with_seed(seed);
        let trail = secmaster_generate::Trail::new(&config)?;
        let n = usize::try_from(facts).unwrap_or(usize::MAX).min(1 << 24);
        let mut ids = Int64Builder::with_capacity(n);
        let mut attributes = StringBuilder::with_capacity(n, n * 10);
        let mut values = StringBuilder::with_capacity(n, n * 10);
        let mut dates = Date32Builder::with_capacity(n);
        for fact in trail {
            ids.append_value(fact.security_id());
            attributes.append_value(fact.attribute());
            values.append_value(fact.value().to_string());
            dates.append_value(secmaster_io::arrow::days(fact.effective_date()));
        }
        let schema = Schema::new(vec![
            Field::new("security_id", DataType::Int64, false),
            Field::new("attribute", DataType::Utf8, false),
            Field::new("value", DataType::Utf8, false),
            Field::new("effective_date", DataType::Date32, false),
        ]);
        let columns: Vec<ArrayRef> = vec![
            Arc::new(ids.finish()),
            Arc::new(attributes.finish()),
            Arc::new(values.finish()),
            Arc::new(dates.finish()),
        ];
        Ok(RecordBatch::try_new(Arc::new(schema), columns).expect("columns built to the schema"))
    })?;
    let schema = batch.schema();
    arrow_pyarrow::IntoPyArrow::into_pyarrow(
        arrow_pyarrow::Table::try_new(vec![batch], schema)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?,
        py,
    )
}

/// Reads and types the facts of a fact file, returning how many there are: the parsing a
/// build of that file does before its merge, timed alone by `benches/python_build.py`.
#[pyfunction]
fn _count_facts(py: Python<'_>, path: std::path::PathBuf) -> PyResult<usize> {
    let facts = py
        .detach(|| secmaster_io::facts::stream(&path, &secmaster_io::ReadOptions::default()))
        .map_err(error::Failure::from)?;
    Ok(facts.len())
}

#[pymodule]
fn _secmaster(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<master::Master>()?;
    m.add_class::<store::Store>()?;
    m.add_function(wrap_pyfunction!(master::build, m)?)?;
    m.add_function(wrap_pyfunction!(master::read, m)?)?;
    m.add_function(wrap_pyfunction!(generate, m)?)?;
    m.add_function(wrap_pyfunction!(_count_facts, m)?)?;
    m.add_function(wrap_pyfunction!(spark::_type_summary, m)?)?;
    m.add_function(wrap_pyfunction!(spark::_decide_columns, m)?)?;
    m.add_function(wrap_pyfunction!(spark::_build_part, m)?)?;
    m.add_function(wrap_pyfunction!(spark::_date_layout, m)?)?;
    Ok(())
}
