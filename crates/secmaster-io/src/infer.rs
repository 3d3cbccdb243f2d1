//! Typing text: the narrowest of int, float, date and bool that fits every value, else str.

use secmaster_core::{Value, ValueType};

use crate::text::{parse_bool, parse_date, parse_decimal, parse_float, parse_int};

/// Which types every text seen so far fits. Start with [`Fits::default`], [`add`](Fits::add)
/// each non-empty text, then ask for the [`narrowest`](Fits::narrowest) type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Fits {
    int: bool,
    float: bool,
    date: bool,
    bool: bool,
    seen: bool,
}

impl Default for Fits {
    fn default() -> Fits {
        Fits {
            int: true,
            float: true,
            date: true,
            bool: true,
            seen: false,
        }
    }
}

impl Fits {
    /// Narrows by one text value.
    pub(crate) fn add(&mut self, s: &str) {
        let int = parse_int(s).is_some();
        // An integer too long for an int stays text rather than lose digits as a float
        // (a 20-digit identifier must not become 1e19).
        let integral = !s.contains(['.', 'e', 'E']);
        self.narrow(
            int,
            parse_decimal(s).is_some() && (int || !integral),
            parse_date(s).is_some(),
            parse_bool(s).is_some(),
        );
    }

    /// Narrows by one text value whose fit to each type is already known.
    pub(crate) fn narrow(&mut self, int: bool, float: bool, date: bool, bool: bool) {
        self.seen = true;
        self.int = self.int && int;
        self.float = self.float && float;
        self.date = self.date && date;
        self.bool = self.bool && bool;
    }

    /// Narrows by a text that [`parse_int`] reads: it fits int and float, not date or bool.
    pub(crate) fn add_int(&mut self) {
        self.narrow(true, true, false, false);
    }

    /// Narrows by every text `other` has seen, as if they had been added here.
    pub(crate) fn merge(&mut self, other: &Fits) {
        if other.seen {
            self.narrow(other.int, other.float, other.date, other.bool);
        }
    }

    /// Whether no text seen so far fits anything but str.
    pub(crate) fn is_str(&self) -> bool {
        self.seen && !(self.int || self.float || self.date || self.bool)
    }

    /// Narrows by a text that is known not to be a number, date or bool (a quoted empty
    /// string in a table CSV).
    pub(crate) fn add_str(&mut self) {
        *self = Fits {
            int: false,
            float: false,
            date: false,
            bool: false,
            seen: true,
        };
    }

    /// The narrowest type every text fits, `None` if no text was seen.
    pub(crate) fn narrowest(&self) -> Option<ValueType> {
        if !self.seen {
            return None;
        }
        Some(if self.int {
            ValueType::Int
        } else if self.float {
            ValueType::Float
        } else if self.date {
            ValueType::Date
        } else if self.bool {
            ValueType::Bool
        } else {
            ValueType::Str
        })
    }
}

/// The text as a value of type `ty`, if it is one. Floats also accept the special forms
/// the writers use (`inf`, `-inf`, `NaN`, `NaN(0x…)`), which inference never picks.
pub(crate) fn parse_as(s: &str, ty: ValueType) -> Option<Value> {
    Some(match ty {
        ValueType::Int => Value::Int(parse_int(s)?),
        ValueType::Float => Value::Float(parse_decimal(s).or_else(|| parse_float(s))?),
        ValueType::Date => Value::Date(parse_date(s)?),
        ValueType::Bool => Value::Bool(parse_bool(s)?),
        ValueType::Str => Value::from(s),
    })
}

/// What a column of type `ty` holds, for error messages.
pub(crate) fn expected(ty: ValueType) -> &'static str {
    match ty {
        ValueType::Int => "an integer",
        ValueType::Float => "a number",
        ValueType::Date => "a date like 2024-03-22",
        ValueType::Bool => "true or false",
        ValueType::Str => "text",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn narrowest(texts: &[&str]) -> Option<ValueType> {
        let mut fits = Fits::default();
        texts.iter().for_each(|t| fits.add(t));
        fits.narrowest()
    }

    #[test]
    fn narrowest_type_over_all_values() {
        use ValueType::*;
        assert_eq!(narrowest(&[]), None);
        assert_eq!(narrowest(&["1", "-2"]), Some(Int));
        assert_eq!(narrowest(&["1", "2.5"]), Some(Float));
        assert_eq!(narrowest(&["2024-01-01"]), Some(Date));
        assert_eq!(narrowest(&["true", "False"]), Some(Bool));
        assert_eq!(narrowest(&["1", "007"]), Some(Str));
        assert_eq!(narrowest(&["+1"]), Some(Str));
        assert_eq!(narrowest(&["1", "2024-01-01"]), Some(Str));
        assert_eq!(narrowest(&["NaN"]), Some(Str));
        assert_eq!(narrowest(&["1.5", "99999999999999999999"]), Some(Str));
        assert_eq!(narrowest(&["1.5", "1e300"]), Some(Float));
        assert_eq!(narrowest(&["1.5", "1e400"]), Some(Str));
        assert_eq!(parse_as("NaN", Float).unwrap().value_type(), Some(Float));
    }
}
