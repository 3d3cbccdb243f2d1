//! Attribute values and their types (DESIGN.md rules 1 and 8).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use chrono::NaiveDate;

/// One attribute value: what a fact asserts and what a table cell holds.
///
/// Equality, ordering and hashing are total and exact so that tables compare exactly:
/// floats compare by [`f64::total_cmp`] (so `NaN == NaN` and `-0.0 != 0.0`), and values of
/// different types are never equal (`Int(1) != Float(1.0)`). The order sorts by type first
/// (in declaration order), then by value.
#[derive(Debug, Clone)]
pub enum Value {
    /// No value. As a fact it is a retraction (DESIGN.md rule 4).
    Null,
    /// A boolean.
    Bool(bool),
    /// A 64-bit signed integer.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// A UTF-8 string. Shared, so cloning a value never copies its text.
    Str(Arc<str>),
    /// A calendar date.
    Date(NaiveDate),
}

/// The type of a non-null [`Value`], and so of a table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ValueType {
    /// [`Value::Bool`].
    Bool,
    /// [`Value::Int`].
    Int,
    /// [`Value::Float`].
    Float,
    /// [`Value::Str`].
    Str,
    /// [`Value::Date`].
    Date,
}

impl ValueType {
    /// The type a column has after seeing values of `self` and `other`, or `None` when the two
    /// do not mix. Int and Float widen to Float; every other mix is a conflict (rule 8).
    pub fn unify(self, other: ValueType) -> Option<ValueType> {
        match (self, other) {
            (a, b) if a == b => Some(a),
            (ValueType::Int, ValueType::Float) | (ValueType::Float, ValueType::Int) => {
                Some(ValueType::Float)
            }
            _ => None,
        }
    }

    /// The lowercase name used in messages and schemas: `bool`, `int`, `float`, `str`, `date`.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Bool => "bool",
            ValueType::Int => "int",
            ValueType::Float => "float",
            ValueType::Str => "str",
            ValueType::Date => "date",
        }
    }

    /// The inverse of [`ValueType::name`].
    pub fn from_name(name: &str) -> Option<ValueType> {
        Some(match name {
            "bool" => ValueType::Bool,
            "int" => ValueType::Int,
            "float" => ValueType::Float,
            "str" => ValueType::Str,
            "date" => ValueType::Date,
            _ => return None,
        })
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Value {
    /// The value's type, or `None` for [`Value::Null`].
    pub fn value_type(&self) -> Option<ValueType> {
        match self {
            Value::Null => None,
            Value::Bool(_) => Some(ValueType::Bool),
            Value::Int(_) => Some(ValueType::Int),
            Value::Float(_) => Some(ValueType::Float),
            Value::Str(_) => Some(ValueType::Str),
            Value::Date(_) => Some(ValueType::Date),
        }
    }

    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The text of a [`Value::Str`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Makes this value what a column of type `ty` stores: an Int in a Float column becomes
    /// a Float (rule 8's widening); everything else is unchanged.
    pub fn widen(&mut self, ty: Option<ValueType>) {
        if let (Value::Int(i), Some(ValueType::Float)) = (&*self, ty) {
            *self = Value::Float(*i as f64);
        }
    }

    /// `text` as a value of type `ty` (a date as `YYYY-MM-DD`), or `None` if it is not one:
    /// how a query names a value of a column (`resolve --where ticker=GRPH`).
    ///
    /// ```
    /// use secmaster_core::{Value, ValueType};
    /// assert_eq!(Value::parse_as("400", ValueType::Float), Some(Value::Float(400.0)));
    /// assert_eq!(Value::parse_as("GRPH", ValueType::Int), None);
    /// ```
    pub fn parse_as(text: &str, ty: ValueType) -> Option<Value> {
        Some(match ty {
            ValueType::Str => Value::from(text),
            ValueType::Int => Value::Int(text.parse().ok()?),
            ValueType::Float => Value::Float(text.parse().ok()?),
            ValueType::Bool => Value::Bool(text.parse().ok()?),
            ValueType::Date => Value::Date(text.parse().ok()?),
        })
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Int(_) => 2,
            Value::Float(_) => 3,
            Value::Str(_) => 4,
            Value::Date(_) => 5,
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Value {}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Value) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Value) -> Ordering {
        match (self, other) {
            (Value::Null, Value::Null) => Ordering::Equal,
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Int(a), Value::Int(b)) => a.cmp(b),
            (Value::Float(a), Value::Float(b)) => a.total_cmp(b),
            (Value::Str(a), Value::Str(b)) => a.cmp(b),
            (Value::Date(a), Value::Date(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.rank().hash(state);
        match self {
            Value::Null => {}
            Value::Bool(b) => b.hash(state),
            Value::Int(i) => i.hash(state),
            Value::Float(x) => x.to_bits().hash(state),
            Value::Str(s) => s.hash(state),
            Value::Date(d) => d.hash(state),
        }
    }
}

/// Displays the value as a table cell: `null`, `true`, `42`, `4.5`, the text as is, and
/// dates as ISO `YYYY-MM-DD`. Floats use Rust's shortest round-trip form (`400` for 400.0).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.pad("null"),
            Value::Bool(b) => f.pad(if *b { "true" } else { "false" }),
            Value::Int(i) => f.pad(&i.to_string()),
            Value::Float(x) => f.pad(&x.to_string()),
            Value::Str(s) => f.pad(s),
            Value::Date(d) => f.pad(&d.format("%Y-%m-%d").to_string()),
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Value {
        Value::Int(i64::from(i))
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Value {
        Value::Float(x)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(Arc::from(s))
    }
}

impl From<Arc<str>> for Value {
    fn from(s: Arc<str>) -> Value {
        Value::Str(s)
    }
}

impl From<NaiveDate> for Value {
    fn from(d: NaiveDate) -> Value {
        Value::Date(d)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_compare_by_bits() {
        assert_eq!(Value::Float(f64::NAN), Value::Float(f64::NAN));
        assert_ne!(Value::Float(0.0), Value::Float(-0.0));
        assert_ne!(Value::Int(1), Value::Float(1.0));
        assert!(Value::Null < Value::Bool(false));
        assert!(Value::Int(i64::MAX) < Value::Float(f64::NEG_INFINITY));
    }

    #[test]
    fn unify_widens_only_numbers() {
        use ValueType::*;
        assert_eq!(Int.unify(Float), Some(Float));
        assert_eq!(Float.unify(Int), Some(Float));
        assert_eq!(Str.unify(Str), Some(Str));
        assert_eq!(Str.unify(Date), None);
        assert_eq!(Bool.unify(Int), None);
        for t in [Bool, Int, Float, Str, Date] {
            assert_eq!(ValueType::from_name(t.name()), Some(t));
        }
    }

    #[test]
    fn display_is_plain() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 22).unwrap();
        let shown: Vec<String> = [
            Value::Null,
            Value::Bool(true),
            Value::Int(-7),
            Value::Float(400.0),
            Value::Float(0.25),
            Value::from("LENZ"),
            Value::Date(d),
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            shown,
            ["null", "true", "-7", "400", "0.25", "LENZ", "2024-03-22"]
        );
    }
}
