//! Containing the panics of third-party decoders on damaged files.
//!
//! arrow-ipc and parquet trust the offsets and lengths a file declares: on a damaged file
//! they may panic (a buffer sliced past its end, a negative length, a division by zero), as
//! the fuzz targets in `fuzz/` found. Every read of a file through them runs inside
//! [`contain`], which reports such a panic as [`Error::Damaged`]. (The panic hook still
//! runs; the default one prints the panic to stderr.)

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use crate::{Error, Result};

/// Runs `read`, a read of the `format` file at `path`; a panic inside it is an
/// [`Error::Damaged`].
pub(crate) fn contain<T>(
    path: &Path,
    format: &'static str,
    read: impl FnOnce() -> Result<T>,
) -> Result<T> {
    catch_unwind(AssertUnwindSafe(read)).unwrap_or_else(|panic| {
        Err(Error::Damaged {
            path: path.to_path_buf(),
            format,
            reason: panic_message(panic.as_ref()).to_string(),
        })
    })
}

/// The text of a caught panic.
fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("its decoder panicked")
}
