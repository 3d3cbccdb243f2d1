//! A store opened for reading: [`Store`], its committed state, and what it reads from it —
//! the current master and table, the master as it stood after any batch, and a security's
//! lineage. Readers take no lock and never see a half-written batch.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use secmaster_core::{Column, Fact, KEY_COLUMNS, Options, SecurityMaster, Table, Value, ValueType};
use secmaster_io::TableSchema;

use crate::manifest::{Batch, FOLDERS, MANIFEST, Manifest, write_error};
use crate::{Error, Result, segment};

/// A store opened for reading: its committed manifest. Reading never blocks and never
/// sees a half-written batch; a [`Writer`](crate::Writer) that commits meanwhile leaves
/// this one reading the state it opened (until it removes a file this one needs: see
/// [`Store::read`]).
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) root: PathBuf,
    pub(crate) manifest: Manifest,
    pub(crate) schema: TableSchema,
}

/// What [`Store::verify`] checked: every file the committed state lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    files: usize,
    bytes: u64,
}

impl Verified {
    /// How many files were checked (block digests' files included).
    pub fn files(&self) -> usize {
        self.files
    }

    /// How many bytes they hold.
    pub fn bytes(&self) -> u64 {
        self.bytes
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

    /// Creates an empty store at `root`, which must not exist or be an empty directory,
    /// whose table orders its columns by `options`.
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
        for dir in std::iter::once("").chain(FOLDERS) {
            std::fs::create_dir_all(root.join(dir)).map_err(write_error(&root.join(dir)))?;
        }
        let schema = TableSchema::of_master(&SecurityMaster::new(options.clone()));
        crate::lock::create(root)?;
        Manifest::empty(&schema).write_new(root)?;
        Store::open(root)
    }

    /// Opens the store at `root`: reads its committed manifest.
    pub fn open(root: impl AsRef<Path>) -> Result<Store> {
        let root = root.as_ref();
        let manifest = Manifest::read(root)?;
        let schema = manifest.table_schema(root)?;
        let store = Store {
            root: root.to_path_buf(),
            manifest,
            schema,
        };
        // The table files hold the columns in the manifest's order, a master built from the
        // log in its priority's: a manifest whose two disagree is damaged (found by the
        // `store_open` fuzz target: `verify` passed and the two reads differed).
        if store.empty_master()?.table().columns() != store.columns() {
            return Err(store.corrupt(
                MANIFEST,
                secmaster_core::Error::InvalidTable {
                    reason: "its columns are not in the order its priority gives".to_string(),
                },
            ));
        }
        Ok(store)
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
        self.manifest.last_batch()
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

    /// The table's columns, keys included.
    pub fn columns(&self) -> &[Column] {
        self.schema.columns()
    }

    /// The options (attribute priority) the store orders its columns by.
    pub fn options(&self) -> Options {
        self.schema.options()
    }

    /// The paths, relative to the root, of the state file and the table files of the
    /// committed state, oldest generation first (the log segments are the
    /// [`batches`](Store::batches)').
    pub fn files(&self) -> impl Iterator<Item = &str> {
        let state = self.manifest.state.iter();
        state.chain(&self.manifest.table).map(|e| e.path.as_str())
    }

    /// Checks every file the committed state lists — log segments, state and table files,
    /// and the state file's block digests — against its checksum and length, reading each
    /// once; the first mismatch is an error naming the file. Then checks that the table
    /// files hold exactly the table the state and log build: a manifest damaged where no
    /// checksum covers it (a column's name or type in its schema, which the `store_open`
    /// fuzz target changed) is [`Error::Inconsistent`].
    pub fn verify(&self) -> Result<Verified> {
        let mut verified = Verified { files: 0, bytes: 0 };
        let logs = self.manifest.batches.iter().map(|b| &b.log);
        let files = self.manifest.state.iter().chain(&self.manifest.table);
        for entry in logs.chain(files) {
            let digests = entry.blocks.as_ref().map(|b| (&b.path, &b.checksum));
            for (path, checksum) in std::iter::once((&entry.path, &entry.checksum)).chain(digests) {
                checksum.check(&self.root.join(path))?;
                verified.files += 1;
                verified.bytes += checksum.bytes;
            }
        }
        if self.master()?.table() != self.table()? {
            return Err(self.corrupt(
                MANIFEST,
                secmaster_core::Error::InvalidTable {
                    reason: "its table files do not hold the table its state and log build"
                        .to_string(),
                },
            ));
        }
        Ok(verified)
    }

    /// A master of no facts with the store's columns and their types.
    pub(crate) fn empty_master(&self) -> Result<SecurityMaster> {
        let columns = self.columns();
        let keys_first = columns.len() >= KEY_COLUMNS.len()
            && columns.iter().zip(KEY_COLUMNS).all(|(c, k)| c.name() == k);
        if !keys_first {
            // A damaged manifest (the `store_open` fuzz target found one of two columns).
            return Err(self.corrupt(
                MANIFEST,
                secmaster_core::Error::InvalidTable {
                    reason: format!("its schema does not start with {}", KEY_COLUMNS.join(", ")),
                },
            ));
        }
        let attributes = columns[KEY_COLUMNS.len()..].iter().cloned();
        SecurityMaster::with_columns(self.options(), attributes)
            .map_err(|e| self.corrupt(MANIFEST, e))
    }

    fn no_batch(&self, batch: u64) -> Error {
        Error::NoSuchBatch {
            path: self.root.clone(),
            batch,
            last: self.last_batch(),
        }
    }

    /// The error of a file (or kind of file) whose content the core refused.
    pub(crate) fn corrupt(&self, file: &str, source: secmaster_core::Error) -> Error {
        Error::Inconsistent {
            path: self.root.join(file),
            source,
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

    /// The current master of the securities `ids` alone: the facts in force of each, read
    /// from the pages of the state file and log segments that hold them, under the store's
    /// columns. Its rows are those securities' rows of [`Store::master`] (its
    /// [`history`](SecurityMaster::history) of each is the same), at the cost of a few
    /// pages rather than the whole store.
    pub fn master_of(&self, ids: &[i64]) -> Result<SecurityMaster> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut master = self.empty_master()?;
        let facts = self.facts_of(Some(&ids), self.last_batch())?;
        master
            .merge_parts(facts.halves())
            .map_err(|e| self.corrupt("state", e))?;
        Ok(master)
    }

    /// The securities that may hold `value` in column `attribute` on some day, as of the
    /// last batch: those with the value in some row of a table file (each file's
    /// `security_id` and that column alone are read; see
    /// [`secmaster_io::query::ids_with`]), sorted. Every security whose current row on a
    /// day holds the value is among them, for a lookup to check against their facts
    /// ([`Store::master_of`]). The table files are not checked against their checksums
    /// here ([`Store::verify`] does): what is looked up comes from the facts.
    pub fn candidates(&self, attribute: &str, value: &Value) -> Result<Vec<i64>> {
        let mut ids = Vec::new();
        for entry in &self.manifest.table {
            let path = self.root.join(&entry.path);
            match secmaster_io::query::ids_with(&path, attribute, value)? {
                Some(found) => ids.extend(found),
                None => return Err(Error::TableRow { path }),
            }
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
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

    /// The facts of batch `batch` as they arrived, read from its log segment (checked
    /// against its checksum): merged after the master as it stood after the batch before,
    /// they give the master after it.
    pub fn batch_facts(&self, batch: u64) -> Result<Vec<Fact>> {
        let b = self
            .manifest
            .batches
            .iter()
            .find(|b| b.number == batch)
            .ok_or_else(|| self.no_batch(batch))?;
        let path = self.root.join(&b.log.path);
        let facts = segment::read(&path, &b.log.checksum, None, 1)?;
        Ok(facts.into_iter().flatten().map(|(f, _)| f).collect())
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
