//! Interchange for secmaster: lossless Arrow, Parquet, CSV and SQL tables, and fact files.
#![deny(missing_docs)]

pub mod arrow;
mod atomic;
mod columnar;
pub mod csv;
mod error;
pub mod facts;
mod infer;
pub mod json;
pub mod ipc;
pub mod parquet;
pub mod positions;
mod records;
mod schema;
pub mod sql;
mod text;

pub use error::{Error, Location, Result};
pub use facts::ReadOptions;
pub use schema::TableSchema;
