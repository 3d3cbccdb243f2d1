//! A value as read from a fact CSV, before its attribute's type is known.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::Arc;

use chrono::NaiveDate;
use secmaster_core::{Value, ValueType};

use super::parse::BlockAttribute;
use crate::fx::FxBuild;
use crate::infer::parse_as;
use crate::text::{format_date, parse_bool, parse_date, parse_decimal, parse_int};

/// A value as read, before its attribute's type is known. The typed forms hold only
/// values whose text the type writes back unchanged, so no text is lost.
#[derive(Debug)]
pub(super) enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Date(NaiveDate),
    Bool(bool),
    Text(Arc<str>),
}

impl Cell {
    /// The value for an attribute of type `ty`, as typing the text would give it.
    // #[inline] here and below: called per value from typed.rs and parse.rs, which the
    // compiler may put in another codegen unit, where it would not inline them.
    #[inline]
    pub(super) fn into_value(self, ty: ValueType) -> Value {
        match (self, ty) {
            (Cell::Null, _) => Value::Null,
            (Cell::Int(i), ValueType::Int) => Value::Int(i),
            // Both the text and the integer round to the nearest float the same way.
            (Cell::Int(i), ValueType::Float) => Value::Float(i as f64),
            (Cell::Float(x), ValueType::Float) => Value::Float(x),
            (Cell::Date(d), ValueType::Date) => Value::Date(d),
            (Cell::Bool(b), ValueType::Bool) => Value::Bool(b),
            (Cell::Text(s), ValueType::Str) => Value::Str(s),
            (Cell::Text(s), ty) => parse_as(&s, ty).unwrap_or(Value::Str(s)),
            (cell, ty) => {
                let text = match cell {
                    Cell::Int(i) => i.to_string(),
                    Cell::Float(x) => format!("{x:?}"),
                    Cell::Date(d) => format_date(d),
                    Cell::Bool(b) => b.to_string(),
                    Cell::Null | Cell::Text(_) => unreachable!("matched above"),
                };
                parse_as(&text, ty).unwrap_or_else(|| Value::from(text))
            }
        }
    }
}

/// Narrows `attr`'s types by the text `t` and holds it in the most compact form that
/// gives the text back.
#[inline]
pub(super) fn cell(t: &str, attr: &mut BlockAttribute, float_text: &mut String) -> Cell {
    if let Some((ty, fits)) = &mut attr.known {
        *fits = *fits && parse_as(t, *ty).is_some();
    }
    if attr.fits.is_str() && attr.known.is_none() {
        return Cell::Text(intern(&mut attr.strings, t));
    }
    if let Some(i) = parse_int(t) {
        attr.fits.add_int();
        return Cell::Int(i);
    }
    let decimal = parse_decimal(t);
    let integral = !t.contains(['.', 'e', 'E']);
    let date = parse_date(t);
    let boolean = parse_bool(t);
    // (An integral decimal is an integer beyond 64 bits: text, not a float.)
    attr.fits.narrow(
        false,
        decimal.is_some() && !integral,
        date.is_some(),
        boolean.is_some(),
    );
    if let (Some(x), false) = (decimal, integral) {
        float_text.clear();
        write!(float_text, "{x:?}").expect("writing to a string");
        if float_text == t {
            return Cell::Float(x);
        }
    }
    match (date, boolean) {
        (Some(d), _) if t.len() == 10 => Cell::Date(d),
        (_, Some(b)) if t == "true" || t == "false" => Cell::Bool(b),
        _ => Cell::Text(intern(&mut attr.strings, t)),
    }
}

fn intern(strings: &mut HashSet<Arc<str>, FxBuild>, t: &str) -> Arc<str> {
    if let Some(s) = strings.get(t) {
        return s.clone();
    }
    let s: Arc<str> = Arc::from(t);
    strings.insert(s.clone());
    s
}
