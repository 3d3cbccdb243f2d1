//! Interchange for secmaster: lossless Arrow, Parquet, CSV and SQL tables, and fact files.
#![deny(missing_docs)]

pub mod arrow;
mod atomic;
mod error;
pub mod ipc;
pub mod parquet;
mod schema;
mod text;

pub use error::{Error, Location, Result};
pub use schema::TableSchema;
