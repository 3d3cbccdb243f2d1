//! The pure engine of secmaster: facts in, an exact point-in-time security master out.
//!
//! This crate owns the rules of DESIGN.md: how an unordered, late, corrected audit trail of
//! [`Fact`]s becomes a type-2 slowly changing dimension (one row per security per period,
//! every attribute carried forward), how later batches merge into it exactly, and the views
//! and as-of joins over it. It never does I/O: it takes facts as values and hands back values
//! and borrowing cursors. It knows nothing of files, Arrow or the command line; those live in
//! `secmaster-io` and `secmaster-cli`.
//!
//! The main types:
//! - [`Fact`]: `(security_id, attribute, value, effective_date)`; [`Value`] is one of null,
//!   bool, int, float, str, date, and [`ValueType`] its type.
//! - [`SecurityMaster`]: built from facts, merged with later batches, keeping the facts in
//!   force and deriving its table from them on demand ([`SecurityMaster::cursor`]).
//! - [`Table`]: a typed table of [`Column`]s — the master's table, its views
//!   ([`SecurityMaster::asset_class`], [`SecurityMaster::as_of`],
//!   [`SecurityMaster::history`], [`Table::select`]) and positions joined as of their dates
//!   ([`SecurityMaster::join_positions`]).
//! - [`Error`]: why a build, merge or table operation was refused.
//!
//! The crate starts no threads of its own. A large build or merge spreads its sorting (and
//! [`SecurityMaster::merge_parts`] its parts) over rayon's current thread pool: the global
//! one, sized by `RAYON_NUM_THREADS` or the number of cores, or whichever pool the caller
//! runs it in. So a library caller caps the threads, and nested parallel work shares them
//! rather than oversubscribing the machine. The results do not depend on the pool:
//! one thread or many, a build or merge gives the same master, or the same error.
//!
//! ```
//! use secmaster_core::{sample, Join, SecurityMaster};
//!
//! let mut master = SecurityMaster::build(sample::trail())?;
//! master.merge(sample::update())?;
//! let joined = master.join_positions(&sample::positions(), Join::Inner);
//! assert_eq!(joined.num_rows(), 6);
//! let equities = master.asset_class(Some("equity"));
//! assert!(equities.rows().all(|row| row[0] == 1.into()));
//! # Ok::<(), secmaster_core::Error>(())
//! ```
//!
//! Capping the threads of a large merge at two:
//!
//! ```
//! use secmaster_core::{sample, SecurityMaster};
//!
//! let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build()?;
//! let mut master = SecurityMaster::build(sample::trail())?;
//! pool.install(|| master.merge_parts(vec![sample::update(), sample::update()]))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod error;
mod fact;
mod master;
pub mod sample;
#[cfg(any(test, feature = "proptest"))]
pub mod strategy;
mod table;
mod value;

pub use error::{Error, Result};
pub use fact::{Fact, Position, Quantity};
pub use master::{
    Chunk, Chunks, DEFAULT_PRIORITY, FromRows, Join, KEY_COLUMNS, Matches, Options, RowCursor,
    RowRef, SecurityMaster, Source,
};
pub use table::{Column, Table};
pub use value::{Value, ValueType};
