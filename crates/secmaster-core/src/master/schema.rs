//! [`Schema`]: the attribute columns of a master, interned, typed and ordered (rule 7).

use std::collections::HashMap;
use std::sync::Arc;

use super::{KEY_COLUMNS, Options};
use crate::ValueType;
use crate::table::Column;

/// An interned attribute: its index in [`Schema::names`].
pub(super) type AttrId = u32;

/// The attribute columns: names, types and display order.
#[derive(Debug, Clone, Default)]
pub(super) struct Schema {
    /// Attribute names in first-seen order; an [`AttrId`] indexes this.
    pub(super) names: Vec<Arc<str>>,
    /// The type of each attribute; `None` while every value seen is null.
    pub(super) types: Vec<Option<ValueType>>,
    pub(super) index: HashMap<Arc<str>, AttrId>,
    /// Attribute ids in display order (rule 7).
    pub(super) order: Vec<AttrId>,
}

impl Schema {
    pub(super) fn sort(&mut self, options: &Options) {
        let rank = |name: &str| {
            options
                .priority
                .iter()
                .position(|p| &**p == name)
                .unwrap_or(usize::MAX)
        };
        let names = &self.names;
        self.order = (0..names.len() as AttrId).collect();
        self.order.sort_by(|&a, &b| {
            let (a, b) = (&names[a as usize], &names[b as usize]);
            (rank(a), a).cmp(&(rank(b), b))
        });
    }

    pub(super) fn columns(&self) -> Vec<Column> {
        let keys = [
            Column::new(KEY_COLUMNS[0], Some(ValueType::Int)),
            Column::new(KEY_COLUMNS[1], Some(ValueType::Date)),
            Column::new(KEY_COLUMNS[2], Some(ValueType::Date)),
        ];
        keys.into_iter().chain(self.attribute_columns()).collect()
    }

    pub(super) fn attribute_columns(&self) -> impl Iterator<Item = Column> + '_ {
        self.order
            .iter()
            .map(|&a| Column::new(self.names[a as usize].clone(), self.types[a as usize]))
    }
}
