//! Ingesting a batch: [`Writer::ingest`] reads and checks the whole batch, merges it into a
//! master of just the securities it touches, and commits its log segment and a table delta
//! (or compacts), then the manifest; [`IngestReport`] says what it changed.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use secmaster_core::{Column, Fact, KEY_COLUMNS, SecurityMaster, Value};
use secmaster_io::{ReadOptions, TableSchema};
use serde::Serialize;

use crate::compact::{self, write_generation};
use crate::manifest::{Batch, FileEntry, schema_json};
use crate::segment::{self, Kind, Stamped};
use crate::{Error, Result, Store, Warning, Writer, checksum, fault};

/// When an ingest compacts the store: writes a new state file and one table file, folding
/// in the log segments since the last state file and the table's delta files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Compaction {
    /// When the deltas or the log segments since the state file pass a share of the whole,
    /// or their files grow too many (the default).
    #[default]
    Auto,
    /// After this batch, whatever the sizes.
    Always,
    /// Not now: a quick ingest, the compaction left for [`Writer::compact`].
    Never,
}

/// How [`Writer::ingest`] goes about it: `IngestOptions::default()` and the `with_*`
/// builders.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    read: ReadOptions,
    dry_run: bool,
    compaction: Compaction,
    allow_duplicate: bool,
}

impl IngestOptions {
    /// Reads the batch's files with these options (their date layout); the store's column
    /// types are added to them.
    pub fn with_read_options(mut self, read: ReadOptions) -> IngestOptions {
        self.read = read;
        self
    }

    /// With `true`, says what the batch would change without writing anything.
    pub fn with_dry_run(mut self, dry_run: bool) -> IngestOptions {
        self.dry_run = dry_run;
        self
    }

    /// Whether to compact after the batch ([`Compaction::Auto`] unless set).
    pub fn with_compaction(mut self, compaction: Compaction) -> IngestOptions {
        self.compaction = compaction;
        self
    }

    /// With `true`, ingests a batch whose facts are those of the store's last batch, which
    /// is otherwise refused ([`Error::Duplicate`]) as the retry of an ingest that was
    /// committed.
    pub fn with_allow_duplicate(mut self, allow: bool) -> IngestOptions {
        self.allow_duplicate = allow;
        self
    }

    /// Whether a batch that repeats the last one is ingested.
    pub fn is_duplicate_allowed(&self) -> bool {
        self.allow_duplicate
    }

    /// The options the batch's files are read with.
    pub fn read_options(&self) -> &ReadOptions {
        &self.read
    }

    /// Whether this is a dry run.
    pub fn is_dry_run(&self) -> bool {
        self.dry_run
    }

    /// When the ingest compacts.
    pub fn compaction(&self) -> Compaction {
        self.compaction
    }
}

/// What a batch changed (or, for a dry run, would change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
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
    /// What went wrong after the commit, which stands (a sync, a removal).
    pub warnings: Vec<Warning>,
}

impl Writer {
    /// Appends one batch — the facts of `files`, in order, as one batch — and brings the
    /// table up to date: only the securities the batch touches are re-derived and written.
    ///
    /// The files are typed as a build types a list of files: text values take the column
    /// types so far where they fit, the store's and then those the batch's earlier files
    /// add. The batch is read and checked whole first (a malformed file, a type conflict
    /// with the store, an empty attribute): on any error nothing is written. Then its log
    /// segment, the new state and table files, and last the manifest are written; a crash
    /// before the manifest's rename leaves the store as it was.
    pub fn ingest(&mut self, files: &[PathBuf], options: &IngestOptions) -> Result<IngestReport> {
        let sources = files.iter().map(|f| f.display().to_string()).collect();
        self.ingest_as(files, sources, options)
    }

    /// [`Writer::ingest`], the log recording that the facts came from `sources` rather than
    /// the files' paths (a server names a request's body by what the client called it, not
    /// by the temporary file it wrote it to).
    pub fn ingest_as(
        &mut self,
        files: &[PathBuf],
        sources: Vec<String>,
        options: &IngestOptions,
    ) -> Result<IngestReport> {
        self.ingest_with(options, |store| {
            let mut columns = store.columns().to_vec();
            let mut batch: Vec<Fact> = Vec::new();
            for file in files {
                let read = options.read.clone().with_columns(columns.clone());
                let facts = secmaster_io::facts::read(file, &read)?;
                columns = columns_after(columns, &facts);
                batch.extend(facts);
            }
            Ok((batch, sources))
        })
    }

    /// [`Writer::ingest`] for facts in hand; `source` is what the log records they came
    /// from.
    pub fn ingest_facts(
        &mut self,
        facts: Vec<Fact>,
        source: &str,
        options: &IngestOptions,
    ) -> Result<IngestReport> {
        self.ingest_with(options, |_| Ok((facts, vec![source.to_string()])))
    }

    fn ingest_with(
        &mut self,
        options: &IngestOptions,
        take: impl FnOnce(&Store) -> Result<(Vec<Fact>, Vec<String>)>,
    ) -> Result<IngestReport> {
        let claim = self.begin()?;
        let store = &self.store;
        let root = store.root.clone();
        let (batch, sources) = take(store)?;
        let number = store.last_batch() + 1;
        let digest = checksum::digest(&batch);
        if let Some(last) = store.manifest.batches.last()
            && last.digest.as_ref() == Some(&digest)
            && !options.allow_duplicate
        {
            return Err(Error::Duplicate {
                path: root,
                batch: last.number,
                committed_at: last
                    .committed_at
                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            });
        }
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
                path: root.clone(),
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
        fault::crash_point("log");

        let mut manifest = store.manifest.clone();
        manifest.generation += 1;
        manifest.batches.push(Batch {
            number,
            committed_at: now(),
            sources,
            facts: log.rows,
            log,
            digest: Some(digest),
        });
        let compact = match options.compaction {
            Compaction::Always => true,
            Compaction::Never => false,
            Compaction::Auto => {
                // The table files there would be: the store's, and this batch's delta.
                let table: Vec<u64> = manifest
                    .table
                    .iter()
                    .map(|e| e.rows)
                    .chain([rows])
                    .collect();
                let state = manifest.state.as_ref().map_or(0, |e| e.rows);
                let since = manifest.batches_since_state();
                let logged: Vec<u64> = since.iter().map(|b| b.facts).collect();
                compact::is_due(&table, state, &logged)
            }
        };
        // The first state file of a store is not a compaction: there was nothing to fold.
        let first_state = store.manifest.holds_no_facts();
        report.compacted = compact && !first_state;
        let schema = TableSchema::of_master(&after);
        manifest.schema = schema_json(&schema);
        if compact {
            let (state, table) = if first_state {
                // Every fact in force is this batch's, and `after` is the whole master.
                drop(stamped);
                let state: Vec<Stamped> = after.facts().map(|f| (f, number)).collect();
                write_generation(&root, manifest.generation, Some(&state), &after, None)?
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
            let (_, table) = write_generation(&root, manifest.generation, None, &after, delta)?;
            manifest.table.push(table);
        }
        fault::crash_point("files");
        fault::pause_point("commit");
        report.warnings = manifest.commit(&root, &store.manifest, claim)?;
        self.store = Store {
            root,
            manifest,
            schema,
        };
        Ok(report)
    }
}

/// `columns` with the attributes of `facts` added or widened: the types a merge of `facts`
/// would give them. Rule 8 is the core's: a column takes the type of its first value, then
/// [`ValueType::unify`](secmaster_core::ValueType::unify) widens it; a conflict is left for
/// the merge to report.
fn columns_after(mut columns: Vec<Column>, facts: &[Fact]) -> Vec<Column> {
    let mut index: HashMap<String, usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name().to_string(), i))
        .collect();
    for fact in facts {
        let i = match index.get(fact.attribute()) {
            Some(&i) => i,
            None => {
                columns.push(Column::new(fact.attribute(), None));
                index.insert(fact.attribute().to_string(), columns.len() - 1);
                columns.len() - 1
            }
        };
        let Some(found) = fact.value().value_type() else {
            continue;
        };
        let ty = columns[i]
            .value_type()
            .map_or(found, |t| t.unify(found).unwrap_or(t));
        if columns[i].value_type() != Some(ty) {
            columns[i] = Column::new(columns[i].name(), Some(ty));
        }
    }
    columns
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
        warnings: Vec::new(),
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

/// Now, from the system clock (without chrono's `clock` feature), in whole milliseconds:
/// the time `secmaster log` prints is the time recorded, so `--as-known-at` with it
/// includes that batch.
fn now() -> DateTime<Utc> {
    let now = DateTime::<Utc>::from(std::time::SystemTime::now());
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::manifest::MANIFEST;
    use secmaster_core::{Options, sample};

    /// Ingests the update into the store at `root`.
    fn ingest_update(root: &Path) -> Result<IngestReport> {
        let options = IngestOptions::default();
        Store::lock(root)?.ingest_facts(sample::update(), "update", &options)
    }

    /// A store of SEED.md's trail with a state file (and its block digests), for an update
    /// to be ingested into; and the manifest's state entry.
    fn store_with_state(root: &Path) -> FileEntry {
        Store::init(root, &Options::default()).unwrap();
        // A state file, not just a log segment, to read the securities' facts from.
        let options = IngestOptions::default().with_compaction(Compaction::Always);
        let mut writer = Store::lock(root).unwrap();
        writer
            .ingest_facts(sample::trail(), "trail", &options)
            .unwrap();
        writer.store().manifest.state.clone().unwrap()
    }

    /// Fails unless ingesting the update into the store at `root` is refused with an error
    /// that names `file` as corrupt, and leaves the store as it was.
    fn assert_update_refused(root: &Path, file: &str) {
        let manifest = std::fs::read(root.join(MANIFEST)).unwrap();
        let err = ingest_update(root).unwrap_err().to_string();
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
        ingest_update(&root).unwrap();
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
        ingest_update(&root).unwrap();
    }
}
