//! Interchange for secmaster: lossless Arrow, Parquet, CSV and SQL tables, and fact files.
#![deny(missing_docs)]

pub mod arrow;
mod atomic;
pub mod csv;
mod error;
mod infer;
pub mod ipc;
pub mod parquet;
mod records;
mod schema;
pub mod sql;
mod text;

pub use error::{Error, Location, Result};
pub use schema::TableSchema;
