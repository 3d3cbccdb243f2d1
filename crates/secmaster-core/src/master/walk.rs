//! The carry-forward [`Walk`] over one security's facts (rules 2-4), and the row-by-row
//! reading of a master's table it drives: [`RowCursor`] and [`RowRef`].

use std::sync::Arc;

use std::collections::btree_map;

use chrono::NaiveDate;

use super::SecurityMaster;
use super::history::{Entry, History};
use super::schema::{AttrId, Schema};
use crate::Value;

impl SecurityMaster {
    /// A cursor over every row of the table, in order, without copying it.
    ///
    /// ```
    /// # let master = secmaster_core::SecurityMaster::build(secmaster_core::sample::trail())?;
    /// let mut cursor = master.cursor();
    /// let mut rows = 0;
    /// while let Some(row) = cursor.next_row() {
    ///     assert!(row.end().is_none_or(|end| row.start() < end));
    ///     rows += 1;
    /// }
    /// assert_eq!(rows, master.num_rows());
    /// # Ok::<(), secmaster_core::Error>(())
    /// ```
    pub fn cursor(&self) -> RowCursor<'_> {
        RowCursor::new(self, self.securities.range(..))
    }

    /// A cursor over the rows of one security (none if it is unknown).
    pub fn security_cursor(&self, security_id: i64) -> RowCursor<'_> {
        RowCursor::new(self, self.securities.range(security_id..=security_id))
    }
}

/// The carry-forward pass over one security's facts (rules 3 and 4).
pub(super) struct Walk<'a> {
    security_id: i64,
    pub(super) entries: &'a [Entry],
    schema: &'a Schema,
    /// The next entry to apply.
    pub(super) next: usize,
    /// The current row's start, once a fact has been applied.
    start: Option<NaiveDate>,
    /// The current value of each attribute, by [`AttrId`]: borrowed from the entries, so
    /// carrying a value forward copies a pointer, not the value.
    pub(super) state: Vec<&'a Value>,
}

/// What an attribute holds before its first fact.
pub(super) static NULL: Value = Value::Null;

impl<'a> Walk<'a> {
    pub(super) fn new(
        security_id: i64,
        history: &'a History,
        schema: &'a Schema,
        mut state: Vec<&'a Value>,
    ) -> Walk<'a> {
        state.clear();
        state.resize(schema.names.len(), &NULL);
        Walk {
            security_id,
            entries: &history.entries,
            schema,
            next: 0,
            start: None,
            state,
        }
    }

    /// Applies every fact dated `date`, which must be the next date.
    fn apply_date(&mut self, date: NaiveDate) {
        while let Some(e) = self.entries.get(self.next).filter(|e| e.date == date) {
            self.state[e.attr as usize] = &e.value;
            self.next += 1;
        }
        self.start = Some(date);
    }

    fn row(&self) -> Option<RowRef<'_>> {
        Some(RowRef {
            security_id: self.security_id,
            start: self.start?,
            end: self.entries.get(self.next).map(|e| e.date),
            state: &self.state,
            order: &self.schema.order,
        })
    }

    /// Moves to the next row.
    fn step(&mut self) -> Option<RowRef<'_>> {
        let date = self.entries.get(self.next)?.date;
        self.apply_date(date);
        self.row()
    }

    /// Moves to the row valid on `date` (the last one starting on or before it), if any.
    /// Dates passed must not decrease.
    pub(super) fn advance_to(&mut self, date: NaiveDate) -> Option<RowRef<'_>> {
        while let Some(d) = self
            .entries
            .get(self.next)
            .map(|e| e.date)
            .filter(|&d| d <= date)
        {
            self.apply_date(d);
        }
        self.row()
    }
}

/// A cursor over table rows, from [`SecurityMaster::cursor`]. Each row borrows the cursor,
/// so nothing is copied; call [`RowRef::to_vec`] to keep one.
pub struct RowCursor<'a> {
    master: &'a SecurityMaster,
    securities: btree_map::Range<'a, i64, Arc<History>>,
    walk: Option<Walk<'a>>,
}

impl std::fmt::Debug for RowCursor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowCursor").finish_non_exhaustive()
    }
}

impl<'a> RowCursor<'a> {
    fn new(
        master: &'a SecurityMaster,
        securities: btree_map::Range<'a, i64, Arc<History>>,
    ) -> RowCursor<'a> {
        RowCursor {
            master,
            securities,
            walk: None,
        }
    }

    /// The next row, or `None` after the last.
    #[allow(clippy::should_implement_trait)] // a lending cursor cannot be an `Iterator`
    pub fn next_row(&mut self) -> Option<RowRef<'_>> {
        loop {
            let more = self.walk.as_ref().is_some_and(|w| w.next < w.entries.len());
            if more {
                return self.walk.as_mut()?.step();
            }
            let (&id, history) = self.securities.next()?;
            let state = self.walk.take().map(|w| w.state).unwrap_or_default();
            self.walk = Some(Walk::new(id, history, &self.master.schema, state));
        }
    }
}

/// One row of a master's table, borrowed from a [`RowCursor`].
#[derive(Debug, Clone, Copy)]
pub struct RowRef<'a> {
    pub(super) security_id: i64,
    pub(super) start: NaiveDate,
    pub(super) end: Option<NaiveDate>,
    pub(super) state: &'a [&'a Value],
    order: &'a [AttrId],
}

impl<'a> RowRef<'a> {
    /// The security.
    pub fn security_id(&self) -> i64 {
        self.security_id
    }

    /// The first day of the period.
    pub fn start(&self) -> NaiveDate {
        self.start
    }

    /// The day after the last day of the period; `None` for the open last row.
    pub fn end(&self) -> Option<NaiveDate> {
        self.end
    }

    /// The number of attribute cells.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether the row has no attribute cells.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Attribute cell `i`, in the order of [`SecurityMaster::columns`] minus the key columns.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    pub fn attribute(&self, i: usize) -> &'a Value {
        self.state[self.order[i] as usize]
    }

    /// The attribute cells in column order.
    pub fn attributes(&self) -> impl ExactSizeIterator<Item = &'a Value> + 'a {
        let state = self.state;
        self.order.iter().map(move |&a| state[a as usize])
    }

    /// The whole row, key cells first, copied out.
    pub fn to_vec(&self) -> Vec<Value> {
        [
            Value::Int(self.security_id),
            Value::Date(self.start),
            self.end.map_or(Value::Null, Value::Date),
        ]
        .into_iter()
        .chain(self.attributes().cloned())
        .collect()
    }
}
