//! Integration tests of secmaster-io: round trips, fact readers and error messages.

mod errors;
mod facts;
mod files;
mod joined;
mod roundtrip;
mod sql;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;

/// A file of `tests/data`.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Writes a record batch to a Parquet file, as another tool would.
pub fn write_parquet(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

/// A record batch from named columns.
pub fn batch(columns: Vec<(&str, arrow_array::ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(
        columns
            .into_iter()
            .map(|(n, a)| (n, a as Arc<dyn arrow_array::Array>)),
    )
    .unwrap()
}
