//! Facts and positions: the inputs of the engine (DESIGN.md rules 1 and 10).

use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::{Value, ValueType};

/// One assertion of the audit trail: security `security_id` has `attribute = value` from
/// `effective_date` on.
///
/// A fact is not validated when it is made; [`SecurityMaster::build`](crate::SecurityMaster::build)
/// and [`SecurityMaster::merge`](crate::SecurityMaster::merge) reject an empty attribute name
/// or a type conflict with a typed [`Error`](crate::Error) that carries the fact.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fact {
    security_id: i64,
    attribute: Arc<str>,
    value: Value,
    effective_date: NaiveDate,
}

impl Fact {
    /// Makes a fact.
    ///
    /// ```
    /// use secmaster_core::{Fact, Value};
    /// let d = chrono::NaiveDate::from_ymd_opt(2024, 3, 22).unwrap();
    /// let fact = Fact::new(1, "ticker", "LENZ", d);
    /// assert_eq!(fact.value(), &Value::from("LENZ"));
    /// assert_eq!(fact.to_string(), "(1, ticker, LENZ, 2024-03-22)");
    /// ```
    pub fn new(
        security_id: i64,
        attribute: impl Into<Arc<str>>,
        value: impl Into<Value>,
        effective_date: NaiveDate,
    ) -> Fact {
        Fact {
            security_id,
            attribute: attribute.into(),
            value: value.into(),
            effective_date,
        }
    }

    /// The security the fact is about.
    pub fn security_id(&self) -> i64 {
        self.security_id
    }

    /// The attribute's name.
    pub fn attribute(&self) -> &str {
        &self.attribute
    }

    /// The attribute's name as a shared string (no copy).
    pub fn attribute_arc(&self) -> &Arc<str> {
        &self.attribute
    }

    /// The asserted value; [`Value::Null`] retracts the attribute.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The date from which the fact holds.
    pub fn effective_date(&self) -> NaiveDate {
        self.effective_date
    }

    /// The fact's parts, moved out.
    pub fn into_parts(self) -> (i64, Arc<str>, Value, NaiveDate) {
        (
            self.security_id,
            self.attribute,
            self.value,
            self.effective_date,
        )
    }
}

/// Shows the fact as `(security_id, attribute, value, effective_date)`.
impl fmt::Display for Fact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "({}, {}, {}, {})",
            self.security_id,
            self.attribute,
            self.value,
            self.effective_date.format("%Y-%m-%d")
        )
    }
}

/// How many units a [`Position`] holds: a whole number, or a fraction.
///
/// A column of quantities is `int` when every one is [`Quantity::Int`] and `float` as soon
/// as one is a [`Quantity::Float`], the integers widened as rule 8 widens a mixed column
/// (exact up to 2^53).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quantity {
    /// A whole number of units.
    Int(i64),
    /// A fractional number of units.
    Float(f64),
}

impl Quantity {
    /// The quantity as a float (an integer beyond 2^53 rounds to the nearest).
    pub fn as_f64(self) -> f64 {
        match self {
            Quantity::Int(i) => i as f64,
            Quantity::Float(x) => x,
        }
    }

    /// The quantity as a table cell of type `ty` (`Float` widens an integer).
    pub fn to_value(self, ty: ValueType) -> Value {
        match (self, ty) {
            (Quantity::Int(i), ValueType::Int) => Value::Int(i),
            (q, _) => Value::Float(q.as_f64()),
        }
    }

    /// The type of a column holding `quantities`: `int` unless one is a float.
    pub fn column_type(quantities: impl IntoIterator<Item = Quantity>) -> ValueType {
        if quantities
            .into_iter()
            .any(|q| matches!(q, Quantity::Float(_)))
        {
            ValueType::Float
        } else {
            ValueType::Int
        }
    }
}

impl From<i64> for Quantity {
    fn from(i: i64) -> Quantity {
        Quantity::Int(i)
    }
}

impl From<f64> for Quantity {
    fn from(x: f64) -> Quantity {
        Quantity::Float(x)
    }
}

/// A holding of `quantity` units of a security on a date, to be joined as of that date onto
/// the master (DESIGN.md rule 10).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    security_id: i64,
    quantity: Quantity,
    date: NaiveDate,
}

impl Position {
    /// Makes a position; `quantity` is an `i64`, an `f64` or a [`Quantity`].
    ///
    /// ```
    /// use secmaster_core::{Position, Quantity};
    /// let d = chrono::NaiveDate::from_ymd_opt(2024, 2, 1).unwrap();
    /// assert_eq!(Position::new(1, 100, d).quantity(), Quantity::Int(100));
    /// assert_eq!(Position::new(1, 100.5, d).quantity(), Quantity::Float(100.5));
    /// ```
    pub fn new(security_id: i64, quantity: impl Into<Quantity>, date: NaiveDate) -> Position {
        Position {
            security_id,
            quantity: quantity.into(),
            date,
        }
    }

    /// The security held.
    pub fn security_id(&self) -> i64 {
        self.security_id
    }

    /// How many units are held.
    pub fn quantity(&self) -> Quantity {
        self.quantity
    }

    /// The date of the holding.
    pub fn date(&self) -> NaiveDate {
        self.date
    }
}
