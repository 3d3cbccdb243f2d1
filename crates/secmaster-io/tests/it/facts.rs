//! Fact and position files: the prototype's layout and its ISO, JSON Lines and Parquet
//! equivalents give the same facts.

use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array, Int64Array, StringArray};
use secmaster_core::{Fact, SecurityMaster, Value, ValueType, sample};
use secmaster_io::{ReadOptions, facts, positions};

use crate::{batch, data, write_parquet};

fn read(name: &str) -> Vec<Fact> {
    facts::read(data(name), &ReadOptions::default()).unwrap()
}

#[test]
fn prototype_files_parse_to_the_sample_facts() {
    assert_eq!(read("audit_trail.csv"), sample::trail());
    assert_eq!(read("audit_trail_update.csv"), sample::update());
}

#[test]
fn iso_and_json_equivalents_parse_to_the_same_facts() {
    assert_eq!(read("audit_trail_iso.csv"), sample::trail());
    assert_eq!(read("audit_trail_update_iso.csv"), sample::update());
    assert_eq!(read("audit_trail.jsonl"), sample::trail());
}

#[test]
fn parquet_fact_files_with_text_or_typed_values() {
    let dir = tempfile::tempdir().unwrap();
    let trail = sample::trail();
    let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(
        trail.iter().map(Fact::security_id),
    ));
    let attrs: ArrayRef = Arc::new(StringArray::from_iter_values(
        trail.iter().map(Fact::attribute),
    ));
    let dates: ArrayRef =
        Arc::new(Date32Array::from_iter_values(trail.iter().map(|f| {
            (f.effective_date() - chrono::NaiveDate::default()).num_days() as i32
        })));
    let texts: ArrayRef = Arc::new(StringArray::from_iter_values(
        trail.iter().map(|f| f.value().to_string()),
    ));
    let path = dir.path().join("trail.parquet");
    write_parquet(
        &path,
        &batch(vec![
            ("security_id", ids.clone()),
            ("attribute", attrs.clone()),
            ("value", texts),
            ("effective_date", dates.clone()),
        ]),
    );
    assert_eq!(facts::read(&path, &ReadOptions::default()).unwrap(), trail);

    // A value column of one primitive type keeps its type, nulls included.
    let caps: Vec<Fact> = sample::update()
        .into_iter()
        .filter(|f| f.attribute() == "market_cap")
        .collect();
    let path = dir.path().join("caps.parquet");
    let ints: ArrayRef = Arc::new(Int64Array::from(vec![Some(100), None, Some(548_000)]));
    let ids: ArrayRef = Arc::new(Int64Array::from(vec![1, 1, 2]));
    let attrs: ArrayRef = Arc::new(StringArray::from(vec!["market_cap"; 3]));
    // ISO text dates are read too.
    let dates: ArrayRef = Arc::new(StringArray::from(vec![
        "2024-03-01",
        "2024-05-26",
        "2024-05-26",
    ]));
    write_parquet(
        &path,
        &batch(vec![
            ("security_id", ids),
            ("attribute", attrs),
            ("value", ints),
            ("effective_date", dates),
        ]),
    );
    let got = facts::read(&path, &ReadOptions::default()).unwrap();
    assert_eq!(got[0], caps[0]);
    assert_eq!(got[1].value(), &Value::Null);
    assert_eq!(got[2], caps[2]);
}

#[test]
fn facts_merged_into_a_master_take_its_column_types() {
    // market_cap is an int column; a batch with a float market cap widens it (rule 8), and
    // a text ticker that looks like a number stays text because the column is text.
    let mut master = SecurityMaster::build(read("audit_trail.csv")).unwrap();
    let batch = "security_id,attribute,value,effective_date\n\
                 1,ticker,123,2024-06-01\n1,market_cap,1.5,2024-06-01\n";
    let options = ReadOptions::default().for_master(&master);
    let facts = facts::read_csv(batch.as_bytes(), "batch.csv".as_ref(), &options).unwrap();
    assert_eq!(facts[0].value(), &Value::from("123"));
    master.merge(facts).unwrap();
    let types: Vec<(String, Option<ValueType>)> = master
        .columns()
        .iter()
        .map(|c| (c.name().to_string(), c.value_type()))
        .filter(|(n, _)| n == "ticker" || n == "market_cap")
        .collect();
    assert_eq!(
        types,
        [
            ("ticker".to_string(), Some(ValueType::Str)),
            ("market_cap".to_string(), Some(ValueType::Float)),
        ]
    );
    // Without the master's columns the same text would be an int and conflict.
    let facts = facts::read_csv(
        batch.as_bytes(),
        "batch.csv".as_ref(),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(facts[0].value(), &Value::Int(123));
}

#[test]
fn empty_values_are_retractions() {
    let facts = facts::read_csv(
        "\"1\", \"ticker\", \"\", \"01/01/24\"\n1,name,,01/02/24\n".as_bytes(),
        "r.csv".as_ref(),
        &ReadOptions::default(),
    )
    .unwrap();
    assert!(facts.iter().all(|f| f.value().is_null()));
}

#[test]
fn positions_csv_and_parquet() {
    let options = ReadOptions::default();
    assert_eq!(
        positions::read(data("positions.csv"), &options).unwrap(),
        sample::positions()
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.parquet");
    let p = sample::positions();
    let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(
        p.iter().map(|p| p.security_id()),
    ));
    let qty: ArrayRef = Arc::new(Int64Array::from_iter_values(
        p.iter().map(|p| p.quantity().as_f64() as i64),
    ));
    let dates: ArrayRef =
        Arc::new(Date32Array::from_iter_values(p.iter().map(|p| {
            (p.date() - chrono::NaiveDate::default()).num_days() as i32
        })));
    write_parquet(
        &path,
        &batch(vec![
            ("security_id", ids),
            ("quantity", qty),
            ("date", dates),
        ]),
    );
    assert_eq!(positions::read(&path, &options).unwrap(), p);
}

#[test]
fn a_large_file_streams() {
    // 200k facts in 2 attributes: read a record at a time, typed over the whole file.
    let mut text = String::with_capacity(200_000 * 32);
    for i in 0..100_000 {
        text.push_str(&format!("{},price,{}.5,2024-01-01\n", i % 1000, i));
        text.push_str(&format!("{},code,{:03},2024-01-02\n", i % 1000, i % 1000));
    }
    let facts =
        facts::read_csv(text.as_bytes(), "big.csv".as_ref(), &ReadOptions::default()).unwrap();
    assert_eq!(facts.len(), 200_000);
    assert_eq!(facts[1].value(), &Value::from("000"));
    assert_eq!(facts[0].value(), &Value::Float(0.5));
}

#[test]
fn two_digit_years_pivot_as_the_prototype_did() {
    // Python's `%y`, which the prototype used: 00–68 are 20yy, 69–99 are 19yy.
    let dir = tempfile::tempdir().unwrap();
    let trail = dir.path().join("trail.csv");
    std::fs::write(
        &trail,
        "\"1\", \"ticker\", \"A\", \"01/01/69\"\n\"1\", \"ticker\", \"B\", \"12/31/68\"\n\
         \"1\", \"ticker\", \"C\", \"02/29/00\"\n\"1\", \"ticker\", \"D\", \"07/04/99\"\n",
    )
    .unwrap();
    let dates: Vec<String> = facts::read(&trail, &ReadOptions::default())
        .unwrap()
        .iter()
        .map(|f| f.effective_date().to_string())
        .collect();
    assert_eq!(
        dates,
        ["1969-01-01", "2068-12-31", "2000-02-29", "1999-07-04"]
    );
    // The same layout given explicitly reads the same.
    let explicit = ReadOptions::default().with_date_format("%m/%d/%y");
    assert_eq!(
        facts::read(&trail, &explicit).unwrap()[0]
            .effective_date()
            .to_string(),
        "1969-01-01"
    );

    let held = dir.path().join("positions.csv");
    std::fs::write(&held, "\"1\", 5, \"01/01/69\"\n\"1\", 6, \"01/01/68\"\n").unwrap();
    let dates: Vec<String> = positions::read(&held, &ReadOptions::default())
        .unwrap()
        .iter()
        .map(|p| p.date().to_string())
        .collect();
    assert_eq!(dates, ["1969-01-01", "2068-01-01"]);
}

#[test]
fn a_header_naming_a_column_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let trail = dir.path().join("twice.csv");
    std::fs::write(
        &trail,
        "security_id,attribute,value,effective_date,Value\n1,ticker,A,2024-01-01,B\n",
    )
    .unwrap();
    let err = facts::read(&trail, &ReadOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`{}`, line 1: the header names the column `value` more than once",
            trail.display()
        )
    );
    let held = dir.path().join("held.csv");
    std::fs::write(
        &held,
        "security_id,quantity,date,date\n1,5,2024-01-01,2024-02-01\n",
    )
    .unwrap();
    let err = positions::read(&held, &ReadOptions::default()).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("the header names the column `date` more than once"),
        "{err}"
    );
}

#[test]
fn a_key_column_named_as_an_attribute_is_refused_with_its_line() {
    // Rule 1: such a fact would give the table two columns of that name.
    let dir = tempfile::tempdir().unwrap();
    let expected = |path: &std::path::Path, location: &str, found: &str| {
        format!(
            "`{}`, {location}: column `attribute`: expected an attribute name, not a key \
             column's, found `{found}`",
            path.display()
        )
    };
    for key in ["security_id", "effective_start_date", "effective_end_date"] {
        let csv = dir.path().join("k.csv");
        std::fs::write(
            &csv,
            format!("security_id,attribute,value,effective_date\n1,ticker,A,2024-01-01\n1,{key},9,2024-01-02\n"),
        )
        .unwrap();
        let err = facts::read(&csv, &ReadOptions::default()).unwrap_err();
        assert_eq!(err.to_string(), expected(&csv, "line 3", key));
        let text = std::fs::read(&csv).unwrap();
        let err = facts::read_csv(&text[..], &csv, &ReadOptions::default()).unwrap_err();
        assert_eq!(err.to_string(), expected(&csv, "line 3", key));

        let jsonl = dir.path().join("k.jsonl");
        std::fs::write(
            &jsonl,
            format!("{{\"security_id\":1,\"attribute\":\"{key}\",\"value\":9,\"effective_date\":\"2024-01-02\"}}\n"),
        )
        .unwrap();
        let err = facts::read(&jsonl, &ReadOptions::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            expected(&jsonl, "line 1", &format!("\"{key}\""))
        );

        let parquet = dir.path().join("k.parquet");
        write_parquet(
            &parquet,
            &batch(vec![
                (
                    "security_id",
                    Arc::new(Int64Array::from(vec![1])) as ArrayRef,
                ),
                ("attribute", Arc::new(StringArray::from(vec![key]))),
                ("value", Arc::new(StringArray::from(vec!["9"]))),
                (
                    "effective_date",
                    Arc::new(StringArray::from(vec!["2024-01-02"])),
                ),
            ]),
        );
        let err = facts::read(&parquet, &ReadOptions::default()).unwrap_err();
        assert_eq!(err.to_string(), expected(&parquet, "row 1", key));
    }
}
