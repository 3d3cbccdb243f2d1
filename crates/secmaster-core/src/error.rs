//! The one error type of the core.

use crate::{Fact, ValueType};

/// Why a build, merge or table operation was refused. A refused build or merge leaves the
/// master exactly as it was (DESIGN.md rule 8).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A fact names no attribute.
    #[error("fact {fact} has an empty attribute name")]
    EmptyAttribute {
        /// The offending fact.
        fact: Fact,
    },
    /// A fact names a key column (`security_id`, `effective_start_date`,
    /// `effective_end_date`) as its attribute, which would give the table two columns of
    /// that name (rule 1).
    #[error(
        "fact {fact} names the key column `{}` as its attribute; an attribute cannot take a \
         key column's name",
        .fact.attribute()
    )]
    KeyAttribute {
        /// The offending fact.
        fact: Fact,
    },
    /// A fact's value does not fit the type its attribute already has (rule 8).
    #[error("attribute `{attribute}` holds {existing} values but fact {fact} gives a {found}")]
    TypeConflict {
        /// The attribute.
        attribute: String,
        /// The attribute's type so far.
        existing: ValueType,
        /// The type of the offending fact's value.
        found: ValueType,
        /// The offending fact.
        fact: Fact,
    },
    /// A column was named that the table does not have.
    #[error("no column named `{column}`; the table has: {available}")]
    UnknownColumn {
        /// The name asked for.
        column: String,
        /// The table's columns, comma-separated.
        available: String,
    },
    /// A table cannot be read as a security master or is malformed.
    #[error("table is not a security master: {reason}")]
    InvalidTable {
        /// What is wrong, naming the row or column.
        reason: String,
    },
}

/// The result type of the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
