//! [`Table`]: a small, typed, row-major table — what views, joins and readers hand around.

use std::fmt;
use std::sync::Arc;

use crate::{Error, Result, Value, ValueType};

/// A named, typed column of a [`Table`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Column {
    name: Arc<str>,
    ty: Option<ValueType>,
}

impl Column {
    /// A column named `name` of type `ty` (`None`: a column whose every value is null and
    /// whose type is not known).
    pub fn new(name: impl Into<Arc<str>>, ty: Option<ValueType>) -> Column {
        Column {
            name: name.into(),
            ty,
        }
    }

    /// The column's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The column's type; `None` when no value of it has a type (all null).
    pub fn value_type(&self) -> Option<ValueType> {
        self.ty
    }
}

/// A table: typed columns, the first [`key_columns`](Table::key_columns) of which are keys
/// (e.g. `security_id, effective_start_date, effective_end_date`) and the rest attributes.
///
/// Every cell is null or has exactly its column's type; [`Table::new`] checks it. Two tables
/// are equal when their columns (names, types, order), key count and rows are equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    columns: Vec<Column>,
    keys: usize,
    rows: Vec<Vec<Value>>,
}

impl Table {
    /// Makes a table, checking that column names are unique and non-empty, that
    /// `keys <= columns.len()`, and that every row has one cell per column of the column's
    /// type or null.
    pub fn new(columns: Vec<Column>, keys: usize, rows: Vec<Vec<Value>>) -> Result<Table> {
        let invalid = |reason: String| Err(Error::InvalidTable { reason });
        if keys > columns.len() {
            return invalid(format!(
                "{keys} key columns but only {} columns",
                columns.len()
            ));
        }
        // A set, not a scan of the columns before each: a header of a million columns
        // must not take minutes to refuse.
        let mut names = std::collections::HashSet::with_capacity(columns.len());
        for (i, c) in columns.iter().enumerate() {
            if c.name.is_empty() {
                return invalid(format!("column {} has an empty name", i + 1));
            }
            if !names.insert(&*c.name) {
                return invalid(format!("column `{}` appears twice", c.name));
            }
        }
        for (r, row) in rows.iter().enumerate() {
            if row.len() != columns.len() {
                return invalid(format!(
                    "row {} has {} cells, expected {}",
                    r + 1,
                    row.len(),
                    columns.len()
                ));
            }
            for (cell, c) in row.iter().zip(&columns) {
                if let Some(t) = cell.value_type()
                    && Some(t) != c.ty
                {
                    let expected = c.ty.map_or("null", ValueType::name);
                    return invalid(format!(
                        "row {} column `{}` holds a {t} value, expected {expected}",
                        r + 1,
                        c.name
                    ));
                }
            }
        }
        Ok(Table {
            columns,
            keys,
            rows,
        })
    }

    /// Makes a table without checking it; callers in this crate guarantee the invariants.
    pub(crate) fn from_parts(columns: Vec<Column>, keys: usize, rows: Vec<Vec<Value>>) -> Table {
        debug_assert!(Table::new(columns.clone(), keys, rows.clone()).is_ok());
        Table {
            columns,
            keys,
            rows,
        }
    }

    /// All columns, keys first.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// How many leading columns are keys.
    pub fn key_columns(&self) -> usize {
        self.keys
    }

    /// The attribute (non-key) columns.
    pub fn attributes(&self) -> &[Column] {
        &self.columns[self.keys..]
    }

    /// The position of the column named `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| &*c.name == name)
    }

    /// The number of rows.
    pub fn num_rows(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Row `i`, one cell per column.
    ///
    /// # Panics
    /// If `i >= self.num_rows()`.
    pub fn row(&self, i: usize) -> &[Value] {
        &self.rows[i]
    }

    /// The rows in order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &[Value]> + '_ {
        self.rows.iter().map(Vec::as_slice)
    }

    /// The cells of column `i`, top to bottom.
    pub fn column_values(&self, i: usize) -> impl ExactSizeIterator<Item = &Value> + '_ {
        self.rows.iter().map(move |r| &r[i])
    }

    /// The rows for which `keep` is true.
    pub fn filter(&self, mut keep: impl FnMut(&[Value]) -> bool) -> Table {
        let rows = self.rows.iter().filter(|r| keep(r)).cloned().collect();
        Table::from_parts(self.columns.clone(), self.keys, rows)
    }

    /// The rows of one security, for tables whose first column is `security_id`.
    pub fn where_security(&self, security_id: i64) -> Table {
        self.filter(|r| r.first() == Some(&Value::Int(security_id)))
    }

    /// The asset-class view (DESIGN.md rule 9): the rows whose `asset_class` is `class`
    /// (`None`: null), then without the attribute columns that are null in every remaining
    /// row. Key columns always stay. A table without an `asset_class` column has a null class
    /// in every row.
    pub fn where_asset_class(&self, class: Option<&str>) -> Table {
        let wanted = class.map_or(Value::Null, Value::from);
        let filtered = match self.column_index("asset_class") {
            Some(i) => self.filter(|r| r[i] == wanted),
            None if class.is_none() => self.clone(),
            None => self.filter(|_| false),
        };
        filtered.without_empty_attributes()
    }

    /// This table without the attribute columns that are null in every row.
    pub fn without_empty_attributes(&self) -> Table {
        let keep: Vec<usize> = (0..self.columns.len())
            .filter(|&i| i < self.keys || self.rows.iter().any(|r| !r[i].is_null()))
            .collect();
        self.pick(&keep, self.keys)
    }

    /// The key columns followed by the named attribute columns, in the order named
    /// (a column projection). Naming a key column is allowed and has no effect.
    pub fn select<S: AsRef<str>>(&self, names: &[S]) -> Result<Table> {
        let mut keep: Vec<usize> = (0..self.keys).collect();
        for name in names {
            let name = name.as_ref();
            let i = self
                .column_index(name)
                .ok_or_else(|| Error::UnknownColumn {
                    column: name.to_string(),
                    available: self
                        .columns
                        .iter()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
            if !keep.contains(&i) {
                keep.push(i);
            }
        }
        Ok(self.pick(&keep, self.keys))
    }

    fn pick(&self, keep: &[usize], keys: usize) -> Table {
        let columns = keep.iter().map(|&i| self.columns[i].clone()).collect();
        let rows = self
            .rows
            .iter()
            .map(|r| keep.iter().map(|&i| r[i].clone()).collect())
            .collect();
        Table::from_parts(columns, keys, rows)
    }

    /// The rows, moved out.
    pub fn into_rows(self) -> Vec<Vec<Value>> {
        self.rows
    }
}

/// Renders the table as aligned plain text: a header line, then one line per row, cells
/// separated by two spaces, nulls shown as `null`, dates as ISO. Meant for tests, logs and
/// small outputs; trailing spaces are trimmed.
impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(ToString::to_string).collect())
            .collect();
        let widths: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                cells
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([c.name.chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut line = String::new();
        let mut write_line = |f: &mut fmt::Formatter<'_>, items: &mut dyn Iterator<Item = &str>| {
            line.clear();
            for (i, item) in items.enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                line.push_str(item);
                let pad = widths[i].saturating_sub(item.chars().count());
                line.extend(std::iter::repeat_n(' ', pad));
            }
            writeln!(f, "{}", line.trim_end())
        };
        write_line(f, &mut self.columns.iter().map(|c| c.name()))?;
        for row in &cells {
            write_line(f, &mut row.iter().map(String::as_str))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Table {
        Table::new(
            vec![
                Column::new("security_id", Some(ValueType::Int)),
                Column::new("asset_class", Some(ValueType::Str)),
                Column::new("x", Some(ValueType::Int)),
                Column::new("y", None),
            ],
            1,
            vec![
                vec![Value::Int(1), "equity".into(), Value::Int(5), Value::Null],
                vec![Value::Int(2), Value::Null, Value::Null, Value::Null],
            ],
        )
        .unwrap()
    }

    #[test]
    fn new_rejects_bad_cells() {
        let cols = vec![Column::new("a", Some(ValueType::Int))];
        let err = Table::new(cols.clone(), 0, vec![vec![Value::from("x")]]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "table is not a security master: row 1 column `a` holds a str value, expected int"
        );
        let err = Table::new(cols, 0, vec![vec![]]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "table is not a security master: row 1 has 0 cells, expected 1"
        );
    }

    #[test]
    fn asset_class_view_drops_empty_attributes() {
        let t = small();
        let eq = t.where_asset_class(Some("equity"));
        assert_eq!(
            eq.to_string(),
            "security_id  asset_class  x\n1            equity       5\n"
        );
        let none = t.where_asset_class(None);
        assert_eq!(none.to_string(), "security_id\n2\n");
        assert_eq!(t.where_asset_class(Some("fx")).num_rows(), 0);
    }

    #[test]
    fn select_keeps_keys_and_order() {
        let t = small();
        let s = t.select(&["x", "asset_class"]).unwrap();
        assert_eq!(
            s.columns().iter().map(Column::name).collect::<Vec<_>>(),
            ["security_id", "x", "asset_class"]
        );
        let err = t.select(&["nope"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no column named `nope`; the table has: security_id, asset_class, x, y"
        );
    }
}
