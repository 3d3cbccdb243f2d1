//! A persistent security master: an append-only log of fact batches, and the SCD-2 table
//! they make, kept up to date batch by batch in a directory any Arrow tool can read.
//!
//! This crate owns a store's directory and everything in it: the log of batch segments,
//! the state file (the facts in force as of a batch), the table as Parquet deltas, the
//! manifest that commits them, the writer's lock, and the checksums of every file. It
//! decides no domain rule — the core merges the facts, and the table is the core's — and
//! leaves file formats to secmaster-io. It must never:
//!
//! - leave a committed state unreadable: every file a commit lists is written and synced
//!   before the manifest that lists it is renamed into place, so a crash at any instant
//!   leaves the last committed state, and a reader never sees a half-written batch;
//! - change anything on a refused batch: a batch is read and checked whole (its files,
//!   rule 8 against the store's types) before the first byte is written;
//! - print: it reports through its return values ([`IngestReport`], [`Error`]).
//!
//! # Map
//!
//! - [`Store`]: a committed state, opened by readers without a lock. It gives the current
//!   master ([`Store::master`]) and table ([`Store::table`]), the master as it stood after
//!   any batch ([`Store::master_after`]), a security's lineage ([`Store::lineage`]), the
//!   log of [`Batch`]es, and checks every file ([`Store::verify`]).
//! - [`Writer`]: the one writer, holding the lock ([`Store::lock`], or waiting for it:
//!   [`Store::lock_waiting`], [`Store::lock_timeout`]); it ingests batches
//!   ([`Writer::ingest`], as [`IngestOptions`] say) and compacts ([`Writer::compact`]);
//!   what fails after a commit, which stands, comes back as [`Warning`]s.
//! - [`IngestReport`]: what a batch changed (or, for a dry run, would change).
//! - [`Error`]: what is wrong, naming the store or the file; a file's [`Checksum`] is in
//!   the manifest.
//!
//! # Example
//!
//! ```
//! use secmaster_core::{sample, Options, SecurityMaster};
//! use secmaster_store::{IngestOptions, Store};
//!
//! let dir = tempfile::tempdir()?;
//! let root = dir.path().join("master.store");
//! Store::init(&root, &Options::default())?;
//!
//! let mut writer = Store::lock(&root)?; // the one writer, until dropped
//! let options = IngestOptions::default();
//! writer.ingest_facts(sample::trail(), "trail", &options)?;
//! let report = writer.ingest_facts(sample::update(), "update", &options)?;
//! assert_eq!((report.batch, report.periods_split), (2, 3));
//! drop(writer);
//!
//! let store = Store::open(&root)?; // readers take no lock
//! let all = sample::trail().into_iter().chain(sample::update());
//! assert_eq!(store.master()?, SecurityMaster::build(all)?);
//! assert_eq!(store.master_after(1)?, SecurityMaster::build(sample::trail())?);
//! assert_eq!(store.batches()[1].sources(), ["update"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layout
//!
//! ```text
//! STORE/
//!   manifest.json          what the committed state is made of (replaced atomically)
//!   writer.lock            held (flock) by the one writer at a time
//!   commit-000008.lock     while a writer works: its claim on the generation it commits
//!   log/000001.parquet     batch 1's facts, as they arrived; never rewritten
//!   log/000002.parquet     ...
//!   state/000005.parquet   every security's facts in force as of a batch (generation 5)
//!   state/000005.blocks    the XXH3-64 digests of the state file's 1 KiB blocks
//!   table/000005.parquet   the SCD-2 table as of generation 5
//!   table/000007.parquet   the rows generation 7 changed
//! ```
//!
//! - **Log segments** (`log/NNNNNN.parquet`, one per batch, named by batch number) hold the
//!   batch's facts in arrival order: `security_id, effective_date, attribute`, the value in
//!   the one of `value_bool, value_int, value_float, value_str, value_date` matching its
//!   type (all null for a retraction), and `batch`.
//! - **The state file** (`state/`, at most one) holds the facts in force as of a batch the
//!   manifest names — per `(security, attribute, date)` the one that arrived last — in the
//!   same columns, sorted by security, with the batch that set each. The facts of later
//!   batches are only in their log segments: the current facts are the state file's
//!   overlaid with those, key by key, the later arrival winning (rule 5).
//! - **Table files** (`table/`) hold the SCD-2 table exactly as `secmaster build -o
//!   x.parquet` writes it. An ingest writes one table file holding, of each security the
//!   batch touched, its rows from the last one that starts before the batch's earliest fact
//!   of it (whose end may change) on. So a security's current rows are those in the newest
//!   table file that holds it, and before them its earlier rows from older files.
//! - State and table files are named by the *generation* (commit number) that wrote them.
//!   When the table's delta files or the log segments since the state file grow past a
//!   share of the whole, the ingest compacts: it writes a new state file and one table file
//!   for every security.
//! - **The manifest** lists the batches (number, commit time, sources, fact count, the
//!   digest of its facts, log file), the state file and the batch it holds facts through,
//!   and the table files in generation order, each with its XXH3-64 checksum and length
//!   (the state file's also with its block digests' file), and the table's schema. Every
//!   path it lists must be `FOLDER/NAME` in the store's folders ([`Error::OutsidePath`]).
//!   It is written to a temporary file, synced, and renamed over `manifest.json`, so a
//!   crash at any instant leaves the last committed state; files it does not list are
//!   leftovers, removed by the next writer — only those named as the store names its
//!   files (and its `.secmaster-*.tmp` files): what else is in its folders stays.
//! - **Claims** (`commit-NNNNNN.lock`) make the commit a compare-and-swap: a writer that
//!   read generation `g` claims `g + 1` (creates the file, holds a `flock` on it) and,
//!   holding it, checks that the manifest is still `g` when it starts and again right
//!   before the rename. So a second writer that started from `g` — `writer.lock` removed
//!   while the first ran — is refused ([`Error::Claimed`] or [`Error::Conflict`]) and
//!   commits nothing, and no batch is lost.
//! - **After the rename** the commit stands: a failure to sync the folder or to remove a
//!   superseded file is a [`Warning`] in the report, not an error, so that a caller does
//!   not retry a committed batch; and a batch whose facts are exactly the last batch's is
//!   refused ([`Error::Duplicate`]) unless [`IngestOptions::with_allow_duplicate`].
//!
//! Another tool reads the committed state through exactly the files the manifest lists,
//! never a glob of a folder, which would also find the files of an ingest that failed before
//! its commit: [`Store::duckdb_views`] prints DuckDB views that do so.
//!
//! # Features
//!
//! - `fault-injection` (off by default): builds the crash hook of the crash-safety tests,
//!   `CRASH_AFTER`: an ingest then aborts the process after the step an environment
//!   variable names. Release builds leave it off; the command line's tests turn it on.
//!
//! # Rules
//!
//! The store's table always equals a build of its log, batch after batch (DESIGN.md rule 6),
//! and [`Store::master_after`] rebuilds the table as it stood after any batch. The current
//! facts are the state file's overlaid with the later log segments in arrival order, so a
//! merge in that order does the overlay (rule 5).
#![deny(missing_docs)]

mod checked;
mod checksum;
mod claim;
mod compact;
mod duckdb;
mod error;
mod facts;
mod fault;
mod ingest;
mod known;
mod lock;
mod manifest;
mod read;
mod segment;

pub use checksum::Checksum;
pub use error::{Error, Result, Warning};
#[cfg(feature = "fault-injection")]
pub use fault::{CRASH_AFTER, FAIL, PAUSE_AT, PAUSE_FILE};
pub use ingest::{Compaction, IngestOptions, IngestReport};
pub use known::{KnownAt, NotKnown};
pub use lock::Writer;
pub use manifest::Batch;
pub use read::{Store, Verified};
