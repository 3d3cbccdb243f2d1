//! [`History`]: one security's facts in force, sorted by `(date, attribute)`, and the
//! ordered insert a merge makes into them (rule 5).

use chrono::NaiveDate;

use super::schema::AttrId;
use crate::Value;

/// One fact in force: `attr = value` from `date` on.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) date: NaiveDate,
    pub(super) attr: AttrId,
    pub(super) value: Value,
}

/// The facts in force for one security, sorted by `(date, attr)` with no repeated key.
#[derive(Debug, Clone, Default)]
pub(super) struct History {
    pub(super) entries: Vec<Entry>,
}

impl History {
    /// Inserts `batch` (sorted by `(date, attr)`, no repeated key), replacing facts with the
    /// same key: the batch arrived later (rule 5). Costs O(facts + batch), or O(batch) when
    /// the batch lies after everything already here.
    pub(super) fn insert(&mut self, batch: impl ExactSizeIterator<Item = Entry>) {
        let key = |e: &Entry| (e.date, e.attr);
        let few = batch.len() <= 8;
        let mut batch = batch.peekable();
        match (self.entries.last(), batch.peek()) {
            (None, _) => {
                self.entries.extend(batch);
                return;
            }
            (Some(last), Some(first)) if key(last) < key(first) => {
                self.entries.extend(batch);
                return;
            }
            _ if few => {
                // A few late facts: insert each in place rather than rebuild the vector.
                for entry in batch {
                    match self.entries.binary_search_by_key(&key(&entry), key) {
                        Ok(i) => self.entries[i] = entry, // superseded by the later arrival
                        Err(i) => self.entries.insert(i, entry),
                    }
                }
                return;
            }
            _ => {}
        }
        let old = std::mem::take(&mut self.entries);
        let mut merged = Vec::with_capacity(old.len() + batch.len());
        let mut old = old.into_iter().peekable();
        loop {
            let order = match (old.peek(), batch.peek()) {
                (Some(o), Some(n)) => key(o).cmp(&key(n)),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => break,
            };
            if order == std::cmp::Ordering::Equal {
                old.next(); // superseded by the later arrival
            }
            let take_new = order != std::cmp::Ordering::Less;
            merged.extend(if take_new { batch.next() } else { old.next() });
        }
        self.entries = merged;
    }

    /// The history of a security new to a master, from its first `len` facts (sorted, no
    /// repeated key), with room for a few late ones so they need no reallocation.
    pub(super) fn created(len: usize, entries: impl Iterator<Item = Entry>) -> History {
        let mut history = History {
            entries: Vec::with_capacity(len + len / 16 + 1),
        };
        history.entries.extend(entries);
        history
    }

    pub(super) fn num_rows(&self) -> usize {
        rows_of(&self.entries)
    }

    /// The number of rows that start before `date`.
    pub(super) fn rows_before(&self, date: NaiveDate) -> usize {
        rows_of(&self.entries[..self.entries.partition_point(|e| e.date < date)])
    }
}

/// The number of rows facts sorted by date make: one per date.
fn rows_of(entries: &[Entry]) -> usize {
    entries
        .windows(2)
        .filter(|w| w[0].date != w[1].date)
        .count()
        + usize::from(!entries.is_empty())
}
