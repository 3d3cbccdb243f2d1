//! [`FromRows`]: a master read back from its table, row by row, and
//! [`SecurityMaster::from_table`] on top of it.

use std::sync::Arc;

use chrono::NaiveDate;

use super::history::Entry;
use super::schema::AttrId;
use super::{KEY_COLUMNS, Options, SecurityMaster};
use crate::table::Column;
use crate::{Error, Result, Table, Value, ValueType};

/// A master read back from its table's rows, given one at a time in table order: what
/// [`SecurityMaster::from_table`] does (same checks, same errors), without the whole table
/// in memory. A reader of a large table file pushes each row as it decodes it.
///
/// ```
/// use secmaster_core::{FromRows, SecurityMaster};
/// let master = SecurityMaster::build(secmaster_core::sample::trail())?;
/// let table = master.table();
/// let mut rows = FromRows::new(table.columns(), master.options().clone())?;
/// for row in table.rows() {
///     rows.push(row)?;
/// }
/// assert_eq!(rows.finish()?, master);
/// # Ok::<(), secmaster_core::Error>(())
/// ```
#[derive(Debug)]
pub struct FromRows {
    master: SecurityMaster,
    /// The number of the next row, from 1.
    line: usize,
    /// The last row's keys.
    previous: Option<(i64, NaiveDate, Option<NaiveDate>)>,
    /// The current security's attribute values as of the last row.
    state: Vec<Value>,
}

impl FromRows {
    /// Starts a master of a table with `columns`: the three key columns, then the
    /// attributes in the order `options` gives them (rule 7).
    pub fn new(columns: &[Column], options: Options) -> Result<FromRows> {
        let invalid = |reason: String| Err(Error::InvalidTable { reason });
        let key_types = [ValueType::Int, ValueType::Date, ValueType::Date];
        for (i, (name, ty)) in KEY_COLUMNS.iter().zip(key_types).enumerate() {
            match columns.get(i) {
                Some(c)
                    if c.name() == *name
                        && (c.value_type() == Some(ty) || (i == 2 && c.value_type().is_none())) => {
                }
                Some(c) => {
                    return invalid(format!(
                        "column {} is `{}` of type {}, expected `{name}` of type {ty}",
                        i + 1,
                        c.name(),
                        c.value_type().map_or("null", ValueType::name),
                    ));
                }
                None => return invalid(format!("missing key column `{name}`")),
            }
        }
        let attributes = &columns[KEY_COLUMNS.len()..];
        let master = SecurityMaster::with_columns(options, attributes.iter().cloned())?;
        if master
            .schema
            .order
            .iter()
            .enumerate()
            .any(|(i, &a)| i != a as usize)
        {
            let expected: Vec<String> = master
                .schema
                .attribute_columns()
                .map(|c| c.name().to_string())
                .collect();
            let found: Vec<&str> = attributes.iter().map(Column::name).collect();
            return invalid(format!(
                "attribute columns are not in priority order: expected {}, found {}",
                expected.join(", "),
                found.join(", ")
            ));
        }
        Ok(FromRows {
            master,
            line: 1,
            previous: None,
            state: vec![Value::Null; attributes.len()],
        })
    }

    /// Takes the next row: its cells in column order, each null or of its column's type.
    pub fn push(&mut self, row: &[Value]) -> Result<()> {
        let invalid = |reason: String| Err(Error::InvalidTable { reason });
        let line = self.line;
        self.line += 1;
        if row.len() != KEY_COLUMNS.len() + self.state.len() {
            return invalid(format!(
                "row {line} has {} cells, expected {}",
                row.len(),
                KEY_COLUMNS.len() + self.state.len()
            ));
        }
        let (Value::Int(id), Value::Date(start)) = (&row[0], &row[1]) else {
            return invalid(format!(
                "row {line} has a null security_id or effective_start_date"
            ));
        };
        let (id, start) = (*id, *start);
        let end = match &row[2] {
            Value::Date(d) => Some(*d),
            _ => None,
        };
        if end.is_some_and(|end| end <= start) {
            return invalid(format!("row {line} ends on or before it starts"));
        }
        match self.previous {
            Some((pid, pstart, pend)) if pid == id => {
                if start <= pstart {
                    return invalid(format!(
                        "row {line} is not sorted by (security_id, effective_start_date)"
                    ));
                }
                if pend != Some(start) {
                    return invalid(format!(
                        "row {} of security {id} should end where row {line} starts",
                        line - 1
                    ));
                }
            }
            Some((pid, _, pend)) => {
                if id < pid {
                    return invalid(format!(
                        "row {line} is not sorted by (security_id, effective_start_date)"
                    ));
                }
                if pend.is_some() {
                    return invalid(format!(
                        "row {} is the last of security {pid} but has an end date",
                        line - 1
                    ));
                }
                self.state.fill(Value::Null);
            }
            None => {}
        }
        self.previous = Some((id, start, end));
        if self.state.is_empty() {
            return invalid(format!(
                "row {line}: a master row needs at least one attribute column"
            ));
        }
        let history = Arc::make_mut(self.master.securities.entry(id).or_default());
        let before = history.entries.len();
        for (a, value) in row[KEY_COLUMNS.len()..].iter().enumerate() {
            if self.state[a] != *value {
                self.state[a] = value.clone();
                history.entries.push(Entry {
                    date: start,
                    attr: a as AttrId,
                    value: value.clone(),
                });
            }
        }
        if history.entries.len() == before {
            history.entries.push(Entry {
                date: start,
                attr: 0,
                value: self.state[0].clone(),
            });
        }
        Ok(())
    }

    /// The master of the rows pushed.
    pub fn finish(self) -> Result<SecurityMaster> {
        if let Some((pid, _, Some(_))) = self.previous {
            return Err(Error::InvalidTable {
                reason: format!(
                    "row {} is the last of security {pid} but has an end date",
                    self.line - 1
                ),
            });
        }
        Ok(self.master)
    }
}

impl SecurityMaster {
    /// Reads a master back from its table, as written by [`SecurityMaster::table`] (or read
    /// from a file): the inverse of `table()` for every table a master can produce.
    ///
    /// The table must start with the three key columns, list its attributes in the order
    /// `options` gives (rule 7), have its rows sorted by `(security_id, start)` with each
    /// `end` equal to the next start of the same security (null for the last). Column types
    /// are taken as given, so a column whose every value is null keeps its type.
    ///
    /// A table does not record which facts made it, only what changed: the rebuilt master
    /// holds one fact per changed cell, and for a row where nothing changed (a re-assertion)
    /// one fact re-asserting its first attribute. Its table equals the input; merges into it
    /// can differ from merges into the original master where that re-assertion matters.
    pub fn from_table(table: &Table, options: Options) -> Result<SecurityMaster> {
        let mut rows = FromRows::new(table.columns(), options)?;
        for row in table.rows() {
            rows.push(row)?;
        }
        rows.finish()
    }
}
