//! A persistent security master: an append-only log of fact batches, and the table they
//! make, kept up to date batch by batch in a directory any Arrow tool can read.
//!
//! # Layout
//!
//! ```text
//! STORE/
//!   manifest.json          what the committed state is made of (replaced atomically)
//!   writer.lock            held (flock) by the one writer at a time
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
//! - **The manifest** lists the batches (number, commit time, sources, fact count, log
//!   file), the state file and the batch it holds facts through, and the table files in
//!   generation order, each with its XXH3-64 checksum and length (the state file's also
//!   with its block digests' file), and the table's schema.
//!   It is written to a temporary file, synced, and renamed over `manifest.json`, so a
//!   crash at any instant leaves the last committed state; files it does not list are
//!   leftovers, removed by the next writer.
//!
//! Reading the current table from another tool (DuckDB):
//!
//! ```sql
//! WITH t AS (
//!   SELECT * FROM read_parquet('STORE/table/*.parquet', filename = true, union_by_name = true)
//! ), firsts AS (
//!   SELECT security_id, filename, min(effective_start_date) AS first FROM t GROUP BY ALL
//! ), bounds AS (
//!   SELECT security_id, filename,
//!          min(first) OVER (PARTITION BY security_id ORDER BY filename DESC
//!                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS bound
//!   FROM firsts
//! )
//! SELECT t.* EXCLUDE (filename) FROM t JOIN bounds USING (security_id, filename)
//! WHERE bound IS NULL OR effective_start_date < bound;
//! ```
//!
//! # Rules
//!
//! The store's table always equals a build of its log, batch after batch (DESIGN.md rule 6),
//! and [`Store::master_after`] rebuilds the table as it stood after any batch. A batch is
//! validated whole before anything is written: a refused batch leaves every file of the
//! store as it was.

#![deny(missing_docs)]

mod checksum;
mod error;
mod segment;

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use secmaster_core::{Column, Fact, KEY_COLUMNS, Options, SecurityMaster, Table, Value, ValueType};
use serde::{Deserialize, Serialize};

pub use checksum::Checksum;
use checksum::{Blocks, HashingWriter};
pub use error::{Error, Result};
use secmaster_io::{ReadOptions, TableSchema, atomic};
use segment::{Kind, Stamped};

/// The manifest's file name in a store.
pub const MANIFEST: &str = "manifest.json";
const LOCK: &str = "writer.lock";
const FORMAT: &str = "secmaster-store";
const VERSION: u32 = 2;
/// Compact once the table's delta files hold more than this share of the rows of its base
/// file, or the log segments since the state file more than this share of its facts.
///
/// A compaction costs about a build of the whole store; an ingest consults every delta
/// file and every log segment since the state file (a millisecond or so each: footer,
/// bloom filter, a few pages). The limits trade one against the other: at 10M facts,
/// 1,000-fact batches make table deltas of about 1% of the base each, so this share
/// compacts every ~50 ingests (BENCHMARKS.md, "Store ingest").
const COMPACT_SHARE: f64 = 0.5;
/// ... or once there would be this many table files, or log segments since the state file.
const COMPACT_FILES: usize = 64;
/// Deltas smaller than this (in rows or facts) never compact by their share: a small store
/// reads its few log segments whole faster than it would rewrite itself.
const COMPACT_MIN_ROWS: u64 = 100_000;
/// A log segment up to this size is read whole when a few securities' facts are wanted
/// (and checked whole): cheaper than the page index and page reads of a partial read.
const READ_WHOLE_BYTES: u64 = 4 << 20;
/// The environment variable of the crash-safety tests: set to `log`, `files` or
/// `manifest`, an ingest aborts the process right after that step.
pub const CRASH_AFTER: &str = "SECMASTER_STORE_CRASH_AFTER";

/// One committed batch, as the manifest records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// The batch number: 1 for the first, one more for each next.
    pub number: u64,
    /// When the batch was committed (UTC, RFC 3339).
    pub committed_at: DateTime<Utc>,
    /// The files the batch was read from, as given.
    pub sources: Vec<String>,
    /// How many facts it held.
    pub facts: u64,
    /// Its log segment.
    pub log: FileEntry,
}

/// A file of the store: its path under the store's root, rows and checksum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    /// The path relative to the store's root, with `/` separators.
    pub path: String,
    /// The rows it holds.
    pub rows: u64,
    /// Its checksum and length.
    #[serde(flatten)]
    pub checksum: Checksum,
    /// The digests of its blocks, for a file read in small parts (the state file): an
    /// ingest checks just the blocks it reads. Absent, readers check the whole file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocks: Option<BlocksEntry>,
}

/// The file of a [`FileEntry`]'s block digests: the XXH3-64 of each consecutive block of
/// `block_bytes` bytes of the file, as little-endian `u64`s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlocksEntry {
    /// The path relative to the store's root, with `/` separators.
    pub path: String,
    /// The size of a block (the file's last block may be shorter).
    pub block_bytes: u64,
    /// The digest file's own checksum and length.
    #[serde(flatten)]
    pub checksum: Checksum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    /// Bumped by every commit; names the state and table files it writes.
    generation: u64,
    /// The table's schema, as [`TableSchema::to_json`] writes it.
    schema: serde_json::Value,
    batches: Vec<Batch>,
    /// The facts in force as of batch `state_through`, every security's (none before the
    /// first compaction). Later batches' facts are in their log segments.
    state: Option<FileEntry>,
    /// The last batch the state file holds (0: none).
    state_through: u64,
    /// Table files, oldest generation first; a security's rows are in the newest that
    /// holds it.
    table: Vec<FileEntry>,
}

impl Manifest {
    /// The batches after the state file's, whose facts are only in their log segments.
    fn batches_since_state(&self) -> &[Batch] {
        let first = self
            .batches
            .partition_point(|b| b.number <= self.state_through);
        &self.batches[first..]
    }
}

/// How [`Store::ingest`] goes about it.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// How the batch's files are read (their date layout).
    pub read: ReadOptions,
    /// Wait for another writer to finish instead of failing.
    pub wait: bool,
    /// Say what the batch would change without writing anything.
    pub dry_run: bool,
    /// Whether to compact after the batch: `None` decides by the size of the deltas (the
    /// default); `Some(true)` always, `Some(false)` never.
    pub compact: Option<bool>,
}

/// What a batch changed (or, for a dry run, would change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    /// The batch's number.
    pub batch: u64,
    /// Whether this was a dry run (nothing written).
    pub dry_run: bool,
    /// The batch's facts.
    pub facts: u64,
    /// The securities it touched.
    pub securities: u64,
    /// Of those, the ones new to the store.
    pub new_securities: u64,
    /// Periods added before a security's first period (new securities' included).
    pub periods_added: u64,
    /// Existing periods split in two by a new start date.
    pub periods_split: u64,
    /// Existing periods whose values changed.
    pub periods_changed: u64,
    /// Attribute columns the batch added.
    pub new_columns: Vec<String>,
    /// Columns it widened from int to float.
    pub widened_columns: Vec<String>,
    /// Whether the ingest rewrote the state and table whole (compaction).
    pub compacted: bool,
}

/// A store opened for reading: its committed manifest. Reading never blocks and never
/// sees a half-written batch.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    manifest: Manifest,
    schema: TableSchema,
}

fn write_error(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// [`write_error`] as io's error, for the writers [`atomic::write_file`] runs.
fn io_write_error(path: &Path) -> impl Fn(std::io::Error) -> secmaster_io::Error + '_ {
    move |source| secmaster_io::Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Syncs a directory, so that the renames in it survive a crash.
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(write_error(dir))
}

/// The test hook of [`CRASH_AFTER`].
fn crash_point(step: &str) {
    if std::env::var(CRASH_AFTER).is_ok_and(|v| v == step) {
        std::process::abort();
    }
}

impl Store {
    /// Runs `read` on the committed state of the store at `root`; if a writer commits
    /// meanwhile and removes a file `read` needed, runs it again on the new state.
    pub fn read<T>(root: impl AsRef<Path>, read: impl Fn(&Store) -> Result<T>) -> Result<T> {
        let root = root.as_ref();
        for _ in 0..8 {
            let store = Store::open(root)?;
            match read(&store) {
                Err(Error::Read { ref source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound => {}
                done => return done,
            }
        }
        read(&Store::open(root)?)
    }

    /// Whether `path` is a store's directory (it holds a manifest).
    pub fn is_store(path: impl AsRef<Path>) -> bool {
        path.as_ref().join(MANIFEST).is_file()
    }

    /// Creates an empty store at `root`, which must not exist or be an empty directory.
    pub fn init(root: impl AsRef<Path>, options: &Options) -> Result<Store> {
        let root = root.as_ref();
        if root.exists() {
            let empty = std::fs::read_dir(root)
                .map_err(|source| Error::Read {
                    path: root.to_path_buf(),
                    source,
                })?
                .next()
                .is_none();
            if !empty {
                return Err(Error::NotEmpty {
                    path: root.to_path_buf(),
                });
            }
        }
        for dir in ["", "log", "state", "table"] {
            std::fs::create_dir_all(root.join(dir)).map_err(write_error(&root.join(dir)))?;
        }
        let master = SecurityMaster::new(options.clone());
        let schema = TableSchema::of_master(&master);
        let manifest = Manifest {
            format: FORMAT.to_string(),
            version: VERSION,
            generation: 0,
            schema: schema_json(&schema),
            batches: Vec::new(),
            state: None,
            state_through: 0,
            table: Vec::new(),
        };
        std::fs::write(root.join(LOCK), b"").map_err(write_error(&root.join(LOCK)))?;
        write_manifest(root, &manifest)?;
        Store::open(root)
    }

    /// Opens the store at `root`: reads its committed manifest.
    pub fn open(root: impl AsRef<Path>) -> Result<Store> {
        let root = root.as_ref();
        let path = root.join(MANIFEST);
        if !path.is_file() {
            return Err(Error::NotAStore {
                path: root.to_path_buf(),
            });
        }
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        let unreadable = |source| Error::Manifest {
            path: path.clone(),
            source,
        };
        let mut value: serde_json::Value = serde_json::from_str(&text).map_err(unreadable)?;
        upgrade(&mut value);
        let manifest: Manifest = serde_json::from_value(value).map_err(unreadable)?;
        if manifest.format != FORMAT || manifest.version != VERSION {
            return Err(Error::Version {
                path,
                format: manifest.format,
                version: manifest.version,
                expected_format: FORMAT,
                expected_version: VERSION,
            });
        }
        let schema = TableSchema::from_json(&manifest.schema.to_string(), &path)?;
        Ok(Store {
            root: root.to_path_buf(),
            manifest,
            schema,
        })
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The committed batches, oldest first.
    pub fn batches(&self) -> &[Batch] {
        &self.manifest.batches
    }

    /// The number of the last committed batch (0 for an empty store).
    pub fn last_batch(&self) -> u64 {
        self.manifest.batches.last().map_or(0, |b| b.number)
    }

    /// The table's columns, keys included.
    pub fn columns(&self) -> &[Column] {
        self.schema.columns()
    }

    /// The options (attribute priority) the store orders its columns by.
    pub fn options(&self) -> Options {
        self.schema.options()
    }

    /// The state file and the table files of the committed state, oldest generation first.
    pub fn files(&self) -> impl Iterator<Item = &FileEntry> {
        self.manifest.state.iter().chain(&self.manifest.table)
    }

    /// Checks every file the committed state lists — log segments, state and table files —
    /// against its checksum and length, reading each once, and returns how many files and
    /// bytes were checked. The first mismatch is an error naming the file.
    pub fn verify(&self) -> Result<(usize, u64)> {
        let mut files = 0;
        let mut bytes = 0;
        for entry in self
            .manifest
            .batches
            .iter()
            .map(|b| &b.log)
            .chain(self.files())
        {
            let digests = entry.blocks.as_ref().map(|b| (&b.path, &b.checksum));
            for (path, checksum) in std::iter::once((&entry.path, &entry.checksum)).chain(digests) {
                checksum.check(&self.root.join(path))?;
                files += 1;
                bytes += checksum.bytes;
            }
        }
        Ok((files, bytes))
    }

    /// The last batch committed at or before `time` (0: none was).
    pub fn batch_at(&self, time: DateTime<Utc>) -> u64 {
        self.manifest
            .batches
            .iter()
            .take_while(|b| b.committed_at <= time)
            .last()
            .map_or(0, |b| b.number)
    }

    fn attribute_columns(&self) -> impl Iterator<Item = Column> + '_ {
        self.columns()[KEY_COLUMNS.len()..].iter().cloned()
    }

    fn empty_master(&self) -> Result<SecurityMaster> {
        SecurityMaster::with_columns(self.options(), self.attribute_columns())
            .map_err(|e| self.corrupt(MANIFEST, e))
    }

    fn no_batch(&self, batch: u64) -> Error {
        Error::NoSuchBatch {
            path: self.root.clone(),
            batch,
            last: self.last_batch(),
        }
    }

    fn corrupt(&self, file: &str, source: secmaster_core::Error) -> Error {
        Error::Inconsistent {
            path: self.root.join(file),
            source,
        }
    }

    /// The facts of the securities `ids` (sorted; all when `None`) as known after batch
    /// `through`, in arrival order, each with its batch: first the state file's (the facts
    /// in force as of its batch, one per key), then each later batch's from its log
    /// segment. Merged in this order, they give the master as of `through`;
    /// [`Read::in_force`] keeps the last of each key.
    ///
    /// Every byte used is checked. Read whole, a file is checked whole. For a few
    /// securities, the state file's pages that hold them are read (on two threads, half its
    /// row groups each), and each block read is checked against its digest; the log
    /// segments, on a third thread, are read whole unless large. A large file without block
    /// digests is read in part while another thread streams it through its checksum; a
    /// mismatch is the error even if the read failed first.
    fn facts_of(&self, ids: Option<&[i64]>, through: u64) -> Result<Read> {
        // As of the last batch: the state file and the log since. As of an earlier one: the
        // log alone, as `master_after` reads it.
        let (state, logs) = if through >= self.last_batch() {
            (
                self.manifest.state.as_ref(),
                self.manifest.batches_since_state(),
            )
        } else {
            let end = self
                .manifest
                .batches
                .partition_point(|b| b.number <= through);
            (None, &self.manifest.batches[..end])
        };
        let path = |e: &FileEntry| self.root.join(&e.path);
        let logs = logs.iter().map(|b| &b.log);
        let Some(ids) = ids else {
            let state = match state {
                Some(e) => segment::read(&path(e), &e.checksum, None, 2)?,
                None => Vec::new(),
            };
            let later = logs
                .map(|e| segment::read(&path(e), &e.checksum, None, 1))
                .collect::<Result<Vec<_>>>()?;
            return Ok(Read {
                state,
                later: later.into_iter().flatten().collect(),
            });
        };
        let blocks = state.map(|e| self.blocks_of(e)).transpose()?.flatten();
        let whole = |e: &FileEntry| e.checksum.bytes <= READ_WHOLE_BYTES;
        let unchecked: Vec<&FileEntry> = state
            .filter(|_| blocks.is_none())
            .into_iter()
            .chain(logs.clone().filter(|e| !whole(e)))
            .collect();
        std::thread::scope(|scope| {
            let check = (!unchecked.is_empty()).then(|| {
                scope.spawn(|| {
                    unchecked
                        .iter()
                        .try_for_each(|e| e.checksum.check(&path(e)))
                })
            });
            // The log segments on a thread of their own, beside the state file's two.
            let later = scope.spawn(|| {
                let mut later = Vec::new();
                for e in logs {
                    later.extend(if whole(e) {
                        segment::read(&path(e), &e.checksum, Some(ids), 1)?
                    } else {
                        segment::read_some(&path(e), &e.checksum, None, ids, 1)?
                    });
                }
                Ok(later)
            });
            let state = match state {
                Some(e) => segment::read_some(&path(e), &e.checksum, blocks, ids, 2),
                None => Ok(Vec::new()),
            };
            let later = later.join().expect("a read does not panic");
            let read = state.and_then(|state| later.map(|later| Read { state, later }));
            if let Some(check) = check {
                check.join().expect("a checksum does not panic")?;
            }
            read
        })
    }

    /// The digests of the blocks of the file `entry`, read and checked, if it has them. A
    /// missing digest file reads as none: the file's own checksum stands in for it.
    fn blocks_of(&self, entry: &FileEntry) -> Result<Option<Arc<Blocks>>> {
        let Some(blocks) = &entry.blocks else {
            return Ok(None);
        };
        let path = self.root.join(&blocks.path);
        let bytes = match blocks.checksum.read(&path) {
            Err(Error::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Ok(None);
            }
            read => read?,
        };
        let size = usize::try_from(blocks.block_bytes).unwrap_or(0);
        match Blocks::from_bytes(size, &bytes, entry.checksum.bytes) {
            Some(b) => Ok(Some(Arc::new(b))),
            None => Err(Error::Digests {
                path,
                of: entry.path.clone(),
            }),
        }
    }

    /// The current master, derived from the state file and the log segments since it (not
    /// by replaying the whole log).
    pub fn master(&self) -> Result<SecurityMaster> {
        let mut master = self.empty_master()?;
        let facts = self.facts_of(None, self.last_batch())?;
        master
            .merge_parts(facts.halves())
            .map_err(|e| self.corrupt("state", e))?;
        Ok(master)
    }

    /// The current table, read from the table files (each checked against its checksum),
    /// not derived again: what another tool reading `table/` sees.
    pub fn table(&self) -> Result<Table> {
        let columns = self.columns().to_vec();
        let mut parts: Vec<Vec<Vec<Value>>> = Vec::new();
        for entry in self.manifest.table.iter().rev() {
            let path = self.root.join(&entry.path);
            let bytes = entry.checksum.read(&path)?;
            let part = secmaster_io::parquet::read_bytes(bytes, &path)?;
            // The file's column for each of the table's (a column it predates is null).
            let from: Vec<Option<usize>> = columns
                .iter()
                .map(|c| part.column_index(c.name()))
                .collect();
            let mut rows = Vec::with_capacity(part.num_rows());
            for row in part.rows() {
                let row: Vec<Value> = from
                    .iter()
                    .zip(&columns)
                    .map(|(i, c)| {
                        let mut v = i.map_or(Value::Null, |i| row[i].clone());
                        v.widen(c.value_type()); // an int column since widened to float
                        v
                    })
                    .collect();
                if !matches!((&row[0], &row[1]), (Value::Int(_), Value::Date(_))) {
                    return Err(Error::TableRow { path });
                }
                rows.push(row);
            }
            parts.push(rows);
        }
        let key = |row: &Vec<Value>| match (&row[0], &row[1]) {
            (Value::Int(id), Value::Date(start)) => (*id, *start),
            _ => unreachable!("checked above"),
        };
        let mut rows = newest_wins(parts, key);
        rows.sort_by(|a, b| (&a[0], &a[1]).cmp(&(&b[0], &b[1])));
        Table::new(columns, KEY_COLUMNS.len(), rows).map_err(|e| self.corrupt("table", e))
    }

    /// The master exactly as it stood after batch `batch` (0: empty): a build of the log's
    /// segments up to that batch, each checked against its checksum.
    pub fn master_after(&self, batch: u64) -> Result<SecurityMaster> {
        if batch > self.last_batch() {
            return Err(self.no_batch(batch));
        }
        let mut master = SecurityMaster::new(self.options());
        for b in self
            .manifest
            .batches
            .iter()
            .take_while(|b| b.number <= batch)
        {
            let path = self.root.join(&b.log.path);
            let facts = segment::read(&path, &b.log.checksum, None, 1)?;
            master
                .merge(facts.into_iter().flatten().map(|(f, _)| f))
                .map_err(|e| self.corrupt(&b.log.path, e))?;
        }
        Ok(master)
    }

    /// One security's periods, cell by cell, with the fact in force that set each value
    /// and that fact's batch: `effective_start_date, effective_end_date, attribute, value`
    /// (as text), `value_type, set_on, batch`.
    pub fn lineage(&self, security_id: i64) -> Result<Table> {
        self.lineage_after(security_id, self.last_batch())
    }

    /// [`Store::lineage`] as the store stood after batch `batch` (read from the log, as
    /// [`Store::master_after`] reads it, unless `batch` is the last).
    pub fn lineage_after(&self, security_id: i64, batch: u64) -> Result<Table> {
        if batch > self.last_batch() {
            return Err(self.no_batch(batch));
        }
        let facts = self.facts_of(Some(&[security_id]), batch)?.in_force();
        let batch_of: HashMap<(&str, NaiveDate), u64> = facts
            .iter()
            .map(|(f, b)| ((f.attribute(), f.effective_date()), *b))
            .collect();
        let mut master = self.empty_master()?;
        master
            .merge(facts.iter().map(|(f, _)| f.clone()))
            .map_err(|e| self.corrupt("state", e))?;
        let rows = master
            .sources(security_id)
            .into_iter()
            .map(|s| {
                let batch = batch_of[&(s.attribute(), s.set_on())];
                vec![
                    Value::Date(s.start()),
                    s.end().map_or(Value::Null, Value::Date),
                    Value::from(s.attribute()),
                    if s.value().is_null() {
                        Value::Null
                    } else {
                        Value::from(s.value().to_string())
                    },
                    Value::from(s.value().value_type().map_or("null", ValueType::name)),
                    Value::Date(s.set_on()),
                    Value::Int(batch as i64),
                ]
            })
            .collect();
        let date = Some(ValueType::Date);
        let text = Some(ValueType::Str);
        let columns = vec![
            Column::new("effective_start_date", date),
            Column::new("effective_end_date", date),
            Column::new("attribute", text),
            Column::new("value", text),
            Column::new("value_type", text),
            Column::new("set_on", date),
            Column::new("batch", Some(ValueType::Int)),
        ];
        Table::new(columns, 2, rows).map_err(|e| self.corrupt("state", e))
    }

    /// Appends one batch — the facts of `files`, in order, as one batch — and brings the
    /// table up to date: only the securities the batch touches are re-derived and written.
    ///
    /// The batch is read and checked whole first (a malformed file, a type conflict with
    /// the store, an empty attribute): on any error nothing is written. Then its log
    /// segment, the new state and table files, and last the manifest are written; a crash
    /// before the manifest's rename leaves the store as it was.
    pub fn ingest(
        root: impl AsRef<Path>,
        files: &[PathBuf],
        options: &IngestOptions,
    ) -> Result<IngestReport> {
        Store::ingest_with(root.as_ref(), options, |store| {
            // Text values take the column types so far where they fit: the store's, then
            // those the batch's earlier files add, as `build` types a list of files.
            let mut columns = store.columns().to_vec();
            let mut batch: Vec<Fact> = Vec::new();
            for file in files {
                let read = options.read.clone().with_columns(columns.clone());
                let facts = secmaster_io::facts::read(file, &read)?;
                columns = columns_after(columns, &facts);
                batch.extend(facts);
            }
            let sources = files.iter().map(|f| f.display().to_string()).collect();
            Ok((batch, sources))
        })
    }

    /// [`Store::ingest`] for facts in hand; `source` is what the log records they came from.
    pub fn ingest_facts(
        root: impl AsRef<Path>,
        facts: Vec<Fact>,
        source: &str,
        options: &IngestOptions,
    ) -> Result<IngestReport> {
        Store::ingest_with(root.as_ref(), options, |_| {
            Ok((facts, vec![source.to_string()]))
        })
    }

    fn ingest_with(
        root: &Path,
        options: &IngestOptions,
        take: impl FnOnce(&Store) -> Result<(Vec<Fact>, Vec<String>)>,
    ) -> Result<IngestReport> {
        let _lock = WriterLock::acquire(root, options.wait)?;
        let store = Store::open(root)?;
        remove_leftovers(root, &store.manifest)?;
        let (batch, sources) = take(&store)?;
        let number = store.last_batch() + 1;
        // The touched securities, each with the first date the batch has a fact of it on.
        let mut firsts: Vec<(i64, NaiveDate)> = batch
            .iter()
            .map(|f| (f.security_id(), f.effective_date()))
            .collect();
        firsts.sort_unstable();
        firsts.dedup_by_key(|&mut (id, _)| id);
        let ids: Vec<i64> = firsts.iter().map(|&(id, _)| id).collect();

        // The touched securities' master before the batch, and after it.
        let old = store.facts_of(Some(&ids), store.last_batch())?;
        let mut before = store.empty_master()?;
        before
            .merge_parts(old.halves())
            .map_err(|e| store.corrupt("state", e))?;
        let mut after = before.clone();
        after
            .merge(batch.iter().cloned())
            .map_err(|source| Error::Rejected {
                path: root.to_path_buf(),
                source,
            })?;
        let Diff {
            mut report,
            since,
            rows,
        } = diff(&before, &after, &firsts);
        drop(before);
        report.batch = number;
        report.facts = batch.len() as u64;
        report.dry_run = options.dry_run;
        if options.dry_run {
            return Ok(report);
        }

        // The log segment: the batch as it arrived.
        let log_path = format!("log/{number:06}.parquet");
        let stamped: Vec<Stamped> = batch.into_iter().map(|f| (f, number)).collect();
        let log = FileEntry {
            checksum: segment::write(&root.join(&log_path), &stamped, Kind::Log)?.0,
            rows: stamped.len() as u64,
            path: log_path,
            blocks: None,
        };
        crash_point("log");

        let mut manifest = store.manifest.clone();
        manifest.generation += 1;
        manifest.batches.push(Batch {
            number,
            committed_at: now(),
            sources,
            facts: log.rows,
            log,
        });
        let compact = options.compact.unwrap_or_else(|| {
            let table_base = manifest.table.first().map_or(0, |e| e.rows);
            let table_deltas = manifest.table.iter().skip(1).map(|e| e.rows).sum::<u64>() + rows;
            let state = manifest.state.as_ref().map_or(0, |e| e.rows);
            let since = manifest.batches_since_state();
            let logged = since.iter().map(|b| b.facts).sum::<u64>();
            let more = |rows: u64, than: u64| {
                rows >= COMPACT_MIN_ROWS && rows as f64 > COMPACT_SHARE * than as f64
            };
            manifest.table.len() + 1 > COMPACT_FILES
                || since.len() > COMPACT_FILES
                || (!manifest.table.is_empty() && more(table_deltas, table_base))
                || more(logged, state)
        });
        // The first state file of a store is not a compaction: there was nothing to fold.
        let first_state = store.holds_no_facts();
        report.compacted = compact && !first_state;
        manifest.schema = schema_json(&TableSchema::of_master(&after));
        if compact {
            let (state, table) = if first_state {
                // Every fact in force is this batch's, and `after` is the whole master.
                drop(stamped);
                let state: Vec<Stamped> = after.facts().map(|f| (f, number)).collect();
                write_generation(root, manifest.generation, Some(&state), &after, None)?
            } else {
                drop(after);
                let mut facts = store.facts_of(None, store.last_batch())?;
                facts.later.push(stamped);
                store.write_whole(manifest.generation, facts)?
            };
            manifest.state = state;
            manifest.state_through = number;
            manifest.table = vec![table];
        } else {
            // The table delta: each touched security's rows from the one before the batch's
            // first date on (that row's end may have changed).
            let delta = Some((&since[..], rows));
            let (_, table) = write_generation(root, manifest.generation, None, &after, delta)?;
            manifest.table.push(table);
        }
        crash_point("files");
        commit(root, &manifest)?;
        Ok(report)
    }

    /// Whether the store holds no fact yet (no state file, no batch with facts).
    fn holds_no_facts(&self) -> bool {
        self.manifest.state.is_none() && self.manifest.batches.iter().all(|b| b.facts == 0)
    }

    /// Writes generation `generation`'s state and table files for every security, from the
    /// facts in force of `facts`.
    fn write_whole(&self, generation: u64, facts: Read) -> Result<(Option<FileEntry>, FileEntry)> {
        let mut state = facts.in_force();
        let mut master = self.empty_master()?;
        let (first, second) = state.split_at(state.len() / 2);
        let fact = |(f, _): &Stamped| f.clone();
        master
            .merge_parts(vec![first.iter().map(fact), second.iter().map(fact)])
            .map_err(|e| self.corrupt("state", e))?;
        state.sort_by_key(|(f, _)| f.security_id());
        write_generation(&self.root, generation, Some(&state), &master, None)
    }

    /// Folds the log segments since the state file into a new one, and the table's delta
    /// files into one file. Readers of the table from other tools then see one plain file;
    /// the content does not change.
    pub fn compact(root: impl AsRef<Path>, wait: bool) -> Result<()> {
        let root = root.as_ref();
        let _lock = WriterLock::acquire(root, wait)?;
        let store = Store::open(root)?;
        remove_leftovers(root, &store.manifest)?;
        if store.manifest.table.len() <= 1 && store.manifest.batches_since_state().is_empty() {
            return Ok(());
        }
        let mut manifest = store.manifest.clone();
        manifest.generation += 1;
        let facts = store.facts_of(None, store.last_batch())?;
        let (state, table) = store.write_whole(manifest.generation, facts)?;
        manifest.state = state;
        manifest.state_through = store.last_batch();
        manifest.table = vec![table];
        commit(root, &manifest)
    }
}

/// Reads a version 1 manifest as version 2. Version 1 kept state files of only the
/// securities each commit touched (newest wins per security); version 2 keeps at most one,
/// of every security, and reads later batches from their log segments. Its log segments and
/// table files mean the same in both, so a version 1 store reads as one whose state file
/// holds nothing yet: every fact comes from the log, and the next writer's compaction writes
/// the state file (and removes the old ones as leftovers).
fn upgrade(manifest: &mut serde_json::Value) {
    if manifest["format"] == FORMAT && manifest["version"] == 1 {
        manifest["version"] = VERSION.into();
        manifest["state"] = serde_json::Value::Null;
        manifest["state_through"] = 0.into();
    }
}

/// Removes what no committed state refers to: files of an ingest that crashed before
/// its commit, files a compaction replaced, temporary files. Only a writer calls this.
fn remove_leftovers(root: &Path, manifest: &Manifest) -> Result<()> {
    let keep: HashSet<PathBuf> = manifest
        .state
        .iter()
        .chain(&manifest.table)
        .chain(manifest.batches.iter().map(|b| &b.log))
        .flat_map(|e| std::iter::once(&e.path).chain(e.blocks.as_ref().map(|b| &b.path)))
        .map(|path| root.join(path))
        .collect();
    for dir in ["log", "state", "table"] {
        let dir = root.join(dir);
        let entries = std::fs::read_dir(&dir).map_err(|source| Error::Read {
            path: dir.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file() && !keep.contains(&path) {
                std::fs::remove_file(&path).map_err(write_error(&path))?;
            }
        }
    }
    // A manifest's temporary file, from a crash while it was written.
    let entries = std::fs::read_dir(root).map_err(|source| Error::Read {
        path: root.to_path_buf(),
        source,
    })?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(".secmaster-") && name.ends_with(".tmp") {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(write_error(&path))?;
        }
    }
    Ok(())
}

/// Commits `manifest` (the test hook's last step), then removes what it no longer lists.
fn commit(root: &Path, manifest: &Manifest) -> Result<()> {
    write_manifest(root, manifest)?;
    crash_point("manifest");
    remove_leftovers(root, manifest)
}

/// A schema as the manifest holds it: a JSON value, not a string.
fn schema_json(schema: &TableSchema) -> serde_json::Value {
    serde_json::from_str(&schema.to_json()).expect("a schema is JSON")
}

/// Of table files' rows, listed newest file first and keyed by `(security, start)`, the
/// current ones: from each file, a security's rows that start before all of its rows in
/// newer files. (An ingest writes each security it touched from some row on, every row
/// from there; a compaction writes every row.)
fn newest_wins<T>(files: Vec<Vec<T>>, key: impl Fn(&T) -> (i64, NaiveDate)) -> Vec<T> {
    // Per security, the first start of its rows in the files taken so far.
    let mut bound: HashMap<i64, NaiveDate> = HashMap::new();
    let mut out = Vec::new();
    for rows in files {
        let mut firsts: HashMap<i64, NaiveDate> = HashMap::new();
        for row in rows {
            let (id, start) = key(&row);
            let first = firsts.entry(id).or_insert(start);
            *first = (*first).min(start);
            if bound.get(&id).is_none_or(|&b| start < b) {
                out.push(row);
            }
        }
        for (id, first) in firsts {
            let b = bound.entry(id).or_insert(first);
            *b = (*b).min(first);
        }
    }
    out
}

/// Facts read from a store, each with its batch: the state file's (one per key, in one
/// or more parts), then each later batch's in arrival order.
struct Read {
    state: Vec<Vec<Stamped>>,
    later: Vec<Vec<Stamped>>,
}

impl Read {
    /// Every fact in two parts of about the same size, the first arrived before the second,
    /// for [`SecurityMaster::merge_parts`].
    fn halves(self) -> Vec<impl Iterator<Item = Fact> + Send> {
        let mut parts: Vec<Vec<Stamped>> = self.state.into_iter().chain(self.later).collect();
        let total: usize = parts.iter().map(Vec::len).sum();
        // The first part: whole lists while they fit in half.
        let (mut first, mut rows) = (0, 0);
        while first < parts.len() && rows + parts[first].len() <= total / 2 {
            rows += parts[first].len();
            first += 1;
        }
        let second = parts.split_off(first.max(1).min(parts.len()));
        [parts, second]
            .into_iter()
            .map(|lists| lists.into_iter().flatten().map(|(f, _)| f))
            .collect()
    }

    /// The facts in force: per `(security, attribute, date)` the last to arrive, with its
    /// batch. Only the later batches' keys are hashed.
    fn in_force(self) -> Vec<Stamped> {
        let mut state = concat(self.state);
        let later = concat(self.later);
        if later.is_empty() {
            return state;
        }
        let last: HashMap<(i64, &str, NaiveDate), usize> = later
            .iter()
            .enumerate()
            .map(|(i, (f, _))| (key(f), i))
            .collect();
        let keep: Vec<bool> = later
            .iter()
            .enumerate()
            .map(|(i, (f, _))| last[&key(f)] == i)
            .collect();
        // Most of the state's facts are of securities no later batch touched: a search
        // of the few touched ones settles those without hashing their keys.
        let mut touched: Vec<i64> = later.iter().map(|(f, _)| f.security_id()).collect();
        touched.sort_unstable();
        touched.dedup();
        state.retain(|(f, _)| {
            touched.binary_search(&f.security_id()).is_err() || !last.contains_key(&key(f))
        });
        drop(last);
        state.extend(
            later
                .into_iter()
                .zip(keep)
                .filter_map(|(s, keep)| keep.then_some(s)),
        );
        state
    }
}

/// The lists one after the other, in the first one's allocation: growing a large vector
/// in place touches only its new pages, where copying it to a new one touches them all.
fn concat<T>(lists: Vec<Vec<T>>) -> Vec<T> {
    let mut lists = lists.into_iter();
    let mut all = lists.next().unwrap_or_default();
    for list in lists {
        all.extend(list);
    }
    all
}

/// `columns` with the attributes of `facts` added or widened: the types a merge of `facts`
/// would give (a conflict is left for the merge to report).
fn columns_after(columns: Vec<Column>, facts: &[Fact]) -> Vec<Column> {
    let mut index: HashMap<String, usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name().to_string(), i))
        .collect();
    let mut types: Vec<(String, Option<ValueType>)> = columns
        .iter()
        .map(|c| (c.name().to_string(), c.value_type()))
        .collect();
    for fact in facts {
        let i = *index
            .entry(fact.attribute().to_string())
            .or_insert_with(|| {
                types.push((fact.attribute().to_string(), None));
                types.len() - 1
            });
        if let Some(found) = fact.value().value_type() {
            let ty = &mut types[i].1;
            *ty = match *ty {
                None => Some(found),
                Some(t) => Some(t.unify(found).unwrap_or(t)),
            };
        }
    }
    types
        .into_iter()
        .map(|(name, ty)| Column::new(name, ty))
        .collect()
}

/// Writes generation `generation`'s table file (`master`'s table) and, if given, its state
/// file (`state` sorted by security). A table `delta` holds of each security it names
/// (sorted) only the rows from its date on, so many rows in all; without, every row.
fn write_generation(
    root: &Path,
    generation: u64,
    state: Option<&[Stamped]>,
    master: &SecurityMaster,
    delta: Option<(&[(i64, NaiveDate)], u64)>,
) -> Result<(Option<FileEntry>, FileEntry)> {
    let since = delta.map_or(&[][..], |(since, _)| since);
    let state_path = format!("state/{generation:06}.parquet");
    let table_path = format!("table/{generation:06}.parquet");
    let full = root.join(&table_path);
    // The two files at once: the state file's encoding runs beside the table's.
    let (table_checksum, state_checksum) = std::thread::scope(|scope| {
        let state_file = state.map(|state| {
            scope.spawn(|| {
                let (checksum, blocks) =
                    segment::write(&root.join(&state_path), state, Kind::State)?;
                let blocks = blocks.expect("asked for");
                let path = format!("state/{generation:06}.blocks");
                let bytes = blocks.to_bytes();
                atomic::write_file(&root.join(&path), |w| {
                    use std::io::Write;
                    w.write_all(&bytes)
                        .map_err(io_write_error(&root.join(&path)))
                })?;
                let blocks = BlocksEntry {
                    path,
                    block_bytes: blocks.size() as u64,
                    checksum: Checksum::of(&bytes),
                };
                Ok::<_, Error>((checksum, blocks))
            })
        });
        let mut checksum = None;
        let table = atomic::write_file(&full, |out| {
            let hashing = secmaster_io::parquet::write_master_to(
                HashingWriter::new(out),
                &full,
                master,
                since,
            )?;
            checksum = Some(hashing.finish());
            Ok(())
        });
        let state_checksum = state_file
            .map(|s| s.join().expect("a state file's writer does not panic"))
            .transpose();
        table
            .map_err(Error::from)
            .and(state_checksum)
            .map(|state| (checksum, state))
    })?;
    let state_entry = state
        .zip(state_checksum)
        .map(|(state, (checksum, blocks))| FileEntry {
            checksum,
            rows: state.len() as u64,
            path: state_path,
            blocks: Some(blocks),
        });
    let table_entry = FileEntry {
        checksum: table_checksum.expect("a written file has a checksum"),
        rows: delta.map_or_else(|| master.num_rows() as u64, |(_, rows)| rows),
        path: table_path,
        blocks: None,
    };
    // The renames of this commit's files (the log segment's too) must be durable before
    // the manifest that lists them is.
    for dir in ["log", "state", "table"] {
        sync_dir(&root.join(dir))?;
    }
    Ok((state_entry, table_entry))
}

fn write_manifest(root: &Path, manifest: &Manifest) -> Result<()> {
    let path = root.join(MANIFEST);
    let text = serde_json::to_string_pretty(manifest).expect("a manifest is JSON");
    atomic::write_file(&path, |w| {
        use std::io::Write;
        w.write_all(text.as_bytes()).map_err(io_write_error(&path))
    })?;
    sync_dir(root)
}

/// What a batch changes: the report, and the rows of the table delta: of each security the
/// batch touched, those from `since`'s date on (`rows` in all).
struct Diff {
    report: IngestReport,
    since: Vec<(i64, NaiveDate)>,
    rows: u64,
}

/// What `after` changes against `before` for the securities the batch touched, each with
/// the first date it has a fact of it on (`firsts`, sorted). A security's rows that start
/// before that date are the same in both (their values come from earlier facts), but the
/// last of them may end sooner: the delta holds the securities' rows from that one on.
fn diff(before: &SecurityMaster, after: &SecurityMaster, firsts: &[(i64, NaiveDate)]) -> Diff {
    let old_columns = before.columns();
    let new_columns = after.columns();
    // For each attribute of `after`, its index in `before`.
    let old_index: Vec<Option<usize>> = new_columns[KEY_COLUMNS.len()..]
        .iter()
        .map(|c| {
            old_columns[KEY_COLUMNS.len()..]
                .iter()
                .position(|o| o.name() == c.name())
        })
        .collect();
    let mut report = IngestReport {
        batch: 0,
        dry_run: false,
        facts: 0,
        securities: firsts.len() as u64,
        new_securities: 0,
        periods_added: 0,
        periods_split: 0,
        periods_changed: 0,
        new_columns: Vec::new(),
        widened_columns: Vec::new(),
        compacted: false,
    };
    for (c, old) in new_columns[KEY_COLUMNS.len()..].iter().zip(&old_index) {
        match old {
            None => report.new_columns.push(c.name().to_string()),
            Some(o) if old_columns[KEY_COLUMNS.len() + o].value_type() != c.value_type() => {
                if old_columns[KEY_COLUMNS.len() + o].value_type().is_some() {
                    report.widened_columns.push(c.name().to_string());
                }
            }
            Some(_) => {}
        }
    }
    let mut since = Vec::with_capacity(firsts.len());
    let mut rows = 0;
    for &(id, first) in firsts {
        // Both securities' rows in date order, side by side: each new row either starts
        // where an old one did (changed or not), or before every old one (added), or
        // inside an old one (split).
        let mut old = before.security_cursor(id);
        let mut new = after.security_cursor(id);
        let mut old_row = old.next_row();
        if old_row.is_none() {
            report.new_securities += 1;
        }
        let mut passed = 0u64; // old rows that start before the current new row
        let mut last_before = None; // the last new row that starts before `first`
        while let Some(row) = new.next_row() {
            let start = row.start();
            if start < first {
                last_before = Some(start);
                continue;
            }
            rows += 1;
            while old_row.is_some_and(|o| o.start() < start) {
                passed += 1;
                old_row = old.next_row();
            }
            match old_row {
                Some(o) if o.start() == start => {
                    let changed = old_index.iter().enumerate().any(|(a, i)| {
                        let new = row.attribute(a);
                        match i {
                            Some(i) => !same(o.attribute(*i), new),
                            None => !new.is_null(),
                        }
                    });
                    report.periods_changed += u64::from(changed);
                }
                _ if passed == 0 => report.periods_added += 1,
                _ => report.periods_split += 1,
            }
        }
        rows += u64::from(last_before.is_some());
        since.push((id, last_before.unwrap_or(first)));
    }
    Diff {
        report,
        since,
        rows,
    }
}

/// Equal, counting an int and the float it widened to as the same value.
fn same(old: &Value, new: &Value) -> bool {
    match (old, new) {
        (Value::Int(i), Value::Float(f)) => *i as f64 == *f,
        _ => old == new,
    }
}

/// The one writer's lock on a store: an exclusive `flock` on `writer.lock`, released when
/// dropped or when the process dies, so a crashed writer never leaves the store locked.
#[derive(Debug)]
struct WriterLock {
    _file: File,
}

impl WriterLock {
    fn acquire(root: &Path, wait: bool) -> Result<WriterLock> {
        if !Store::is_store(root) {
            Store::open(root)?; // the "not a store" error
        }
        let path = root.join(LOCK);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(write_error(&path))?;
        if wait {
            file.lock().map_err(write_error(&path))?;
        } else {
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::Locked {
                        path: root.to_path_buf(),
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(write_error(&path)(e)),
            }
        }
        Ok(WriterLock { _file: file })
    }
}

/// A fact's key: of those with the same, the last to arrive is in force.
fn key(f: &Fact) -> (i64, &str, NaiveDate) {
    (f.security_id(), f.attribute(), f.effective_date())
}

/// Now, from the system clock (without chrono's `clock` feature), in whole milliseconds:
/// the time `secmaster log` prints is the time recorded, so `--as-known-at` with it
/// includes that batch.
fn now() -> DateTime<Utc> {
    let now = DateTime::<Utc>::from(std::time::SystemTime::now());
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secmaster_core::sample;

    /// A store of SEED.md's trail with a state file (and its block digests), for an update
    /// to be ingested into; and the manifest's state entry.
    fn store_with_state(root: &Path) -> FileEntry {
        Store::init(root, &Options::default()).unwrap();
        // A state file, not just a log segment, to read the securities' facts from.
        let options = IngestOptions {
            compact: Some(true),
            ..IngestOptions::default()
        };
        Store::ingest_facts(root, sample::trail(), "trail", &options).unwrap();
        Store::open(root).unwrap().manifest.state.unwrap()
    }

    /// Fails unless ingesting the update into the store at `root` is refused with an error
    /// that names `file` as corrupt, and leaves the store as it was.
    fn assert_update_refused(root: &Path, file: &str) {
        let manifest = std::fs::read(root.join(MANIFEST)).unwrap();
        let options = IngestOptions::default();
        let err = Store::ingest_facts(root, sample::update(), "update", &options)
            .unwrap_err()
            .to_string();
        assert!(err.contains(file) && err.contains("corrupt"), "{err}");
        assert_eq!(std::fs::read(root.join(MANIFEST)).unwrap(), manifest);
        assert_eq!(std::fs::read_dir(root.join("log")).unwrap().count(), 1);
    }

    /// An ingest reads just a few pages of a state file, and checks each block it reads
    /// against its digest: a damaged one, or a file of another length, is an error naming
    /// the file, and nothing is written.
    #[test]
    fn an_ingest_refuses_a_damaged_state_file_and_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("s");
        let state = store_with_state(&root);
        assert!(state.blocks.is_some());
        let path = root.join(&state.path);
        let good = std::fs::read(&path).unwrap();
        let flipped = |at: usize| {
            let mut bad = good.clone();
            bad[at] ^= 1;
            bad
        };
        // The update touches every security of the trail, so every page is read.
        for bad in [
            flipped(good.len() / 2),
            flipped(good.len() - 20), // the footer
            good[..good.len() - 1].to_vec(),
        ] {
            std::fs::write(&path, &bad).unwrap();
            assert_update_refused(&root, &state.path);
        }
        std::fs::write(&path, &good).unwrap();
        let options = IngestOptions::default();
        Store::ingest_facts(&root, sample::update(), "update", &options).unwrap();
    }

    /// The block digests are checked themselves; without them, the state file is checked whole.
    #[test]
    fn damaged_or_missing_block_digests() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("s");
        let state = store_with_state(&root);
        let digests = root.join(&state.blocks.as_ref().unwrap().path);
        let good = std::fs::read(&digests).unwrap();
        let mut bad = good.clone();
        bad[3] ^= 1;
        std::fs::write(&digests, &bad).unwrap();
        assert_update_refused(&root, &state.blocks.as_ref().unwrap().path);
        let err = Store::open(&root)
            .unwrap()
            .verify()
            .unwrap_err()
            .to_string();
        assert!(err.contains(".blocks") && err.contains("corrupt"), "{err}");

        // Gone (as a writer that predates them removes them), the state file is read and
        // checked whole: a damaged byte that no page read of the update would meet is found.
        std::fs::remove_file(&digests).unwrap();
        let path = root.join(&state.path);
        let data = std::fs::read(&path).unwrap();
        let mut damaged = data.clone();
        damaged[0] ^= 1; // the leading magic number, never read by a page read
        std::fs::write(&path, &damaged).unwrap();
        assert_update_refused(&root, &state.path);
        std::fs::write(&path, &data).unwrap();
        let options = IngestOptions::default();
        Store::ingest_facts(&root, sample::update(), "update", &options).unwrap();
    }
}
