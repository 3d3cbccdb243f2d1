//! Positions joined onto a master as of their dates (rule 10).

use chrono::NaiveDate;

use super::walk::Walk;
use super::{Join, SecurityMaster};
use crate::table::Column;
use crate::{Position, Table, Value, ValueType};

impl SecurityMaster {
    /// Joins positions onto the master as of their dates (DESIGN.md rule 10): each position
    /// takes the attributes of its security's row with `start <= date < end`. Columns:
    /// `security_id, quantity, date`, then the attributes. Rows keep the positions' order;
    /// with [`Join::Inner`] a position without such a row is dropped, with [`Join::Left`] it
    /// is kept with null attributes.
    ///
    /// Costs O(p log p) to sort the positions plus one pass over the facts of the securities
    /// they hold.
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
        let columns = [
            Column::new("security_id", Some(ValueType::Int)),
            Column::new("quantity", Some(ValueType::Float)),
            Column::new("date", Some(ValueType::Date)),
        ]
        .into_iter()
        .chain(self.schema.attribute_columns())
        .collect();
        let lead = |p: &Position| {
            [
                Value::Int(p.security_id()),
                Value::Float(p.quantity()),
                Value::Date(p.date()),
            ]
        };
        let width = self.schema.names.len();
        // Sorting the keys themselves, not indices into the positions, keeps the sort in
        // cache; the index makes the unstable sort deterministic.
        let mut order: Vec<(i64, NaiveDate, usize)> = positions
            .iter()
            .enumerate()
            .map(|(i, p)| (p.security_id(), p.date(), i))
            .collect();
        order.sort_unstable();
        let mut out: Vec<Option<Vec<Value>>> = vec![None; positions.len()];
        let mut state = Vec::new();
        for group in order.chunk_by(|a, b| a.0 == b.0) {
            let id = group[0].0;
            let mut walk = self
                .securities
                .get(&id)
                .map(|h| Walk::new(id, h, &self.schema, std::mem::take(&mut state)));
            for &(_, _, i) in group {
                let p = &positions[i];
                let row = walk.as_mut().and_then(|w| w.advance_to(p.date()));
                out[i] = match (row, join) {
                    (Some(row), _) => Some(
                        lead(p)
                            .into_iter()
                            .chain(row.attributes().cloned())
                            .collect(),
                    ),
                    (None, Join::Left) => Some(
                        lead(p)
                            .into_iter()
                            .chain(std::iter::repeat_n(Value::Null, width))
                            .collect(),
                    ),
                    (None, Join::Inner) => None,
                };
            }
            if let Some(w) = walk {
                state = w.state;
            }
        }
        Table::from_parts(columns, 3, out.into_iter().flatten().collect())
    }
}
