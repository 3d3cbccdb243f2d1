//! The views of a master's table: the whole [`SecurityMaster::table`], one security's
//! [`SecurityMaster::history`] and [`SecurityMaster::sources`], the asset-class view (rule 9)
//! and the snapshot [`SecurityMaster::as_of`] a date.

use std::sync::Arc;

use chrono::NaiveDate;

use super::history::Entry;
use super::walk::{NULL, RowCursor, Walk};
use super::{KEY_COLUMNS, SecurityMaster};
use crate::{Table, Value};

/// One cell of a security's periods and the fact in force that set it: see
/// [`SecurityMaster::sources`].
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    start: NaiveDate,
    end: Option<NaiveDate>,
    attribute: Arc<str>,
    value: Value,
    set_on: NaiveDate,
}

impl Source {
    /// The period's start.
    pub fn start(&self) -> NaiveDate {
        self.start
    }

    /// The period's end (exclusive), `None` for the open last period.
    pub fn end(&self) -> Option<NaiveDate> {
        self.end
    }

    /// The attribute.
    pub fn attribute(&self) -> &str {
        &self.attribute
    }

    /// The cell's value (null for a retraction).
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The effective date of the fact that set the value: the period's start, or earlier
    /// when the value was carried forward.
    pub fn set_on(&self) -> NaiveDate {
        self.set_on
    }
}

impl SecurityMaster {
    /// The whole table, copied out.
    pub fn table(&self) -> Table {
        self.collect(self.cursor())
    }

    /// The periods of one security (an empty table if it is unknown).
    pub fn history(&self, security_id: i64) -> Table {
        self.collect(self.security_cursor(security_id))
    }

    /// Where each non-null cell of one security's periods came from: per period (in order)
    /// and attribute (in column order), the fact in force that set it, which is the
    /// attribute's fact with the latest date on or before the period's start. Cells that no
    /// fact has set yet are left out; a retraction appears with a null value.
    ///
    /// ```
    /// use secmaster_core::{Fact, SecurityMaster};
    /// let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    /// let master = SecurityMaster::build([
    ///     Fact::new(1, "ticker", "GRPH", d("2024-01-01")),
    ///     Fact::new(1, "name", "Lenz", d("2024-03-22")),
    /// ])?;
    /// let sources = master.sources(1);
    /// assert_eq!(sources.len(), 3); // ticker; then ticker (carried) and name
    /// assert_eq!((sources[1].attribute(), sources[1].set_on()), ("ticker", d("2024-01-01")));
    /// assert_eq!(sources[1].start(), d("2024-03-22"));
    /// # Ok::<(), secmaster_core::Error>(())
    /// ```
    pub fn sources(&self, security_id: i64) -> Vec<Source> {
        let Some(history) = self.securities.get(&security_id) else {
            return Vec::new();
        };
        let entries = &history.entries;
        let mut last: Vec<Option<&Entry>> = vec![None; self.schema.names.len()];
        let mut out = Vec::new();
        let mut i = 0;
        while i < entries.len() {
            let start = entries[i].date;
            while i < entries.len() && entries[i].date == start {
                last[entries[i].attr as usize] = Some(&entries[i]);
                i += 1;
            }
            let end = entries.get(i).map(|e| e.date);
            for &a in &self.schema.order {
                if let Some(e) = last[a as usize] {
                    out.push(Source {
                        start,
                        end,
                        attribute: self.schema.names[a as usize].clone(),
                        value: e.value.clone(),
                        set_on: e.date,
                    });
                }
            }
        }
        out
    }

    /// The asset-class view (DESIGN.md rule 9): rows whose `asset_class` is `class`
    /// (`None`: uncategorized, i.e. null), without the attribute columns that are null in all
    /// of them.
    ///
    /// ```
    /// use secmaster_core::{sample, SecurityMaster};
    /// let master = SecurityMaster::build(sample::trail())?;
    /// let bonds = master.asset_class(Some("fixed_income"));
    /// assert_eq!(bonds.num_rows(), 3);
    /// assert!(bonds.column_index("name").is_none()); // null for every bond row
    /// let uncategorized = master.asset_class(None);
    /// assert_eq!(uncategorized.row(0)[0], 3.into());
    /// # Ok::<(), secmaster_core::Error>(())
    /// ```
    pub fn asset_class(&self, class: Option<&str>) -> Table {
        let at = self.schema.index.get("asset_class").copied();
        let wanted = class.map_or(Value::Null, Value::from);
        let mut rows = Vec::new();
        let mut cursor = self.cursor();
        while let Some(row) = cursor.next_row() {
            let here = at.map_or(&NULL, |a| row.state[a as usize]);
            if *here == wanted {
                rows.push(row.to_vec());
            }
        }
        Table::from_parts(self.columns(), KEY_COLUMNS.len(), rows).without_empty_attributes()
    }

    /// The snapshot on `date`: for each security with a row valid that day
    /// (`start <= date < end`), that row.
    ///
    /// ```
    /// use secmaster_core::{sample, SecurityMaster, Value};
    /// let master = SecurityMaster::build(sample::trail())?;
    /// let day = "2024-04-01".parse().unwrap();
    /// let snapshot = master.as_of(day).select(&["ticker"])?;
    /// let tickers: Vec<&Value> = snapshot.column_values(3).collect();
    /// assert_eq!(tickers, [&Value::from("LENZ"), &Value::from("V"), &Value::from("ACME")]);
    /// # Ok::<(), secmaster_core::Error>(())
    /// ```
    pub fn as_of(&self, date: NaiveDate) -> Table {
        let mut rows = Vec::new();
        let mut state = Vec::new();
        for (&id, history) in &self.securities {
            let mut walk = Walk::new(id, history, &self.schema, std::mem::take(&mut state));
            if let Some(row) = walk.advance_to(date) {
                rows.push(row.to_vec());
            }
            state = walk.state;
        }
        Table::from_parts(self.columns(), KEY_COLUMNS.len(), rows)
    }

    fn collect(&self, mut cursor: RowCursor<'_>) -> Table {
        let mut rows = Vec::new();
        while let Some(row) = cursor.next_row() {
            rows.push(row.to_vec());
        }
        Table::from_parts(self.columns(), KEY_COLUMNS.len(), rows)
    }
}
