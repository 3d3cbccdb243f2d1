//! Positions joined onto a master as of their dates (rule 10), column by column.
//!
//! [`SecurityMaster::match_positions`] finds, for each position, the row of its security
//! valid on its date, and keeps each distinct row it finds once, as columns of runs of
//! references into the facts in force (a value carried over several matched rows is one
//! run): the [`Matches`]. Writers turn each column into an array of the matched rows and
//! gather their output from it (a take by row index), so no row of values is ever made;
//! [`SecurityMaster::join_positions`] is the same join as a [`Table`], for small inputs and
//! tests.

use chrono::NaiveDate;
use rayon::prelude::*;

use super::walk::Walk;
use super::{Join, SecurityMaster};
use crate::table::Column;
use crate::{Position, Quantity, Table, Value, ValueType};

/// Below this many positions the join runs on the calling thread alone.
const PARALLEL_POSITIONS: usize = 64 * 1024;

/// No row: the position is not covered.
const NONE: u32 = u32::MAX;

/// Which row of the master each position joins, from [`SecurityMaster::match_positions`]:
/// the distinct rows found, as one column of runs per attribute (each value a reference
/// into the master's facts, so nothing is copied), and for each position the index of its
/// row among them, if it has one.
#[derive(Debug, Clone)]
pub struct Matches<'a> {
    /// The attribute columns, in the master's order.
    columns: Vec<Column>,
    /// Per attribute column, its cells down the matched rows as runs `(n, value)`.
    runs: Vec<Vec<(usize, &'a Value)>>,
    /// The number of matched rows.
    num_rows: usize,
    /// Per position, its matched row, or [`NONE`].
    rows: Vec<u32>,
    /// The number of positions with a row.
    matched: usize,
}

impl<'a> Matches<'a> {
    /// The master's attribute columns (names and types), in its order.
    pub fn attribute_columns(&self) -> &[Column] {
        &self.columns
    }

    /// The number of positions matched (with or without a row).
    pub fn num_positions(&self) -> usize {
        self.rows.len()
    }

    /// The number of positions that have a row: the rows of an inner join.
    pub fn num_matched(&self) -> usize {
        self.matched
    }

    /// The number of distinct master rows the positions fell in.
    pub fn num_rows(&self) -> usize {
        self.num_rows
    }

    /// The matched row of position `i` (a row of [`Matches::column_runs`]), or `None` when
    /// no row covers it.
    ///
    /// # Panics
    /// If `i >= self.num_positions()`.
    pub fn row_of(&self, i: usize) -> Option<usize> {
        let row = self.rows[i];
        (row != NONE).then_some(row as usize)
    }

    /// The positions (indices, in order) that a join of kind `join` keeps: all for
    /// [`Join::Left`], those with a row for [`Join::Inner`].
    pub fn kept(&self, join: Join) -> impl Iterator<Item = usize> + '_ {
        self.rows
            .iter()
            .enumerate()
            .filter(move |&(_, &r)| join == Join::Left || r != NONE)
            .map(|(i, _)| i)
    }

    /// Attribute column `c`'s cells down the matched rows (in the order of
    /// [`Matches::row_of`]) as runs: `(n, value)` is `value` in the next `n` rows. The runs
    /// cover every matched row; neighbouring runs may hold equal values.
    ///
    /// # Panics
    /// If `c >= self.attribute_columns().len()`.
    pub fn column_runs(&self, c: usize) -> &[(usize, &'a Value)] {
        &self.runs[c]
    }

    /// Attribute column `c`'s cell in each matched row: [`Matches::column_runs`] spelled
    /// out.
    ///
    /// # Panics
    /// If `c >= self.attribute_columns().len()`.
    pub fn column(&self, c: usize) -> Vec<&'a Value> {
        let mut out = Vec::with_capacity(self.num_rows);
        for &(n, v) in &self.runs[c] {
            out.extend(std::iter::repeat_n(v, n));
        }
        out
    }
}

/// The rows one part of the sorted positions found: its runs per column, its row count,
/// and `(position, row within the part)` for each position with a row.
struct Part<'a> {
    runs: Vec<Vec<(usize, &'a Value)>>,
    rows: u32,
    found: Vec<(u32, u32)>,
}

impl SecurityMaster {
    /// Finds each position's row as of its date (DESIGN.md rule 10): position `i`, on
    /// security `ids[i]` and date `dates[i]`, falls in its security's row with
    /// `start <= date < end` (an open end covers every later date), if any. Each distinct
    /// row found is kept once, as references to the master's cells.
    ///
    /// Sorts the `(security, date)` keys (on rayon's threads when there are many), then
    /// walks each security's facts once, from its first to the last date asked for; parts
    /// of the securities are walked on rayon's threads.
    ///
    /// # Panics
    /// If `ids` and `dates` differ in length, or there are `u32::MAX` positions or more.
    ///
    /// ```
    /// use secmaster_core::{sample, Join, SecurityMaster, Value};
    /// let master = SecurityMaster::build(sample::trail())?;
    /// let d = |s: &str| s.parse().unwrap();
    /// let matches = master.match_positions(&[1, 9, 1], &[d("2024-04-01"), d("2024-04-01"), d("2024-04-02")]);
    /// assert_eq!(matches.num_matched(), 2); // security 9 is unknown
    /// assert_eq!(matches.row_of(0), matches.row_of(2)); // the same row
    /// let ticker = matches.attribute_columns().iter().position(|c| c.name() == "ticker").unwrap();
    /// assert_eq!(matches.column(ticker)[matches.row_of(0).unwrap()], &Value::from("LENZ"));
    /// assert_eq!(matches.column_runs(ticker), [(1, &Value::from("LENZ"))]);
    /// assert_eq!(matches.kept(Join::Left).count(), 3);
    /// # Ok::<(), secmaster_core::Error>(())
    /// ```
    pub fn match_positions(&self, ids: &[i64], dates: &[NaiveDate]) -> Matches<'_> {
        assert_eq!(ids.len(), dates.len(), "one date per position");
        assert!(ids.len() < NONE as usize, "fewer than 2^32 - 1 positions");
        let columns: Vec<Column> = self.schema.attribute_columns().collect();
        // Sorting the keys themselves, not indices into the positions, keeps the sort in
        // cache; the index makes the unstable sort deterministic.
        let mut order: Vec<(i64, NaiveDate, u32)> = ids
            .iter()
            .zip(dates)
            .enumerate()
            .map(|(i, (&id, &date))| (id, date, i as u32))
            .collect();
        let parallel = order.len() >= PARALLEL_POSITIONS && rayon::current_num_threads() > 1;
        if parallel {
            order.par_sort_unstable();
        } else {
            order.sort_unstable();
        }
        let parts = if parallel {
            split(&order, 8 * rayon::current_num_threads())
                .into_par_iter()
                .map(|keys| self.match_part(keys))
                .collect()
        } else {
            vec![self.match_part(&order)]
        };
        let mut runs: Vec<Vec<(usize, &Value)>> = vec![Vec::new(); columns.len()];
        let mut rows = vec![NONE; ids.len()];
        let (mut matched, mut num_rows) = (0, 0u32);
        for part in parts {
            for &(i, r) in &part.found {
                rows[i as usize] = num_rows + r;
            }
            matched += part.found.len();
            num_rows += part.rows;
            for (all, mine) in runs.iter_mut().zip(part.runs) {
                all.extend(mine);
            }
        }
        Matches {
            columns,
            runs,
            num_rows: num_rows as usize,
            rows,
            matched,
        }
    }

    /// Matches sorted keys, whole securities of them.
    fn match_part<'a>(&'a self, keys: &[(i64, NaiveDate, u32)]) -> Part<'a> {
        let order = &self.schema.order;
        let mut part = Part {
            runs: order.iter().map(|_| Vec::new()).collect(),
            rows: 0,
            found: Vec::new(),
        };
        let mut state = Vec::new();
        for group in keys.chunk_by(|a, b| a.0 == b.0) {
            let id = group[0].0;
            let Some(history) = self.securities.get(&id) else {
                continue;
            };
            let mut walk = Walk::new(id, history, &self.schema, std::mem::take(&mut state));
            // The `next` entry of the last row kept: it tells the security's rows apart.
            let mut kept = None;
            for &(_, date, i) in group {
                if walk.advance_to(date).is_none() {
                    continue; // before the security's first row
                }
                if kept != Some(walk.next) {
                    kept = Some(walk.next);
                    for (runs, &a) in part.runs.iter_mut().zip(order) {
                        let value: &'a Value = walk.state[a as usize];
                        // The same fact (or the same null) as the row before: one run.
                        match runs.last_mut() {
                            Some((n, v)) if std::ptr::eq(*v, value) => *n += 1,
                            _ => runs.push((1, value)),
                        }
                    }
                    part.rows += 1;
                }
                part.found.push((i, part.rows - 1));
            }
            state = walk.state;
        }
        part
    }

    /// Joins positions onto the master as of their dates (DESIGN.md rule 10): each position
    /// takes the attributes of its security's row with `start <= date < end`. Columns:
    /// `security_id, quantity, date`, then the attributes; `quantity` is `int` unless a
    /// quantity is a float ([`Quantity`]). Rows keep the positions' order; with
    /// [`Join::Inner`] a position without such a row is dropped, with [`Join::Left`] it is
    /// kept with null attributes.
    ///
    /// This copies every cell into a [`Table`]; writers of large joins use
    /// [`SecurityMaster::match_positions`] and gather their columns from it.
    ///
    /// ```
    /// use secmaster_core::{sample, Join, Position, SecurityMaster, Value};
    /// let master = SecurityMaster::build(sample::trail())?;
    /// let d = |s: &str| s.parse().unwrap();
    /// let positions = [Position::new(1, 100.0, d("2024-04-01")), Position::new(9, 5.0, d("2024-04-01"))];
    /// let inner = master.join_positions(&positions, Join::Inner);
    /// assert_eq!(inner.num_rows(), 1); // security 9 is unknown
    /// let ticker = inner.column_index("ticker").unwrap();
    /// assert_eq!(inner.row(0)[ticker], Value::from("LENZ"));
    /// assert_eq!(master.join_positions(&positions, Join::Left).num_rows(), 2);
    /// # Ok::<(), secmaster_core::Error>(())
    /// ```
    pub fn join_positions(&self, positions: &[Position], join: Join) -> Table {
        let ids: Vec<i64> = positions.iter().map(Position::security_id).collect();
        let dates: Vec<NaiveDate> = positions.iter().map(Position::date).collect();
        let matches = self.match_positions(&ids, &dates);
        let quantity = Quantity::column_type(positions.iter().map(Position::quantity));
        let columns = [
            Column::new("security_id", Some(ValueType::Int)),
            Column::new("quantity", Some(quantity)),
            Column::new("date", Some(ValueType::Date)),
        ]
        .into_iter()
        .chain(matches.attribute_columns().iter().cloned())
        .collect();
        let cells: Vec<Vec<&Value>> = (0..matches.attribute_columns().len())
            .map(|c| matches.column(c))
            .collect();
        let rows = matches
            .kept(join)
            .map(|i| {
                let p = &positions[i];
                let lead = [
                    Value::Int(p.security_id()),
                    p.quantity().to_value(quantity),
                    Value::Date(p.date()),
                ];
                let row = matches.row_of(i);
                let attributes = cells.iter().map(|column| match row {
                    Some(r) => column[r].clone(),
                    None => Value::Null,
                });
                lead.into_iter().chain(attributes).collect()
            })
            .collect();
        Table::from_parts(columns, 3, rows)
    }
}

/// Cuts sorted keys into about `parts` runs of whole securities.
fn split<T>(keys: &[(i64, NaiveDate, T)], parts: usize) -> Vec<&[(i64, NaiveDate, T)]> {
    let size = keys.len().div_ceil(parts.max(1)).max(1);
    let mut out = Vec::with_capacity(parts);
    let mut rest = keys;
    while !rest.is_empty() {
        let mut at = size.min(rest.len());
        // Move the cut past the rest of the security it falls in.
        if at < rest.len() {
            let id = rest[at - 1].0;
            at += rest[at..].partition_point(|k| k.0 == id);
        }
        let (head, tail) = rest.split_at(at);
        out.push(head);
        rest = tail;
    }
    out
}
