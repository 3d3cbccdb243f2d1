//! Column-by-column reading of a master's table: [`Chunks`] of consecutive rows, each giving
//! its columns as runs of one carried-forward value.

use std::sync::Arc;

use std::collections::btree_map;

use chrono::NaiveDate;

use super::SecurityMaster;
use super::history::{Entry, History};
use super::schema::Schema;
use super::walk::NULL;
use crate::Value;

impl SecurityMaster {
    /// The table in chunks of `rows` rows (the last may have fewer), for reading it column
    /// by column; see [`Chunk::column_runs`]. Chunks come in table order and can be read on
    /// separate threads.
    ///
    /// ```
    /// # let master = secmaster_core::SecurityMaster::build(secmaster_core::sample::trail())?;
    /// let chunks: Vec<_> = master.chunks(2).collect();
    /// assert_eq!(chunks.iter().map(|c| c.num_rows()).sum::<usize>(), master.num_rows());
    /// let runs = chunks[0].column_runs();
    /// assert_eq!(runs.len(), master.columns().len() - 3);
    /// assert!(runs.iter().all(|r| r.iter().map(|&(n, _)| n).sum::<usize>() == 2));
    /// # Ok::<(), secmaster_core::Error>(())
    /// ```
    pub fn chunks(&self, rows: usize) -> Chunks<'_> {
        Chunks {
            schema: &self.schema,
            securities: self.securities.iter(),
            pending: None,
            rows: rows.max(1),
            since: &[],
        }
    }
}

/// Consecutive rows of a master's table, for reading it column by column: from
/// [`SecurityMaster::chunks`]. A chunk borrows the master and can be read on any thread,
/// so the chunks of a table can be turned into columns in parallel.
#[derive(Debug, Clone)]
pub struct Chunk<'a> {
    schema: &'a Schema,
    /// Each security with rows here, and which of its rows: `from..to`, counted from its
    /// first row.
    parts: Vec<ChunkPart<'a>>,
    rows: usize,
}

#[derive(Debug, Clone, Copy)]
struct ChunkPart<'a> {
    id: i64,
    entries: &'a [Entry],
    from: usize,
    to: usize,
}

impl<'a> Chunk<'a> {
    /// The number of rows.
    pub fn num_rows(&self) -> usize {
        self.rows
    }

    /// The key cells of each row, in order: security, start, end (`None`: the open last row).
    pub fn keys(&self) -> impl Iterator<Item = (i64, NaiveDate, Option<NaiveDate>)> + '_ {
        self.parts.iter().flat_map(|p| {
            let mut dates = p.entries.iter().map(|e| e.date).peekable();
            let mut starts = std::iter::from_fn(move || {
                let date = dates.next()?;
                while dates.next_if_eq(&date).is_some() {}
                Some((date, dates.peek().copied()))
            });
            let first = starts.by_ref().nth(p.from);
            first
                .into_iter()
                .chain(starts)
                .take(p.to - p.from)
                .map(move |(start, end)| (p.id, start, end))
        })
    }

    /// Each attribute column's cells (in the order of [`SecurityMaster::columns`] minus the
    /// key columns) as runs down the chunk's rows: `(n, value)` is `value` in the next `n`
    /// rows. A column's runs cover every row of the chunk, in order; neighbouring runs may
    /// hold equal values. This is the table's natural form, since a value is carried
    /// forward until the next fact of its attribute: about one run per fact in force.
    pub fn column_runs(&self) -> Vec<Vec<(usize, &'a Value)>> {
        let width = self.schema.order.len();
        // The column of each attribute id.
        let mut column = vec![0; width];
        for (c, &a) in self.schema.order.iter().enumerate() {
            column[a as usize] = c;
        }
        let mut runs: Vec<Vec<(usize, &'a Value)>> = vec![Vec::new(); width];
        // Per column: the current value and the row (within the chunk) its run started on.
        let mut current: Vec<&'a Value> = vec![&NULL; width];
        let mut started = vec![0usize; width];
        let mut base = 0; // the chunk row of the part's row `from`
        for p in &self.parts {
            current.fill(&NULL);
            started.fill(base);
            let mut row = 0; // the part's row of the entry, counted from the security's first
            let mut previous = None;
            for e in p.entries {
                if previous.is_some_and(|d| d != e.date) {
                    row += 1;
                }
                previous = Some(e.date);
                if row >= p.to {
                    break;
                }
                let c = column[e.attr as usize];
                if row > p.from {
                    let at = base + row - p.from;
                    if at > started[c] {
                        runs[c].push((at - started[c], current[c]));
                        started[c] = at;
                    }
                }
                current[c] = &e.value;
            }
            let end = base + p.to - p.from;
            for c in 0..width {
                if end > started[c] {
                    runs[c].push((end - started[c], current[c]));
                }
            }
            base = end;
        }
        runs
    }
}

/// The chunks of a master's table, from [`SecurityMaster::chunks`].
#[derive(Debug)]
pub struct Chunks<'a> {
    schema: &'a Schema,
    securities: btree_map::Iter<'a, i64, Arc<History>>,
    /// A security whose rows did not all fit the last chunk: it, its rows, and the first
    /// row not yet given.
    pending: Option<(i64, &'a [Entry], usize, usize)>,
    rows: usize,
    /// Securities (sorted) whose rows before a date are left out.
    since: &'a [(i64, NaiveDate)],
}

impl<'a> Chunks<'a> {
    /// These chunks, but of each security `since` names (sorted by id, each once) only the
    /// rows that start on or after its date. The rows keep their values and ends: a value
    /// carried forward from a left-out row is still there.
    ///
    /// ```
    /// use secmaster_core::{Fact, SecurityMaster};
    /// let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    /// let master = SecurityMaster::build([
    ///     Fact::new(1, "ticker", "GRPH", d("2024-01-01")),
    ///     Fact::new(1, "name", "Lenz", d("2024-03-22")),
    ///     Fact::new(2, "ticker", "ACME", d("2024-01-01")),
    /// ])?;
    /// let since = [(1, d("2024-02-01"))];
    /// let keys: Vec<_> = master.chunks(10).since(&since).flat_map(|c| c.keys().collect::<Vec<_>>()).collect();
    /// assert_eq!(keys, [(1, d("2024-03-22"), None), (2, d("2024-01-01"), None)]);
    /// # Ok::<(), secmaster_core::Error>(())
    /// ```
    pub fn since(mut self, since: &'a [(i64, NaiveDate)]) -> Chunks<'a> {
        self.since = since;
        self
    }
}

impl<'a> Iterator for Chunks<'a> {
    type Item = Chunk<'a>;

    fn next(&mut self) -> Option<Chunk<'a>> {
        let mut chunk = Chunk {
            schema: self.schema,
            parts: Vec::new(),
            rows: 0,
        };
        while chunk.rows < self.rows {
            let (id, entries, total, from) = match self.pending.take() {
                Some(p) => p,
                None => match self.securities.next() {
                    Some((&id, h)) => {
                        let from = match self.since.binary_search_by_key(&id, |&(i, _)| i) {
                            Ok(k) => h.rows_before(self.since[k].1),
                            Err(_) => 0,
                        };
                        (id, &h.entries[..], h.num_rows(), from)
                    }
                    None => break,
                },
            };
            let to = total.min(from.saturating_add(self.rows - chunk.rows));
            if to < total {
                self.pending = Some((id, entries, total, to));
            }
            if to > from {
                chunk.parts.push(ChunkPart {
                    id,
                    entries,
                    from,
                    to,
                });
                chunk.rows += to - from;
            }
        }
        (chunk.rows > 0).then_some(chunk)
    }
}
