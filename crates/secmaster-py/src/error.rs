//! secmaster's errors as Python exceptions (classes in `secmaster/_errors.py`), with the
//! command line's message: the error and its causes joined by `: `.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyType;

/// An error of any secmaster crate, or a Python one, on its way to Python.
#[derive(Debug)]
pub(crate) enum Failure {
    Core(secmaster_core::Error),
    Io(secmaster_io::Error),
    Store(secmaster_store::Error),
    Generate(secmaster_generate::Error),
    Python(PyErr),
}

pub(crate) type Result<T, E = Failure> = std::result::Result<T, E>;

macro_rules! from {
    ($($variant:ident: $error:ty),*) => {$(
        impl From<$error> for Failure {
            fn from(e: $error) -> Failure {
                Failure::$variant(e)
            }
        }
    )*};
}
from!(
    Core: secmaster_core::Error,
    Io: secmaster_io::Error,
    Store: secmaster_store::Error,
    Generate: secmaster_generate::Error,
    Python: PyErr
);

/// Which exception class an error raises.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// `secmaster.DataError` (a `ValueError`): the data or a value given was refused.
    Data,
    /// `secmaster.FileError` (an `OSError`): a file could not be read or written.
    File,
    /// `secmaster.StoreError`: a store is locked, busy, or damaged.
    Store,
}

fn io_kind(e: &secmaster_io::Error) -> Kind {
    match e {
        secmaster_io::Error::Read { .. } | secmaster_io::Error::Write { .. } => Kind::File,
        _ => Kind::Data,
    }
}

fn store_kind(e: &secmaster_store::Error) -> Kind {
    use secmaster_store::Error as E;
    match e {
        E::Io(io) => io_kind(io),
        E::Read { .. } | E::Write { .. } => Kind::File,
        E::Rejected { .. } | E::Duplicate { .. } | E::NoSuchBatch { .. } => Kind::Data,
        _ => Kind::Store,
    }
}

/// The error and its causes, as the command line prints them.
fn message(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyType>> {
    Ok(py
        .import("secmaster._errors")?
        .getattr(name)?
        .cast_into::<PyType>()?)
}

impl From<Failure> for PyErr {
    fn from(failure: Failure) -> PyErr {
        let (kind, text) = match &failure {
            Failure::Python(_) => {
                let Failure::Python(e) = failure else {
                    unreachable!()
                };
                return e;
            }
            Failure::Core(e) => (Kind::Data, message(e)),
            Failure::Io(e) => (io_kind(e), message(e)),
            Failure::Store(e) => (store_kind(e), message(e)),
            Failure::Generate(e) => (Kind::Data, message(e)),
        };
        let name = match kind {
            Kind::Data => "DataError",
            Kind::File => "FileError",
            Kind::Store => "StoreError",
        };
        Python::attach(|py| match class(py, name) {
            Ok(class) => PyErr::from_type(class, text),
            Err(e) => PyTypeError::new_err(format!("{text} (and secmaster._errors: {e})")),
        })
    }
}
