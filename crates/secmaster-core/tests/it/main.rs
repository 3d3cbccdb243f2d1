//! Integration tests of secmaster-core: the prototype's worked examples, the rules of
//! DESIGN.md as properties, the crate's architecture invariants, and the language-neutral
//! conformance vectors of `conformance/`.

mod conformance;
mod join;
mod rules;
mod seed;

use chrono::NaiveDate;
use secmaster_core::{Fact, SecurityMaster, Value};

/// A date from ISO text.
pub(crate) fn date(s: &str) -> NaiveDate {
    s.parse()
        .unwrap_or_else(|e| panic!("bad test date {s:?}: {e}"))
}

/// Facts in a tiny notation, one bucket per line: `ID DATE attr=value attr=value ...`.
/// Values: `null`, `true`/`false`, integers, floats (with a `.`), ISO dates, anything else
/// is a string (no spaces). Facts arrive in the order written.
pub(crate) fn facts(notation: &str) -> Vec<Fact> {
    let mut out = Vec::new();
    for line in notation.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let mut words = line.split_whitespace();
        let id: i64 = words.next().unwrap().parse().unwrap();
        let day = date(words.next().unwrap());
        for pair in words {
            let (attr, raw) = pair.split_once('=').unwrap();
            let value = match raw {
                "null" => Value::Null,
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ if raw.parse::<i64>().is_ok() => Value::Int(raw.parse().unwrap()),
                _ if raw.contains('.') && raw.parse::<f64>().is_ok() => {
                    Value::Float(raw.parse().unwrap())
                }
                _ if raw.parse::<NaiveDate>().is_ok() => Value::Date(date(raw)),
                _ => Value::from(raw),
            };
            out.push(Fact::new(id, attr, value, day));
        }
    }
    out
}

/// Builds `trail`, merges each of `batches` in turn, and compares the rendered table.
#[track_caller]
pub(crate) fn check(trail: &str, batches: &[&str], expected: &str) {
    let mut master = SecurityMaster::build(facts(trail)).expect("trail builds");
    for batch in batches {
        master.merge(facts(batch)).expect("batch merges");
    }
    let mut rebuilt = facts(trail);
    for batch in batches {
        rebuilt.extend(facts(batch));
    }
    let rebuilt = SecurityMaster::build(rebuilt).expect("whole trail builds");
    assert_eq!(master.table().to_string(), unindent(expected));
    assert_eq!(master, rebuilt, "merge differs from a rebuild (rule 6)");
}

/// Removes the common leading indentation and the leading and trailing blank lines of an
/// inline table.
pub(crate) fn unindent(s: &str) -> String {
    let mut lines: Vec<&str> = s.lines().skip_while(|l| l.trim().is_empty()).collect();
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| format!("{}\n", l.get(indent..).unwrap_or("").trim_end()))
        .collect()
}
