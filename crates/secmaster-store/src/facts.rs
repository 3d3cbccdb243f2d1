//! Reading the facts of a store: the state file's and the log segments', each fact with
//! the batch that brought it, for all securities or a few, every byte checked.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use secmaster_core::Fact;

use crate::checksum::Blocks;
use crate::manifest::FileEntry;
use crate::segment::{self, Stamped};
use crate::{Error, Result, Store};

/// A log segment up to this size is read whole when a few securities' facts are wanted
/// (and checked whole): cheaper than the page index and page reads of a partial read.
const READ_WHOLE_BYTES: u64 = 4 << 20;

impl Store {
    /// The facts of the securities `ids` (sorted; all when `None`) as known after batch
    /// `through`, in arrival order, each with its batch: first the state file's (the facts
    /// in force as of its batch, one per key), then each later batch's from its log
    /// segment. Merged in this order, they give the master as of `through`;
    /// [`Read::in_force`] keeps the last of each key.
    ///
    /// Every byte used is checked. Read whole, a file is checked whole. For a few
    /// securities, the state file's pages that hold them are read (in two parts, half its
    /// row groups each), and each block read is checked against its digest; meanwhile the
    /// log segments are read, whole unless large. A large file without block digests is
    /// read in part while it is streamed through its checksum beside; a mismatch is the
    /// error even if the read failed first.
    pub(crate) fn facts_of(&self, ids: Option<&[i64]>, through: u64) -> Result<Read> {
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
        // Three reads at once on rayon's pool: the state file's pages (in two parts, half its
        // row groups each), the log segments, and the checksums of the files read unchecked.
        let check = || -> Result<()> {
            unchecked
                .iter()
                .try_for_each(|e| e.checksum.check(&path(e)))
        };
        let later = || -> Result<Vec<Vec<Stamped>>> {
            let mut later = Vec::new();
            for e in logs {
                later.extend(if whole(e) {
                    segment::read(&path(e), &e.checksum, Some(ids), 1)?
                } else {
                    segment::read_some(&path(e), &e.checksum, None, ids, 1)?
                });
            }
            Ok(later)
        };
        let state = || match state {
            Some(e) => segment::read_some(&path(e), &e.checksum, blocks, ids, 2),
            None => Ok(Vec::new()),
        };
        let ((state, later), checked) = rayon::join(|| rayon::join(state, later), check);
        // A mismatch is the error, whatever the reads made of the damage.
        checked?;
        state.and_then(|state| later.map(|later| Read { state, later }))
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
}

/// Facts read from a store, each with its batch: the state file's (one per key, in one
/// or more parts), then each later batch's in arrival order.
pub(crate) struct Read {
    state: Vec<Vec<Stamped>>,
    pub(crate) later: Vec<Vec<Stamped>>,
}

impl Read {
    /// Every fact in two parts of about the same size, the first arrived before the second,
    /// for [`SecurityMaster::merge_parts`](secmaster_core::SecurityMaster::merge_parts).
    pub(crate) fn halves(self) -> Vec<impl Iterator<Item = Fact> + Send> {
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
    pub(crate) fn in_force(self) -> Vec<Stamped> {
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

/// A fact's key: of those with the same, the last to arrive is in force.
fn key(f: &Fact) -> (i64, &str, NaiveDate) {
    (f.security_id(), f.attribute(), f.effective_date())
}
