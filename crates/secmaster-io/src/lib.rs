//! Interchange for secmaster: lossless Arrow, Parquet, CSV and SQL tables, and fact files.
//!
//! This crate owns translation and nothing else. It turns a [`Table`] or
//! [`SecurityMaster`] into the formats other tools read (Arrow record batches, Arrow IPC,
//! Parquet, CSV, SQLite and SQL text, JSON Lines) and back, and reads facts and positions
//! from files. It never decides a domain rule: how facts become a table, how types mix
//! (DESIGN.md rule 8), what order columns take (rule 7) are the core's; this crate only
//! carries what a file must keep for the core to get the same table back (rule 11). It
//! never prints and never leaves a half-written file: every file is written to a temporary
//! file beside it and renamed into place.
//!
//! # Map
//! - Tables out and back, one module per format, each with `write`, `write_master`, `read`
//!   and `read_master`: [`arrow`] (the record-batch mapping the others build on), [`ipc`],
//!   [`parquet`], [`csv`] and [`sql`] (which also renders statements for `sqlite3` or
//!   `psql`). [`json`] writes JSON Lines. [`Format`] names each format and tells it from a
//!   file's extension; [`file`](mod@file) reads and writes a table file in any of them.
//! - [`TableSchema`]: what a table file carries besides its cells (column types, key
//!   count, a master's priority), in Arrow metadata, a CSV sidecar or a SQL table.
//! - Inputs: [`facts`] reads fact files (CSV in two layouts, JSON Lines, Parquet) and types
//!   their text per attribute ([`facts::stream`] hands them to a build without a vector);
//!   [`positions`] reads positions. [`ReadOptions`] sets the date
//!   layout and the master being merged into.
//! - [`atomic`]: every file is written beside its destination, synced and renamed into
//!   place, with the mode a plain create would give it (or the mode of the file it
//!   replaces); the command line writes its own files through it too.
//! - [`Error`]: one error type; every variant names the file and, for a record, its
//!   [`Location`].
//!
//! # Example
//! ```
//! use secmaster_core::SecurityMaster;
//! use secmaster_io::{facts, file, ReadOptions};
//!
//! let dir = tempfile::tempdir()?;
//! let trail = dir.path().join("trail.csv");
//! std::fs::write(
//!     &trail,
//!     "\"1\", \"ticker\", \"LENZ\", \"03/22/24\"\n\"1\", \"market_cap\", 400, \"05/23/24\"\n",
//! )?;
//! let master = SecurityMaster::build(facts::stream(&trail, &ReadOptions::default())?)?;
//!
//! let out = dir.path().join("master.parquet");
//! file::write_master(&out, &master)?;
//! assert_eq!(file::read_master(&out)?, master);
//! assert_eq!(file::detect(&out)?, file::Content::Table);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Table`]: secmaster_core::Table
//! [`SecurityMaster`]: secmaster_core::SecurityMaster
#![deny(missing_docs)]

pub mod arrow;
pub mod atomic;
mod columnar;
pub mod csv;
mod damaged;
mod error;
pub mod facts;
pub mod file;
mod format;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod fx;
mod infer;
pub mod ipc;
pub mod json;
mod parallel;
pub mod parquet;
pub mod positions;
pub mod query;
mod schema;
pub mod sql;
mod text;

pub use error::{Error, Location, Result};
pub use facts::ReadOptions;
pub use format::Format;
pub use schema::TableSchema;
