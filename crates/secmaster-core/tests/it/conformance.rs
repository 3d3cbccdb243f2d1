//! The language-neutral conformance vectors of `conformance/cases/` (format in
//! `conformance/README.md`), run against secmaster-core: every case is built, merged,
//! rebuilt from all its batches at once (rule 6), viewed or joined, and compared with its
//! hand-derived expectation column by column, floats bit for bit.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use secmaster_core::{
    Fact, Join, Options, Position, Quantity, SecurityMaster, Table, Value, ValueType,
};
use serde_json::{Map, Value as Json};

/// The suite is meant to cover every rule; fewer cases than this means files went missing.
const MIN_CASES: usize = 35;

/// Where the cases live, from this crate's manifest.
fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/cases")
}

#[test]
fn conformance_vectors() {
    let dir = cases_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    let mut ran = 0;
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            failures.push(format!("{name}: not a .json case file"));
            continue;
        }
        ran += 1;
        if let Err(why) = run_file(path) {
            failures.push(format!("{name}: {why}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} conformance files failed:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
    assert_eq!(
        ran,
        files.len(),
        "every file in {} is a case",
        dir.display()
    );
    assert!(
        ran >= MIN_CASES,
        "ran {ran} conformance cases, expected at least {MIN_CASES}"
    );
}

type Outcome<T = ()> = Result<T, String>;

/// A case, parsed.
struct Case {
    options: Options,
    batches: Vec<Vec<Fact>>,
    view: Option<View>,
    positions: Option<(Vec<Position>, Join)>,
    expect: Expect,
}

enum View {
    AssetClass(Option<String>),
    AsOf(NaiveDate),
    Security(i64),
    Columns(Vec<String>),
}

enum Expect {
    Table {
        columns: Vec<(String, String)>,
        rows: Vec<Vec<Value>>,
    },
    Error(Vec<String>),
}

fn run_file(path: &Path) -> Outcome {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let json: Json = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
    let case = parse_case(&json).map_err(|e| format!("malformed case: {e}"))?;
    run_case(&case)
}

fn run_case(case: &Case) -> Outcome {
    // Build batch 1, merge the rest; stop at the first refusal.
    let mut master: Option<SecurityMaster> = None;
    let mut refused = None;
    for (i, batch) in case.batches.iter().enumerate() {
        let result = match &mut master {
            None => SecurityMaster::build_with(case.options.clone(), batch.clone())
                .map(|built| master = Some(built)),
            Some(master) => {
                let before = master.clone();
                let facts_before: Vec<Fact> = master.facts().collect();
                let result = master.merge(batch.clone());
                if let Err(e) = &result
                    && (*master != before || master.facts().ne(facts_before))
                {
                    return Err(format!(
                        "batch {} was refused ({e}) but the master changed (rule 8)",
                        i + 1
                    ));
                }
                result
            }
        };
        if let Err(e) = result {
            refused = Some((i, e));
            break;
        }
    }
    let whole = SecurityMaster::build_with(case.options.clone(), case.batches.concat());
    let last = case.batches.len();

    let (columns, rows) = match &case.expect {
        Expect::Error(contains) => {
            let Some((i, error)) = refused else {
                return Err(format!(
                    "expected a refusal, but all {last} batches were accepted"
                ));
            };
            if i + 1 != last {
                return Err(format!(
                    "batch {} of {last} was refused, expected only the last: {error}",
                    i + 1
                ));
            }
            check_contains("the refusal", &error.to_string(), contains)?;
            let whole_error = whole.err().ok_or_else(|| {
                format!(
                    "the merge was refused ({error}) but a build of all batches was not (rule 6)"
                )
            })?;
            return check_contains(
                "the refusal of a build of all batches",
                &whole_error.to_string(),
                contains,
            );
        }
        Expect::Table { columns, rows } => (columns, rows),
    };
    if let Some((i, error)) = refused {
        return Err(format!("batch {} was refused: {error}", i + 1));
    }
    let master = master.ok_or("a case needs at least one batch")?;
    let whole = whole.map_err(|e| {
        format!("the merges were accepted, but a build of all batches was refused: {e}")
    })?;
    if master != whole {
        return Err(format!(
            "merging the batches differs from building them all at once (rule 6)\n\
             merged:\n{}built:\n{}",
            master.table(),
            whole.table()
        ));
    }

    let table = match (&case.view, &case.positions) {
        (_, Some((positions, how))) => master.join_positions(positions, *how),
        (None, None) => master.table(),
        (Some(View::AssetClass(class)), None) => master.asset_class(class.as_deref()),
        (Some(View::AsOf(date)), None) => master.as_of(*date),
        (Some(View::Security(id)), None) => master.table().where_security(*id),
        (Some(View::Columns(names)), None) => master
            .table()
            .select(names)
            .map_err(|e| format!("the columns view was refused: {e}"))?,
    };
    compare(&table, columns, rows)
}

fn check_contains(what: &str, message: &str, contains: &[String]) -> Outcome {
    let missing: Vec<&String> = contains
        .iter()
        .filter(|s| !message.contains(s.as_str()))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("{what} `{message}` does not contain {missing:?}"))
    }
}

fn type_name(ty: Option<ValueType>) -> &'static str {
    ty.map_or("null", ValueType::name)
}

/// The same value, floats compared by their bits.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

/// Compares `table` with the expected columns and rows, reporting every difference.
fn compare(table: &Table, columns: &[(String, String)], rows: &[Vec<Value>]) -> Outcome {
    let actual: Vec<(String, String)> = table
        .columns()
        .iter()
        .map(|c| (c.name().to_string(), type_name(c.value_type()).to_string()))
        .collect();
    if actual != columns {
        return Err(format!(
            "columns differ\nexpected: {columns:?}\n     got: {actual:?}\ntable:\n{table}"
        ));
    }
    let mut diffs = String::new();
    if table.num_rows() != rows.len() {
        let _ = writeln!(
            diffs,
            "expected {} rows, got {}",
            rows.len(),
            table.num_rows()
        );
    }
    for (r, (got, want)) in table.rows().zip(rows).enumerate() {
        for ((cell, expected), (name, _)) in got.iter().zip(want).zip(columns) {
            if !same(cell, expected) {
                let _ = writeln!(
                    diffs,
                    "row {} column `{name}`: expected {expected:?}, got {cell:?}",
                    r + 1
                );
            }
        }
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(format!("{diffs}table:\n{table}"))
    }
}

// Parsing, strictly: an unknown key or a value of the wrong form is an error in the case.

const CASE_KEYS: [&str; 9] = [
    "description",
    "rules",
    "note",
    "priority",
    "batches",
    "view",
    "positions",
    "how",
    "expect",
];

fn parse_case(json: &Json) -> Outcome<Case> {
    let obj = json.as_object().ok_or("a case is a JSON object")?;
    if let Some(key) = obj.keys().find(|k| !CASE_KEYS.contains(&k.as_str())) {
        return Err(format!("unknown key `{key}`"));
    }
    match obj.get("description") {
        Some(Json::String(s)) if !s.trim().is_empty() => {}
        _ => return Err("`description` must be a non-empty string".into()),
    }
    let rules = obj
        .get("rules")
        .and_then(Json::as_array)
        .ok_or("`rules` must be an array")?;
    if rules.is_empty()
        || !rules
            .iter()
            .all(|r| r.as_u64().is_some_and(|n| (1..=11).contains(&n)))
    {
        return Err("`rules` must list rule numbers 1 to 11".into());
    }
    if obj.get("note").is_some_and(|n| !n.is_string()) {
        return Err("`note` must be a string".into());
    }
    let options = match obj.get("priority") {
        None => Options::default(),
        Some(p) => {
            let names = strings(p).map_err(|e| format!("`priority`: {e}"))?;
            Options::default().with_priority(names)
        }
    };
    let batches = obj
        .get("batches")
        .and_then(Json::as_array)
        .filter(|b| !b.is_empty())
        .ok_or("`batches` must be a non-empty array")?
        .iter()
        .enumerate()
        .map(|(i, batch)| {
            let facts = batch
                .as_array()
                .ok_or_else(|| format!("batch {} is not an array", i + 1))?;
            facts
                .iter()
                .enumerate()
                .map(|(j, f)| {
                    parse_fact(f).map_err(|e| format!("batch {} fact {}: {e}", i + 1, j + 1))
                })
                .collect::<Outcome<Vec<Fact>>>()
        })
        .collect::<Outcome<Vec<Vec<Fact>>>>()?;
    let view = obj.get("view").map(parse_view).transpose()?;
    let how = match obj.get("how").map(|h| h.as_str()) {
        None | Some(Some("inner")) => Join::Inner,
        Some(Some("left")) => Join::Left,
        Some(_) => return Err("`how` must be \"inner\" or \"left\"".into()),
    };
    let positions = match obj.get("positions") {
        None if obj.contains_key("how") => return Err("`how` without `positions`".into()),
        None => None,
        Some(_) if view.is_some() => return Err("`positions` together with `view`".into()),
        Some(p) => {
            let list = p
                .as_array()
                .ok_or("`positions` must be an array")?
                .iter()
                .enumerate()
                .map(|(i, p)| parse_position(p).map_err(|e| format!("position {}: {e}", i + 1)))
                .collect::<Outcome<Vec<Position>>>()?;
            Some((list, how))
        }
    };
    let expect = parse_expect(obj.get("expect").ok_or("`expect` is missing")?)?;
    Ok(Case {
        options,
        batches,
        view,
        positions,
        expect,
    })
}

fn strings(json: &Json) -> Outcome<Vec<String>> {
    json.as_array()
        .ok_or("not an array")?
        .iter()
        .map(|s| {
            s.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("{s} is not a string"))
        })
        .collect()
}

fn int(json: &Json) -> Outcome<i64> {
    json.as_i64()
        .ok_or_else(|| format!("{json} is not an integer in the i64 range"))
}

/// An ISO date, exactly `YYYY-MM-DD`.
fn date(json: &Json) -> Outcome<NaiveDate> {
    let text = json
        .as_str()
        .ok_or_else(|| format!("{json} is not a date string"))?;
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|d| d.format("%Y-%m-%d").to_string() == text)
        .ok_or_else(|| format!("{text:?} is not an ISO date YYYY-MM-DD"))
}

fn parse_fact(json: &Json) -> Outcome<Fact> {
    let [id, attribute, value, day] = json
        .as_array()
        .and_then(|a| <&[Json; 4]>::try_from(a.as_slice()).ok())
        .ok_or("a fact is [security_id, attribute, value, effective_date]")?;
    let attribute = attribute.as_str().ok_or("the attribute is not a string")?;
    Ok(Fact::new(
        int(id)?,
        attribute,
        fact_value(value)?,
        date(day)?,
    ))
}

fn fact_value(json: &Json) -> Outcome<Value> {
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) if n.is_f64() => Value::Float(n.as_f64().ok_or("not a float")?),
        Json::Number(_) => Value::Int(int(json)?),
        Json::String(s) => Value::from(s.as_str()),
        Json::Object(m) => match tagged(m)? {
            ("date", v) => Value::Date(date(v)?),
            ("float", Json::String(s)) => Value::Float(special_float(s, true)?),
            (tag, _) => return Err(format!("unknown value {{\"{tag}\": …}}")),
        },
        Json::Array(_) => return Err(format!("{json} is not a value")),
    })
}

/// The one key of a tagged value such as `{"date": "2024-01-01"}`.
fn tagged(map: &Map<String, Json>) -> Outcome<(&str, &Json)> {
    match map.iter().next() {
        Some((k, v)) if map.len() == 1 => Ok((k.as_str(), v)),
        _ => Err("a tagged value has exactly one key".into()),
    }
}

/// The floats JSON cannot write: `NaN`, `inf`, `-inf`, and (in facts) `-0.0`.
fn special_float(s: &str, negative_zero: bool) -> Outcome<f64> {
    match s {
        "NaN" => Ok(f64::NAN),
        "inf" => Ok(f64::INFINITY),
        "-inf" => Ok(f64::NEG_INFINITY),
        "-0.0" if negative_zero => Ok(-0.0),
        _ => Err(format!("{s:?} is not a special float")),
    }
}

fn parse_position(json: &Json) -> Outcome<Position> {
    let [id, quantity, day] = json
        .as_array()
        .and_then(|a| <&[Json; 3]>::try_from(a.as_slice()).ok())
        .ok_or("a position is [security_id, quantity, date]")?;
    // A JSON integer is an integer quantity, any other number a float (DESIGN.md rule 10).
    let quantity: Quantity = match (quantity.as_i64(), quantity.as_f64()) {
        (Some(i), _) => i.into(),
        (None, Some(x)) => x.into(),
        (None, None) => return Err(format!("quantity {quantity} is not a number")),
    };
    Ok(Position::new(int(id)?, quantity, date(day)?))
}

fn parse_view(json: &Json) -> Outcome<View> {
    let map = json.as_object().ok_or("`view` must be an object")?;
    let (kind, arg) = tagged(map).map_err(|_| "`view` has exactly one key".to_string())?;
    Ok(match (kind, arg) {
        ("asset_class", Json::Null) => View::AssetClass(None),
        ("asset_class", Json::String(class)) => View::AssetClass(Some(class.clone())),
        ("as_of", d) => View::AsOf(date(d)?),
        ("security", id) => View::Security(int(id)?),
        ("columns", names) => View::Columns(strings(names).map_err(|e| format!("columns: {e}"))?),
        _ => return Err(format!("unknown view {json}")),
    })
}

fn parse_expect(json: &Json) -> Outcome<Expect> {
    let map = json.as_object().ok_or("`expect` must be an object")?;
    if let Some(error) = map.get("error") {
        if map.len() != 1 {
            return Err("`expect` with `error` has no other key".into());
        }
        let error = error.as_object().ok_or("`error` must be an object")?;
        let contains = match tagged(error) {
            Ok(("contains", list)) => strings(list).map_err(|e| format!("contains: {e}"))?,
            _ => return Err("`error` is {\"contains\": [...]}".into()),
        };
        return Ok(Expect::Error(contains));
    }
    if map.len() != 2 {
        return Err("`expect` is {\"columns\", \"rows\"} or {\"error\"}".into());
    }
    let columns = map
        .get("columns")
        .and_then(Json::as_array)
        .ok_or("`columns` must be an array")?
        .iter()
        .map(|c| match c.as_array().map(Vec::as_slice) {
            Some([Json::String(name), Json::String(ty)])
                if ty == "null" || ValueType::from_name(ty).is_some() =>
            {
                Ok((name.clone(), ty.clone()))
            }
            _ => Err(format!("column {c} is not [name, type]")),
        })
        .collect::<Outcome<Vec<_>>>()?;
    let rows = map
        .get("rows")
        .and_then(Json::as_array)
        .ok_or("`rows` must be an array")?
        .iter()
        .enumerate()
        .map(|(r, row)| {
            let cells = row
                .as_array()
                .filter(|cells| cells.len() == columns.len())
                .ok_or_else(|| format!("row {} does not have {} cells", r + 1, columns.len()))?;
            cells
                .iter()
                .zip(&columns)
                .map(|(cell, (name, ty))| {
                    cell_value(cell, ty).map_err(|e| format!("row {} column `{name}`: {e}", r + 1))
                })
                .collect::<Outcome<Vec<Value>>>()
        })
        .collect::<Outcome<Vec<_>>>()?;
    Ok(Expect::Table { columns, rows })
}

/// An expected cell, read by its column's type.
fn cell_value(json: &Json, ty: &str) -> Outcome<Value> {
    if json.is_null() {
        return Ok(Value::Null);
    }
    Ok(match (ty, json) {
        ("int", _) => Value::Int(int(json)?),
        ("float", Json::Number(n)) => Value::Float(n.as_f64().ok_or("not a float")?),
        ("float", Json::String(s)) => Value::Float(special_float(s, false)?),
        ("str", Json::String(s)) => Value::from(s.as_str()),
        ("bool", Json::Bool(b)) => Value::Bool(*b),
        ("date", _) => Value::Date(date(json)?),
        _ => return Err(format!("{json} is not a {ty} cell")),
    })
}
