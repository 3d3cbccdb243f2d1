//! Compaction: a new state file (every security's facts in force) and one table file,
//! folding in the log segments since the last state file and the table's delta files; and
//! [`is_due`], the decision of when an ingest does it.

use std::path::Path;

use chrono::NaiveDate;
use secmaster_core::SecurityMaster;
use secmaster_io::atomic;

use crate::checksum::{Checksum, HashingWriter};
use crate::facts::Read;
use crate::manifest::{BlocksEntry, FOLDERS, FileEntry, io_write_error, sync_dir};
use crate::segment::{self, Kind, Stamped};
use crate::{Result, Store, Warning, Writer, fault};

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

/// Whether an ingest should compact, given the rows of the table files it would leave
/// (oldest first, the base file and then the deltas, its own delta last), the facts of the
/// state file, and those of each batch since it (its own included): when the deltas or the
/// log since the state file pass [`COMPACT_SHARE`] of the whole (and [`COMPACT_MIN_ROWS`]),
/// or either would number more than [`COMPACT_FILES`].
pub(crate) fn is_due(table_rows: &[u64], state_facts: u64, logged_facts: &[u64]) -> bool {
    let more = |rows: u64, than: u64| {
        rows >= COMPACT_MIN_ROWS && rows as f64 > COMPACT_SHARE * than as f64
    };
    let deltas_pass = match table_rows {
        [base, deltas @ ..] if !deltas.is_empty() => more(deltas.iter().sum(), *base),
        _ => false,
    };
    table_rows.len() > COMPACT_FILES
        || logged_facts.len() > COMPACT_FILES
        || deltas_pass
        || more(logged_facts.iter().sum(), state_facts)
}

impl Writer {
    /// Folds the log segments since the state file into a new one, and the table's delta
    /// files into one file. Readers of the table from other tools then see one plain file;
    /// the content does not change. A store with nothing to fold is left as it is. What
    /// went wrong after the commit, which stands, is returned as warnings.
    pub fn compact(&mut self) -> Result<Vec<Warning>> {
        let claim = self.begin()?;
        let store = &self.store;
        let root = store.root.clone();
        if store.manifest.table.len() <= 1 && store.manifest.batches_since_state().is_empty() {
            return Ok(Vec::new());
        }
        let mut manifest = store.manifest.clone();
        manifest.generation += 1;
        let facts = store.facts_of(None, store.last_batch())?;
        let (state, table) = store.write_whole(manifest.generation, facts)?;
        manifest.state = state;
        manifest.state_through = store.last_batch();
        manifest.table = vec![table];
        fault::pause_point("commit");
        let warnings = manifest.commit(&root, &store.manifest, claim)?;
        self.store.manifest = manifest;
        Ok(warnings)
    }
}

impl Store {
    /// Writes generation `generation`'s state and table files for every security, from the
    /// facts in force of `facts`.
    pub(crate) fn write_whole(
        &self,
        generation: u64,
        facts: Read,
    ) -> Result<(Option<FileEntry>, FileEntry)> {
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
}

/// Writes generation `generation`'s table file (`master`'s table) and, if given, its state
/// file (`state` sorted by security). A table `delta` holds of each security it names
/// (sorted) only the rows from its date on, so many rows in all; without, every row.
pub(crate) fn write_generation(
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
    let write_state = || -> Result<Option<(Checksum, BlocksEntry)>> {
        let Some(state) = state else {
            return Ok(None);
        };
        let (checksum, blocks) = segment::write(&root.join(&state_path), state, Kind::State)?;
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
        Ok(Some((checksum, blocks)))
    };
    let write_table = || -> Result<Checksum> {
        let mut checksum = None;
        atomic::write_file(&full, |out| {
            let hashing = secmaster_io::parquet::write_master_to(
                HashingWriter::new(out),
                &full,
                master,
                since,
            )?;
            checksum = Some(hashing.finish());
            Ok(())
        })?;
        Ok(checksum.expect("a written file has a checksum"))
    };
    let (table_checksum, state_checksum) = rayon::join(write_table, write_state);
    let (table_checksum, state_checksum) = (table_checksum?, state_checksum?);
    let state_entry = state
        .zip(state_checksum)
        .map(|(state, (checksum, blocks))| FileEntry {
            checksum,
            rows: state.len() as u64,
            path: state_path,
            blocks: Some(blocks),
        });
    let table_entry = FileEntry {
        checksum: table_checksum,
        rows: delta.map_or_else(|| master.num_rows() as u64, |(_, rows)| rows),
        path: table_path,
        blocks: None,
    };
    // The renames of this commit's files (the log segment's too) must be durable before
    // the manifest that lists them is.
    for dir in FOLDERS {
        sync_dir(&root.join(dir))?;
    }
    Ok((state_entry, table_entry))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = COMPACT_MIN_ROWS;

    #[test]
    fn a_small_store_never_compacts_by_share() {
        // Deltas and log many times the base, but under the minimum.
        assert!(!is_due(&[10, 500, 500], 10, &[1_000, 1_000]));
        assert!(!is_due(&[MIN - 1], 0, &[MIN - 1]));
    }

    #[test]
    fn the_first_large_batch_writes_the_first_state_file() {
        // An empty store: one table file (the batch's), no state file, one batch.
        assert!(is_due(&[MIN], 0, &[MIN]));
    }

    #[test]
    fn deltas_past_half_the_base_compact() {
        let base = 4 * MIN;
        assert!(!is_due(&[base, MIN, MIN], 100 * MIN, &[1, 1]));
        assert!(is_due(&[base, MIN, MIN + 1], 100 * MIN, &[1, 1]));
        // A lone table file is a base, not a delta.
        assert!(!is_due(&[base], 100 * MIN, &[1]));
    }

    #[test]
    fn the_log_past_half_the_state_file_compacts() {
        let state = 4 * MIN;
        assert!(!is_due(&[1], state, &[MIN, MIN]));
        assert!(is_due(&[1], state, &[MIN, MIN, 1]));
    }

    #[test]
    fn too_many_files_compact_whatever_their_size() {
        let files = vec![1; COMPACT_FILES];
        assert!(!is_due(&files, 1_000, &files));
        let more = vec![1; COMPACT_FILES + 1];
        assert!(is_due(&more, 1_000, &[1]));
        assert!(is_due(&[1], 1_000, &more));
    }
}
